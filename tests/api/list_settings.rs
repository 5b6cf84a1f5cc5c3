//! The list settings refuse what cannot work, naming the key and where it
//! came from: a paginator without a page size, names that are no class, a
//! per-route setting on a route that does not list.

use std::collections::HashMap;

use todoapi::settings;

use crate::helpers::*;

fn problems(pairs: &[(&str, &str)]) -> String {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match settings::load(&config_dir(), &env) {
        Ok(_) => panic!("settings {pairs:?} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_values_name_their_key_and_origin() {
    for (pairs, needles) in [
        (
            vec![(
                "APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS",
                "CursorPagination",
            )],
            vec![
                "rest_framework.page_size (from ",
                "a pagination class is set, so the page size must be too",
            ],
        ),
        (
            vec![(
                "APP__REST_FRAMEWORK__PAGINATION__TASK_LIST",
                "PageNumberPagination",
            )],
            vec!["rest_framework.page_size", "must be too"],
        ),
        (
            vec![(
                "APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS",
                "PageNumber",
            )],
            vec![
                "rest_framework.default_pagination_class (from environment variable APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS)",
                "unknown pagination class \"PageNumber\"; use PageNumberPagination, LimitOffsetPagination, CursorPagination",
            ],
        ),
        (
            vec![(
                "APP__REST_FRAMEWORK__DEFAULT_FILTER_BACKENDS",
                "SearchFilter,DjangoFilterBackend",
            )],
            vec![
                "rest_framework.default_filter_backends (from environment variable",
                "unknown filter backend \"DjangoFilterBackend\"; use SearchFilter, OrderingFilter",
            ],
        ),
        (
            vec![("APP__REST_FRAMEWORK__FILTERS__TASK_LIST", "Nope")],
            vec![
                "rest_framework.filters.task_list (from environment variable APP__REST_FRAMEWORK__FILTERS__TASK_LIST)",
            ],
        ),
        (
            vec![
                ("APP__REST_FRAMEWORK__PAGE_SIZE", "50"),
                ("APP__REST_FRAMEWORK__MAX_PAGE_SIZE", "10"),
                ("APP__REST_FRAMEWORK__MAX_LIMIT", "0"),
            ],
            vec![
                "rest_framework.max_page_size (from environment variable APP__REST_FRAMEWORK__MAX_PAGE_SIZE): must be at least 1 and at least rest_framework.page_size (50)",
                "rest_framework.max_limit (from",
            ],
        ),
        (
            vec![("APP__REST_FRAMEWORK__PAGE_SIZE_QUERY_PARAM", "page size")],
            vec![
                "rest_framework.page_size_query_param",
                "is not a query parameter name",
            ],
        ),
        (
            vec![("APP__REST_FRAMEWORK__ORDERING_PARAM", "search")],
            vec![
                "rest_framework.ordering_param",
                "must differ from rest_framework.search_param",
            ],
        ),
    ] {
        let mut all = vec![("APP_ENV", "test")];
        all.extend(pairs.iter().copied());
        let text = problems(&all);
        for needle in needles {
            assert!(text.contains(needle), "{pairs:?}: {text} lacks {needle}");
        }
    }
}

/// Only a list route paginates and filters: `check` and `serve` say so.
#[test]
fn a_list_setting_on_a_route_that_does_not_list_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("db.sqlite3").display().to_string();
    for command in ["check", "serve"] {
        let out = todoapi(
            &[command],
            &[
                ("APP_ENV", "test"),
                ("APP__DATABASE__URL", &db),
                ("APP__REST_FRAMEWORK__PAGE_SIZE", "10"),
                (
                    "APP__REST_FRAMEWORK__PAGINATION__TASK_DETAIL",
                    "CursorPagination",
                ),
                ("APP__REST_FRAMEWORK__FILTERS__TASKS", "SearchFilter"),
            ],
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.status.success(), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for needle in [
            "rest_framework.pagination.task_detail (from environment variable APP__REST_FRAMEWORK__PAGINATION__TASK_DETAIL): route \"task-detail\" does not list; list routes are task-list",
            "rest_framework.filters.tasks (from environment variable APP__REST_FRAMEWORK__FILTERS__TASKS): unknown route \"tasks\"",
        ] {
            assert!(
                stderr.contains(needle),
                "{command}: {stderr} lacks {needle}"
            );
        }
    }
}
