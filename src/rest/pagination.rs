//! DRF's paginators, as `rest_framework.default_pagination_class` (or a
//! route's own) names them: what a request's query asks for, the window of
//! rows that is, and the links of the page, with DRF's texts.
//!
//! - `PageNumberPagination`: `?page=N` or `page=last`; `COUNT(*)` and `OFFSET`.
//! - `LimitOffsetPagination`: `?limit=&offset=`; `COUNT(*)` and `OFFSET`.
//! - `CursorPagination`: `?cursor=`; keyset, so page 10 000 costs what page 1 does.

use crate::db::listing::{Keyset, Position, Window};
use crate::error::ApiError;
use crate::policy::PaginationClass;
use crate::settings::PageSettings;

use super::cursor::{Cursor, INVALID_CURSOR};
use super::query::QueryParams;

/// DRF's `PageNumberPagination.invalid_page_message`.
pub const INVALID_PAGE: &str = "Invalid page.";
pub const PAGE_PARAM: &str = "page";
pub const LIMIT_PARAM: &str = "limit";
pub const OFFSET_PARAM: &str = "offset";
pub const CURSOR_PARAM: &str = "cursor";
/// DRF's `last_page_strings`.
const LAST_PAGE: &str = "last";

/// DRF's descriptions of the parameters (the OpenAPI document's).
pub const PAGE_DESCRIPTION: &str = "A page number within the paginated result set.";
pub const PAGE_SIZE_DESCRIPTION: &str = "Number of results to return per page.";
pub const OFFSET_DESCRIPTION: &str = "The initial index from which to return the results.";

/// One route's paginator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paginator {
    pub class: PaginationClass,
    pub page: PageSettings,
}

/// What a request asked of the paginator, read from its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    Page { number: PageNumber, size: i64 },
    LimitOffset { limit: i64, offset: i64 },
    Cursor { cursor: Option<Cursor>, size: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNumber {
    Number(i64),
    Last,
}

/// A page's links and count, once its rows are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// Absent from a cursor page's body.
    pub count: Option<i64>,
    pub next: Option<String>,
    pub previous: Option<String>,
}

/// Python's `int()` of a query value: surrounding whitespace, a sign, digits
/// (single `_` between them). Saturates far beyond any count.
fn python_int(text: &str) -> Option<i128> {
    let text = super::text::python_strip(text);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut n: i128 = 0;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => n = n.saturating_mul(10).saturating_add(i128::from(b - b'0')),
            b'_' => {}
            _ => return None,
        }
    }
    Some(if negative { -n } else { n })
}

/// DRF's `_positive_int`: `None` for what it raises `ValueError` on.
fn positive_int(text: &str, strict: bool, cutoff: u64) -> Option<i64> {
    let n = python_int(text)?;
    if n < 0 || (n == 0 && strict) {
        return None;
    }
    let n = if cutoff > 0 {
        n.min(i128::from(cutoff))
    } else {
        n
    };
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Paginator {
    /// DRF's `get_page_size`: the client's `page_size_query_param`, when
    /// allowed and valid, cut to `max_page_size`; else `page_size`.
    fn page_size(&self, params: &QueryParams) -> i64 {
        self.page
            .page_size_query_param
            .as_deref()
            .and_then(|name| params.get(name))
            .and_then(|v| positive_int(v, true, self.page.max_page_size))
            .unwrap_or(to_i64(self.page.page_size))
    }

    /// What the query asks for. `ordering`: the ordering's text a cursor
    /// must have been made for; `kinds`: its columns' kinds.
    pub fn read(
        &self,
        params: &QueryParams,
        ordering: &str,
        kinds: &[crate::db::listing::Kind],
    ) -> Result<Requested, ApiError> {
        let invalid_page = ApiError::NotFoundBecause(INVALID_PAGE);
        Ok(match self.class {
            PaginationClass::PageNumber => {
                let number = match params.get(PAGE_PARAM) {
                    // Current DRF: `query_params.get(page_query_param) or 1`.
                    None | Some("") => PageNumber::Number(1),
                    Some(LAST_PAGE) => PageNumber::Last,
                    Some(text) => match python_int(text) {
                        Some(n) if n >= 1 => {
                            PageNumber::Number(i64::try_from(n).unwrap_or(i64::MAX))
                        }
                        _ => return Err(invalid_page),
                    },
                };
                Requested::Page {
                    number,
                    size: self.page_size(params),
                }
            }
            PaginationClass::LimitOffset => Requested::LimitOffset {
                limit: params
                    .get(LIMIT_PARAM)
                    .and_then(|v| positive_int(v, true, self.page.max_limit))
                    .unwrap_or(to_i64(self.page.page_size)),
                offset: params
                    .get(OFFSET_PARAM)
                    .and_then(|v| positive_int(v, false, 0))
                    .unwrap_or(0),
            },
            PaginationClass::Cursor => Requested::Cursor {
                cursor: match params.get(CURSOR_PARAM) {
                    None | Some("") => None,
                    Some(text) => Some(
                        Cursor::decode(text, ordering, kinds)
                            .map_err(|_| ApiError::NotFoundBecause(INVALID_CURSOR))?,
                    ),
                },
                size: self.page_size(params),
            },
        })
    }
}

impl Requested {
    /// The rows to read, and whether they must be counted.
    pub fn window(&self) -> (Window, bool) {
        match self {
            Requested::Page {
                number: PageNumber::Number(n),
                size,
            } => (
                Window::Offset {
                    offset: n.saturating_sub(1).saturating_mul(*size),
                    limit: *size,
                },
                true,
            ),
            Requested::Page {
                number: PageNumber::Last,
                size,
            } => (Window::LastPage { limit: *size }, true),
            Requested::LimitOffset { limit, offset } => (
                Window::Offset {
                    offset: *offset,
                    limit: *limit,
                },
                true,
            ),
            Requested::Cursor { cursor, size } => (
                Window::Keyset {
                    from: cursor.as_ref().map(|c| c.from.clone()),
                    backwards: cursor.as_ref().is_some_and(|c| c.backwards),
                    limit: *size,
                },
                false,
            ),
        }
    }

    /// The page's count and links. `url(query)`: this request's absolute
    /// URL with another query string. A page number past the last is DRF's
    /// 404 "Invalid page.".
    pub fn links(
        &self,
        params: &QueryParams,
        url: impl Fn(String) -> String,
        found: Found<'_>,
        ordering: &str,
    ) -> Result<Links, ApiError> {
        let count = found.count.unwrap_or(0);
        let link = |name: &str, value: Option<String>| url(params.with(name, value.as_deref()));
        match *self {
            Requested::Page { number, size } => {
                let size = size.max(1);
                let pages = (count.max(1) + size - 1) / size;
                let number = match number {
                    PageNumber::Last => pages,
                    PageNumber::Number(n) if n <= pages => n,
                    PageNumber::Number(_) => return Err(ApiError::NotFoundBecause(INVALID_PAGE)),
                };
                Ok(Links {
                    count: Some(count),
                    next: (number < pages)
                        .then(|| link(PAGE_PARAM, Some((number + 1).to_string()))),
                    // Page 1's link drops `page`.
                    previous: (number > 1).then(|| match number - 1 {
                        1 => link(PAGE_PARAM, None),
                        n => link(PAGE_PARAM, Some(n.to_string())),
                    }),
                })
            }
            Requested::LimitOffset { limit, offset } => {
                let with_limit =
                    QueryParams::parse(&params.with(LIMIT_PARAM, Some(&limit.to_string())));
                let link = |offset: Option<i64>| {
                    url(with_limit.with(OFFSET_PARAM, offset.map(|o| o.to_string()).as_deref()))
                };
                Ok(Links {
                    count: Some(count),
                    next: (offset.saturating_add(limit) < count)
                        .then(|| link(Some(offset.saturating_add(limit)))),
                    previous: (offset > 0).then(|| match offset - limit {
                        o if o <= 0 => link(None),
                        o => link(Some(o)),
                    }),
                })
            }
            Requested::Cursor { ref cursor, .. } => {
                let backwards = cursor.as_ref().is_some_and(|c| c.backwards);
                let came_from = cursor.as_ref().map(|c| c.from.values.clone());
                let at = |values: Option<&Vec<Position>>, backwards: bool| {
                    // An empty page: the next one starts where this one would have, inclusive.
                    let (values, inclusive) = match values {
                        Some(v) => (v.clone(), false),
                        None => (came_from.clone().unwrap_or_default(), true),
                    };
                    let cursor = Cursor {
                        from: Keyset { values, inclusive },
                        backwards,
                    };
                    link(CURSOR_PARAM, Some(cursor.encode(ordering)))
                };
                // Read forwards: more after it, and a page before it if it
                // did not start at the top. Backwards the other way round.
                let (further, behind) = (found.more, came_from.is_some());
                let (has_next, has_previous) = if backwards {
                    (behind, further)
                } else {
                    (further, behind)
                };
                Ok(Links {
                    count: None,
                    next: has_next.then(|| at(found.last, false)),
                    previous: has_previous.then(|| at(found.first, true)),
                })
            }
        }
    }
}

/// What the list query found, as far as the links need it.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub count: Option<i64>,
    pub more: bool,
    pub first: Option<&'a Vec<Position>>,
    pub last: Option<&'a Vec<Position>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_ints() {
        for (text, n) in [
            ("3", Some(3)),
            (" +4 ", Some(4)),
            ("-2", Some(-2)),
            ("1_000", Some(1000)),
        ] {
            assert_eq!(python_int(text), n, "{text}");
        }
        for text in ["", "1.0", "1e3", "_1", "1__0", "x", "0x10", "--1"] {
            assert_eq!(python_int(text), None, "{text}");
        }
        assert_eq!(positive_int("0", true, 0), None);
        assert_eq!(positive_int("0", false, 0), Some(0));
        assert_eq!(positive_int("-1", false, 0), None);
        assert_eq!(positive_int("500", true, 100), Some(100));
        assert_eq!(positive_int(&"9".repeat(60), true, 100), Some(100));
        assert_eq!(positive_int(&"9".repeat(60), false, 0), Some(i64::MAX));
    }
}
