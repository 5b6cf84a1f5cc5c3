//! A list query over any table, as DRF's filter backends and paginators
//! shape a queryset: search terms, an ordering that ends in a unique key,
//! and a window (everything, an offset, or keyset pagination). A resource
//! declares its [`Column`]s once (with [`column!`](crate::column)); the
//! queries are built here, so a second resource gets all of it by declaring
//! its columns. Nothing here knows HTTP.

use chrono::NaiveDate;
use diesel::expression::expression_types::NotSelectable;
use diesel::prelude::*;
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, ThenOrderDsl};
use diesel::sql_types::Bool;

use super::MultiBackend;

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

    /// Everything, by `column` ascending (the original's list).
    pub fn all_by(column: usize) -> Listing {
        Listing {
            search: Vec::new(),
            search_columns: Vec::new(),
            ordering: vec![OrderBy {
                column,
                descending: false,
            }],
            window: Window::All,
            count: false,
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

fn column<T, R>(columns: &[Column<T, R>], i: usize) -> Result<&Column<T, R>, Mismatch> {
    columns.get(i).ok_or(Mismatch)
}

/// The search's conditions: each term in one of the search columns, `%`
/// and `_` in a term being themselves, not wildcards.
pub fn search_conditions<T, R>(
    columns: &[Column<T, R>],
    listing: &Listing,
) -> Result<Vec<Condition<T>>, Mismatch>
where
    T: 'static,
{
    let mut out = Vec::new();
    for term in &listing.search {
        let pattern = format!("%{}%", escape_like(term));
        let mut any: Option<Condition<T>> = None;
        for &i in &listing.search_columns {
            let contains = column(columns, i)?.contains.ok_or(Mismatch)?;
            let one = contains(pattern.clone());
            any = Some(match any {
                None => one,
                Some(before) => Box::new(before.or(one)),
            });
        }
        out.extend(any);
    }
    Ok(out)
}

/// `\`, `%` and `_` escaped for `LIKE … ESCAPE '\'`.
fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The rows after (before, going backwards) a keyset position. Besides the
/// exact condition, the first column's bound comes first on its own, so
/// that the database starts its index scan there instead of filtering from
/// the top (the cost of page 10 000 stays that of page 1).
fn keyset_condition<T, R>(
    columns: &[Column<T, R>],
    ordering: &[OrderBy],
    from: &Keyset,
    backwards: bool,
) -> Result<Vec<Condition<T>>, Mismatch>
where
    T: 'static,
{
    if from.values.len() != ordering.len() || ordering.is_empty() {
        return Err(Mismatch);
    }
    // Ascending and forwards: greater. Each reversal flips it.
    let after = |term: &OrderBy, strict: bool| match (term.descending != backwards, strict) {
        (false, true) => Op::Gt,
        (false, false) => Op::GtEq,
        (true, true) => Op::Lt,
        (true, false) => Op::LtEq,
    };
    let compare = |term: &OrderBy, op: Op, value: &Position| {
        (column(columns, term.column)?.compare)(op, value).ok_or(Mismatch)
    };
    let mut exact: Option<Condition<T>> = None;
    let last = ordering.len() - 1;
    for k in (0..ordering.len()).rev() {
        // Terms before k equal, term k beyond (or at, for the inclusive last).
        let strict = !(k == last && from.inclusive);
        let mut branch = compare(&ordering[k], after(&ordering[k], strict), &from.values[k])?;
        for j in (0..k).rev() {
            let equal = compare(&ordering[j], Op::Eq, &from.values[j])?;
            branch = Box::new(equal.and(branch));
        }
        exact = Some(match exact {
            None => branch,
            Some(rest) => Box::new(branch.or(rest)),
        });
    }
    let bound = compare(&ordering[0], after(&ordering[0], false), &from.values[0])?;
    Ok(match (ordering.len(), exact) {
        (1, Some(exact)) => vec![exact],
        (_, Some(exact)) => vec![bound, exact],
        (_, None) => vec![bound],
    })
}

/// Applies the listing's search and ordering, and `window` (see
/// [`Listing::window_given`]), to `query` (a boxed select of the resource's
/// rows, already limited to what the caller may see). Keyset windows read
/// one row more than the page, to know whether there is more; the rows
/// then come in the reading direction.
pub fn apply<T, R, Q>(
    mut query: Q,
    columns: &[Column<T, R>],
    listing: &Listing,
    window: &Window,
) -> Result<Q, Mismatch>
where
    T: 'static,
    Q: FilterDsl<Condition<T>, Output = Q>
        + ThenOrderDsl<Order<T>, Output = Q>
        + LimitDsl<Output = Q>
        + OffsetDsl<Output = Q>,
{
    for condition in search_conditions(columns, listing)? {
        query = query.filter(condition);
    }
    let backwards = matches!(
        window,
        Window::Keyset {
            backwards: true,
            ..
        }
    );
    if let Window::Keyset {
        from: Some(from), ..
    } = window
    {
        for condition in keyset_condition(columns, &listing.ordering, from, backwards)? {
            query = query.filter(condition);
        }
    }
    for term in &listing.ordering {
        query = query.then_order_by((column(columns, term.column)?.order)(
            term.descending != backwards,
        ));
    }
    Ok(match *window {
        Window::All => query,
        Window::Offset { offset, limit } => query.limit(limit).offset(offset),
        // Resolved by `window_given` first.
        Window::LastPage { .. } => return Err(Mismatch),
        Window::Keyset { limit, .. } => query.limit(limit.saturating_add(1)),
    })
}

/// Puts what [`apply`]'s query read in the ordering's order, with the
/// keyset positions of its ends.
pub fn finish<T, R>(
    columns: &[Column<T, R>],
    listing: &Listing,
    mut rows: Vec<R>,
    count: Option<i64>,
) -> Result<Listed<R>, Mismatch> {
    let mut more = false;
    if let Window::Keyset {
        limit, backwards, ..
    } = listing.window
    {
        if rows.len() as i64 > limit {
            more = true;
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        if backwards {
            rows.reverse();
        }
    }
    let position = |row: &R| -> Result<Vec<Position>, Mismatch> {
        listing
            .ordering
            .iter()
            .map(|term| Ok((column(columns, term.column)?.get)(row)))
            .collect()
    };
    let keyset = matches!(listing.window, Window::Keyset { .. });
    let (first, last) = match (keyset, rows.first(), rows.last()) {
        (true, Some(first), Some(last)) => (Some(position(first)?), Some(position(last)?)),
        _ => (None, None),
    };
    Ok(Listed {
        rows,
        count,
        more,
        first,
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like(r"50% of a_b \ c"), r"50\% of a\_b \\ c");
    }
}
