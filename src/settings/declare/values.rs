//! How each type a setting can have is read: plain values, text that parses
//! into a type ([`FromText`]), lists of it, optional values and per-route
//! tables.

use std::collections::BTreeMap;
use std::path::PathBuf;

use config::{Value, ValueKind};

use super::text::{FromText, KeySetUrl, TimeZone};
use super::{Kind, Problems, SettingValue, Shown};
use crate::policy::{Ownership, PaginationClass, Rate, UsernameHandler};
use crate::settings::{CacheUrl, DatabaseUrl, IpNet, LogFormat, Secret, TrustedProxies};

fn problem(problems: &mut Problems, message: impl Into<String>) {
    problems.push((String::new(), message.into()));
}

impl SettingValue for bool {
    const KIND: Kind = Kind::Boolean;
    fn read(value: Value, problems: &mut Problems) -> Self {
        value
            .into_bool()
            .unwrap_or_else(|_| Self::default_after(problems, "must be true or false"))
    }
}

trait StandIn: Default {
    fn default_after(problems: &mut Problems, message: &str) -> Self {
        problem(problems, message);
        Self::default()
    }
}
impl<T: Default> StandIn for T {}

macro_rules! integers {
    ($($ty:ty),*) => {$(
        impl SettingValue for $ty {
            const KIND: Kind = Kind::Integer;
            fn read(value: Value, problems: &mut Problems) -> Self {
                match value.into_int() {
                    Ok(n) => <$ty>::try_from(n).unwrap_or_else(|_| {
                        Self::default_after(problems, &format!("{n} is out of range"))
                    }),
                    Err(_) => Self::default_after(problems, "must be a whole number"),
                }
            }
        }
    )*};
}
integers!(u16, u32, u64, usize);

/// Text as written, untrimmed.
fn text(value: Value, problems: &mut Problems) -> Option<String> {
    match value.into_string() {
        Ok(text) => Some(text),
        Err(_) => {
            problem(problems, "must be text");
            None
        }
    }
}

/// Trimmed: a stray space in a file or variable is never meant.
impl SettingValue for String {
    const KIND: Kind = Kind::Text;
    fn read(value: Value, problems: &mut Problems) -> Self {
        text(value, problems).map_or_else(String::new, |t| t.trim().to_owned())
    }
}

/// As written: a secret is compared byte for byte.
impl SettingValue for Secret {
    const KIND: Kind = Kind::Text;
    const SHOWN: Shown = Shown::Secret;
    fn read(value: Value, problems: &mut Problems) -> Self {
        Secret::new(text(value, problems).unwrap_or_default())
    }
}

/// Text-valued settings of a type that parses from text.
macro_rules! parsed_text {
    ($($ty:ty),*) => {$(
        impl SettingValue for $ty {
            const KIND: Kind = Kind::Text;
            fn read(value: Value, problems: &mut Problems) -> Self {
                let Some(text) = text(value, problems) else {
                    return Self::default();
                };
                <$ty as FromText>::from_text(text.trim())
                    .unwrap_or_else(|message| Self::default_after(problems, &message))
            }
        }
    )*};
}
parsed_text!(
    PathBuf,
    KeySetUrl,
    Ownership,
    UsernameHandler,
    TimeZone,
    Rate,
    LogFormat
);

impl SettingValue for CacheUrl {
    const KIND: Kind = Kind::Text;
    const SHOWN: Shown = Shown::UrlPassword;
    fn read(value: Value, problems: &mut Problems) -> Self {
        match text(value, problems).map(|text| CacheUrl::parse(&text)) {
            Some(Ok(url)) => url,
            Some(Err(e)) => Self::default_after(problems, &e),
            None => Self::default(),
        }
    }
}

impl SettingValue for DatabaseUrl {
    const KIND: Kind = Kind::Text;
    const SHOWN: Shown = Shown::UrlPassword;
    fn read(value: Value, problems: &mut Problems) -> Self {
        match text(value, problems).map(|text| DatabaseUrl::parse(&text)) {
            Some(Ok(url)) => url,
            Some(Err(e)) => Self::default_after(problems, &e.to_string()),
            None => Self::default(),
        }
    }
}

/// Absent or blank is `None`.
impl<T: SettingValue> SettingValue for Option<T> {
    const KIND: Kind = T::KIND;
    const SHOWN: Shown = T::SHOWN;
    const REQUIRED: bool = false;
    fn read(value: Value, problems: &mut Problems) -> Self {
        match value.kind {
            ValueKind::Nil => None,
            ValueKind::String(ref s) if s.trim().is_empty() => None,
            ValueKind::String(ref s) => {
                let trimmed = Value::new(None, ValueKind::String(s.trim().to_owned()));
                Some(T::read(trimmed, problems))
            }
            _ => Some(T::read(value, problems)),
        }
    }
}

/// A string or a list of strings; blanks dropped, each trimmed and parsed.
impl<T: FromText> SettingValue for Vec<T> {
    const KIND: Kind = Kind::List;
    fn read(value: Value, problems: &mut Problems) -> Self {
        let items = match value.kind {
            ValueKind::Array(items) => items,
            ValueKind::Nil => Vec::new(),
            _ => vec![value],
        };
        let mut out = Vec::new();
        for item in items {
            match item.into_string() {
                Ok(s) if s.trim().is_empty() => {}
                Ok(s) => match T::from_text(s.trim()) {
                    Ok(item) => out.push(item),
                    Err(message) => problem(problems, message),
                },
                Err(_) => problem(problems, "must be text or a list of text"),
            }
        }
        out
    }
}

impl SettingValue for TrustedProxies {
    const KIND: Kind = Kind::List;
    fn read(value: Value, problems: &mut Problems) -> Self {
        TrustedProxies::new(Vec::<IpNet>::read(value, problems))
    }
}

/// A table below a setting, keyed by route name (`rest_framework.permissions.task-list`).
#[derive(Debug, Clone)]
pub struct PerRoute<V> {
    /// Route name → value.
    entries: BTreeMap<String, V>,
    /// Route name → its key as written (environment names cannot hold '-').
    written: BTreeMap<String, String>,
}

impl<V> Default for PerRoute<V> {
    fn default() -> Self {
        PerRoute {
            entries: BTreeMap::new(),
            written: BTreeMap::new(),
        }
    }
}

impl<V> PerRoute<V> {
    pub fn get(&self, route: &str) -> Option<&V> {
        self.entries.get(route)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.values()
    }

    /// (route name, its key below the table as written).
    pub fn written(&self) -> impl Iterator<Item = (&String, &String)> {
        self.written.iter()
    }
}

impl<V> std::ops::Index<&str> for PerRoute<V> {
    type Output = V;
    fn index(&self, route: &str) -> &V {
        &self.entries[route]
    }
}

impl<V: FromText> SettingValue for PerRoute<V> {
    const KIND: Kind = Kind::Map;
    fn read(value: Value, problems: &mut Problems) -> Self {
        let mut out = PerRoute::default();
        let Ok(table) = value.into_table() else {
            problem(problems, "must be a table");
            return out;
        };
        for (written, value) in table {
            // A list of text is its items, comma-separated.
            let text = match value.kind {
                ValueKind::Array(items) => items
                    .into_iter()
                    .map(Value::into_string)
                    .collect::<Result<Vec<_>, _>>()
                    .map(|items| items.join(",")),
                _ => value.into_string(),
            };
            let parsed = text
                .map_err(|_| "must be text or a list of text".to_owned())
                .and_then(|text| V::from_text(&text));
            let route = written.to_lowercase().replace('_', "-");
            match parsed {
                Ok(value) => {
                    out.entries.insert(route.clone(), value);
                }
                Err(message) => problems.push((written.clone(), message)),
            }
            out.written.insert(route, written);
        }
        out
    }
}

/// `default_pagination_class`: a class, or none ("" or "None").
impl SettingValue for Option<PaginationClass> {
    const KIND: Kind = Kind::Text;
    fn read(value: Value, problems: &mut Problems) -> Self {
        let text = text(value, problems).unwrap_or_default();
        Self::from_text(&text).unwrap_or_else(|message| Self::default_after(problems, &message))
    }
}
