//! A second resource, written as ARCHITECTURE.md's "Adding a resource" says: one
//! file with its model access, serializer and viewset (this one), one
//! migration (`CREATE_TABLE`), one registration line (`router.rs`). It has
//! a field of each kind: text, boolean, a bounded integer and a date.

use chrono::NaiveDate;
use diesel::prelude::*;
use todoapi::db::DbConnection;
use todoapi::db::DbError;
use todoapi::db::listing::{self, Column, Listed, Listing};
use todoapi::error::ApiError;
use todoapi::rest::listing::ListDecl;
use todoapi::rest::route::{Object, ViewName, ViewSet};
use todoapi::rest::serializer::{Field, Kind, Out, Sample, Serializer};
use todoapi::rest::view::RequestContext;
use todoapi::rest::viewset::{Declaration, Model, model_viewset};
use todoapi::state::AppState;

/// The migration, on each backend.
pub const CREATE_TABLE: [(&str, &str); 2] = [
    (
        "sqlite",
        "CREATE TABLE project (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
         name VARCHAR(30) NOT NULL, done BOOLEAN NOT NULL, priority INTEGER NOT NULL, due DATE NOT NULL)",
    ),
    (
        "postgres",
        "CREATE TABLE project (id SERIAL PRIMARY KEY, name VARCHAR(30) NOT NULL, \
         done BOOLEAN NOT NULL, priority INTEGER NOT NULL, due DATE NOT NULL)",
    ),
];

diesel::table! {
    project (id) {
        id -> Integer,
        name -> Text,
        done -> Bool,
        priority -> Integer,
        due -> Date,
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = project)]
pub struct Project {
    id: i32,
    name: String,
    done: bool,
    priority: i32,
    due: NaiveDate,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = project)]
pub struct ProjectChanges {
    name: Option<String>,
    done: Option<bool>,
    priority: Option<i32>,
    due: Option<NaiveDate>,
}

const ALL: (
    project::id,
    project::name,
    project::done,
    project::priority,
    project::due,
) = (
    project::id,
    project::name,
    project::done,
    project::priority,
    project::due,
);

static COLUMNS: [Column<project::table, Project>; 3] = [
    todoapi::column!(project::id, Integer, id),
    todoapi::column!(project::name, Text, name),
    todoapi::column!(project::priority, Integer, priority),
];

static SERIALIZER: Serializer<Project, ProjectChanges> = Serializer {
    fields: &[
        Field::read_only(
            "id",
            "ID",
            Kind::INTEGER,
            Sample::Integer(1),
            |p: &Project| Out::Integer(p.id.into()),
        ),
        Field::writable(
            "name",
            "Name",
            Kind::Char { max_length: 30 },
            Sample::Text("Launch"),
            |p: &Project| Out::Text(&p.name),
            |c: &mut ProjectChanges, v| c.name = v.text(),
        ),
        Field::writable(
            "done",
            "Done",
            Kind::Boolean,
            Sample::Boolean(false),
            |p: &Project| Out::Boolean(p.done),
            |c: &mut ProjectChanges, v| c.done = v.boolean(),
        )
        .optional(),
        Field::writable(
            "priority",
            "Priority",
            Kind::Integer { min: 1, max: 5 },
            Sample::Integer(3),
            |p: &Project| Out::Integer(p.priority.into()),
            |c: &mut ProjectChanges, v| c.priority = v.integer().and_then(|n| n.try_into().ok()),
        )
        .optional(),
        Field::writable(
            "due",
            "Due",
            Kind::Date,
            Sample::Date("2026-12-31"),
            |p: &Project| Out::Date(p.due),
            |c: &mut ProjectChanges, v| c.due = v.date(),
        ),
    ],
};

pub fn viewset() -> ViewSet {
    model_viewset::<Project>(Declaration {
        basename: "project",
        prefix: "project",
        lookup: "[0-9]+",
        list: ViewName {
            label: "Project List",
            description: "Lists and creates projects.",
        },
        detail: ViewName {
            label: "Project Detail",
            description: "One project.",
        },
        permission_classes: None,
        detail_always: Vec::new(),
        throttle_scope: Some("projects"),
        listing: ListDecl {
            columns: COLUMNS.iter().map(|c| (c.name, c.kind)).collect(),
            search_fields: &["name"],
            ordering_fields: &["id", "name", "priority"],
            ordering: &["id"],
            unique: "id",
        },
    })
}

fn list(conn: &mut DbConnection, listing: &Listing) -> Result<Listed<Project>, DbError> {
    let count = match listing.count {
        true => {
            let mut query = project::table.count().into_boxed();
            for condition in listing::search_conditions(&COLUMNS, listing)? {
                query = query.filter(condition);
            }
            Some(query.get_result::<i64>(conn)?)
        }
        false => None,
    };
    let rows = match listing.window_given(count) {
        Some(window) => {
            let query = project::table.select(Project::as_select()).into_boxed();
            listing::apply(query, &COLUMNS, listing, &window, None)?.load(conn)?
        }
        None => Vec::new(),
    };
    Ok(listing::finish(&COLUMNS, listing, rows, count)?)
}

fn id(raw: &str) -> Option<i32> {
    raw.parse().ok()
}

impl Model for Project {
    type Changes = ProjectChanges;

    fn serializer() -> &'static Serializer<Project, ProjectChanges> {
        &SERIALIZER
    }

    async fn list(
        state: &AppState,
        _: &RequestContext,
        listing: Listing,
    ) -> Result<Listed<Project>, ApiError> {
        Ok(state.db.read(move |conn| list(conn, &listing)).await?)
    }

    async fn get(state: &AppState, raw: &str) -> Result<Option<(Project, Object)>, ApiError> {
        let Some(id) = id(raw) else { return Ok(None) };
        let found = state
            .db
            .read(move |conn| project::table.find(id).select(ALL).first(conn).optional())
            .await?;
        Ok(found.map(|row: (i32, String, bool, i32, NaiveDate)| (row.into(), Object::default())))
    }

    async fn create(
        state: &AppState,
        _: &RequestContext,
        c: ProjectChanges,
    ) -> Result<Project, ApiError> {
        let values = (
            project::name.eq(c.name.unwrap_or_default()),
            project::done.eq(c.done.unwrap_or(false)),
            project::priority.eq(c.priority.unwrap_or(3)),
            project::due.eq(c.due.unwrap_or_default()),
        );
        let row: (i32, String, bool, i32, NaiveDate) = state
            .db
            .run(move |conn| {
                diesel::insert_into(project::table)
                    .values(values)
                    .returning(ALL)
                    .get_result(conn)
            })
            .await?;
        Ok(row.into())
    }

    async fn update(
        state: &AppState,
        found: Project,
        changes: ProjectChanges,
    ) -> Result<Option<Project>, ApiError> {
        if changes.name.is_none()
            && changes.done.is_none()
            && changes.priority.is_none()
            && changes.due.is_none()
        {
            return Ok(Some(found));
        }
        let row: Option<(i32, String, bool, i32, NaiveDate)> = state
            .db
            .run(move |conn| {
                diesel::update(project::table.find(found.id))
                    .set(&changes)
                    .returning(ALL)
                    .get_result(conn)
                    .optional()
            })
            .await?;
        Ok(row.map(Project::from))
    }

    async fn destroy(state: &AppState, found: Project) -> Result<bool, ApiError> {
        let deleted = state
            .db
            .run(move |conn| diesel::delete(project::table.find(found.id)).execute(conn))
            .await?;
        Ok(deleted > 0)
    }
}

impl From<(i32, String, bool, i32, NaiveDate)> for Project {
    fn from((id, name, done, priority, due): (i32, String, bool, i32, NaiveDate)) -> Self {
        Project {
            id,
            name,
            done,
            priority,
            due,
        }
    }
}
