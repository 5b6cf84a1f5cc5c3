//! The names settings give to throttling, as DRF's `throttling.py` has them:
//! the classes (`DEFAULT_THROTTLE_CLASSES`) and their rates
//! (`DEFAULT_THROTTLE_RATES`, `"N/s|m|h|d"`). `rest/throttling.rs` counts.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::UnknownName;

/// DRF's throttle classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleClass {
    /// Anonymous requests only, keyed by the client's address (scope `anon`).
    Anon,
    /// Keyed by the user, else by the client's address (scope `user`).
    User,
    /// The view's `throttle_scope`, keyed by user or address; views without one are free.
    Scoped,
}

const CLASSES: &[(ThrottleClass, &str)] = &[
    (ThrottleClass::Anon, "AnonRateThrottle"),
    (ThrottleClass::User, "UserRateThrottle"),
    (ThrottleClass::Scoped, "ScopedRateThrottle"),
];

impl ThrottleClass {
    pub fn name(self) -> &'static str {
        CLASSES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, name)| name)
    }

    /// The class's own `scope` (its key in the rates); the scoped class takes the view's.
    pub fn fixed_scope(self) -> Option<&'static str> {
        match self {
            ThrottleClass::Anon => Some("anon"),
            ThrottleClass::User => Some("user"),
            ThrottleClass::Scoped => None,
        }
    }

    /// A comma-separated list, as a file or an environment variable writes it.
    pub fn parse_list(text: &str) -> Result<Vec<ThrottleClass>, UnknownName> {
        text.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for ThrottleClass {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        // DRF's settings write the dotted path; the class name is enough here.
        let name = s.trim().trim_start_matches("rest_framework.throttling.");
        CLASSES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(c, _)| *c)
            .ok_or_else(|| {
                let names: Vec<&str> = CLASSES.iter().map(|(_, n)| *n).collect();
                UnknownName(format!(
                    "unknown throttle class {name:?}; classes are {}",
                    names.join(", ")
                ))
            })
    }
}

impl fmt::Display for ThrottleClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// DRF's `parse_rate`: so many requests per second, minute, hour or day.
/// (The default, none a second, only stands in while a bad value is reported.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    pub num_requests: u32,
    pub duration: Duration,
}

impl FromStr for Rate {
    type Err = String;
    /// `100/day`, `30/m`: as DRF, only the period's first letter counts.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a rate; write N/s, N/m, N/h or N/d (e.g. \"100/day\")");
        let (num, period) = s.trim().split_once('/').ok_or_else(bad)?;
        let num_requests = num.trim().parse::<u32>().map_err(|_| bad())?;
        let secs = match period.trim().chars().next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3_600,
            Some('d') => 86_400,
            _ => return Err(bad()),
        };
        Ok(Rate {
            num_requests,
            duration: Duration::from_secs(secs),
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = match self.duration.as_secs() {
            1 => "s",
            60 => "m",
            3_600 => "h",
            _ => "d",
        };
        write!(f, "{}/{period}", self.num_requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_as_drf_parses_them() {
        let rate = |s: &str| {
            s.parse::<Rate>()
                .map(|r| (r.num_requests, r.duration.as_secs()))
        };
        assert_eq!(rate("100/day"), Ok((100, 86_400)));
        assert_eq!(rate("30/m"), Ok((30, 60)));
        assert_eq!(rate(" 5 / second "), Ok((5, 1)));
        assert_eq!(rate("1/hour"), Ok((1, 3_600)));
        // Only the first letter counts, as in DRF.
        assert_eq!(rate("7/minutes"), Ok((7, 60)));
        assert_eq!(rate("0/s"), Ok((0, 1)));
        for bad in [
            "", "100", "/m", "x/m", "-1/m", "10/", "10/5m", "10/week", "1.5/m",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "100/day".parse::<Rate>().map(|r| r.to_string()),
            Ok("100/d".into())
        );
    }

    #[test]
    fn class_names_as_settings_write_them() {
        assert_eq!(
            ThrottleClass::parse_list(
                "AnonRateThrottle, rest_framework.throttling.UserRateThrottle"
            ),
            Ok(vec![ThrottleClass::Anon, ThrottleClass::User])
        );
        let unknown = ThrottleClass::parse_list("BurstRateThrottle").map_err(|e| e.to_string());
        assert_eq!(
            unknown,
            Err(
                "unknown throttle class \"BurstRateThrottle\"; classes are AnonRateThrottle, \
                 UserRateThrottle, ScopedRateThrottle"
                    .into()
            )
        );
        assert_eq!(ThrottleClass::Scoped.fixed_scope(), None);
        assert_eq!(ThrottleClass::User.to_string(), "UserRateThrottle");
    }
}
