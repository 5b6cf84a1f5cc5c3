//! The names settings give to how a list is answered: DRF's pagination
//! classes (`DEFAULT_PAGINATION_CLASS`) and filter backends
//! (`DEFAULT_FILTER_BACKENDS`). `rest/` implements what they mean.

use std::fmt;
use std::str::FromStr;

use super::UnknownName;

/// DRF's pagination classes. `None` in settings (or an empty value) is no pagination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaginationClass {
    /// `?page=N`, `page=last`; `{"count", "next", "previous", "results"}`.
    PageNumber,
    /// `?limit=N&offset=M`; the same body.
    LimitOffset,
    /// `?cursor=…`, keyset: `{"next", "previous", "results"}`.
    Cursor,
}

const PAGINATION: &[(PaginationClass, &str)] = &[
    (PaginationClass::PageNumber, "PageNumberPagination"),
    (PaginationClass::LimitOffset, "LimitOffsetPagination"),
    (PaginationClass::Cursor, "CursorPagination"),
];

/// DRF's filter backends a list route may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterBackend {
    /// `?search=` over the viewset's `search_fields`.
    Search,
    /// `?ordering=` over the viewset's `ordering_fields`.
    Ordering,
}

const FILTERS: &[(FilterBackend, &str)] = &[
    (FilterBackend::Search, "SearchFilter"),
    (FilterBackend::Ordering, "OrderingFilter"),
];

/// A name from `table`, also in DRF's dotted form (`rest_framework.<module>.<Name>`).
fn lookup<T: Copy>(
    table: &[(T, &'static str)],
    module: &str,
    what: &str,
    text: &str,
) -> Result<T, UnknownName> {
    let name = text.trim();
    let bare = name
        .strip_prefix(module)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(name);
    table
        .iter()
        .find(|(_, known)| *known == bare)
        .map(|(value, _)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(_, n)| *n).collect();
            UnknownName(format!(
                "unknown {what} {name:?}; use {} (or {module}.<name>)",
                names.join(", ")
            ))
        })
}

fn name_of<T: PartialEq>(table: &[(T, &'static str)], value: &T) -> &'static str {
    table
        .iter()
        .find(|(v, _)| v == value)
        .map_or("", |(_, name)| *name)
}

impl PaginationClass {
    /// A setting's value: a class, or `None` for no pagination ("" or "None").
    pub fn parse_setting(text: &str) -> Result<Option<PaginationClass>, UnknownName> {
        match text.trim() {
            "" | "None" | "none" => Ok(None),
            name => name.parse().map(Some),
        }
    }

    pub fn name(self) -> &'static str {
        name_of(PAGINATION, &self)
    }
}

impl FromStr for PaginationClass {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        lookup(
            PAGINATION,
            "rest_framework.pagination",
            "pagination class",
            s,
        )
    }
}

impl fmt::Display for PaginationClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FilterBackend {
    /// A comma-separated list (a setting's value); blanks are skipped, a
    /// backend named twice counts once.
    pub fn parse_list(text: &str) -> Result<Vec<FilterBackend>, UnknownName> {
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let backend: FilterBackend = name.parse()?;
            if !out.contains(&backend) {
                out.push(backend);
            }
        }
        Ok(out)
    }

    pub fn name(self) -> &'static str {
        name_of(FILTERS, &self)
    }
}

impl FromStr for FilterBackend {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        lookup(FILTERS, "rest_framework.filters", "filter backend", s)
    }
}

impl fmt::Display for FilterBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_names_bare_dotted_and_none() {
        for (text, expected) in [
            ("PageNumberPagination", Some(PaginationClass::PageNumber)),
            (
                "rest_framework.pagination.LimitOffsetPagination",
                Some(PaginationClass::LimitOffset),
            ),
            (" CursorPagination ", Some(PaginationClass::Cursor)),
            ("", None),
            ("None", None),
        ] {
            assert_eq!(
                PaginationClass::parse_setting(text).ok(),
                Some(expected),
                "{text}"
            );
        }
        let err = PaginationClass::parse_setting("PageNumber")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "unknown pagination class \"PageNumber\"; use PageNumberPagination, \
                 LimitOffsetPagination, CursorPagination (or rest_framework.pagination.<name>)"
            )
        );
        assert!(PaginationClass::parse_setting("rest_framework.filters.CursorPagination").is_err());
    }

    #[test]
    fn filter_lists() {
        assert_eq!(
            FilterBackend::parse_list(
                "SearchFilter, rest_framework.filters.OrderingFilter,,SearchFilter"
            )
            .ok(),
            Some(vec![FilterBackend::Search, FilterBackend::Ordering])
        );
        assert_eq!(FilterBackend::parse_list("").ok(), Some(vec![]));
        assert!(FilterBackend::parse_list("DjangoFilterBackend").is_err());
        assert_eq!(FilterBackend::Ordering.to_string(), "OrderingFilter");
    }
}
