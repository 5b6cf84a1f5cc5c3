//! `CursorPagination`'s opaque cursor: where a keyset page starts (the
//! ordering's values of a row), which way it reads, and the ordering it was
//! made for. Base64url of a small JSON object. Anything that does not
//! decode to exactly that, for this ordering, with values of the columns'
//! kinds, is invalid: one answer, whatever was wrong.
//!
//! A cursor is not secret and not signed: one a client writes itself only
//! moves within the list it may see anyway.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::io::Write;

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::db::listing::{Keyset, Kind, Position};

/// DRF's text for a cursor it cannot use.
pub const INVALID_CURSOR: &str = "Invalid cursor";
/// DRF's description of the parameter (the OpenAPI document's).
pub const CURSOR_DESCRIPTION: &str = "The pagination cursor value.";
/// Longer than any cursor this server writes (five columns of 50 characters).
const MAX_LEN: usize = 4096;

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub from: Keyset,
    pub backwards: bool,
}

/// Why a cursor is refused; never shown beyond [`INVALID_CURSOR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

impl Cursor {
    /// `ordering`: the ordering's canonical text (`title,-due_date,id`).
    pub fn encode(&self, ordering: &str) -> String {
        // Written straight to JSON text (no `Value` tree): every page with
        // a next and a previous link writes two.
        let mut body = Vec::with_capacity(32 + ordering.len());
        body.extend_from_slice(b"{\"o\":");
        let _ = serde_json::to_writer(&mut body, ordering);
        body.extend_from_slice(b",\"p\":[");
        for (i, position) in self.from.values.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let _ = match position {
                Position::Integer(n) => write!(body, "{n}"),
                Position::Text(t) => serde_json::to_writer(&mut body, t)
                    .map_err(|_| std::io::ErrorKind::Other.into()),
                Position::Date(d) => {
                    write!(body, "\"{:04}-{:02}-{:02}\"", d.year(), d.month(), d.day())
                }
            };
        }
        body.push(b']');
        if self.backwards {
            body.extend_from_slice(b",\"r\":1");
        }
        if self.from.inclusive {
            body.extend_from_slice(b",\"i\":1");
        }
        body.push(b'}');
        URL_SAFE_NO_PAD.encode(body)
    }

    /// A cursor of `ordering`, whose columns are of `kinds`.
    pub fn decode(text: &str, ordering: &str, kinds: &[Kind]) -> Result<Cursor, Invalid> {
        if text.len() > MAX_LEN {
            return Err(Invalid);
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| Invalid)?;
        let Value::Object(body) = serde_json::from_slice(&bytes).map_err(|_| Invalid)? else {
            return Err(Invalid);
        };
        if body
            .keys()
            .any(|k| !matches!(k.as_str(), "o" | "p" | "r" | "i"))
            || body.get("o").and_then(Value::as_str) != Some(ordering)
        {
            return Err(Invalid);
        }
        let flag = |name: &str| match body.get(name) {
            None => Ok(false),
            Some(v) if v.as_u64() == Some(1) => Ok(true),
            Some(_) => Err(Invalid),
        };
        let (backwards, inclusive) = (flag("r")?, flag("i")?);
        let values = body.get("p").and_then(Value::as_array).ok_or(Invalid)?;
        if values.len() != kinds.len() {
            return Err(Invalid);
        }
        let values = values
            .iter()
            .zip(kinds)
            .map(|(v, kind)| from_json(v, *kind))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cursor {
            from: Keyset { values, inclusive },
            backwards,
        })
    }
}

fn from_json(value: &Value, kind: Kind) -> Result<Position, Invalid> {
    match (kind, value) {
        (Kind::Integer, Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Position::Integer)
            .ok_or(Invalid),
        // No column holds a NUL (PostgreSQL's text cannot), so no cursor does.
        (Kind::Text, Value::String(t)) if !t.contains('\0') => Ok(Position::Text(t.clone())),
        (Kind::Date, Value::String(t)) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .filter(|d| t.len() == 10 && d.format("%Y-%m-%d").to_string() == *t)
            .map(Position::Date)
            .ok_or(Invalid),
        _ => Err(Invalid),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    const KINDS: [Kind; 3] = [Kind::Text, Kind::Date, Kind::Integer];
    const ORDERING: &str = "title,-due_date,id";

    fn cursor() -> Cursor {
        Cursor {
            from: Keyset {
                values: vec![
                    Position::Text("Shopping \"list\" ✓".into()),
                    Position::Date(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()),
                    Position::Integer(42),
                ],
                inclusive: true,
            },
            backwards: true,
        }
    }

    #[test]
    fn round_trips() {
        let c = cursor();
        let text = c.encode(ORDERING);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Cursor::decode(&text, ORDERING, &KINDS), Ok(c));
    }

    #[test]
    fn refuses_what_it_did_not_write() {
        let encode = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let valid = cursor().encode(ORDERING);
        for bad in [
            String::new(),
            "!!!".into(),
            valid[1..].to_owned(),
            URL_SAFE_NO_PAD.encode("not json"),
            encode(json!([1, 2])),
            // another ordering's cursor
            cursor().encode("id"),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-02"]})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-02", "42"]})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-2", 42]})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-02-30", 42]})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-02", 4294967296_i64]})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-02", 1.5]})),
            encode(json!({"o": ORDERING, "p": ["a\u{0}", "2026-12-02", 1]})),
            encode(json!({"o": ORDERING, "p": [1, "2026-12-02", 1]})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-02", 1], "r": true})),
            encode(json!({"o": ORDERING, "p": ["a", "2026-12-02", 1], "x": 1})),
            "a".repeat(MAX_LEN + 1),
        ] {
            assert_eq!(
                Cursor::decode(&bad, ORDERING, &KINDS),
                Err(Invalid),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn garbage_is_invalid_never_a_panic(text in "[A-Za-z0-9_=+/-]{0,200}") {
            let _ = Cursor::decode(&text, ORDERING, &KINDS);
        }
    }
}
