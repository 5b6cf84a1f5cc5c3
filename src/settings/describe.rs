//! `todoapi check`: a row per setting of the schema, its effective value and
//! where it came from, secrets redacted.

use config::{Value, ValueKind};

use super::Settings;
use super::schema::{Kind, NAME, SETTINGS, Setting, Shown};

const REDACTED: &str = "\"********\"";

impl Settings {
    /// Effective settings as `key = value  # source` lines, secrets redacted.
    pub fn describe(&self) -> String {
        let mut out = format!("# APP_ENV = {}\n", self.profile.name());
        for setting in SETTINGS.iter().filter(|s| !s.key.contains(NAME)) {
            let (value, source) = self.shown(setting);
            out.push_str(&format!("{} = {value}  # {source}\n", setting.key));
        }
        // Each provider's entry, as it is in force (what it takes from `auth` said).
        for entry in &self.auth.issuers {
            let algorithms: Vec<String> = entry
                .algorithms
                .iter()
                .map(|a| format!("\"{a:?}\""))
                .collect();
            let fields = [
                (
                    "issuer",
                    format!("{:?}", entry.issuer),
                    "auth.issuers.<name>.issuer",
                ),
                (
                    "jwks_uri",
                    format!("{:?}", entry.jwks_uri.as_str()),
                    "its issuer",
                ),
                ("audience", format!("{:?}", entry.audience), "auth.audience"),
                (
                    "algorithms",
                    format!("[{}]", algorithms.join(", ")),
                    "auth.algorithms",
                ),
                (
                    "username_handler",
                    format!("\"{}\"", entry.username_handler),
                    "auth.username_handler",
                ),
            ];
            for (field, value, default) in fields {
                let key = format!("auth.issuers.{}.{field}", entry.name);
                let source = match self.sources.sets(&key) {
                    true => self.sources.of(&key),
                    false => format!("from {default}"),
                };
                out.push_str(&format!("{key} = {value}  # {source}\n"));
            }
        }
        out
    }

    /// A setting's value as shown, and where it came from.
    fn shown(&self, setting: &Setting) -> (String, String) {
        let key = setting.key;
        let source = self.sources.of(key);
        // An issuer or JWKS URI left empty is derived from the domain.
        let derived = |value: Option<String>| {
            let given = self
                .sources
                .raw(key)
                .is_some_and(|raw| !raw.trim().is_empty());
            match (self.auth.domain.is_some() && !given, value) {
                (true, Some(value)) => (format!("{value:?}"), "from auth.domain".to_owned()),
                (_, value) => (format!("{:?}", value.unwrap_or_default()), source.clone()),
            }
        };
        match (key, setting.shown, setting.kind) {
            ("auth.issuer", _, _) => derived(self.auth.tenant.as_ref().map(|t| t.issuer.clone())),
            ("auth.jwks_uri", _, _) => {
                derived(self.auth.tenant.as_ref().map(|t| t.jwks_uri.to_string()))
            }
            ("rest_framework.permissions", _, _) => {
                let pairs: Vec<String> = self
                    .rest_framework
                    .permissions
                    .iter()
                    .map(|(route, classes)| {
                        let names: Vec<String> = classes.iter().map(ToString::to_string).collect();
                        format!("{route} = {:?}", names.join(","))
                    })
                    .collect();
                (format!("{{{}}}", pairs.join(", ")), source)
            }
            ("cache.url", Shown::UrlPassword, _) => {
                (format!("{:?}", self.cache.url.redacted()), source)
            }
            (_, Shown::UrlPassword, _) => (format!("{:?}", self.database.url.redacted()), source),
            (_, Shown::Secret, _) => {
                let empty = self.sources.raw(key).is_none_or(|v| v.is_empty());
                (
                    if empty {
                        "\"\"".into()
                    } else {
                        REDACTED.into()
                    },
                    source,
                )
            }
            (_, Shown::Plain, kind) => {
                let value = self.sources.merged.get::<Value>(key).ok();
                (render(value, kind), source)
            }
        }
    }
}

fn render(value: Option<Value>, kind: Kind) -> String {
    let Some(value) = value else {
        return "(missing)".into();
    };
    match (value.kind, kind) {
        (ValueKind::Array(items), _) => {
            let items: Vec<String> = items
                .into_iter()
                .map(|i| format!("{:?}", i.into_string().unwrap_or_default()))
                .collect();
            format!("[{}]", items.join(", "))
        }
        (ValueKind::String(s), Kind::List) if s.trim().is_empty() => "[]".into(),
        (ValueKind::String(s), Kind::List) => format!("[{:?}]", s.trim()),
        (ValueKind::String(s), Kind::Text) => format!("{s:?}"),
        (other, _) => Value::new(None, other).to_string(),
    }
}
