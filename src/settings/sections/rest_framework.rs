//! `[rest_framework]`, DRF's `REST_FRAMEWORK`: permission classes,
//! pagination and filter backends, throttles and their rates, by default
//! and per route.

use crate::policy::{FilterBackend, PaginationClass, PermissionClass, Rate, ThrottleClass};
use crate::settings::declare::Reader;
use crate::settings::declare::{PerRoute, section};

section! {
    pub struct RestFrameworkSettings at "rest_framework" {
        /// DRF's DEFAULT_PERMISSION_CLASSES: the classes of routes that declare none, all must pass
        pub default_permission_classes: Vec<PermissionClass> = r#"["IsAuthenticated"]"#;
        /// one class, the older form: when set, it replaces default_permission_classes
        pub default_permission: Option<String> = r#""""#;
        /// DRF's DEFAULT_PAGINATION_CLASS: PageNumberPagination, LimitOffsetPagination or CursorPagination; empty = lists are bare arrays (the original)
        pub default_pagination_class: Option<PaginationClass> = r#""""#;
        /// DRF's DEFAULT_FILTER_BACKENDS: SearchFilter (?search=), OrderingFilter (?ordering=); empty = none (the original)
        pub default_filter_backends: Vec<FilterBackend> = "[]";
        /// DRF's SEARCH_PARAM: SearchFilter's query parameter
        pub search_param: String = r#""search""#, check parameter_name;
        /// DRF's ORDERING_PARAM: OrderingFilter's query parameter
        pub ordering_param: String = r#""ordering""#, check parameter_name;
        /// route name -> classes (a list, or a comma-separated string); wins over code and default
        pub permissions: PerRoute<Vec<PermissionClass>> = "{}";
        /// list route name -> its pagination class (None: unpaginated); wins over the default
        pub pagination: PerRoute<Option<PaginationClass>> = "{}";
        /// list route name -> its filter backends (a list, or a comma-separated string); wins over the default
        pub filters: PerRoute<Vec<FilterBackend>> = "{}";
        /// DRF's DEFAULT_THROTTLE_CLASSES: AnonRateThrottle, UserRateThrottle, ScopedRateThrottle; empty = no throttling (the original)
        pub default_throttle_classes: Vec<ThrottleClass> = "[]";
        /// DRF's DEFAULT_THROTTLE_RATES: scope (anon, user, or a view's throttle_scope) -> "N/s|m|h|d"
        pub default_throttle_rates: PerRoute<Rate> = "{}";
        /// route name -> its throttle classes (a list, or a comma-separated string; [] = none); wins over the default
        pub throttle_classes: PerRoute<Vec<ThrottleClass>> = "{}";
        /// route name -> its throttle_scope (ScopedRateThrottle's key in the rates); wins over code
        pub throttle_scope: PerRoute<String> = "{}";
    }
    nested {
        pub page: PageSettings,
    }
    derived {
        /// Every setting that names a route, for the check that the route exists.
        pub route_keys: Vec<RouteKey>,
    }
}

section! {
    /// DRF's `PAGE_SIZE` and the paginators' `page_size_query_param`,
    /// `max_page_size` and `max_limit`.
    #[derive(PartialEq, Eq)]
    pub struct PageSettings at "rest_framework" {
        /// DRF's PAGE_SIZE: items per page (LimitOffsetPagination's default limit); a pagination class needs it
        pub page_size: u64 = "0";
        /// a query parameter (e.g. page_size) with which a client sets the page size; empty = none
        pub page_size_query_param: Option<String> = r#""""#, check optional_parameter_name;
        /// the most page_size_query_param may ask for
        pub max_page_size: u64 = "1000";
        /// LimitOffsetPagination: the most ?limit= may ask for
        pub max_limit: u64 = "1000";
    }
}

/// A setting below a route name (`rest_framework.permissions.task-list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteKey {
    /// The route it names, as the router names routes.
    pub route: String,
    /// The key and where it came from, for messages.
    pub key: String,
    /// Only a route that lists may have it (pagination, filters).
    pub lists: bool,
}

/// A query parameter's name: what a URL may carry unescaped.
fn parameter_name(name: &str) -> Result<(), String> {
    let fine = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    match fine {
        true => Ok(()),
        false => Err(format!(
            "{name:?} is not a query parameter name (letters, digits, _ - .)"
        )),
    }
}

fn optional_parameter_name(name: &Option<String>) -> Result<(), String> {
    name.as_deref().map_or(Ok(()), parameter_name)
}

impl RestFrameworkSettings {
    /// DRF's `ImproperlyConfigured` at start-up rather than at a request:
    /// the anon and user classes need their rate wherever they are named
    /// (a view's own scope is checked by the router, which knows the views).
    fn settle_throttles(&mut self, r: &mut Reader) {
        let named = std::iter::once(&self.default_throttle_classes)
            .chain(self.throttle_classes.values())
            .flatten();
        let mut missing: Vec<&str> = named
            .filter_map(|class| class.fixed_scope())
            .filter(|scope| self.default_throttle_rates.get(scope).is_none())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        for scope in missing {
            r.problem(
                "rest_framework.default_throttle_rates",
                format!("no rate for the {scope:?} scope, which a throttle class in force needs (e.g. {scope} = \"100/day\")"),
            );
        }
    }

    /// A scope's rate; scopes are written as route names are (lower case, `-` for `_`).
    pub fn throttle_rate(&self, scope: &str) -> Option<Rate> {
        self.default_throttle_rates
            .get(&scope.to_lowercase().replace('_', "-"))
            .copied()
    }

    /// The rules between the section's values, and the route names it gives.
    pub(in crate::settings) fn settle(&mut self, r: &mut Reader) {
        if let Some(single) = &self.default_permission {
            match PermissionClass::parse_list(single) {
                Ok(classes) => self.default_permission_classes = classes,
                Err(e) => r.problem("rest_framework.default_permission", e.to_string()),
            }
        } else if self.default_permission_classes.is_empty() {
            r.problem(
                "rest_framework.default_permission_classes",
                "names no permission class; use AllowAny to let anyone in",
            );
        }
        let mut seen = Vec::new();
        self.default_filter_backends.retain(|b| {
            let first = !seen.contains(b);
            seen.push(*b);
            first
        });
        let paginated = self.default_pagination_class.is_some()
            || self.pagination.values().any(Option::is_some);
        if paginated && self.page.page_size == 0 {
            r.problem(
                "rest_framework.page_size",
                "a pagination class is set, so the page size must be too (DRF paginates nothing without PAGE_SIZE)",
            );
        }
        let page = &self.page;
        for (key, n) in [
            ("rest_framework.max_page_size", page.max_page_size),
            ("rest_framework.max_limit", page.max_limit),
        ] {
            if n == 0 || n < page.page_size {
                r.problem(
                    key,
                    format!(
                        "must be at least 1 and at least rest_framework.page_size ({})",
                        page.page_size
                    ),
                );
            }
        }
        if self.search_param == self.ordering_param {
            r.problem(
                "rest_framework.ordering_param",
                "must differ from rest_framework.search_param",
            );
        }
        self.settle_throttles(r);
        let tables = [
            (
                "rest_framework.permissions",
                false,
                self.permissions.written().collect::<Vec<_>>(),
            ),
            (
                "rest_framework.pagination",
                true,
                self.pagination.written().collect(),
            ),
            (
                "rest_framework.filters",
                true,
                self.filters.written().collect(),
            ),
            (
                "rest_framework.throttle_classes",
                false,
                self.throttle_classes.written().collect(),
            ),
            (
                "rest_framework.throttle_scope",
                false,
                self.throttle_scope.written().collect(),
            ),
        ];
        let mut route_keys = Vec::new();
        for (table, lists, written) in tables {
            for (route, as_written) in written {
                let key = format!("{table}.{as_written}");
                route_keys.push(RouteKey {
                    route: route.clone(),
                    key: format!("{key} (from {})", r.source_of(&key)),
                    lists,
                });
            }
        }
        self.route_keys = route_keys;
    }
}
