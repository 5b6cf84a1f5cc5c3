//! `todoapi check`: the effective settings, each with its origin, secrets redacted.

use super::Settings;

impl Settings {
    /// Effective settings as `key = value  # origin` lines, secrets redacted.
    pub fn describe(&self) -> String {
        let list = |v: &[String]| format!("{v:?}");
        let algs: Vec<String> = self
            .auth
            .algorithms
            .iter()
            .map(|a| format!("{a:?}"))
            .collect();
        let permissions: Vec<String> = self
            .rest_framework
            .permissions
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.name()))
            .collect();
        let rows: Vec<(&str, String)> = vec![
            ("server.host", format!("{:?}", self.server.host)),
            ("server.port", self.server.port.to_string()),
            ("server.workers", self.server.workers.to_string()),
            (
                "server.max_body_bytes",
                self.server.max_body_bytes.to_string(),
            ),
            (
                "server.max_header_bytes",
                self.server.max_header_bytes.to_string(),
            ),
            (
                "server.trust_proxy_headers",
                self.server.trust_proxy_headers.to_string(),
            ),
            (
                "server.time_zone",
                format!("{:?}", self.server.time_zone_name),
            ),
            (
                "database.url",
                format!("{:?}", self.database.url.redacted()),
            ),
            ("database.pool_size", self.database.pool_size.to_string()),
            (
                "database.migrate_on_start",
                self.database.migrate_on_start.to_string(),
            ),
            (
                "database.timeout_secs",
                self.database.timeout_secs.to_string(),
            ),
            (
                "auth.domain",
                format!("{:?}", self.auth.domain.clone().unwrap_or_default()),
            ),
            ("auth.audience", list(&self.auth.audience)),
            (
                "auth.issuer",
                format!(
                    "{:?}",
                    self.auth
                        .tenant
                        .as_ref()
                        .map(|t| t.issuer.as_str())
                        .unwrap_or_default()
                ),
            ),
            (
                "auth.jwks_uri",
                format!(
                    "{:?}",
                    self.auth
                        .tenant
                        .as_ref()
                        .map(|t| t.jwks_uri.to_string())
                        .unwrap_or_default()
                ),
            ),
            ("auth.algorithms", list(&algs)),
            ("auth.leeway_secs", self.auth.leeway_secs.to_string()),
            (
                "auth.header_prefix",
                format!("{:?}", self.auth.header_prefix),
            ),
            (
                "auth.username_handler",
                format!("{:?}", self.auth.username_handler.to_string()),
            ),
            (
                "auth.secret",
                if self.auth.secret.is_some() {
                    "\"********\"".into()
                } else {
                    "\"\"".into()
                },
            ),
            (
                "auth.jwks.refresh_secs",
                self.auth.jwks.refresh_secs.to_string(),
            ),
            (
                "auth.jwks.cooldown_secs",
                self.auth.jwks.cooldown_secs.to_string(),
            ),
            (
                "auth.jwks.timeout_secs",
                self.auth.jwks.timeout_secs.to_string(),
            ),
            (
                "auth.jwks.retry_max_secs",
                self.auth.jwks.retry_max_secs.to_string(),
            ),
            (
                "auth.jwks.min_refresh_secs",
                self.auth.jwks.min_refresh_secs.to_string(),
            ),
            (
                "auth.jwks.max_stale_secs",
                self.auth.jwks.max_stale_secs.to_string(),
            ),
            (
                "auth.dev_issuer.enabled",
                self.auth.dev_issuer.enabled.to_string(),
            ),
            (
                "auth.dev_issuer.key_path",
                format!("{:?}", self.auth.dev_issuer.key_path.display().to_string()),
            ),
            (
                "auth.dev_issuer.issuer",
                format!(
                    "{:?}",
                    self.auth.dev_issuer.issuer.clone().unwrap_or_default()
                ),
            ),
            (
                "auth.dev_issuer.client_id",
                format!("{:?}", self.auth.dev_issuer.client_id),
            ),
            ("auth.dev_issuer.client_secret", "\"********\"".into()),
            (
                "auth.dev_issuer.scope",
                format!("{:?}", self.auth.dev_issuer.scope),
            ),
            (
                "auth.dev_issuer.token_lifetime_secs",
                self.auth.dev_issuer.token_lifetime_secs.to_string(),
            ),
            (
                "rest_framework.default_permission",
                format!("{:?}", self.rest_framework.default_permission.name()),
            ),
            (
                "rest_framework.permissions",
                format!("{{{}}}", permissions.join(", ")),
            ),
            ("cors.allowed_origins", list(&self.cors.allowed_origins)),
        ];
        let mut out = format!("# APP_ENV = {}\n", self.profile.name());
        for (key, value) in rows {
            // An issuer or JWKS URI left empty was derived from the domain.
            let derived = matches!(key, "auth.issuer" | "auth.jwks_uri")
                && self.auth.domain.is_some()
                && self
                    .origins
                    .raw(key)
                    .is_none_or(|raw| raw.trim().is_empty());
            let origin = if derived {
                "from auth.domain".to_owned()
            } else {
                self.origins.of(key)
            };
            out.push_str(&format!("{key} = {value}  # {origin}\n"));
        }
        out
    }
}
