//! DRF's serializer fields: what a `CharField` and a `DateField` accept,
//! and their exact error messages (DRF 3.9); `BooleanField` and
//! `IntegerField` in `fields/scalar.rs`.

mod scalar;
pub use scalar::{boolean_field, integer_field};

use chrono::NaiveDate;
use serde_json::Value;

use super::parsers::Data;
pub use crate::rest::text::python_space_class;
use crate::rest::text::{is_python_space, number_as_python_str};

pub const REQUIRED: &str = "This field is required.";
pub const NULL: &str = "This field may not be null.";
pub const BLANK: &str = "This field may not be blank.";
pub const NOT_A_STRING: &str = "Not a valid string.";
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";
pub const DATE_FORMAT: &str =
    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";

/// One field's raw input.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Missing,
    Json(&'a Value),
    Text(&'a str),
    /// A multipart file part: never text.
    File,
}

impl Data {
    pub fn get(&self, field: &str) -> Input<'_> {
        match self {
            Data::Json(map) => map.get(field).map_or(Input::Missing, Input::Json),
            Data::Form(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k == field)
                .map_or(Input::Missing, |(_, v)| Input::Text(v)),
            Data::Multipart { fields, files } => {
                if files.iter().any(|name| name == field) {
                    return Input::File;
                }
                fields
                    .iter()
                    .rev()
                    .find(|(k, _)| k == field)
                    .map_or(Input::Missing, |(_, v)| Input::Text(v))
            }
        }
    }
}

/// A `CharField(max_length)`: numbers become their string, whitespace is
/// trimmed, blank and NUL characters are refused, length counts characters.
pub fn char_field(input: Input<'_>, max_length: usize) -> Result<Option<String>, Vec<String>> {
    let text = match input {
        Input::Missing => return Ok(None),
        Input::Json(Value::Null) => return Err(vec![NULL.into()]),
        Input::Json(Value::String(s)) => s.clone(),
        Input::Text(s) => s.to_owned(),
        Input::Json(Value::Number(n)) => number_as_python_str(n),
        Input::Json(_) | Input::File => return Err(vec![NOT_A_STRING.into()]),
    };
    let text = text.trim_matches(is_python_space);
    if text.is_empty() {
        return Err(vec![BLANK.into()]);
    }
    let mut errors = Vec::new();
    if text.chars().count() > max_length {
        errors.push(format!(
            "Ensure this field has no more than {max_length} characters."
        ));
    }
    if text.contains('\0') {
        errors.push(NULL_CHARACTERS.into());
    }
    if errors.is_empty() {
        Ok(Some(text.to_owned()))
    } else {
        Err(errors)
    }
}

/// A `DateField` that is not required (the model gives it a default), with
/// DRF's default `input_formats` (ISO 8601, read by Django's `parse_date`).
/// An empty form value is no value, as DRF reads HTML input for such a field.
pub fn date_field(input: Input<'_>) -> Result<Option<NaiveDate>, Vec<String>> {
    let text = match input {
        Input::Missing | Input::Text("") => return Ok(None),
        Input::Json(Value::Null) => return Err(vec![NULL.into()]),
        Input::Json(Value::String(s)) => s.as_str(),
        Input::Text(s) => s,
        // DRF hands anything else to parse_date, which fails on it.
        Input::Json(_) | Input::File => return Err(vec![DATE_FORMAT.into()]),
    };
    parse_date(text)
        .map(Some)
        .ok_or_else(|| vec![DATE_FORMAT.into()])
}

/// Django's `parse_date`: `YYYY-M-D` with one or two digits for month and day,
/// a real calendar date, years 1 to 9999. Like Python's `$`, a single final
/// newline is allowed. (Python's `\d` would also take non-ASCII digits; only
/// ASCII ones are accepted here.)
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some()
        || !digits(year, 4..=4)
        || !digits(month, 1..=2)
        || !digits(day, 1..=2)
    {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    if year < 1 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_read_as_python_prints_them() {
        for (value, expected) in [
            (json!(42), "42"),
            (json!(-7), "-7"),
            (json!(4.5), "4.5"),
            (json!(100.0), "100.0"),
            (json!(1.5e300), "1.5e+300"),
            (json!(1e16), "1e+16"),
            (json!(0.0001), "0.0001"),
            (json!(0.00001), "1e-05"),
        ] {
            assert_eq!(
                char_field(Input::Json(&value), 50),
                Ok(Some(expected.to_owned()))
            );
        }
    }

    #[test]
    fn trims_what_python_strips() {
        // Every character Python's str.isspace() accepts, and no other
        // (the list printed by Python 3.11 over all code points).
        let python: Vec<u32> = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0,
        ]
        .into_iter()
        .chain([0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000])
        .chain(0x2000..=0x200a)
        .collect();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(
                is_python_space(c),
                python.contains(&(c as u32)),
                "{:x}",
                c as u32
            );
        }
        assert_eq!(
            char_field(Input::Text("\u{1c}x\u{1f}"), 50),
            Ok(Some("x".into()))
        );
        assert_eq!(
            char_field(Input::Text("\u{1d}\u{3000}"), 50),
            Err(vec![BLANK.to_owned()])
        );
        // Length is counted after trimming.
        let padded = format!("\t{}\u{1e}", "a".repeat(50));
        assert_eq!(
            char_field(Input::Text(&padded), 50),
            Ok(Some("a".repeat(50)))
        );
        assert_eq!(
            python_space_class(),
            "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000"
        );
    }

    #[test]
    fn char_field_rules() {
        assert_eq!(char_field(Input::Text("  x  "), 200), Ok(Some("x".into())));
        assert_eq!(
            char_field(Input::Text("   "), 200),
            Err(vec![BLANK.to_owned()])
        );
        assert_eq!(
            char_field(Input::Json(&json!(true)), 200),
            Err(vec![NOT_A_STRING.to_owned()])
        );
        assert_eq!(
            char_field(Input::Json(&json!([])), 200),
            Err(vec![NOT_A_STRING.to_owned()])
        );
        assert_eq!(
            char_field(Input::Json(&json!(null)), 200),
            Err(vec![NULL.to_owned()])
        );
        let emoji = "\u{1F600}".repeat(200);
        assert_eq!(
            char_field(Input::Text(&emoji), 200),
            Ok(Some(emoji.clone()))
        );
        let long = format!("{}\0", "a".repeat(201));
        assert_eq!(
            char_field(Input::Text(&long), 200),
            Err(vec![
                "Ensure this field has no more than 200 characters.".to_owned(),
                NULL_CHARACTERS.to_owned()
            ])
        );
    }

    #[test]
    fn dates_as_django_parses_them() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (text, expected) in [
            ("2019-01-05", day(2019, 1, 5)),
            ("2019-1-5", day(2019, 1, 5)),
            ("2019-01-05\n", day(2019, 1, 5)),
            ("0001-01-01", day(1, 1, 1)),
            ("9999-12-31", day(9999, 12, 31)),
            ("2000-02-29", day(2000, 2, 29)),
        ] {
            assert_eq!(parse_date(text), expected, "{text:?}");
        }
        for bad in [
            "2019-13-45",
            "2019-02-30",
            "1900-02-29",
            "0000-01-05",
            "tomorrow",
            "2019/01/05",
            "2019-01-05T10:00:00Z",
            "2019-01-05 ",
            " 2019-01-05",
            "2019-01-05\n\n",
            "19-01-05",
            "12019-01-05",
            "2019-001-05",
            "2019-01-",
            "2019--1-05",
            "+201-01-05",
            "2019-01-05-01",
            "\u{0662}\u{0660}\u{0661}\u{0669}-01-05",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_field_inputs() {
        let wrong = Err(vec![DATE_FORMAT.to_owned()]);
        assert_eq!(date_field(Input::Missing), Ok(None));
        assert_eq!(date_field(Input::Text("")), Ok(None));
        assert_eq!(
            date_field(Input::Text("2019-1-5")),
            Ok(NaiveDate::from_ymd_opt(2019, 1, 5))
        );
        assert_eq!(date_field(Input::Json(&json!(""))), wrong);
        assert_eq!(date_field(Input::Json(&json!(20190105))), wrong);
        assert_eq!(date_field(Input::Json(&json!(true))), wrong);
        assert_eq!(date_field(Input::Json(&json!(["2019-01-05"]))), wrong);
        assert_eq!(date_field(Input::Json(&json!({}))), wrong);
        assert_eq!(
            date_field(Input::Json(&json!(null))),
            Err(vec![NULL.to_owned()])
        );
    }
}
