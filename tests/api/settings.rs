//! The settings layers and their validation, through the library and the binary.

use std::collections::HashMap;
use std::path::Path;

use todoapi::settings::{self, DatabaseUrl, Profile};

use crate::helpers::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A config folder with the project's default.toml and the given profile files.
fn config_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        config_dir().join("default.toml"),
        dir.path().join("default.toml"),
    )
    .unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn load_err(dir: &Path, pairs: &[(&str, &str)]) -> String {
    match settings::load(dir, &env(pairs)) {
        Ok(_) => panic!("settings {pairs:?} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn layers_apply_in_order_file_then_environment() {
    let dir = config_with(&[
        (
            "test.toml",
            "[server]\nport = 1111\nworkers = 3\n[database]\npool_size = 3\n",
        ),
        ("local.toml", "[server]\nport = 2222\n"),
    ]);
    let base = [("APP_ENV", "test")];
    let s = settings::load(dir.path(), &env(&base)).unwrap();
    assert_eq!(s.profile, Profile::Test);
    assert_eq!(
        (s.server.port, s.server.workers, s.database.pool_size),
        (2222, 3, 3)
    );
    assert_eq!(
        s.sources.of("server.port"),
        dir.path().join("local.toml").display().to_string()
    );
    assert_eq!(
        s.sources.of("server.workers"),
        dir.path().join("test.toml").display().to_string()
    );
    assert_eq!(
        s.sources.of("server.host"),
        dir.path().join("default.toml").display().to_string()
    );

    let s = settings::load(
        dir.path(),
        &env(&[("APP_ENV", "test"), ("APP__SERVER__PORT", "3333")]),
    )
    .unwrap();
    assert_eq!(s.server.port, 3333);
    assert_eq!(
        s.sources.of("server.port"),
        "environment variable APP__SERVER__PORT"
    );

    std::fs::remove_file(dir.path().join("local.toml")).unwrap();
    let s = settings::load(dir.path(), &env(&base)).unwrap();
    assert_eq!(s.server.port, 1111);
    // Without APP_ENV the development profile applies (its file may be absent).
    let s = settings::load(dir.path(), &env(&[])).unwrap();
    assert_eq!((s.profile, s.server.port), (Profile::Development, 8000));
}

#[test]
fn seed_names_are_aliases_below_app_variables() {
    let dir = config_with(&[]);
    let s = settings::load(
        dir.path(),
        &env(&[
            ("AUTH0_DOMAIN", "example.eu.auth0.com"),
            ("API_IDENTIFIER", "https://todo.example.com"),
            ("DATABASE_URL", "postgres://todo:pw@db.internal/todo"),
        ]),
    )
    .unwrap();
    assert_eq!(s.auth.domain.as_deref(), Some("example.eu.auth0.com"));
    assert_eq!(
        s.auth.tenant.as_ref().map(|t| t.issuer.as_str()),
        Some("https://example.eu.auth0.com/")
    );
    assert_eq!(
        s.auth.tenant.as_ref().map(|t| t.jwks_uri.to_string()),
        Some("https://example.eu.auth0.com/.well-known/jwks.json".to_owned())
    );
    assert_eq!(s.auth.audience, vec!["https://todo.example.com".to_owned()]);
    assert_eq!(
        s.database.url,
        DatabaseUrl::Postgres("postgres://todo:pw@db.internal/todo".into())
    );
    assert_eq!(
        s.sources.of("auth.domain"),
        "environment variable AUTH0_DOMAIN"
    );

    let s = settings::load(
        dir.path(),
        &env(&[
            ("AUTH0_DOMAIN", "alias.auth0.com"),
            ("APP__AUTH__DOMAIN", "winner.auth0.com"),
        ]),
    )
    .unwrap();
    assert_eq!(s.auth.domain.as_deref(), Some("winner.auth0.com"));
}

#[test]
fn bad_values_stop_start_up_naming_key_and_origin() {
    let dir = config_with(&[("local.toml", "[auth]\njwks_uri = \"not a url\"\n")]);
    let message = load_err(dir.path(), &[]);
    assert!(
        message.contains("auth.jwks_uri") && message.contains("local.toml"),
        "{message}"
    );

    let dir = config_with(&[]);
    // (variables, what the message must name)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        (
            vec![("APP__REST_FRAMEWORK__DEFAULT_PERMISSION", "IsOwner")],
            &[
                "rest_framework.default_permission",
                "environment variable APP__REST_FRAMEWORK__DEFAULT_PERMISSION",
                "IsOwner",
            ],
        ),
        (
            vec![("APP_ENV", "production"), ("AUTH0_DOMAIN", "x.auth0.com")],
            &["auth.audience", "production"],
        ),
        (
            vec![("APP_ENV", "production"), ("API_IDENTIFIER", "https://api")],
            &["auth.domain", "production"],
        ),
        (
            vec![("APP__AUTH__ALGORITHMS", "RS256,HS256")],
            &["auth.algorithms", "HS256", "auth.secret"],
        ),
        (
            vec![("APP__AUTH__ALGORITHMS", "none")],
            &["auth.algorithms", "never"],
        ),
        (
            vec![
                ("APP__AUTH__JWKS_URI", "http://tenant.example/jwks.json"),
                ("APP__AUTH__ISSUER", "https://t/"),
            ],
            &["auth.jwks_uri", "https"],
        ),
        (
            vec![("APP__AUTH__DOMAIN", "https://x.auth0.com/")],
            &["auth.domain", "not a URL"],
        ),
        (
            vec![("APP__AUTH__USERNAME_HANDLER", "email")],
            &["auth.username_handler", "claim:<name>"],
        ),
        (
            vec![("APP__DATABASE__URL", "mysql://db/x")],
            &["database.url", "scheme"],
        ),
        (
            vec![("APP__CORS__ALLOWED_ORIGINS", "localhost:4200")],
            &["cors.allowed_origins"],
        ),
        (
            vec![("APP__SERVER__PORT", "eighty")],
            &["server.port", "APP__SERVER__PORT"],
        ),
        (vec![("APP_ENV", "staging")], &["APP_ENV", "staging"]),
        (
            vec![
                ("APP__AUTH__DEV_ISSUER__ENABLED", "true"),
                ("APP__AUTH__DEV_ISSUER__CLIENT_SECRET", ""),
            ],
            &[
                "auth.dev_issuer.client_secret (from environment variable APP__AUTH__DEV_ISSUER__CLIENT_SECRET)",
            ],
        ),
        (
            vec![("APP__SERVER__TIME_ZONE", "Mars/Olympus_Mons")],
            &[
                "server.time_zone",
                "APP__SERVER__TIME_ZONE",
                "Mars/Olympus_Mons",
                "IANA",
            ],
        ),
    ];
    for (pairs, expected) in cases {
        let message = load_err(dir.path(), &pairs);
        for needle in expected {
            assert!(
                message.contains(needle),
                "{pairs:?}: {message:?} lacks {needle:?}"
            );
        }
    }
}

fn run(args: &[&str], pairs: &[(&str, &str)]) -> std::process::Output {
    todoapi(args, pairs).output().expect("run todoapi")
}

#[test]
fn check_prints_effective_settings_with_secrets_redacted() {
    let out = run(
        &["check"],
        &[
            ("APP_ENV", "test"),
            ("APP__AUTH__SECRET", "hunter2-hunter2"),
            (
                "APP__DATABASE__URL",
                "postgres://todo:s3cr3tpw@db.internal/todo",
            ),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("auth.secret = \"********\""), "{stdout}");
    assert!(
        stdout.contains("postgres://todo:********@db.internal/todo"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("hunter2") && !stdout.contains("s3cr3tpw"),
        "{stdout}"
    );
    assert!(
        stdout.contains("# environment variable APP__AUTH__SECRET"),
        "{stdout}"
    );

    let out = run(&["check"], &[("APP__SERVER__TIME_ZONE", "Europe/Paris")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "server.time_zone = \"Europe/Paris\"  # environment variable APP__SERVER__TIME_ZONE"
        ),
        "{stdout}"
    );

    let out = run(&["check"], &[("AUTH0_DOMAIN", "example.eu.auth0.com")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("auth.issuer = \"https://example.eu.auth0.com/\"  # from auth.domain"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "auth.domain = \"example.eu.auth0.com\"  # environment variable AUTH0_DOMAIN"
        ),
        "{stdout}"
    );

    let out = run(
        &["check"],
        &[("APP__REST_FRAMEWORK__DEFAULT_PERMISSION", "Nope")],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rest_framework.default_permission"),
        "{stderr}"
    );
}

/// Route names come from the router, so a setting naming a route nobody
/// registered is refused where the routes are known: by `check` and `serve`.
#[test]
fn a_route_nobody_registered_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3").display().to_string();
    for command in ["check", "serve"] {
        let out = run(
            &[command],
            &[
                ("APP_ENV", "test"),
                ("APP__DATABASE__URL", &db),
                ("APP__REST_FRAMEWORK__PERMISSIONS__TASK_LISTS", "AllowAny"),
            ],
        );
        assert!(!out.status.success(), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for needle in [
            "rest_framework.permissions.task_lists",
            "environment variable APP__REST_FRAMEWORK__PERMISSIONS__TASK_LISTS",
            "unknown route \"task-lists\"",
            "api-root, api-schema, task-list, task-detail, health, ready",
        ] {
            assert!(
                stderr.contains(needle),
                "{command}: {stderr} lacks {needle}"
            );
        }
    }
    assert!(
        !dir.path().join("db.sqlite3").exists(),
        "refused before the database"
    );
}

#[test]
fn serve_refuses_invalid_settings() {
    let out = run(&["serve"], &[("APP_ENV", "production")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("auth.domain") && stderr.contains("auth.audience"),
        "{stderr}"
    );
}

/// `config/default.toml` and docs/configuration.md's table are the schema's rendering.
#[test]
fn default_toml_and_the_settings_table_come_from_the_schema() {
    use todoapi::settings::schema;
    let file = std::fs::read_to_string(config_dir().join("default.toml")).unwrap_or_default();
    assert_eq!(
        file,
        schema::default_toml(),
        "config/default.toml differs from the schema: run `make settings-docs`"
    );
    let docs =
        std::fs::read_to_string(config_dir().join("../docs/configuration.md")).unwrap_or_default();
    let table = schema::settings_table(&schema::profile_defaults(&config_dir()));
    assert!(
        docs.contains(&table),
        "docs/configuration.md's settings table differs from the schema: run `make settings-docs`:\n{table}"
    );
}

/// A key nobody declared (a typo, a setting of another version) stops
/// start-up, naming it, where it came from and the key meant.
#[test]
fn unknown_keys_are_refused_with_the_nearest_known_one() {
    let dir = config_with(&[(
        "local.toml",
        "[servre]\nport = 9000\n\n[database]\npool = 4\n",
    )]);
    let message = load_err(
        dir.path(),
        &[
            ("APP__AUTH__AUDEINCE", "https://api"),
            ("APP__NOTHING_LIKE_IT", "1"),
        ],
    );
    for needle in [
        "auth.audeince (from environment variable APP__AUTH__AUDEINCE): unknown setting; did you mean auth.audience?",
        "nothing_like_it (from environment variable APP__NOTHING_LIKE_IT): unknown setting",
        "servre.port (from ",
        "did you mean server.port?",
        "database.pool (from ",
        "did you mean database.pool_size?",
    ] {
        assert!(message.contains(needle), "{message} lacks {needle:?}");
    }
    // Route names below rest_framework.permissions are the router's to judge.
    let dir = config_with(&[]);
    let env = env(&[("APP__REST_FRAMEWORK__PERMISSIONS__TASK_LIST", "AllowAny")]);
    assert!(settings::load(dir.path(), &env).is_ok());
    // check says the same.
    let out = run(&["check"], &[("APP__SERVER__PROT", "1")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean server.port?"), "{stderr}");
}
