//! `make bench-auth` (cargo bench --bench auth): the authentication path,
//! from the Authorization header to a principal.
//!
//! - cold: the token parsed and its RS256 signature verified (what every
//!   request paid before the token cache, and what a first request pays);
//! - warm: the same header through the Authenticator once the token is
//!   cached (a hash, a map lookup, the key and times re-checked).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use todoapi::auth::token::{TokenPolicy, TokenValidator, Unverified};
use todoapi::auth::{Authenticator, CachePolicy, Issuer};
use todoapi::db::Db;
use todoapi::dev_issuer::{DevIssuer, TokenOptions};
use todoapi::policy::UsernameHandler;

const ISSUER: &str = "http://127.0.0.1:8000/";

struct Fixture {
    token: String,
    validator: TokenValidator,
    authenticator: Authenticator,
    _dir: tempfile::TempDir,
}

fn validator(dev: &DevIssuer, audience: &str) -> TokenValidator {
    TokenValidator::new(
        ISSUER.into(),
        &[audience.to_owned()],
        TokenPolicy::rs256(0),
        dev.key_store(),
    )
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    let env: HashMap<String, String> = [
        ("APP_ENV", "test".to_owned()),
        ("APP__SERVER__PORT", "8000".to_owned()),
        (
            "APP__DATABASE__URL",
            dir.path().join("db.sqlite3").display().to_string(),
        ),
        (
            "APP__AUTH__DEV_ISSUER__KEY_PATH",
            dir.path().join("key.pem").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = todoapi::settings::load(&config, &env).expect("settings");
    let dev = DevIssuer::load_or_create(&settings.auth.dev_issuer, ISSUER.into()).expect("key");
    let audience = settings
        .auth
        .audience
        .first()
        .cloned()
        .unwrap_or_else(|| "todoapi".into());
    let token = dev
        .mint(TokenOptions {
            sub: "bench".into(),
            audience: Some(audience.clone()),
            ..TokenOptions::default()
        })
        .expect("token")
        .token;
    let mut db = Db::connect(&settings.database).expect("database");
    db.migrate().expect("migrations");
    let authenticator = Authenticator::new(
        "Bearer",
        vec![Issuer {
            validator: validator(&dev, &audience),
            username_handler: UsernameHandler::Auth0User,
            remote: false,
        }],
        db,
        CachePolicy {
            tokens: 10_000,
            user_max_age: Duration::from_secs(3600),
        },
    )
    .expect("one issuer");
    Fixture {
        token,
        validator: validator(&dev, &audience),
        authenticator,
        _dir: dir,
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let f = runtime.block_on(async { fixture() });
    let header = format!("Bearer {}", f.token);

    c.bench_function("cold: parse and verify RS256", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let unverified = Unverified::parse(&f.token).expect("parse");
                f.validator.verify(unverified).await.expect("valid")
            })
        })
    });
    // The first call verifies and reads the user; the rest hit the cache.
    runtime
        .block_on(f.authenticator.authenticate(Some(header.as_bytes())))
        .expect("authenticated");
    c.bench_function("warm: header to principal, cached", |b| {
        b.iter(|| {
            runtime
                .block_on(f.authenticator.authenticate(Some(header.as_bytes())))
                .expect("authenticated")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
