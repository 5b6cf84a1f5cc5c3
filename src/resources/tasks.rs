//! `/api/task/` and `/api/task/<id>/`: the original's `TaskList`
//! (ListCreateAPIView) and `TaskDetail` (RetrieveUpdateDestroyAPIView), with
//! its `TaskSerializer`'s validation (DRF 3.9): `id` read-only, `title` and
//! `content` required `CharField(max_length=50)`, `created_on` and `due_date`
//! optional `DateField`s that default to today in `server.time_zone`.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::json;

use crate::db::listing::Listed;
use crate::db::models::{NewTask, TASK_LIST_COLUMNS, Task, TaskChanges};
use crate::error::{ApiError, FieldErrors};
use crate::policy::{Ownership, PERMISSION_DENIED, PermissionClass};
use crate::rest::fields::{self, REQUIRED};
use crate::rest::listing::ListDecl;
use crate::rest::parsers::{self, Data};
use crate::rest::root::base_url;
use crate::rest::router::{Object, ViewName, ViewSet, action};
use crate::rest::view::RequestContext;
use crate::state::AppState;

/// The original's `TaskList` and `TaskDetail`, as one viewset (their
/// docstrings are the descriptions OPTIONS shows). With `creator` ownership
/// the detail route has the original's v1.14 `IsCreator` too.
pub fn viewset(ownership: Ownership) -> ViewSet {
    ViewSet {
        basename: "task",
        prefix: "task",
        // The original's `<int:task_id>`: anything but digits matches no route (404).
        lookup: "[0-9]+",
        list: ViewName {
            label: "Task List",
            description: "Lists and creates tasks.",
        },
        detail: ViewName {
            label: "Task Detail",
            description: "Returns a single Task and allows updates and deletion of a Task.",
        },
        list_actions: vec![action(Method::GET, list), action(Method::POST, create)],
        detail_actions: vec![
            action(Method::GET, retrieve),
            action(Method::PUT, update),
            action(Method::PATCH, partial_update),
            action(Method::DELETE, destroy),
        ],
        permission_classes: None,
        detail_always: match ownership {
            Ownership::Shared => Vec::new(),
            Ownership::Creator => vec![PermissionClass::IsCreator],
        },
        fields: field_metadata,
        // The original's first seeded task.
        example: || {
            json!({"id": 1, "title": "Workout", "content": "Squat, bench press, deadlift.",
                   "created_on": "2019-01-05", "due_date": "2019-01-12"})
        },
        object: Arc::new(|state, id| object(state, id).boxed_local()),
        // The reference's TaskList: search_fields, ordering_fields, ordering.
        listing: ListDecl {
            columns: TASK_LIST_COLUMNS.iter().map(|c| (c.name, c.kind)).collect(),
            search_fields: &["title", "content"],
            ordering_fields: &["id", "title", "content", "created_on", "due_date"],
            ordering: &["id"],
            unique: "id",
        },
    }
}

/// `Task.title`'s and `Task.content`'s `max_length`.
pub const TEXT_MAX_CHARS: usize = 50;

/// A task as the API shows it; dates as `YYYY-MM-DD`.
#[derive(Debug, Serialize)]
pub struct TaskOut {
    pub id: i32,
    pub title: String,
    pub content: String,
    pub created_on: String,
    pub due_date: String,
}

impl From<Task> for TaskOut {
    fn from(t: Task) -> Self {
        TaskOut {
            id: t.id,
            title: t.title,
            content: t.content,
            created_on: iso_date(t.created_on),
            due_date: iso_date(t.due_date),
        }
    }
}

/// Python's `date.isoformat()`.
fn iso_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Today in the server's time zone, as the original's `date.today` under
/// Django's `TIME_ZONE`.
fn today(time_zone: &jiff::tz::TimeZone) -> NaiveDate {
    let date = time_zone.to_datetime(jiff::Timestamp::now()).date();
    NaiveDate::from_ymd_opt(
        i32::from(date.year()),
        u32::from(date.month().unsigned_abs()),
        u32::from(date.day().unsigned_abs()),
    )
    .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Create,
    Update,
    Partial,
}

/// The serializer's validation, field by field in its order (so errors come
/// in that order); unknown and read-only fields (`id`, `isEditable`, …) are ignored.
pub(crate) fn validate(data: &Data, mode: Mode) -> Result<TaskChanges, ApiError> {
    let mut errors = FieldErrors::new();
    let mut text = |field: &str| match fields::char_field(data.get(field), TEXT_MAX_CHARS) {
        Ok(None) if mode != Mode::Partial => {
            errors.insert(field, vec![REQUIRED.into()]);
            None
        }
        Ok(value) => value,
        Err(messages) => {
            errors.insert(field, messages);
            None
        }
    };
    let title = text("title");
    let content = text("content");
    let mut date = |field: &str| match fields::date_field(data.get(field)) {
        Ok(value) => value,
        Err(messages) => {
            errors.insert(field, messages);
            None
        }
    };
    let created_on = date("created_on");
    let due_date = date("due_date");
    if errors.is_empty() {
        Ok(TaskChanges {
            title,
            content,
            created_on,
            due_date,
        })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The detail route's `<int:task_id>` (the route admits digits only); an id
/// beyond the column's range names no task.
pub(crate) fn task_id(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>().map_err(|_| ApiError::NotFound)
}

/// With `creator` ownership, whose tasks the caller sees and makes: the
/// token's `sub` (a token without one owns nothing).
fn owner(state: &AppState, ctx: &RequestContext) -> Option<Option<String>> {
    match state.settings.tasks.ownership {
        Ownership::Shared => None,
        Ownership::Creator => Some(ctx.principal.subject().map(str::to_owned)),
    }
}

/// DRF's `list`: the filter backends and the paginator in force on the route.
async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let policy = ctx
        .route
        .listing
        .as_ref()
        .ok_or_else(|| ApiError::internal("the task list route has no list policy"))?;
    let request = policy.request(&req)?;
    let listing = request.listing.clone();
    let found = match owner(&state, &ctx) {
        None => {
            state
                .db
                .read(move |conn| Task::list(conn, None, &listing))
                .await?
        }
        Some(None) => Listed::empty(&listing),
        Some(Some(sub)) => {
            state
                .db
                .read(move |conn| Task::list(conn, Some(&sub), &listing))
                .await?
        }
    };
    request.respond(&req, || base_url(&req, &state), found.map(TaskOut::from))
}

async fn create(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if let Some(None) = owner(&state, &ctx) {
        return Err(ApiError::PermissionDenied(PERMISSION_DENIED));
    }
    let data = parsers::parse(&req, payload, state.settings.server.max_body_bytes).await?;
    let changes = validate(&data, Mode::Create)?;
    let today = today(&state.settings.server.time_zone);
    let new = NewTask {
        title: changes.title.unwrap_or_default(),
        content: changes.content.unwrap_or_default(),
        created_on: changes.created_on.unwrap_or(today),
        due_date: changes.due_date.unwrap_or(today),
    };
    // The original's v1.14 `perform_create`: the creator is the token's `sub`.
    let created_by = ctx.principal.subject().unwrap_or_default().to_owned();
    let table = state.db.task_table();
    let task = state
        .db
        .run(move |conn| Task::create(conn, table, &new, &created_by))
        .await?;
    Ok(HttpResponse::Created().json(TaskOut::from(task)))
}

/// DRF's `get_object`: the task, 404 when there is none, then the route's
/// object permissions (403), before anything else happens to it.
async fn get_object(
    state: &web::Data<AppState>,
    ctx: &RequestContext,
    method: &Method,
    id: &str,
) -> Result<Task, ApiError> {
    let id = task_id(id)?;
    let table = state.db.task_table();
    let (task, created_by) = state
        .db
        .read(move |conn| Task::get_with_creator(conn, table, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let object = Object { created_by };
    ctx.route
        .permissions
        .check_object(method, &ctx.principal, &object.view())?;
    Ok(task)
}

async fn retrieve(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let task = get_object(&state, &ctx, req.method(), &id).await?;
    Ok(HttpResponse::Ok().json(TaskOut::from(task)))
}

async fn update(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    save(state, ctx, req, &id, payload, Mode::Update).await
}

async fn partial_update(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    save(state, ctx, req, &id, payload, Mode::Partial).await
}

/// PUT and PATCH: the object first (404, 403), then the body (400). Fields
/// not given keep their values (DRF's `update` sets only validated fields),
/// so a PUT without dates keeps them.
async fn save(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: &str,
    payload: web::Payload,
    mode: Mode,
) -> Result<HttpResponse, ApiError> {
    let task = get_object(&state, &ctx, req.method(), id).await?;
    let data = parsers::parse(&req, payload, state.settings.server.max_body_bytes).await?;
    let changes = validate(&data, mode)?;
    let id = task.id;
    let task = state
        .db
        .run(move |conn| Task::update(conn, id, changes))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(TaskOut::from(task)))
}

async fn destroy(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = get_object(&state, &ctx, req.method(), &id).await?.id;
    let deleted = state.db.run(move |conn| Task::delete(conn, id)).await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The detail route's object, as object permissions see it (for OPTIONS).
async fn object(state: web::Data<AppState>, id: String) -> Result<Option<Object>, ApiError> {
    let Ok(id) = task_id(&id) else {
        return Ok(None);
    };
    let table = state.db.task_table();
    let found = state
        .db
        .read(move |conn| Task::get_with_creator(conn, table, id))
        .await?;
    Ok(found.map(|(_, created_by)| Object { created_by }))
}

/// The serializer's fields as DRF 3.9's `SimpleMetadata` describes them.
fn field_metadata() -> serde_json::Value {
    json!({
        "id": {"type": "integer", "required": false, "read_only": true, "label": "ID"},
        "title": {"type": "string", "required": true, "read_only": false, "label": "Title", "max_length": TEXT_MAX_CHARS},
        "content": {"type": "string", "required": true, "read_only": false, "label": "Content", "max_length": TEXT_MAX_CHARS},
        "created_on": {"type": "date", "required": false, "read_only": false, "label": "Created on"},
        "due_date": {"type": "date", "required": false, "read_only": false, "label": "Due date"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(task_id("7").ok(), Some(7));
        assert_eq!(task_id("007").ok(), Some(7));
        for bad in ["2147483648", "99999999999999999999", ""] {
            assert!(task_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn today_follows_the_time_zone() {
        // At any instant, the days in UTC-12 and UTC+14 differ by one or two.
        let west = jiff::tz::TimeZone::fixed(jiff::tz::offset(-12));
        let east = jiff::tz::TimeZone::fixed(jiff::tz::offset(14));
        let days = (today(&east) - today(&west)).num_days();
        assert!((1..=2).contains(&days), "{days}");
    }

    #[test]
    fn errors_come_in_the_serializers_field_order() {
        let data = parsers::parse_json(
            br#"{"due_date": "x", "created_on": "y", "content": "", "title": null}"#,
        );
        let Ok(data) = data else { panic!("valid JSON") };
        match validate(&data, Mode::Create) {
            Err(ApiError::Validation(errors)) => {
                let body = serde_json::to_string(&errors).unwrap_or_default();
                let order: Vec<usize> = ["title", "content", "created_on", "due_date"]
                    .iter()
                    .filter_map(|f| body.find(&format!("\"{f}\"")))
                    .collect();
                assert_eq!(order.len(), 4, "{body}");
                assert!(order.windows(2).all(|w| w[0] < w[1]), "{body}");
            }
            _ => panic!("should be refused"),
        }
    }
}
