//! `/api/task/`: DRF's `ModelViewSet` over tasks (list, create, retrieve,
//! update, partial update, destroy), with its serializer's validation.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::json;

use super::body::{self, Data};
use super::fields::{self, REQUIRED};
use super::metadata;
use super::view::RequestContext;
use crate::db::models::{Task, TaskChanges};
use crate::error::{ApiError, FieldErrors};
use crate::startup::AppState;

/// `Task.name`'s `max_length`.
pub const NAME_MAX_CHARS: usize = 200;

/// A task as the API shows it.
#[derive(Debug, Serialize)]
pub struct TaskOut {
    pub id: i64,
    pub name: String,
    pub done: bool,
    pub created: String,
}

impl From<Task> for TaskOut {
    fn from(t: Task) -> Self {
        TaskOut {
            id: t.id,
            name: t.name,
            done: t.done,
            created: rfc3339_utc(t.created),
        }
    }
}

/// DRF's rendering of a UTC datetime: ISO 8601, microseconds only when non-zero, `Z`.
pub fn rfc3339_utc(t: NaiveDateTime) -> String {
    let micros = t.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        format!("{}.{micros:06}Z", t.format("%Y-%m-%dT%H:%M:%S"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Create,
    Update,
    Partial,
}

/// The serializer's validation: unknown and read-only fields (`id`, `created`) are ignored.
pub(crate) fn validate(data: &Data, mode: Mode) -> Result<TaskChanges, ApiError> {
    let mut errors = FieldErrors::new();
    let name = match fields::char_field(data.get("name"), NAME_MAX_CHARS) {
        Ok(None) if mode != Mode::Partial => {
            errors.insert("name".into(), vec![REQUIRED.into()]);
            None
        }
        Ok(name) => name,
        Err(e) => {
            errors.insert("name".into(), e);
            None
        }
    };
    let done = match fields::boolean_field(data.get("done")) {
        // An unchecked HTML checkbox sends nothing: a form without `done` means false.
        Ok(None) if data.is_form() && mode != Mode::Partial => Some(false),
        Ok(done) => done,
        Err(e) => {
            errors.insert("done".into(), e);
            None
        }
    };
    if errors.is_empty() {
        Ok(TaskChanges { name, done })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A detail route's id; anything but a positive integer that fits names no task.
pub(crate) fn task_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tasks = state.db.run(Task::list).await?;
    let out: Vec<TaskOut> = tasks.into_iter().map(TaskOut::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let data = body::parse(&req, payload, state.settings.server.max_body_bytes).await?;
    let changes = validate(&data, Mode::Create)?;
    let name = changes.name.unwrap_or_default();
    let done = changes.done.unwrap_or(false);
    let task = state
        .db
        .run(move |conn| Task::create(conn, name, done))
        .await?;
    Ok(HttpResponse::Created().json(TaskOut::from(task)))
}

pub async fn retrieve(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&id)?;
    let task = state
        .db
        .run(move |conn| Task::get(conn, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskOut::from(task)))
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    save(state, req, &id, payload, Mode::Update).await
}

pub async fn partial_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    save(state, req, &id, payload, Mode::Partial).await
}

async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: &str,
    payload: web::Payload,
    mode: Mode,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(id)?;
    let parsed = body::parse(&req, payload, state.settings.server.max_body_bytes)
        .await
        .and_then(|data| validate(&data, mode));
    let changes = match parsed {
        Ok(changes) => changes,
        Err(e) => {
            // DRF looks the object up before reading the body: a missing task is 404 first.
            let exists = state.db.run(move |conn| Task::exists(conn, id)).await?;
            return Err(if exists { e } else { ApiError::NotFound });
        }
    };
    let task = state
        .db
        .run(move |conn| Task::update(conn, id, changes))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskOut::from(task)))
}

pub async fn destroy(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&id)?;
    let deleted = state.db.run(move |conn| Task::delete(conn, id)).await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The serializer's fields as DRF's `SimpleMetadata` describes them.
fn field_metadata() -> serde_json::Value {
    json!({
        "id": {"type": "integer", "required": false, "read_only": true, "label": "ID"},
        "name": {"type": "string", "required": true, "read_only": false, "label": "Name", "max_length": NAME_MAX_CHARS},
        "done": {"type": "boolean", "required": false, "read_only": false, "label": "Done"},
        "created": {"type": "datetime", "required": false, "read_only": true, "label": "Created"},
    })
}

pub async fn list_options(ctx: RequestContext) -> HttpResponse {
    let actions = metadata::allowed(&ctx, actix_web::http::Method::POST)
        .then(|| json!({ "POST": field_metadata() }));
    HttpResponse::Ok().json(metadata::describe(ctx.route, actions))
}

pub async fn detail_options(
    state: web::Data<AppState>,
    ctx: RequestContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // As DRF: PUT is described only to whom may PUT, and only for a task that exists.
    let mut actions = None;
    if metadata::allowed(&ctx, actix_web::http::Method::PUT)
        && let Ok(id) = task_id(&id)
    {
        let exists = state.db.run(move |conn| Task::exists(conn, id)).await?;
        if exists {
            actions = Some(json!({ "PUT": field_metadata() }));
        }
    }
    Ok(HttpResponse::Ok().json(metadata::describe(ctx.route, actions)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn created_renders_as_drf() {
        let day = NaiveDate::from_ymd_opt(2019, 5, 1).unwrap_or_default();
        let whole = day.and_hms_opt(12, 30, 0).unwrap_or_default();
        let fraction = day.and_hms_micro_opt(12, 30, 0, 42).unwrap_or_default();
        assert_eq!(rfc3339_utc(whole), "2019-05-01T12:30:00Z");
        assert_eq!(rfc3339_utc(fraction), "2019-05-01T12:30:00.000042Z");
    }

    #[test]
    fn ids() {
        assert_eq!(task_id("7").ok(), Some(7));
        for bad in ["0", "-1", "abc", "99999999999999999999", ""] {
            assert!(task_id(bad).is_err(), "{bad}");
        }
    }
}
