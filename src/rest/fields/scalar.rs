//! DRF 3.9's `BooleanField` and `IntegerField`: what they accept, and their
//! texts. Both read their input as Python's `str()` of it, so a message
//! quotes the input as DRF would.

use serde_json::Value;

use super::{Input, NULL};
use crate::rest::text::{is_python_space, number_as_python_str};

pub const INVALID_INTEGER: &str = "A valid integer is required.";
pub const INTEGER_TOO_LONG: &str = "String value too large.";
/// DRF's `IntegerField.MAX_STRING_LENGTH`.
const MAX_INTEGER_TEXT: usize = 1000;

const TRUE_TEXTS: &[&str] = &[
    "t", "T", "y", "Y", "yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1",
];
const FALSE_TEXTS: &[&str] = &[
    "f", "F", "n", "N", "no", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0",
];

/// A `BooleanField`: `true`/`false`, the numbers 1 and 0, and DRF's texts
/// (`"yes"`, `"off"`, …). `None` when not given; a form's missing box is
/// decided by the serializer (DRF's `default_empty_html`).
pub fn boolean_field(input: Input<'_>) -> Result<Option<bool>, Vec<String>> {
    let invalid = |shown: String| Err(vec![format!("\"{shown}\" is not a valid boolean.")]);
    let text = match input {
        Input::Missing => return Ok(None),
        Input::Json(Value::Null) => return Err(vec![NULL.into()]),
        Input::Json(Value::Bool(b)) => return Ok(Some(*b)),
        // Python's 1 == 1.0 == True: the set lookup takes either.
        Input::Json(Value::Number(n)) => {
            return match n.as_f64() {
                Some(1.0) => Ok(Some(true)),
                // -0.0 too, as Python's -0.0 == 0.
                Some(0.0) => Ok(Some(false)),
                _ => invalid(number_as_python_str(n)),
            };
        }
        Input::Json(Value::String(s)) => s.as_str(),
        Input::Text(s) => s,
        Input::Json(other) => return invalid(python_repr(other)),
        Input::File => return invalid("<file>".into()),
    };
    if TRUE_TEXTS.contains(&text) {
        Ok(Some(true))
    } else if FALSE_TEXTS.contains(&text) {
        Ok(Some(false))
    } else {
        invalid(text.to_owned())
    }
}

/// An `IntegerField` within `min..=max`: a JSON integer, or text that
/// Python's `int()` reads once a trailing `.000` is dropped (`" 7 "`,
/// `"+7"`, `"1_000"`, `"7.0"`); a float only if whole (`7.0`).
pub fn integer_field(input: Input<'_>, min: i64, max: i64) -> Result<Option<i64>, Vec<String>> {
    let text = match input {
        Input::Missing => return Ok(None),
        Input::Json(Value::Null) => return Err(vec![NULL.into()]),
        Input::Json(Value::Number(n)) => number_as_python_str(n),
        Input::Json(Value::String(s)) => s.clone(),
        Input::Text(s) => s.to_owned(),
        Input::Json(_) | Input::File => return Err(vec![INVALID_INTEGER.into()]),
    };
    if text.chars().count() > MAX_INTEGER_TEXT {
        return Err(vec![INTEGER_TOO_LONG.into()]);
    }
    let value = python_int(drop_decimal(&text)).ok_or_else(|| vec![INVALID_INTEGER.to_owned()])?;
    if value > i128::from(max) {
        Err(vec![format!(
            "Ensure this value is less than or equal to {max}."
        )])
    } else if value < i128::from(min) {
        Err(vec![format!(
            "Ensure this value is greater than or equal to {min}."
        )])
    } else {
        // Within i64 bounds by the checks above.
        Ok(i64::try_from(value).ok())
    }
}

/// DRF's `re_decimal.sub('', text)`: `\.0*\s*$` removed.
fn drop_decimal(text: &str) -> &str {
    let body = text.trim_end_matches(|c: char| c.is_whitespace());
    let without_zeros = body.trim_end_matches('0');
    without_zeros.strip_suffix('.').unwrap_or(text)
}

/// Python's `int(text)` in base 10, saturated past i128 (any such value is
/// out of every field's range): whitespace around, one sign, ASCII digits
/// with single underscores between them. (Python also takes other scripts'
/// digits; only ASCII ones are accepted here.)
fn python_int(text: &str) -> Option<i128> {
    let text = text.trim_matches(is_python_space);
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let magnitude = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i128, |n, d| {
            n.saturating_mul(10).saturating_add(i128::from(d - b'0'))
        });
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `str()` of a list or an object, as a message quotes it.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => number_as_python_str(n),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        python_repr(&Value::String(k.clone())),
                        python_repr(v)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn booleans_as_drf_reads_them() {
        for (input, expected) in [
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!(1), Some(true)),
            (json!(0), Some(false)),
            (json!(1.0), Some(true)),
            (json!(0.0), Some(false)),
            (json!("yes"), Some(true)),
            (json!("OFF"), Some(false)),
            (json!("T"), Some(true)),
        ] {
            assert_eq!(boolean_field(Input::Json(&input)), Ok(expected), "{input}");
        }
        assert_eq!(boolean_field(Input::Text("on")), Ok(Some(true)));
        assert_eq!(boolean_field(Input::Missing), Ok(None));
        for (input, shown) in [
            (json!(2), "2"),
            (json!(0.5), "0.5"),
            (json!("Yes"), "Yes"),
            (json!(""), ""),
            (json!([1, "a"]), "[1, 'a']"),
            (json!({"a": true}), "{'a': True}"),
        ] {
            assert_eq!(
                boolean_field(Input::Json(&input)),
                Err(vec![format!("\"{shown}\" is not a valid boolean.")]),
                "{input}"
            );
        }
        assert_eq!(
            boolean_field(Input::Json(&json!(null))),
            Err(vec![NULL.to_owned()])
        );
    }

    #[test]
    fn integers_as_drf_reads_them() {
        let read = |input: Input<'_>| integer_field(input, -10, 1000);
        for (text, expected) in [
            ("7", 7),
            (" +7 ", 7),
            ("-7", -7),
            ("007", 7),
            ("1_000", 1000),
            ("7.0", 7),
            ("7.", 7),
            ("7.000 ", 7),
            // The bounds themselves are allowed.
            ("-10", -10),
            ("1000", 1000),
        ] {
            assert_eq!(read(Input::Text(text)), Ok(Some(expected)), "{text:?}");
        }
        assert_eq!(read(Input::Json(&json!(7))), Ok(Some(7)));
        assert_eq!(read(Input::Json(&json!(7.0))), Ok(Some(7)));
        for bad in [
            "", " ", "7.5", "1__0", "_1", "1_", "0x10", "seven", "+", "7 7", "١",
        ] {
            assert_eq!(
                read(Input::Text(bad)),
                Err(vec![INVALID_INTEGER.to_owned()]),
                "{bad:?}"
            );
        }
        for bad in [json!(true), json!(7.5), json!(1e20), json!([7]), json!({})] {
            assert_eq!(
                read(Input::Json(&bad)),
                Err(vec![INVALID_INTEGER.to_owned()]),
                "{bad}"
            );
        }
        assert_eq!(
            read(Input::Text("1001")),
            Err(vec![
                "Ensure this value is less than or equal to 1000.".to_owned()
            ])
        );
        assert_eq!(
            read(Input::Text("-11")),
            Err(vec![
                "Ensure this value is greater than or equal to -10.".to_owned()
            ])
        );
        assert_eq!(
            read(Input::Text(&"9".repeat(60))),
            Err(vec![
                "Ensure this value is less than or equal to 1000.".to_owned()
            ])
        );
        assert_eq!(
            read(Input::Text(&"1".repeat(1001))),
            Err(vec![INTEGER_TOO_LONG.to_owned()])
        );
        // MAX_STRING_LENGTH characters are still read.
        assert_eq!(
            read(Input::Text(&format!("{}7", "0".repeat(999)))),
            Ok(Some(7))
        );
        assert_eq!(read(Input::Json(&json!(null))), Err(vec![NULL.to_owned()]));
    }
}
