//! The development issuer as start-up mounts it, in a build that has it
//! (the cargo feature `dev-issuer`, on by default: `make run`, `make test`).
//! The production image is built without it, and such a build told to
//! enable it says so and stops.

use std::sync::Arc;

use actix_web::web;

use super::StartError;
use crate::auth::Issuer;
use crate::settings::Settings;

#[cfg(feature = "dev-issuer")]
pub use crate::dev_issuer::DevIssuer;

/// No development issuer in this build: nothing can be one.
#[cfg(not(feature = "dev-issuer"))]
pub enum DevIssuer {}

/// Whether this build can do what settings ask of the development issuer:
/// checked before start-up touches the database.
pub fn available(settings: &Settings) -> Result<(), StartError> {
    if cfg!(feature = "dev-issuer") || !settings.auth.dev_issuer.enabled {
        return Ok(());
    }
    Err(StartError::Settings(vec![format!(
        "auth.dev_issuer.enabled (from {}): this build has no development issuer \
         (it was built without the dev-issuer feature)",
        settings.sources.of("auth.dev_issuer.enabled")
    )]))
}

/// The development issuer and the provider that trusts its tokens, while
/// `auth.dev_issuer.enabled`. `port`: the server's own, in its URL.
pub fn start(
    settings: &Settings,
    port: u16,
) -> Result<Option<(Arc<DevIssuer>, Issuer)>, StartError> {
    if !settings.auth.dev_issuer.enabled {
        return Ok(None);
    }
    #[cfg(feature = "dev-issuer")]
    {
        use crate::auth::token::{TokenPolicy, TokenValidator};
        let dev = DevIssuer::load_or_create(
            &settings.auth.dev_issuer,
            crate::dev_issuer::issuer_url(settings, port),
        )?;
        let issuer = Issuer {
            validator: TokenValidator::new(
                dev.issuer().to_owned(),
                &[dev.audience().to_owned()],
                TokenPolicy::rs256(settings.auth.leeway_secs),
                dev.key_store(),
            ),
            username_handler: settings.auth.username_handler.clone(),
            remote: false,
        };
        Ok(Some((Arc::new(dev), issuer)))
    }
    #[cfg(not(feature = "dev-issuer"))]
    {
        let _ = port;
        available(settings).map(|()| None)
    }
}

/// Its endpoints, on each worker's app, while it runs.
pub fn configure(cfg: &mut web::ServiceConfig, dev: Option<web::Data<DevIssuer>>) {
    #[cfg(feature = "dev-issuer")]
    if let Some(dev) = dev {
        cfg.app_data(dev);
        crate::dev_issuer::routes::configure(cfg);
    }
    #[cfg(not(feature = "dev-issuer"))]
    let _ = (cfg, dev);
}
