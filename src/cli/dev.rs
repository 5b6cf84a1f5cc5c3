//! The development issuer from the command line: `todoapi token`, its URL
//! for `todoapi openapi`, and what `serve` announces of it.

#[cfg(feature = "dev-issuer")]
use todoapi::dev_issuer::{self, DevIssuer, TokenOptions};
use todoapi::settings::Settings;
#[cfg(feature = "dev-issuer")]
use todoapi::startup::Application;

#[cfg(feature = "dev-issuer")]
/// `count` tokens of the development issuer; more than one get distinct
/// `jti`s and are signed on every core.
pub fn tokens(
    settings: &Settings,
    options: TokenOptions,
    count: usize,
) -> Result<Vec<String>, String> {
    let dev = dev_issuer_for_cli(settings)?;
    if count <= 1 {
        return Ok(vec![dev.mint(options).map_err(|e| e.to_string())?.token]);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks: Vec<Vec<usize>> = (0..threads)
        .map(|t| (t..count).step_by(threads).collect())
        .collect();
    let signed = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|ids| {
                let (dev, options) = (&dev, &options);
                scope.spawn(move || {
                    ids.iter()
                        .map(|id| {
                            let mut one = options.clone();
                            one.extra
                                .insert("jti".into(), serde_json::json!(id.to_string()));
                            dev.mint(one).map(|m| m.token).map_err(|e| e.to_string())
                        })
                        .collect::<Result<Vec<String>, String>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a signing thread failed".to_owned())?)
            .collect::<Result<Vec<Vec<String>>, String>>()
    })?;
    Ok(signed.into_iter().flatten().collect())
}

/// The development issuer's `iss` while it is on.
#[cfg(feature = "dev-issuer")]
pub fn dev_issuer_url(settings: &Settings) -> Option<String> {
    (settings.auth.dev_issuer.enabled)
        .then(|| dev_issuer::issuer_url(settings, settings.server.port))
}

#[cfg(not(feature = "dev-issuer"))]
pub fn dev_issuer_url(_: &Settings) -> Option<String> {
    None
}

/// The development issuer as a running server with these settings has it.
#[cfg(feature = "dev-issuer")]
fn dev_issuer_for_cli(settings: &Settings) -> Result<DevIssuer, String> {
    if !settings.auth.dev_issuer.enabled {
        return Err("the development issuer is off (auth.dev_issuer.enabled = false)".into());
    }
    if settings.server.port == 0 && settings.auth.dev_issuer.issuer.is_none() {
        return Err(
            "server.port is 0, so the issuer URL is unknown; set auth.dev_issuer.issuer".into(),
        );
    }
    let issuer = dev_issuer::issuer_url(settings, settings.server.port);
    DevIssuer::load_or_create(&settings.auth.dev_issuer, issuer).map_err(|e| e.to_string())
}

/// The development issuer's client and a first token, while it runs.
#[cfg(feature = "dev-issuer")]
pub fn announce(app: &Application, settings: &Settings, base: &str) {
    let Some(dev) = app.dev_issuer() else {
        return;
    };
    let minted = dev.mint(TokenOptions {
        sub: "dev-user".into(),
        ..TokenOptions::default()
    });
    match minted {
        Ok(minted) => {
            println!(
                "Development issuer {} (client id {:?}, secret {:?}, token URL {base}/oauth/token)",
                dev.issuer(),
                dev.client_id(),
                dev.client_secret().expose()
            );
            if settings
                .server
                .static_dir
                .as_ref()
                .is_some_and(|d| d.is_dir())
            {
                println!("The SPA: open {base}/ and sign in (as auth0|dev-user, or anyone)");
            }
            println!(
                "A token, valid for {} s (more: `todoapi token`):\n\n{}\n",
                minted.expires_in, minted.token
            );
            println!(
                "List the tasks:\n\ncurl -H \"Authorization: Bearer {}\" {base}/api/task/\n",
                minted.token
            );
        }
        Err(e) => log::warn!("development issuer: {e}"),
    }
}
