//! The `auth` section: the tenant (from `auth.domain`, or `auth.issuer` and
//! `auth.jwks_uri`), the algorithms and secret, the key set's fetching, the
//! development issuer, and the providers of `auth.issuers` (`issuers.rs`).

use url::Url;

use super::issuers;
use super::keys::{is_hmac, parse_algorithm, parse_jwks_uri};
use super::*;

pub(super) fn auth(r: &mut Reader, profile: Profile) -> AuthSettings {
    let production = profile == Profile::Production;
    let domain = r.text("auth.domain").trim().to_owned();
    if !domain.is_empty()
        && (domain.contains('/') || domain.contains(':') || domain.contains(char::is_whitespace))
    {
        r.problem(
            "auth.domain",
            format!("{domain:?} must be a bare host name such as \"example.auth0.com\", not a URL"),
        );
    }
    let tenant = tenant(r, &domain);
    let audience = r.list("auth.audience");
    if production && audience.is_empty() {
        r.problem(
            "auth.audience",
            "must be set in production: without it any token of the tenant would be accepted",
        );
    }
    let secret = Some(r.text("auth.secret"))
        .filter(|s| !s.is_empty())
        .map(Secret);
    let mut algorithms = Vec::new();
    let alg_names = r.list("auth.algorithms");
    if alg_names.is_empty() {
        r.problem("auth.algorithms", "must name at least one algorithm");
    }
    for name in alg_names {
        match parse_algorithm(&name) {
            Ok(alg) => {
                if is_hmac(alg) && secret.is_none() {
                    r.problem(
                        "auth.algorithms",
                        format!("{name} needs a shared secret in auth.secret"),
                    );
                }
                algorithms.push(alg);
            }
            Err(msg) => r.problem("auth.algorithms", msg),
        }
    }
    let header_prefix = r.text("auth.header_prefix").trim().to_owned();
    if header_prefix.is_empty() || header_prefix.contains(char::is_whitespace) {
        r.problem("auth.header_prefix", "must be one word, such as \"Bearer\"");
    }
    let username_handler = match r.text("auth.username_handler").parse::<UsernameHandler>() {
        Ok(h) => h,
        Err(e) => {
            r.problem("auth.username_handler", e.to_string());
            UsernameHandler::Auth0User
        }
    };
    let dev_issuer = dev_issuer(r, production, &audience);
    let issuers = issuers::issuers(
        r,
        issuers::Defaults {
            audience: &audience,
            algorithms: &algorithms,
            username_handler: &username_handler,
            production,
        },
    );
    if production && tenant.is_none() && issuers.is_empty() {
        r.problem(
            "auth.domain",
            "must be set in production (or auth.issuer and auth.jwks_uri, or an auth.issuers entry)",
        );
    }
    let mut seen: Vec<&str> = tenant.iter().map(|t| t.issuer.as_str()).collect();
    for entry in &issuers {
        if seen.contains(&entry.issuer.as_str()) {
            r.problem(
                &format!("auth.issuers.{}.issuer", entry.name),
                format!(
                    "{:?} is trusted already: each iss picks one provider",
                    entry.issuer
                ),
            );
        }
        seen.push(&entry.issuer);
    }
    AuthSettings {
        issuers,
        domain: Some(domain).filter(|d| !d.is_empty()),
        audience,
        tenant,
        algorithms,
        leeway_secs: r.integer("auth.leeway_secs"),
        token_cache_size: r.integer("auth.token_cache_size"),
        user_cache_secs: r.integer("auth.user_cache_secs"),
        header_prefix,
        username_handler,
        secret,
        jwks: jwks(r),
        dev_issuer,
    }
}

/// `auth.issuer` and `auth.jwks_uri`, given or derived from the domain: both or neither.
fn tenant(r: &mut Reader, domain: &str) -> Option<Tenant> {
    let given_issuer = r.text("auth.issuer");
    let given_jwks_uri = r.text("auth.jwks_uri");
    let issuer = match (given_issuer.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Some(format!("https://{domain}/")),
        (iss, _) => Some(iss.to_owned()),
    };
    let jwks_uri = match (given_jwks_uri.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Url::parse(&format!("https://{domain}/.well-known/jwks.json")).ok(),
        (uri, _) => match parse_jwks_uri(uri) {
            Ok(url) => Some(url),
            Err(msg) => {
                r.problem("auth.jwks_uri", msg);
                None
            }
        },
    };
    if issuer.is_some() != (jwks_uri.is_some() || !given_jwks_uri.trim().is_empty()) {
        r.problem(
            "auth.issuer",
            "auth.issuer and auth.jwks_uri go together: set auth.domain, or both",
        );
    }
    // Both or neither: a half-configured tenant was reported above.
    match (issuer, jwks_uri) {
        (Some(issuer), Some(jwks_uri)) => Some(Tenant { issuer, jwks_uri }),
        _ => None,
    }
}

fn jwks(r: &mut Reader) -> JwksSettings {
    let positive = |r: &mut Reader, key: &str| -> u64 {
        let n = r.integer(key);
        if n == 0 {
            r.problem(key, "must be greater than 0");
        }
        n
    };
    JwksSettings {
        refresh_secs: positive(r, "auth.jwks.refresh_secs"),
        cooldown_secs: r.integer("auth.jwks.cooldown_secs"),
        timeout_secs: positive(r, "auth.jwks.timeout_secs"),
        retry_max_secs: positive(r, "auth.jwks.retry_max_secs"),
        min_refresh_secs: r.integer("auth.jwks.min_refresh_secs"),
        max_stale_secs: positive(r, "auth.jwks.max_stale_secs"),
    }
}

fn dev_issuer(r: &mut Reader, production: bool, audience: &[String]) -> DevIssuerSettings {
    let enabled = r.boolean("auth.dev_issuer.enabled");
    let key_path = r.text("auth.dev_issuer.key_path");
    let issuer = r.text("auth.dev_issuer.issuer");
    let client_id = r.text("auth.dev_issuer.client_id");
    let client_secret = r.text("auth.dev_issuer.client_secret");
    let token_lifetime_secs: u64 = r.integer("auth.dev_issuer.token_lifetime_secs");
    if enabled && production {
        r.problem(
            "auth.dev_issuer.enabled",
            "must be false in production: the development issuer signs tokens for anyone who asks",
        );
    }
    if enabled {
        if key_path.trim().is_empty() {
            r.problem("auth.dev_issuer.key_path", "must not be empty");
        }
        if client_id.trim().is_empty() {
            r.problem(
                "auth.dev_issuer.client_id",
                "the development issuer needs a client id",
            );
        }
        if client_secret.is_empty() {
            r.problem(
                "auth.dev_issuer.client_secret",
                "the development issuer needs a client secret",
            );
        }
        if token_lifetime_secs == 0 {
            r.problem(
                "auth.dev_issuer.token_lifetime_secs",
                "must be greater than 0",
            );
        }
        if !issuer.trim().is_empty() && Url::parse(issuer.trim()).is_err() {
            r.problem("auth.dev_issuer.issuer", format!("{issuer:?} is not a URL"));
        }
    }
    DevIssuerSettings {
        enabled,
        key_path: PathBuf::from(key_path.trim()),
        issuer: Some(issuer.trim().to_owned()).filter(|s| !s.is_empty()),
        audience: audience
            .first()
            .cloned()
            .unwrap_or_else(|| DEV_AUDIENCE.to_owned()),
        client_id: client_id.trim().to_owned(),
        client_secret: Secret(client_secret),
        scope: r.text("auth.dev_issuer.scope"),
        token_lifetime_secs,
        callback_urls: urls(r, "auth.dev_issuer.callback_urls"),
        logout_urls: urls(r, "auth.dev_issuer.logout_urls"),
    }
}

/// A list of absolute http(s) URLs.
fn urls(r: &mut Reader, key: &str) -> Vec<Url> {
    let mut out = Vec::new();
    for text in r.list(key) {
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                out.push(url)
            }
            _ => r.problem(key, format!("{text:?} is not an http(s) URL")),
        }
    }
    out
}
