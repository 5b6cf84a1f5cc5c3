//! Where each setting's value came from: a file, an environment variable,
//! or the built-in default (`todoapi check`, and every problem's message).

use std::fmt;
use std::sync::Arc;

use config::{Config, Value};

/// Tells where a setting's value came from: each layer alone, highest first
/// (config keeps a source per value but loses it on the way out).
#[derive(Clone, Default)]
pub struct Sources {
    pub(super) layers: Arc<Vec<(String, Config)>>,
    /// All layers merged: the effective values, as `todoapi check` shows them.
    pub(super) merged: Arc<Config>,
}

impl Sources {
    /// The file or environment variable that set `key`, else "built-in default".
    pub fn of(&self, key: &str) -> String {
        self.layers
            .iter()
            .find(|(_, layer)| layer.get::<Value>(key).is_ok())
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| "built-in default".to_owned())
    }
}

impl Sources {
    /// Whether any layer sets `key`.
    pub(super) fn sets(&self, key: &str) -> bool {
        self.layers
            .iter()
            .any(|(_, layer)| layer.get::<Value>(key).is_ok())
    }

    /// The value `key` has in the layer that set it, as text.
    pub(super) fn raw(&self, key: &str) -> Option<String> {
        self.layers
            .iter()
            .find_map(|(_, layer)| layer.get_string(key).ok())
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.layers.iter().map(|(name, _)| name))
            .finish()
    }
}
