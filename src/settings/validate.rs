//! Every rule on a setting's value: the raw layers in, typed settings out,
//! or every problem at once, each naming its key and where it came from.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use url::Url;

use super::*;

/// actix-web's own limit on a request head.
const MAX_HEADER_BYTES_CEILING: usize = 128 * 1024;

/// What the files and variables say, before validation.
#[derive(Debug, Deserialize)]
pub(super) struct Raw {
    server: RawServer,
    database: RawDatabase,
    auth: RawAuth,
    rest_framework: RawRestFramework,
    cors: RawCors,
}

#[derive(Debug, Deserialize)]
struct RawServer {
    host: String,
    port: u16,
    workers: usize,
    max_body_bytes: usize,
    max_header_bytes: usize,
    trust_proxy_headers: bool,
    time_zone: String,
}

#[derive(Debug, Deserialize)]
struct RawDatabase {
    url: String,
    pool_size: u32,
    migrate_on_start: bool,
    timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
struct RawAuth {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    audience: OneOrMany,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    jwks_uri: String,
    algorithms: OneOrMany,
    leeway_secs: u64,
    header_prefix: String,
    username_handler: String,
    #[serde(default)]
    secret: String,
    jwks: JwksSettings,
    dev_issuer: RawDevIssuer,
}

#[derive(Debug, Deserialize)]
struct RawDevIssuer {
    enabled: bool,
    key_path: String,
    #[serde(default)]
    issuer: String,
    client_id: String,
    client_secret: String,
    scope: String,
    token_lifetime_secs: u64,
}

#[derive(Debug, Deserialize)]
struct RawRestFramework {
    default_permission: String,
    #[serde(default)]
    permissions: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct RawCors {
    #[serde(default)]
    allowed_origins: OneOrMany,
}

/// A string or a list of strings (`audience = "x"` or `audience = ["x", "y"]`).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) if s.trim().is_empty() => Vec::new(),
            OneOrMany::One(s) => vec![s.trim().to_owned()],
            OneOrMany::Many(v) => v
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// Turns the raw layer into typed settings, collecting every problem.
pub(super) fn validate(
    profile: Profile,
    raw: Raw,
    origins: Origins,
) -> Result<Settings, SettingsError> {
    let origin = |key: &str| origins.of(key);
    let mut problems: Vec<String> = Vec::new();
    let mut problem = |key: &str, msg: String| {
        problems.push(format!("{key} (from {}): {msg}", origin(key)));
    };
    let production = profile == Profile::Production;

    // server
    if raw.server.host.trim().is_empty() {
        problem("server.host", "must not be empty".into());
    } else if raw.server.host.parse::<IpAddr>().is_err()
        && !raw
            .server
            .host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        problem(
            "server.host",
            format!("{:?} is not an IP address or host name", raw.server.host),
        );
    }
    if raw.server.max_body_bytes == 0 {
        problem("server.max_body_bytes", "must be greater than 0".into());
    }
    // actix-web refuses request heads over 128 KiB itself, with an empty 431.
    if !(1024..=MAX_HEADER_BYTES_CEILING).contains(&raw.server.max_header_bytes) {
        problem(
            "server.max_header_bytes",
            format!("must be between 1024 and {MAX_HEADER_BYTES_CEILING}"),
        );
    }

    let time_zone_name = raw.server.time_zone.trim().to_owned();
    let time_zone = match jiff::tz::TimeZone::get(&time_zone_name) {
        Ok(tz) => tz,
        Err(_) => {
            problem(
                "server.time_zone",
                format!(
                    "{time_zone_name:?} is not a time zone; use an IANA name such as \"UTC\" or \"Europe/Paris\""
                ),
            );
            jiff::tz::TimeZone::UTC
        }
    };

    // database
    let db_url = match DatabaseUrl::parse(&raw.database.url) {
        Ok(url) => url,
        Err(msg) => {
            problem("database.url", msg);
            DatabaseUrl::Sqlite(PathBuf::from("invalid"))
        }
    };
    if raw.database.timeout_secs == 0 {
        problem("database.timeout_secs", "must be greater than 0".into());
    }

    // auth
    let domain = raw.auth.domain.trim().to_owned();
    if !domain.is_empty()
        && (domain.contains('/') || domain.contains(':') || domain.contains(char::is_whitespace))
    {
        problem(
            "auth.domain",
            format!("{domain:?} must be a bare host name such as \"example.auth0.com\", not a URL"),
        );
    }
    let issuer = match (raw.auth.issuer.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Some(format!("https://{domain}/")),
        (iss, _) => Some(iss.to_owned()),
    };
    let jwks_uri = match (raw.auth.jwks_uri.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Url::parse(&format!("https://{domain}/.well-known/jwks.json")).ok(),
        (uri, _) => match parse_jwks_uri(uri) {
            Ok(url) => Some(url),
            Err(msg) => {
                problem("auth.jwks_uri", msg);
                None
            }
        },
    };
    if issuer.is_some() != (jwks_uri.is_some() || !raw.auth.jwks_uri.trim().is_empty()) {
        problem(
            "auth.issuer",
            "auth.issuer and auth.jwks_uri go together: set auth.domain, or both".into(),
        );
    }
    if production && issuer.is_none() {
        problem(
            "auth.domain",
            "must be set in production (or auth.issuer and auth.jwks_uri)".into(),
        );
    }
    // Both or neither: a half-configured tenant was reported above.
    let tenant = match (issuer, jwks_uri) {
        (Some(issuer), Some(jwks_uri)) => Some(Tenant { issuer, jwks_uri }),
        _ => None,
    };
    let audience = raw.auth.audience.into_vec();
    if production && audience.is_empty() {
        problem(
            "auth.audience",
            "must be set in production: without it any token of the tenant would be accepted"
                .into(),
        );
    }
    let secret = Some(raw.auth.secret.clone())
        .filter(|s| !s.is_empty())
        .map(Secret);
    let mut algorithms = Vec::new();
    let alg_names = raw.auth.algorithms.into_vec();
    if alg_names.is_empty() {
        problem("auth.algorithms", "must name at least one algorithm".into());
    }
    for name in alg_names {
        match parse_algorithm(&name) {
            Ok(alg) => {
                if is_hmac(alg) && secret.is_none() {
                    problem(
                        "auth.algorithms",
                        format!("{name} needs a shared secret in auth.secret"),
                    );
                }
                algorithms.push(alg);
            }
            Err(msg) => problem("auth.algorithms", msg),
        }
    }
    if raw.auth.jwks.timeout_secs == 0 {
        problem("auth.jwks.timeout_secs", "must be greater than 0".into());
    }
    if raw.auth.jwks.refresh_secs == 0 {
        problem("auth.jwks.refresh_secs", "must be greater than 0".into());
    }
    if raw.auth.jwks.retry_max_secs == 0 {
        problem("auth.jwks.retry_max_secs", "must be greater than 0".into());
    }
    if raw.auth.jwks.max_stale_secs == 0 {
        problem("auth.jwks.max_stale_secs", "must be greater than 0".into());
    }
    let dev = raw.auth.dev_issuer;
    if dev.enabled && production {
        problem(
            "auth.dev_issuer.enabled",
            "must be false in production: the development issuer signs tokens for anyone who asks"
                .into(),
        );
    }
    if dev.enabled {
        if dev.key_path.trim().is_empty() {
            problem("auth.dev_issuer.key_path", "must not be empty".into());
        }
        if dev.client_id.trim().is_empty() {
            problem(
                "auth.dev_issuer.client_id",
                "the development issuer needs a client id".into(),
            );
        }
        if dev.client_secret.is_empty() {
            problem(
                "auth.dev_issuer.client_secret",
                "the development issuer needs a client secret".into(),
            );
        }
        if dev.token_lifetime_secs == 0 {
            problem(
                "auth.dev_issuer.token_lifetime_secs",
                "must be greater than 0".into(),
            );
        }
        if !dev.issuer.trim().is_empty() && Url::parse(dev.issuer.trim()).is_err() {
            problem(
                "auth.dev_issuer.issuer",
                format!("{:?} is not a URL", dev.issuer),
            );
        }
    }
    let dev_issuer = DevIssuerSettings {
        enabled: dev.enabled,
        key_path: PathBuf::from(dev.key_path.trim()),
        issuer: Some(dev.issuer.trim().to_owned()).filter(|s| !s.is_empty()),
        audience: audience
            .first()
            .cloned()
            .unwrap_or_else(|| DEV_AUDIENCE.to_owned()),
        client_id: dev.client_id.trim().to_owned(),
        client_secret: Secret(dev.client_secret),
        scope: dev.scope,
        token_lifetime_secs: dev.token_lifetime_secs,
    };
    let header_prefix = raw.auth.header_prefix.trim().to_owned();
    if header_prefix.is_empty() || header_prefix.contains(char::is_whitespace) {
        problem(
            "auth.header_prefix",
            "must be one word, such as \"Bearer\"".into(),
        );
    }
    let username_handler = match raw.auth.username_handler.parse::<UsernameHandler>() {
        Ok(h) => h,
        Err(msg) => {
            problem("auth.username_handler", msg.to_string());
            UsernameHandler::Auth0User
        }
    };

    // rest_framework
    let default_permission = match raw
        .rest_framework
        .default_permission
        .parse::<PermissionClass>()
    {
        Ok(p) => p,
        Err(msg) => {
            problem("rest_framework.default_permission", msg.to_string());
            PermissionClass::IsAuthenticated
        }
    };
    let mut permissions = BTreeMap::new();
    let mut permission_keys = BTreeMap::new();
    for (route, class) in raw.rest_framework.permissions {
        // Environment variable names cannot hold '-': TASK_LIST means task-list.
        let name = route.to_lowercase().replace('_', "-");
        let key = format!("rest_framework.permissions.{route}");
        match class.parse::<PermissionClass>() {
            Ok(p) => {
                permission_keys.insert(name.clone(), format!("{key} (from {})", origin(&key)));
                permissions.insert(name, p);
            }
            Err(msg) => problem(&key, msg.to_string()),
        }
    }

    // cors
    let allowed_origins = raw.cors.allowed_origins.into_vec();
    for o in &allowed_origins {
        if let Err(msg) = check_origin(o) {
            problem("cors.allowed_origins", msg);
        }
    }

    if !problems.is_empty() {
        return Err(SettingsError::Invalid(problems));
    }

    Ok(Settings {
        profile,
        server: ServerSettings {
            host: raw.server.host,
            port: raw.server.port,
            workers: raw.server.workers,
            max_body_bytes: raw.server.max_body_bytes,
            max_header_bytes: raw.server.max_header_bytes,
            trust_proxy_headers: raw.server.trust_proxy_headers,
            time_zone,
            time_zone_name,
        },
        database: DatabaseSettings {
            url: db_url,
            pool_size: raw.database.pool_size,
            migrate_on_start: raw.database.migrate_on_start,
            timeout_secs: raw.database.timeout_secs,
        },
        auth: AuthSettings {
            domain: Some(domain).filter(|d| !d.is_empty()),
            audience,
            tenant,
            algorithms,
            leeway_secs: raw.auth.leeway_secs,
            header_prefix,
            username_handler,
            secret,
            jwks: raw.auth.jwks,
            dev_issuer,
        },
        rest_framework: RestFrameworkSettings {
            default_permission,
            permissions,
            permission_keys,
        },
        cors: CorsSettings { allowed_origins },
        origins,
    })
}

/// https anywhere; plain http only to loopback (tests and development).
fn parse_jwks_uri(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "{raw:?} uses plain http to a non-loopback host; use https"
        )),
        other => Err(format!("{raw:?} has scheme {other:?}; use https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    if name.eq_ignore_ascii_case("none") {
        return Err("\"none\" (unsigned tokens) is never allowed".into());
    }
    match Algorithm::from_str(name) {
        Ok(
            alg @ (Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::HS256
            | Algorithm::HS384
            | Algorithm::HS512),
        ) => Ok(alg),
        _ => Err(format!(
            "unsupported algorithm {name:?}; use RS256, RS384, RS512, PS256, PS384, PS512 or HS256, HS384, HS512"
        )),
    }
}

pub fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let url = Url::parse(origin)
        .map_err(|_| format!("{origin:?} is not an origin such as \"https://app.example.com\""))?;
    let bare = url.path() == "/" && !origin.ends_with('/');
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !bare
        || url.query().is_some()
    {
        return Err(format!(
            "{origin:?} is not an origin such as \"https://app.example.com\" (scheme, host and port only)"
        ));
    }
    Ok(())
}
