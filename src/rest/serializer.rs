//! DRF's `Serializer`: a resource's fields, declared once, in order. Each
//! field's kind gives its validation (DRF's texts, `fields.rs`), its
//! OPTIONS description (`SimpleMetadata`), its OpenAPI schemas
//! (`openapi/resource.rs`) and its part of the example object; each field's
//! `get` renders it and `set` puts a validated value into the resource's
//! changes.

use chrono::{Datelike, NaiveDate};
use serde::ser::{Serialize, SerializeMap};
use serde_json::{Map, Value, json};

use super::fields::{self, Input, REQUIRED};
use super::parsers::Data;
use crate::error::{ApiError, FieldErrors};

/// What a field holds, with its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `IntegerField(min_value, max_value)`.
    Integer { min: i64, max: i64 },
    /// `CharField(max_length)`: trimmed, not blank, no NUL.
    Char { max_length: usize },
    /// `DateField`: ISO 8601 (`YYYY-MM-DD`).
    Date,
    /// `BooleanField`.
    Boolean,
}

impl Kind {
    /// Django's `IntegerField`: the range of a 32-bit column.
    pub const INTEGER: Kind = Kind::Integer {
        min: i32::MIN as i64,
        max: i32::MAX as i64,
    };
}

/// One value as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Out<'a> {
    Integer(i64),
    Text(&'a str),
    Date(NaiveDate),
    Boolean(bool),
}

/// One validated value, of its field's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum In {
    Integer(i64),
    Text(String),
    Date(NaiveDate),
    Boolean(bool),
}

impl In {
    pub fn integer(self) -> Option<i64> {
        match self {
            In::Integer(n) => Some(n),
            _ => None,
        }
    }
    pub fn text(self) -> Option<String> {
        match self {
            In::Text(t) => Some(t),
            _ => None,
        }
    }
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            In::Date(d) => Some(d),
            _ => None,
        }
    }
    pub fn boolean(self) -> Option<bool> {
        match self {
            In::Boolean(b) => Some(b),
            _ => None,
        }
    }
}

/// A field's value in the example object (the OpenAPI document's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    Integer(i64),
    Text(&'static str),
    /// `YYYY-MM-DD`.
    Date(&'static str),
    Boolean(bool),
}

impl Sample {
    pub fn json(self) -> Value {
        match self {
            Sample::Integer(n) => json!(n),
            Sample::Text(t) | Sample::Date(t) => json!(t),
            Sample::Boolean(b) => json!(b),
        }
    }
}

/// What the router, OPTIONS and the schema know of a field (no row type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub read_only: bool,
    /// Required of a create and a PUT (a model default makes it optional).
    pub required: bool,
    pub sample: Sample,
}

/// One field of a serializer over rows `R`, writing changes `C`.
pub struct Field<R: 'static, C: 'static> {
    pub spec: FieldSpec,
    pub get: for<'a> fn(&'a R) -> Out<'a>,
    /// `None`: read-only.
    pub set: Option<fn(&mut C, In)>,
}

impl<R, C> Field<R, C> {
    /// A read-only field (`id`).
    pub const fn read_only(
        name: &'static str,
        label: &'static str,
        kind: Kind,
        sample: Sample,
        get: for<'a> fn(&'a R) -> Out<'a>,
    ) -> Self {
        let spec = FieldSpec {
            name,
            label,
            kind,
            read_only: true,
            required: false,
            sample,
        };
        Field {
            spec,
            get,
            set: None,
        }
    }

    /// A writable field, required of a create and a PUT.
    pub const fn writable(
        name: &'static str,
        label: &'static str,
        kind: Kind,
        sample: Sample,
        get: for<'a> fn(&'a R) -> Out<'a>,
        set: fn(&mut C, In),
    ) -> Self {
        let spec = FieldSpec {
            name,
            label,
            kind,
            read_only: false,
            required: true,
            sample,
        };
        Field {
            spec,
            get,
            set: Some(set),
        }
    }

    /// Not required: the model has a default for it.
    pub const fn optional(mut self) -> Self {
        self.spec.required = false;
        self
    }
}

/// Which write: a create, a PUT (every required field), a PATCH (any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
    Partial,
}

/// A resource's fields, in order.
pub struct Serializer<R: 'static, C: 'static> {
    pub fields: &'static [Field<R, C>],
}

impl<R, C: Default> Serializer<R, C> {
    pub fn specs(&self) -> Vec<FieldSpec> {
        self.fields.iter().map(|f| f.spec).collect()
    }

    /// DRF's `is_valid()`: each writable field in order (so errors come in
    /// that order); unknown and read-only fields are ignored.
    pub fn validate(&self, data: &Data, mode: Mode) -> Result<C, ApiError> {
        let mut changes = C::default();
        let mut errors = FieldErrors::new();
        for field in self.fields {
            let Some(set) = field.set else { continue };
            match validate_field(&field.spec, data, mode) {
                Ok(Some(value)) => set(&mut changes, value),
                Ok(None) => {}
                Err(messages) => errors.insert(field.spec.name, messages),
            }
        }
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// The row as the API shows it: its fields in order.
    pub fn render<'a>(&'a self, row: &'a R) -> Rendered<'a, R, C> {
        Rendered {
            fields: self.fields,
            row,
        }
    }
}

/// One field's value from the request, `None` when not given.
fn validate_field(spec: &FieldSpec, data: &Data, mode: Mode) -> Result<Option<In>, Vec<String>> {
    let input = data.get(spec.name);
    let value = match spec.kind {
        Kind::Char { max_length } => fields::char_field(input, max_length)?.map(In::Text),
        Kind::Date => fields::date_field(input)?.map(In::Date),
        Kind::Integer { min, max } => fields::integer_field(input, min, max)?.map(In::Integer),
        // An HTML form leaves an unticked box out: false, unless a PATCH
        // (DRF's `default_empty_html`).
        Kind::Boolean => match (input, data) {
            (Input::Missing, Data::Form(_) | Data::Multipart { .. }) if mode != Mode::Partial => {
                Some(In::Boolean(false))
            }
            _ => fields::boolean_field(input)?.map(In::Boolean),
        },
    };
    match value {
        None if spec.required && mode != Mode::Partial => Err(vec![REQUIRED.into()]),
        value => Ok(value),
    }
}

/// A row rendered through its serializer (serialized in field order).
pub struct Rendered<'a, R: 'static, C: 'static> {
    fields: &'static [Field<R, C>],
    row: &'a R,
}

impl<R, C> Serialize for Rendered<'_, R, C> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for field in self.fields {
            map.serialize_key(field.spec.name)?;
            match (field.get)(self.row) {
                Out::Integer(n) => map.serialize_value(&n)?,
                Out::Text(t) => map.serialize_value(t)?,
                Out::Boolean(b) => map.serialize_value(&b)?,
                Out::Date(d) => map.serialize_value(&IsoDate(d))?,
            }
        }
        map.end()
    }
}

/// Python's `date.isoformat()`: `YYYY-MM-DD`, written without a format
/// string (chrono's strftime parsing was a visible share of a list's CPU).
struct IsoDate(NaiveDate);

impl Serialize for IsoDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if (0..=9999).contains(&y) {
            let mut text = [0u8; 10];
            for (i, digit) in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10]
                .into_iter()
                .enumerate()
            {
                text[i] = b'0' + digit as u8;
            }
            text[4] = b'-';
            text[5] = b'0' + (m / 10) as u8;
            text[6] = b'0' + (m % 10) as u8;
            text[7] = b'-';
            text[8] = b'0' + (d / 10) as u8;
            text[9] = b'0' + (d % 10) as u8;
            serializer.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
        } else {
            serializer.collect_str(&self.0.format("%Y-%m-%d"))
        }
    }
}

/// DRF 3.9's `SimpleMetadata` of the fields (OPTIONS' `actions`).
pub fn metadata(specs: &[FieldSpec]) -> Value {
    let mut out = Map::new();
    for spec in specs {
        let mut field = json!({
            "type": match spec.kind {
                Kind::Integer { .. } => "integer",
                Kind::Char { .. } => "string",
                Kind::Date => "date",
                Kind::Boolean => "boolean",
            },
            "required": spec.required,
            "read_only": spec.read_only,
            "label": spec.label,
        });
        match spec.kind {
            Kind::Char { max_length } => field["max_length"] = json!(max_length),
            // DRF lists a writable integer's bounds; a read-only one has none.
            Kind::Integer { min, max } if !spec.read_only => {
                field["min_value"] = json!(min);
                field["max_value"] = json!(max);
            }
            _ => {}
        }
        out.insert(spec.name.to_owned(), field);
    }
    Value::Object(out)
}

/// One object as the API shows it, from the fields' samples.
pub fn example(specs: &[FieldSpec]) -> Value {
    Value::Object(
        specs
            .iter()
            .map(|s| (s.name.to_owned(), s.sample.json()))
            .collect(),
    )
}
