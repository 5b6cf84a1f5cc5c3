//! Environment variables as a settings layer, each value tagged with the
//! variable it came from.

use std::collections::HashMap;

use config::{ConfigError, Source, Value, ValueKind};

use super::schema;

/// Prefix of the environment variables that override settings.
const ENV_PREFIX: &str = "APP__";

/// The `APP__…` variables, or the seed's aliases.
#[derive(Debug, Clone)]
pub(super) struct EnvLayer {
    entries: Vec<(String, String, String)>, // (key, value, variable)
}

impl EnvLayer {
    pub(super) fn prefixed(env: &HashMap<String, String>) -> Self {
        let entries = env
            .iter()
            .filter_map(|(name, value)| {
                let rest = name.strip_prefix(ENV_PREFIX)?;
                let key = rest.to_lowercase().replace("__", ".");
                Some((key, value.clone(), name.clone()))
            })
            .collect();
        EnvLayer { entries }
    }

    pub(super) fn aliases(env: &HashMap<String, String>) -> Self {
        // The original project's own names (schema: `alias`), below `APP__…`.
        let entries = schema::SETTINGS
            .iter()
            .filter_map(|s| {
                let name = s.alias?;
                let value = env.get(name)?;
                Some((s.key.to_owned(), value.clone(), name.to_owned()))
            })
            .collect();
        EnvLayer { entries }
    }
}

impl EnvLayer {
    /// (key, value, variable) of each value this layer sets.
    pub(super) fn entries(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.entries
            .iter()
            .map(|(k, value, v)| (k.as_str(), value.as_str(), v.as_str()))
    }
}

impl Source for EnvLayer {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<config::Map<String, Value>, ConfigError> {
        let mut map = config::Map::new();
        for (key, value, variable) in &self.entries {
            let source = format!("environment variable {variable}");
            // A list's value is comma-separated.
            let is_list = schema::find(key).is_some_and(|s| s.kind == schema::Kind::List);
            let kind = if is_list {
                ValueKind::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::new(Some(&source), ValueKind::String(s.to_owned())))
                        .collect(),
                )
            } else {
                ValueKind::String(value.clone())
            };
            map.insert(key.clone(), Value::new(Some(&source), kind));
        }
        Ok(map)
    }
}
