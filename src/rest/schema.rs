//! What the OpenAPI document says of a list route, from its policy: the
//! query parameters in force (DRF's `get_schema_operation_parameters`),
//! the page's body (`get_paginated_response_schema`), its `Link` header and
//! the 404 of a page or cursor that cannot be.

use serde_json::{Value, json};

use super::cursor::{CURSOR_DESCRIPTION, INVALID_CURSOR};
use super::filters::{ORDERING_DESCRIPTION, SEARCH_DESCRIPTION};
use super::listing::ListPolicy;
use super::pagination::{
    CURSOR_PARAM, INVALID_PAGE, LIMIT_PARAM, OFFSET_DESCRIPTION, OFFSET_PARAM, PAGE_DESCRIPTION,
    PAGE_PARAM, PAGE_SIZE_DESCRIPTION,
};
use crate::policy::PaginationClass;

/// A size or an offset: a whole number, but anything else is the default
/// (DRF ignores what `_positive_int` refuses), so any text is valid.
fn lenient_number() -> Value {
    json!({"type": "string", "examples": ["10"]})
}

fn parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "required": false, "in": "query", "description": description, "schema": schema})
}

impl ListPolicy {
    /// The list operation's query parameters.
    pub fn parameters(&self) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(name) = &self.search_param {
            // A NUL is refused (400); anything else is a search.
            out.push(parameter(
                name,
                SEARCH_DESCRIPTION,
                json!({"type": "string", "pattern": "^[^\\u0000]*$"}),
            ));
        }
        if let Some(name) = &self.ordering_param {
            let fields: Vec<String> = self
                .decl()
                .ordering_fields
                .iter()
                .flat_map(|f| [f.to_string(), format!("-{f}")])
                .collect();
            out.push(parameter(
                name,
                &format!(
                    "{ORDERING_DESCRIPTION} Comma-separated, each one of: {}; others are ignored.",
                    fields.join(", ")
                ),
                json!({"type": "string"}),
            ));
        }
        let Some(paginator) = &self.paginator else {
            return out;
        };
        let size = || {
            paginator.page.page_size_query_param.as_ref().map(|name| {
                parameter(
                    name,
                    &format!(
                        "{PAGE_SIZE_DESCRIPTION} At most {}; anything but a positive whole number is the default, {}.",
                        paginator.page.max_page_size, paginator.page.page_size
                    ),
                    lenient_number(),
                )
            })
        };
        match paginator.class {
            PaginationClass::PageNumber => {
                out.push(parameter(
                    PAGE_PARAM,
                    &format!(
                        "{PAGE_DESCRIPTION} `last` is the last page; empty is the first; one past the last is a 404."
                    ),
                    // What Python's int() reads, as DRF's paginator does.
                    json!({"type": "string", "pattern": "^(last|\\s*\\+?[0-9](_?[0-9])*\\s*)?$", "examples": ["2", "last"]}),
                ));
                out.extend(size());
            }
            PaginationClass::LimitOffset => {
                out.push(parameter(
                    LIMIT_PARAM,
                    &format!(
                        "{PAGE_SIZE_DESCRIPTION} At most {}; anything but a positive whole number is the default, {}.",
                        paginator.page.max_limit, paginator.page.page_size
                    ),
                    lenient_number(),
                ));
                out.push(parameter(
                    OFFSET_PARAM,
                    &format!("{OFFSET_DESCRIPTION} Anything but a whole number ≥ 0 is 0."),
                    lenient_number(),
                ));
            }
            PaginationClass::Cursor => {
                out.push(parameter(
                    CURSOR_PARAM,
                    &format!("{CURSOR_DESCRIPTION} Opaque: take it from `next` or `previous`."),
                    json!({"type": "string"}),
                ));
                out.extend(size());
            }
        }
        out
    }

    /// The 200 body: `items` (an array schema), or the page around it.
    pub fn response_schema(&self, items: Value) -> Value {
        let Some(paginator) = &self.paginator else {
            return items;
        };
        // DRF's examples of each class's links.
        let (param, next, previous) = match paginator.class {
            PaginationClass::PageNumber => (PAGE_PARAM, "4", "2"),
            PaginationClass::LimitOffset => (OFFSET_PARAM, "400&limit=100", "200&limit=100"),
            PaginationClass::Cursor => (CURSOR_PARAM, "cD00ODY%3D", "cj0xJnA9NDg3"),
        };
        let link = |description: &str, example: &str| {
            json!({"type": ["string", "null"], "format": "uri", "description": description,
                   "examples": [format!("http://api.example.org/accounts/?{param}={example}")]})
        };
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        if paginator.class != PaginationClass::Cursor {
            properties.insert(
                "count".into(),
                json!({"type": "integer", "minimum": 0, "description": "the objects in all pages", "examples": [123]}),
            );
            required.push("count");
        }
        properties.insert("next".into(), link("the next page; null on the last", next));
        properties.insert(
            "previous".into(),
            link("the previous page; null on the first", previous),
        );
        properties.insert("results".into(), items);
        required.extend(["next", "previous", "results"]);
        json!({"type": "object", "properties": properties, "required": required})
    }

    /// The 200 example, from one object's.
    pub fn response_example(&self, object: Value) -> Value {
        match &self.paginator {
            None => json!([object]),
            Some(p) if p.class == PaginationClass::Cursor => {
                json!({"next": null, "previous": null, "results": [object]})
            }
            Some(_) => json!({"count": 1, "next": null, "previous": null, "results": [object]}),
        }
    }

    /// The page's `Link` header, when it is paginated.
    pub fn response_headers(&self) -> Option<Value> {
        self.paginator.as_ref().map(|_| {
            json!({"Link": {
                "description": "RFC 8288: the next and previous pages' URLs, rel=\"next\" and rel=\"prev\"; absent when there are neither",
                "schema": {"type": "string"},
            }})
        })
    }

    /// Why the list may be a 404: a page or cursor that cannot be.
    pub fn not_found(&self) -> Option<&'static str> {
        match self.paginator.as_ref()?.class {
            PaginationClass::PageNumber => Some(INVALID_PAGE),
            PaginationClass::Cursor => Some(INVALID_CURSOR),
            PaginationClass::LimitOffset => None,
        }
    }

    /// Whether a bad query is a 400 (a NUL in the search).
    pub fn may_refuse_query(&self) -> bool {
        self.search_param.is_some()
    }
}
