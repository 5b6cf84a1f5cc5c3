//! A list query over any table, as DRF's filter backends and paginators
//! shape a queryset: search terms, an ordering that ends in a unique key,
//! and a window (everything, an offset, or keyset pagination). A resource
//! declares its [`Column`]s once (with [`column!`](crate::column)); the
//! queries are built here, so a second resource gets all of it by declaring
//! its columns. Nothing here knows HTTP.

use chrono::NaiveDate;
use diesel::expression::expression_types::NotSelectable;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::MultiBackend;

mod sql;
pub use sql::{apply, finish, search_conditions};

/// A condition on a row of `T`.
pub type Condition<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>;
/// One term of an `ORDER BY` on `T`.
pub type Order<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = NotSelectable>>;

/// The SQL type of a column, as far as a cursor holds its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Text,
    Date,
}

/// A value of a column: where a keyset page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Integer(i32),
    Text(String),
    Date(NaiveDate),
}

/// A comparison of a column with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    LtEq,
    Eq,
    GtEq,
    Gt,
}

/// A column a list may be searched or ordered by, of table `T` and row `R`.
pub struct Column<T, R> {
    /// The serializer field it is shown as.
    pub name: &'static str,
    pub kind: Kind,
    pub order: fn(descending: bool) -> Order<T>,
    /// `None` when the value is not of the column's kind.
    pub compare: fn(Op, &Position) -> Option<Condition<T>>,
    /// Case-insensitive "contains", for text columns (Django's `icontains`).
    pub contains: Option<fn(String) -> Condition<T>>,
    pub get: fn(&R) -> Position,
}

diesel::define_sql_function! {
    /// SQL's `upper`: both sides of a case-insensitive LIKE, as Django's `icontains`.
    fn upper(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A [`Column`] of a diesel column: `column!(task::title, Text, title)`
/// reads the row's `title` field; `Integer` and `Date` columns are `Copy`.
#[macro_export]
macro_rules! column {
    ($column:path, Text, $field:ident) => {
        $crate::db::listing::Column {
            name: stringify!($field),
            kind: $crate::db::listing::Kind::Text,
            order: |descending| $crate::column!(@order $column, descending),
            compare: |op, position| match position {
                $crate::db::listing::Position::Text(value) => {
                    Some($crate::column!(@compare $column, op, value.clone()))
                }
                _ => None,
            },
            contains: Some(|pattern| {
                use diesel::prelude::*;
                Box::new(
                    $crate::db::listing::upper($column)
                        .like($crate::db::listing::upper(pattern))
                        .escape('\\'),
                )
            }),
            get: |row| $crate::db::listing::Position::Text(row.$field.clone()),
        }
    };
    ($column:path, $kind:ident, $field:ident) => {
        $crate::db::listing::Column {
            name: stringify!($field),
            kind: $crate::db::listing::Kind::$kind,
            order: |descending| $crate::column!(@order $column, descending),
            compare: |op, position| match position {
                $crate::db::listing::Position::$kind(value) => {
                    Some($crate::column!(@compare $column, op, *value))
                }
                _ => None,
            },
            contains: None,
            get: |row| $crate::db::listing::Position::$kind(row.$field),
        }
    };
    (@order $column:path, $descending:expr) => {{
        use diesel::prelude::*;
        if $descending {
            Box::new($column.desc()) as $crate::db::listing::Order<_>
        } else {
            Box::new($column.asc())
        }
    }};
    (@compare $column:path, $op:expr, $value:expr) => {{
        use diesel::prelude::*;
        use $crate::db::listing::Op;
        let value = $value;
        match $op {
            Op::Lt => Box::new($column.lt(value)) as $crate::db::listing::Condition<_>,
            Op::LtEq => Box::new($column.le(value)),
            Op::Eq => Box::new($column.eq(value)),
            Op::GtEq => Box::new($column.ge(value)),
            Op::Gt => Box::new($column.gt(value)),
        }
    }};
}

/// One term of the ordering: a column (an index into the resource's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBy {
    pub column: usize,
    pub descending: bool,
}

/// Where a keyset page starts: the ordering's values of a row, and whether
/// that row itself is on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub values: Vec<Position>,
    pub inclusive: bool,
}

/// Which rows of the ordered, searched list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    All,
    Offset {
        offset: i64,
        limit: i64,
    },
    /// The last page of `limit` rows (the first when there are none); needs the count.
    LastPage {
        limit: i64,
    },
    /// The `limit` rows after `from` (before it, `backwards`); the first
    /// ones when `from` is `None`.
    Keyset {
        from: Option<Keyset>,
        backwards: bool,
        limit: i64,
    },
}

/// A list query: every term must match one of the search columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub search: Vec<String>,
    pub search_columns: Vec<usize>,
    /// Ends in a unique column, so that keyset pages neither skip nor repeat.
    pub ordering: Vec<OrderBy>,
    pub window: Window,
    /// Whether the rows matching the search are counted too.
    pub count: bool,
}

impl Listing {
    /// All the rows, unsearched, uncounted, in the order of one column
    /// ascending (the unique one: the original's list).
    pub fn is_plain(&self, by: usize) -> bool {
        self.search.is_empty()
            && self.window == Window::All
            && !self.count
            && self.ordering
                == [OrderBy {
                    column: by,
                    descending: false,
                }]
    }

    /// The window to read once the rows are counted: `None` when it lies
    /// beyond them (nothing to read: an `OFFSET` past the end still costs a
    /// scan to it).
    pub fn window_given(&self, count: Option<i64>) -> Option<Window> {
        match (&self.window, count) {
            (Window::Offset { offset, .. }, Some(count)) if *offset >= count && *offset > 0 => None,
            (Window::LastPage { limit }, count) => {
                let limit = (*limit).max(1);
                let count = count.unwrap_or(0).max(1);
                Some(Window::Offset {
                    offset: (count - 1) / limit * limit,
                    limit,
                })
            }
            (window, _) => Some(window.clone()),
        }
    }
}

/// What a list query found, in the ordering's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<R> {
    pub rows: Vec<R>,
    /// The rows the search matches, when counted.
    pub count: Option<i64>,
    /// Keyset: there are rows beyond the page in the direction it was read.
    pub more: bool,
    /// Keyset: the ordering's values of the first and last rows.
    pub first: Option<Vec<Position>>,
    pub last: Option<Vec<Position>>,
}

impl<R> Listed<R> {
    /// The same page with each row turned into what the API shows.
    pub fn map<U>(self, f: impl FnMut(R) -> U) -> Listed<U> {
        Listed {
            rows: self.rows.into_iter().map(f).collect(),
            count: self.count,
            more: self.more,
            first: self.first,
            last: self.last,
        }
    }

    /// Nothing found (the caller may see no rows).
    pub fn empty(listing: &Listing) -> Listed<R> {
        Listed {
            rows: Vec::new(),
            count: listing.count.then_some(0),
            more: false,
            first: None,
            last: None,
        }
    }
}

/// A listing names a column that is not there, or a position of another
/// kind than its column: the caller built it wrong (a forged cursor is
/// refused before it gets here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the list query does not fit the resource's columns")]
pub struct Mismatch;
