//! The `rest_framework` section, DRF's `REST_FRAMEWORK`: permission classes,
//! pagination and filter backends, by default and per route.

use std::collections::BTreeMap;

use super::Reader;
use crate::policy::{FilterBackend, PaginationClass, PermissionClass};
use crate::settings::{PageSettings, RestFrameworkSettings, RouteKey};

/// A query parameter's name: what a URL may carry unescaped.
fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub(super) fn rest_framework(r: &mut Reader) -> RestFrameworkSettings {
    let classes = |r: &mut Reader, key: &str, text: &str| -> Vec<PermissionClass> {
        match PermissionClass::parse_list(text) {
            Ok(classes) => classes,
            Err(e) => {
                r.problem(key, e.to_string());
                vec![PermissionClass::IsAuthenticated]
            }
        }
    };
    let single = r.text("rest_framework.default_permission");
    let default_permission_classes = if single.trim().is_empty() {
        let list = r
            .list("rest_framework.default_permission_classes")
            .join(",");
        classes(r, "rest_framework.default_permission_classes", &list)
    } else {
        classes(r, "rest_framework.default_permission", &single)
    };
    let mut route_keys = Vec::new();
    let permissions = per_route(
        r,
        "rest_framework.permissions",
        false,
        &mut route_keys,
        classes,
    );

    let pagination_class = |r: &mut Reader, key: &str, text: &str| {
        PaginationClass::parse_setting(text).unwrap_or_else(|e| {
            r.problem(key, e.to_string());
            None
        })
    };
    let key = "rest_framework.default_pagination_class";
    let text = r.text(key);
    let default_pagination_class = pagination_class(r, key, &text);
    let pagination = per_route(
        r,
        "rest_framework.pagination",
        true,
        &mut route_keys,
        pagination_class,
    );
    let page = page(r);
    let paginated = default_pagination_class.is_some() || pagination.values().any(Option::is_some);
    if paginated && page.page_size == 0 {
        r.problem(
            "rest_framework.page_size",
            "a pagination class is set, so the page size must be too (DRF paginates nothing without PAGE_SIZE)",
        );
    }

    let backends = |r: &mut Reader, key: &str, text: &str| {
        FilterBackend::parse_list(text).unwrap_or_else(|e| {
            r.problem(key, e.to_string());
            Vec::new()
        })
    };
    let key = "rest_framework.default_filter_backends";
    let text = r.list(key).join(",");
    let default_filter_backends = backends(r, key, &text);
    let filters = per_route(r, "rest_framework.filters", true, &mut route_keys, backends);
    let mut parameter = |key: &str| {
        let name = r.text(key).trim().to_owned();
        if !is_parameter_name(&name) {
            r.problem(
                key,
                format!("{name:?} is not a query parameter name (letters, digits, _ - .)"),
            );
        }
        name
    };
    let search_param = parameter("rest_framework.search_param");
    let ordering_param = parameter("rest_framework.ordering_param");
    if search_param == ordering_param {
        r.problem(
            "rest_framework.ordering_param",
            "must differ from rest_framework.search_param",
        );
    }
    RestFrameworkSettings {
        default_permission_classes,
        permissions,
        default_pagination_class,
        pagination,
        page,
        default_filter_backends,
        filters,
        search_param,
        ordering_param,
        route_keys,
    }
}

/// A table keyed by route name (`<map>.<route>`), each value read by `parse`.
fn per_route<T>(
    r: &mut Reader,
    map: &str,
    lists: bool,
    route_keys: &mut Vec<RouteKey>,
    mut parse: impl FnMut(&mut Reader, &str, &str) -> T,
) -> BTreeMap<String, T> {
    let mut out = BTreeMap::new();
    for (route, text) in r.map(map) {
        // Environment variable names cannot hold '-': TASK_LIST means task-list.
        let name = route.to_lowercase().replace('_', "-");
        let key = format!("{map}.{route}");
        route_keys.push(RouteKey {
            route: name.clone(),
            key: format!("{key} (from {})", r.sources.of(&key)),
            lists,
        });
        let value = parse(r, &key, &text);
        out.insert(name, value);
    }
    out
}

fn page(r: &mut Reader) -> PageSettings {
    let page_size: u64 = r.integer("rest_framework.page_size");
    let param = r
        .text("rest_framework.page_size_query_param")
        .trim()
        .to_owned();
    if !param.is_empty() && !is_parameter_name(&param) {
        r.problem(
            "rest_framework.page_size_query_param",
            format!("{param:?} is not a query parameter name (letters, digits, _ - .)"),
        );
    }
    let mut at_least_page_size = |key: &str| {
        let n: u64 = r.integer(key);
        if n == 0 || n < page_size {
            r.problem(
                key,
                format!("must be at least 1 and at least rest_framework.page_size ({page_size})"),
            );
        }
        n
    };
    let max_page_size = at_least_page_size("rest_framework.max_page_size");
    let max_limit = at_least_page_size("rest_framework.max_limit");
    PageSettings {
        page_size,
        page_size_query_param: Some(param).filter(|p| !p.is_empty()),
        max_page_size,
        max_limit,
    }
}
