//! `/api/task/` and `/api/task/<id>/`: the original's `TaskList`
//! (ListCreateAPIView) and `TaskDetail` (RetrieveUpdateDestroyAPIView) as
//! one viewset, with its `TaskSerializer` (DRF 3.9): `id` read-only,
//! `title` and `content` required `CharField(max_length=50)`, `created_on`
//! and `due_date` optional `DateField`s that default to today in
//! `server.time_zone`. With `creator` ownership (the original's v1.14),
//! each caller sees and makes only their own tasks, and the detail route
//! has `IsCreator` too.

use chrono::NaiveDate;

use crate::db::listing::{Listed, Listing};
use crate::db::models::{NewTask, TASK_LIST_COLUMNS, Task, TaskChanges};
use crate::error::ApiError;
use crate::policy::{IsCreator, Ownership, PERMISSION_DENIED, PermissionClass};
use crate::rest::listing::ListDecl;
use crate::rest::route::{Object, ViewName, ViewSet};
use crate::rest::serializer::{Field, Kind, Out, Sample, Serializer};
use crate::rest::view::RequestContext;
use crate::rest::viewset::{Declaration, Model, model_viewset};
use crate::state::AppState;

/// `Task.title`'s and `Task.content`'s `max_length`.
pub const TEXT_MAX_CHARS: usize = 50;
const TEXT: Kind = Kind::Char {
    max_length: TEXT_MAX_CHARS,
};

/// The original's `TaskSerializer`; the samples are its first seeded task.
static SERIALIZER: Serializer<Task, TaskChanges> = Serializer {
    fields: &[
        Field::read_only("id", "ID", Kind::INTEGER, Sample::Integer(1), |t: &Task| {
            Out::Integer(t.id.into())
        }),
        Field::writable(
            "title",
            "Title",
            TEXT,
            Sample::Text("Workout"),
            |t: &Task| Out::Text(&t.title),
            |c: &mut TaskChanges, v| c.title = v.text(),
        ),
        Field::writable(
            "content",
            "Content",
            TEXT,
            Sample::Text("Squat, bench press, deadlift."),
            |t: &Task| Out::Text(&t.content),
            |c: &mut TaskChanges, v| c.content = v.text(),
        ),
        Field::writable(
            "created_on",
            "Created on",
            Kind::Date,
            Sample::Date("2019-01-05"),
            |t: &Task| Out::Date(t.created_on),
            |c: &mut TaskChanges, v| c.created_on = v.date(),
        )
        .optional(),
        Field::writable(
            "due_date",
            "Due date",
            Kind::Date,
            Sample::Date("2019-01-12"),
            |t: &Task| Out::Date(t.due_date),
            |c: &mut TaskChanges, v| c.due_date = v.date(),
        )
        .optional(),
    ],
};

/// The viewset; its docstrings are the descriptions OPTIONS shows.
pub fn viewset(ownership: Ownership) -> ViewSet {
    model_viewset::<Task>(Declaration {
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
        permission_classes: None,
        detail_always: match ownership {
            Ownership::Shared => Vec::new(),
            Ownership::Creator => vec![PermissionClass::new(IsCreator)],
        },
        // ScopedRateThrottle counts task requests by `tasks` (DEFAULT_THROTTLE_RATES).
        throttle_scope: Some("tasks"),
        // The reference's TaskList: search_fields, ordering_fields, ordering.
        listing: ListDecl {
            columns: TASK_LIST_COLUMNS.iter().map(|c| (c.name, c.kind)).collect(),
            search_fields: &["title", "content"],
            ordering_fields: &["id", "title", "content", "created_on", "due_date"],
            ordering: &["id"],
            unique: "id",
        },
    })
}

impl Model for Task {
    type Changes = TaskChanges;

    fn serializer() -> &'static Serializer<Task, TaskChanges> {
        &SERIALIZER
    }

    async fn list(
        state: &AppState,
        ctx: &RequestContext,
        listing: Listing,
    ) -> Result<Listed<Task>, ApiError> {
        let creator = match owner(state, ctx) {
            None => None,
            Some(None) => return Ok(Listed::empty(&listing)),
            Some(Some(sub)) => Some(sub),
        };
        let found = state
            .db
            .read(move |conn| Task::list(conn, creator.as_deref(), &listing))
            .await?;
        Ok(found)
    }

    async fn get(state: &AppState, id: &str) -> Result<Option<(Task, Object)>, ApiError> {
        let Ok(id) = task_id(id) else {
            return Ok(None);
        };
        let table = state.db.task_table();
        let found = state
            .db
            .read(move |conn| Task::get_with_creator(conn, table, id))
            .await?;
        Ok(found.map(|(task, created_by)| (task, Object { created_by })))
    }

    /// A token without `sub` owns nothing, so makes nothing in creator mode.
    async fn may_create(state: &AppState, ctx: &RequestContext) -> Result<(), ApiError> {
        match owner(state, ctx) {
            Some(None) => Err(ApiError::PermissionDenied(PERMISSION_DENIED)),
            _ => Ok(()),
        }
    }

    async fn create(
        state: &AppState,
        ctx: &RequestContext,
        changes: TaskChanges,
    ) -> Result<Task, ApiError> {
        let today = today(&state.settings.server.time_zone.0);
        let new = NewTask {
            title: changes.title.unwrap_or_default(),
            content: changes.content.unwrap_or_default(),
            created_on: changes.created_on.unwrap_or(today),
            due_date: changes.due_date.unwrap_or(today),
        };
        // The original's v1.14 `perform_create`: the creator is the token's `sub`.
        let created_by = ctx.principal.subject().unwrap_or_default().to_owned();
        let table = state.db.task_table();
        Ok(state
            .db
            .run(move |conn| Task::create(conn, table, &new, &created_by))
            .await?)
    }

    async fn update(
        state: &AppState,
        task: Task,
        changes: TaskChanges,
    ) -> Result<Option<Task>, ApiError> {
        let id = task.id;
        Ok(state
            .db
            .run(move |conn| Task::update(conn, id, changes))
            .await?)
    }

    async fn destroy(state: &AppState, task: Task) -> Result<bool, ApiError> {
        let id = task.id;
        Ok(state.db.run(move |conn| Task::delete(conn, id)).await?)
    }
}

/// The detail route's `<int:task_id>` (the route admits digits only); an id
/// beyond the column's range names no task.
pub fn task_id(raw: &str) -> Result<i32, ApiError> {
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
        use crate::rest::parsers;
        use crate::rest::serializer::Mode;
        let data = parsers::parse_json(
            br#"{"due_date": "x", "created_on": "y", "content": "", "title": null}"#,
        );
        let Ok(data) = data else { panic!("valid JSON") };
        match SERIALIZER.validate(&data, Mode::Create) {
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
