//! Reading the merged layers into the declared sections: each value by its
//! type ([`SettingValue`]), every problem collected with its key and where
//! the value came from.

use config::{Config, Value};

use super::SettingValue;
use crate::settings::Sources;

/// Reads typed values out of the merged layers, collecting every problem.
pub(in crate::settings) struct Reader<'a> {
    config: &'a Config,
    sources: &'a Sources,
    pub(in crate::settings) problems: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(in crate::settings) fn new(config: &'a Config, sources: &'a Sources) -> Self {
        Reader {
            config,
            sources,
            problems: Vec::new(),
        }
    }

    pub(in crate::settings) fn problem(&mut self, key: &str, message: impl Into<String>) {
        let origin = self.sources.of(key);
        self.problems
            .push(format!("{key} (from {origin}): {}", message.into()));
    }

    /// Where `key`'s value came from.
    pub(in crate::settings) fn source_of(&self, key: &str) -> String {
        self.sources.of(key)
    }

    /// `key`'s value as its type reads it.
    pub(in crate::settings) fn read<T: SettingValue>(&mut self, key: &str) -> T {
        let Ok(value) = self.config.get::<Value>(key) else {
            if T::REQUIRED {
                self.problem(key, "is missing (config/default.toml sets every key)");
            }
            return T::default();
        };
        let mut problems = Vec::new();
        let value = T::read(value, &mut problems);
        for (below, message) in problems {
            match below.is_empty() {
                true => self.problem(key, message),
                false => self.problem(&format!("{key}.{below}"), message),
            }
        }
        value
    }

    /// The entries' names of a table of tables (`auth.issuers`).
    pub(in crate::settings) fn names(&mut self, key: &str) -> Vec<String> {
        match self.config.get::<Value>(key) {
            Err(_) => Vec::new(),
            Ok(value) => match value.into_table() {
                Ok(table) => table.into_keys().collect(),
                Err(_) => {
                    self.problem(key, "must be a table of named entries");
                    Vec::new()
                }
            },
        }
    }
}
