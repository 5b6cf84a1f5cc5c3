//! The OpenAPI 3.1 description of the API, generated from the router's own
//! declarations (`RouteDoc`): paths, methods, the fields a viewset declares
//! for OPTIONS, and the permission classes in force, so that the schema
//! cannot drift from the handlers. `GET /api/schema/` serves it;
//! `todoapi openapi` prints it.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

mod resource;

use resource::{resource_schemas, written_example};

use super::parsers::PARSES;
use super::root;
use super::route::{ApiDocs, RENDERS, RouteDoc};
use super::serializer::example;
use crate::error::ApiError;
use crate::settings::Settings;
use crate::state::AppState;

/// The security scheme's name in the document.
const BEARER: &str = "bearer";
/// The shared 405 answer's name in `components.responses`.
const METHOD_NOT_ALLOWED: &str = "MethodNotAllowed";

pub(super) async fn view(
    req: HttpRequest,
    state: web::Data<AppState>,
    docs: web::Data<ApiDocs>,
) -> Result<HttpResponse, ApiError> {
    let made = docs.document.get_or_init(|| {
        let issuers = state.authenticator.issuers();
        document(&docs.routes, &state.settings, &issuers, "")
    });
    let mut answer = made.clone();
    // The server as this client addressed it (so an imported collection's
    // base URL is right behind a proxy too).
    answer["servers"] = json!([{ "url": root::base_url(&req, &state) }]);
    Ok(HttpResponse::Ok().json(answer))
}

/// The whole document. `issuers`: every trusted issuer; `server`:
/// `scheme://host[:port]` of the API.
pub fn document(docs: &[RouteDoc], settings: &Settings, issuers: &[String], server: &str) -> Value {
    let mut paths = Map::new();
    for doc in docs {
        let mut item = Map::new();
        // As DRF's schema generator: HEAD and OPTIONS are HTTP's, not the API's.
        for method in doc
            .methods
            .iter()
            .filter(|m| **m != Method::HEAD && **m != Method::OPTIONS)
        {
            item.insert(method.as_str().to_ascii_lowercase(), operation(doc, method));
        }
        if let Some((name, pattern)) = &doc.parameter {
            let mut parameter = json!({
                "name": name, "in": "path", "required": true,
                "schema": {"type": "string", "pattern": format!("^{pattern}$")},
            });
            // The example object's own id.
            if let Some(id) = doc
                .resource
                .as_ref()
                .map(|r| example(&r.fields)["id"].clone())
            {
                parameter["example"] = match id {
                    Value::String(text) => json!(text),
                    other => json!(other.to_string()),
                };
            }
            item.insert("parameters".into(), json!([parameter]));
        }
        paths.insert(doc.path.clone(), Value::Object(item));
    }
    let audience = if settings.auth.audience.is_empty() {
        "(not checked)".to_owned()
    } else {
        settings.auth.audience.join(", ")
    };
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }),
    );
    schemas.insert(
        "FieldErrors".into(),
        json!({
            "type": "object",
            "description": "DRF's validation errors: each field with its messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }),
    );
    for doc in docs {
        if let Some(resource) = &doc.resource {
            let made = resource_schemas(&resource.fields);
            let name = resource_name(doc);
            schemas.insert(name.clone(), made.object);
            schemas.insert(format!("{name}Request"), made.json);
            schemas.insert(format!("Patched{name}Request"), made.json_partial);
            schemas.insert(format!("{name}Form"), made.form);
            schemas.insert(format!("Patched{name}Form"), made.form_partial);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "todoapi",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Tasks behind Auth0 JWTs: the API of the \"Dockerized Django Back-end API with Angular Front-end\" tutorial (v1.11), re-implemented.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            // OpenAPI has no per-path answers: every operation lists this one
            // for the methods its path does not have.
            "responses": {
                METHOD_NOT_ALLOWED: {
                    "description": "a method this path does not have; `Allow` lists those it has (authentication and permissions are checked first, as DRF does)",
                    "headers": {"Allow": {"schema": {"type": "string"}, "required": true}},
                    "content": {RENDERS[0]: {"schema": reference("Error")}},
                }
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": format!(
                        "An access token (RS256) of {}; audience {audience}. Scopes, where an operation lists them, are the token's `scope` or `permissions`.",
                        if issuers.is_empty() { "no issuer configured".to_owned() } else { issuers.join(" or ") }
                    ),
                }
            },
        },
    })
}

/// `task` → `Task`: the component name of a viewset's object.
fn resource_name(doc: &RouteDoc) -> String {
    let base = doc
        .name
        .rsplit_once('-')
        .map_or(doc.name.as_str(), |(b, _)| b);
    let mut chars = base.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn retry_after() -> Value {
    json!({"Retry-After": {"description": "seconds to wait", "schema": {"type": "string", "pattern": "^[0-9]+$"}}})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {RENDERS[0]: {"schema": schema}}})
}

fn error(description: &str) -> Value {
    json_response(description, reference("Error"))
}

fn operation(doc: &RouteDoc, method: &Method) -> Value {
    let resource = doc.resource.as_ref().map(|_| resource_name(doc));
    let example = doc.resource.as_ref().map(|r| example(&r.fields));
    let written = doc
        .resource
        .as_ref()
        .map(|r| written_example(&r.fields))
        .unwrap_or_default();
    let detail = doc.parameter.is_some();
    let mut responses = Map::new();
    // JSON, then the form types (a multipart part's name is a header value:
    // no control characters).
    let body_schema = |stem: &str| {
        let as_text: Map<String, Value> = written
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map_or_else(|| json!(v.to_string()), |t| json!(t)),
                )
            })
            .collect();
        let content: Map<String, Value> = PARSES
            .iter()
            .map(|media| {
                let (schema, example) = match *media {
                    "application/json" => (reference(&format!("{stem}Request")), &written),
                    "multipart/form-data" => (
                        json!({
                            "allOf": [reference(&format!("{stem}Form"))],
                            "propertyNames": {"pattern": "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$"},
                        }),
                        &as_text,
                    ),
                    _ => (reference(&format!("{stem}Form")), &as_text),
                };
                ((*media).to_owned(), json!({"schema": schema, "example": example}))
            })
            .collect();
        json!({"required": true, "content": content})
    };
    let object_response = |description: &str, schema: Value, list: bool| {
        let mut response = json_response(description, schema);
        if let Some(example) = &example {
            response["content"][RENDERS[0]]["example"] = match list {
                true => json!([example]),
                false => example.clone(),
            };
        }
        response
    };
    let mut request_body = None;
    let mut parameters = Vec::new();
    match (method, &resource) {
        (&Method::GET, Some(name)) if !detail => {
            let items = json!({"type": "array", "items": reference(name)});
            let ok = match &doc.listing {
                Some(listing) => {
                    parameters = listing.parameters();
                    let mut ok = json_response(
                        "the objects, by id unless ordered otherwise",
                        listing.response_schema(items),
                    );
                    if let Some(example) = &example {
                        ok["content"][RENDERS[0]]["example"] =
                            listing.response_example(example.clone());
                    }
                    if let Some(headers) = listing.response_headers() {
                        ok["headers"] = headers;
                    }
                    if let Some(why) = listing.not_found() {
                        responses.insert(
                            "404".into(),
                            error(&format!("\"{why}\": a page or cursor that cannot be")),
                        );
                    }
                    if listing.may_refuse_query() {
                        responses.insert(
                            "400".into(),
                            json_response(
                                "a search with a NUL character",
                                reference("FieldErrors"),
                            ),
                        );
                    }
                    ok
                }
                None => object_response("the objects, by id", items, true),
            };
            responses.insert("200".into(), ok);
        }
        (&Method::GET, Some(name)) => {
            responses.insert(
                "200".into(),
                object_response("the object", reference(name), false),
            );
        }
        (&Method::POST, Some(name)) => {
            request_body = Some(body_schema(name));
            responses.insert(
                "201".into(),
                object_response("created", reference(name), false),
            );
        }
        (&Method::PUT, Some(name)) => {
            request_body = Some(body_schema(name));
            responses.insert(
                "200".into(),
                object_response("updated", reference(name), false),
            );
        }
        (&Method::PATCH, Some(name)) => {
            request_body = Some(body_schema(&format!("Patched{name}")));
            responses.insert(
                "200".into(),
                object_response("updated", reference(name), false),
            );
        }
        (&Method::DELETE, Some(_)) => {
            responses.insert("204".into(), json!({"description": "deleted"}));
        }
        (_, None) => {
            // Plain views: the root's links, health, readiness, this schema.
            let returns = doc
                .returns
                .clone()
                .unwrap_or_else(|| json!({"type": "object"}));
            if doc.name == "ready" {
                let mut unready = json_response("not ready: what is not", returns.clone());
                unready["headers"] = retry_after();
                responses.insert("503".into(), unready);
            }
            responses.insert("200".into(), json_response(doc.view.description, returns));
        }
        _ => {}
    }
    if request_body.is_some() {
        responses.insert(
            "400".into(),
            json_response(
                "the fields' errors, or a body that cannot be parsed",
                json!({"anyOf": [reference("FieldErrors"), reference("Error")]}),
            ),
        );
        responses.insert(
            "413".into(),
            error("the body is larger than server.max_body_bytes"),
        );
        responses.insert("415".into(), error("a media type the API does not parse"));
    }
    if detail {
        responses.insert("404".into(), error("no such object"));
    }
    let anonymous = doc.permissions.allows_anonymous(method);
    let scopes = doc.permissions.scopes(method);
    let challenge = json!({
        "WWW-Authenticate": {
            "description": "the Bearer challenge (RFC 6750)",
            "schema": {"type": "string"},
        }
    });
    // Credentials that are presented and refused are a 401 on every route.
    let mut unauthorized = error("credentials missing, or presented and refused");
    unauthorized["headers"] = challenge.clone();
    responses.insert("401".into(), unauthorized);
    if !anonymous || !scopes.is_empty() || doc.permissions.has_object_rules() {
        let mut forbidden = error("the permission classes refuse it");
        forbidden["headers"] = challenge;
        responses.insert("403".into(), forbidden);
    }
    responses.insert("406".into(), error("an Accept the API cannot render"));
    if doc.throttled {
        let mut throttled = error(
            "a throttle refuses it: \"Request was throttled. Expected available in N seconds.\"",
        );
        throttled["headers"] = retry_after();
        responses.insert("429".into(), throttled);
    }
    responses.insert(
        "405".into(),
        json!({"$ref": format!("#/components/responses/{METHOD_NOT_ALLOWED}")}),
    );
    if !responses.contains_key("503") {
        let mut unavailable = error(
            "the database, the token issuer's keys or (with cache.refuse_when_unavailable) the cache are unavailable, for now",
        );
        unavailable["headers"] = retry_after();
        responses.insert("503".into(), unavailable);
    }
    let required = json!({BEARER: scopes});
    let security = if anonymous {
        json!([{}, required])
    } else {
        json!([required])
    };
    let mut op = json!({
        "operationId": format!("{}-{}", doc.name, method.as_str().to_ascii_lowercase()),
        "summary": doc.view.label,
        "description": doc.view.description,
        "security": security,
        "responses": responses,
    });
    if let Some(body) = request_body {
        op["requestBody"] = body;
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op
}
