//! The SQL of a [`Listing`]: its search conditions, the keyset bound of a
//! cursor page, its ordering and window, and the page put back in order.

use diesel::prelude::*;
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, ThenOrderDsl};

use super::{
    Column, Condition, Keyset, Listed, Listing, Mismatch, Op, Order, OrderBy, Position, Window,
};

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
///
/// `scope`: the order of the column the caller's rows share one value of
/// (`created_by`), put first in the reading direction of the first term, so
/// that an index on (scope, unique key) gives the page in order.
pub fn apply<T, R, Q>(
    mut query: Q,
    columns: &[Column<T, R>],
    listing: &Listing,
    window: &Window,
    scope: Option<fn(bool) -> Order<T>>,
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
    if let (Some(scope), Some(first)) = (scope, listing.ordering.first()) {
        query = query.then_order_by(scope(first.descending != backwards));
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
