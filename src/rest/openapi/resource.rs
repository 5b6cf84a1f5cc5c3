//! A viewset's component schemas, from its serializer's fields: the object
//! as returned, and a write's body as JSON and as a form (where every value
//! is text), whole (create, PUT) and partial (PATCH). Each kind's schema
//! accepts what its field accepts (`fields.rs`).

use serde_json::{Map, Value, json};

use crate::rest::fields;
use crate::rest::serializer::{FieldSpec, Kind, example};

pub(super) struct ResourceSchemas {
    /// The object as returned.
    pub object: Value,
    /// The body of a create or a PUT, and of a PATCH, as JSON.
    pub json: Value,
    pub json_partial: Value,
    /// The same as a form (urlencoded or multipart): every value is text.
    pub form: Value,
    pub form_partial: Value,
}

/// The schema of a field as shown, as JSON input, and as form input.
fn field_schemas(spec: &FieldSpec) -> (Value, Value, Value) {
    match spec.kind {
        Kind::Integer { min, max } => {
            let number = json!({"type": "integer", "minimum": min, "maximum": max});
            // Python's int() of the text less a trailing `.000`; the bounds
            // are the server's to check.
            let text = json!({"type": "string", "pattern": INTEGER_TEXT});
            (json!({"type": "integer"}), number, text)
        }
        Kind::Boolean => {
            let texts: Vec<&str> = BOOLEAN_TEXTS.to_vec();
            (
                json!({"type": "boolean"}),
                json!({"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}, {"enum": texts}]}),
                json!({"enum": texts}),
            )
        }
        // DRF's DateField: a real day, year 0001 to 9999. A form's empty
        // value for an optional field means "not given".
        Kind::Date => {
            let date = json!({"type": "string", "format": "date", "pattern": "^(?!0000)"});
            let form = if spec.required {
                date.clone()
            } else {
                json!({"anyOf": [date, {"const": ""}]})
            };
            (json!({"type": "string", "format": "date"}), date, form)
        }
        // DRF's CharField: text or a number (stored as Python's str of it);
        // trimmed as Python strips, then not blank, at most max_length
        // characters, no NUL. The length is the trimmed text's, so it is in
        // the pattern, not in maxLength.
        Kind::Char { max_length } => {
            let text = json!({
                "type": "string",
                "pattern": text_pattern(Some(max_length as u64)),
                "description": format!("Trimmed of whitespace, then 1 to {max_length} characters; no NUL."),
            });
            let mut json_text = text.clone();
            json_text["type"] = json!(["string", "number"]);
            let mut shown = json!({"type": "string"});
            shown["maxLength"] = json!(max_length);
            (shown, json_text, text)
        }
    }
}

/// What `IntegerField` reads from text: a sign, ASCII digits with single
/// underscores between them, an optional `.000`, whitespace around.
const INTEGER_TEXT: &str = "^\\s*[+-]?[0-9](_?[0-9])*(\\.0*)?\\s*$";
/// What `BooleanField` reads from text.
const BOOLEAN_TEXTS: [&str; 26] = [
    "t", "T", "y", "Y", "yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", "f", "F", "n",
    "N", "no", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0",
];

pub(super) fn resource_schemas(specs: &[FieldSpec]) -> ResourceSchemas {
    let mut returned = Map::new();
    let mut json_fields = Map::new();
    let mut form_fields = Map::new();
    let mut required = Vec::new();
    for spec in specs {
        let (mut shown, mut json_input, mut form_input) = field_schemas(spec);
        for schema in [&mut shown, &mut json_input, &mut form_input] {
            schema["title"] = json!(spec.label);
        }
        if spec.read_only {
            shown["readOnly"] = json!(true);
        } else {
            json_fields.insert(spec.name.to_owned(), json_input);
            form_fields.insert(spec.name.to_owned(), form_input);
            if spec.required {
                required.push(spec.name);
            }
        }
        returned.insert(spec.name.to_owned(), shown);
    }
    // Every field, in the serializer's order.
    let all: Vec<&str> = specs.iter().map(|s| s.name).collect();
    ResourceSchemas {
        object: json!({
            "type": "object",
            "properties": returned,
            "required": all,
            "examples": [example(specs)],
        }),
        json: json!({"type": "object", "properties": json_fields, "required": required}),
        json_partial: json!({"type": "object", "properties": json_fields}),
        form: json!({"type": "object", "properties": form_fields, "required": required}),
        form_partial: json!({"type": "object", "properties": form_fields}),
    }
}

/// The example object less its read-only fields: a body to send.
pub(super) fn written_example(specs: &[FieldSpec]) -> Map<String, Value> {
    specs
        .iter()
        .filter(|s| !s.read_only)
        .map(|s| (s.name.to_owned(), s.sample.json()))
        .collect()
}

/// A CharField's text: optional whitespace, then 1 to `max` characters that
/// start and end with no whitespace, then optional whitespace; no NUL.
pub(super) fn text_pattern(max: Option<u64>) -> String {
    let space = fields::python_space_class();
    let inner = match max {
        Some(max) => format!("{{0,{}}}", max.saturating_sub(2)),
        None => "*".to_owned(),
    };
    let edge = format!("[^{space}\\u0000]");
    match max {
        Some(1) => format!("^[{space}]*{edge}[{space}]*$"),
        _ => format!("^[{space}]*{edge}(?:[^\\u0000]{inner}{edge})?[{space}]*$"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rest::fields::{Input, char_field};

    /// The schema's pattern accepts a text exactly when the field does.
    fn agrees(text: &str) {
        let pattern = regex::Regex::new(&text_pattern(Some(50))).expect("the pattern compiles");
        assert_eq!(
            pattern.is_match(text),
            char_field(Input::Text(text), 50).is_ok(),
            "{text:?}"
        );
    }

    #[test]
    fn the_text_pattern_is_the_char_field_at_its_edges() {
        let fifty = "a".repeat(50);
        for text in [
            "",
            " ",
            "a",
            " a ",
            "a\0b",
            "\u{1c}",
            "\u{1c}a\u{1f}",
            "\u{feff}",
            &fifty,
            &format!("{fifty}a"),
            &format!("\t{fifty}\u{3000}"),
            &format!("a{}a", " ".repeat(48)),
            &format!("a{}a", " ".repeat(49)),
        ] {
            agrees(text);
        }
    }

    proptest! {
        #[test]
        fn the_text_pattern_is_the_char_field(
            text in "[ \t\n\u{b}\u{1c}-\u{1f}\u{85}\u{a0}\u{2000}\u{3000}\u{feff}\u{0}ab\u{e9}]{0,56}"
        ) {
            agrees(&text);
        }
    }
}
