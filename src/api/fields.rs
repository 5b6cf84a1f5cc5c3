//! DRF's serializer fields, as far as the task model needs them: what a
//! `CharField` and a `BooleanField` accept, and their exact error messages.

use serde_json::Value;

use super::body::Data;

pub const REQUIRED: &str = "This field is required.";
pub const NULL: &str = "This field may not be null.";
pub const BLANK: &str = "This field may not be blank.";
pub const NOT_A_STRING: &str = "Not a valid string.";
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";
pub const NOT_A_BOOLEAN: &str = "Must be a valid boolean.";

/// One field's raw input.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Missing,
    Json(&'a Value),
    Text(&'a str),
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
        Input::Json(_) => return Err(vec![NOT_A_STRING.into()]),
    };
    let text = text.trim();
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

/// A `BooleanField`: DRF's true and false spellings, nothing else.
pub fn boolean_field(input: Input<'_>) -> Result<Option<bool>, Vec<String>> {
    let invalid = || Err(vec![NOT_A_BOOLEAN.to_owned()]);
    match input {
        Input::Missing => Ok(None),
        Input::Json(Value::Null) => Err(vec![NULL.into()]),
        Input::Json(Value::Bool(b)) => Ok(Some(*b)),
        Input::Json(Value::Number(n)) => match n.as_f64() {
            Some(1.0) => Ok(Some(true)),
            Some(0.0) => Ok(Some(false)),
            _ => invalid(),
        },
        Input::Json(Value::String(s)) => boolean_text(s),
        Input::Text(s) => boolean_text(s),
        Input::Json(_) => invalid(),
    }
}

fn boolean_text(s: &str) -> Result<Option<bool>, Vec<String>> {
    const TRUE: &[&str] = &[
        "t", "T", "y", "Y", "yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1",
    ];
    const FALSE: &[&str] = &[
        "f", "F", "n", "N", "no", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0",
    ];
    if TRUE.contains(&s) {
        Ok(Some(true))
    } else if FALSE.contains(&s) {
        Ok(Some(false))
    } else {
        Err(vec![NOT_A_BOOLEAN.to_owned()])
    }
}

/// Python's `str()` of a JSON number, so that `{"name": 1.5e300}` stores what DRF stores.
fn number_as_python_str(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(x) = n.as_f64() else {
        return n.to_string();
    };
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let fixed = format!("{x}");
        if fixed.contains('.') {
            fixed
        } else {
            format!("{fixed}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
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
                char_field(Input::Json(&value), 200),
                Ok(Some(expected.to_owned()))
            );
        }
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
    fn boolean_field_rules() {
        for t in [
            json!(true),
            json!("true"),
            json!("on"),
            json!(1),
            json!(1.0),
            json!("1"),
            json!("YES"),
        ] {
            assert_eq!(boolean_field(Input::Json(&t)), Ok(Some(true)), "{t}");
        }
        for f in [
            json!(false),
            json!("False"),
            json!("off"),
            json!(0),
            json!(0.0),
            json!("n"),
        ] {
            assert_eq!(boolean_field(Input::Json(&f)), Ok(Some(false)), "{f}");
        }
        for bad in [json!("maybe"), json!(2), json!("No"), json!([]), json!("")] {
            assert_eq!(
                boolean_field(Input::Json(&bad)),
                Err(vec![NOT_A_BOOLEAN.to_owned()]),
                "{bad}"
            );
        }
        assert_eq!(
            boolean_field(Input::Json(&json!(null))),
            Err(vec![NULL.to_owned()])
        );
    }
}
