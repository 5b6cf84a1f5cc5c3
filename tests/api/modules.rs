//! The modules depend one way. Each top-level module of `src/` may use only
//! the ones listed for it here, and the list has no circle: settings and
//! policy are leaves, the database knows nothing of HTTP or auth, the API and
//! auth sit on top, startup assembles them. A new dependency is a change to
//! this table, made on purpose.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, &[&str])] = &[
    ("policy", &[]),
    ("settings", &["policy"]),
    ("db", &["settings"]),
    // error.rs renders the database's own error type (db::error).
    ("error", &["db"]),
    // CORS, limits, trusted proxies, static files: no resource, no DRF.
    ("http", &["error", "settings"]),
    ("auth", &["db", "error", "policy", "settings"]),
    ("state", &["auth", "db", "settings"]),
    // The DRF layer: it knows no resource.
    (
        "rest",
        &["auth", "db", "error", "http", "policy", "settings", "state"],
    ),
    (
        "resources",
        &["auth", "db", "error", "policy", "rest", "settings", "state"],
    ),
    // Only startup (and the CLI) know the development issuer.
    (
        "dev_issuer",
        &["auth", "error", "http", "rest", "settings", "state"],
    ),
    ("probe", &["settings"]),
    (
        "startup",
        &[
            "auth",
            "db",
            "dev_issuer",
            "http",
            "policy",
            "resources",
            "rest",
            "settings",
            "state",
        ],
    ),
];

fn sources(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join(format!("{module}.rs"))];
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.into_iter().filter(|f| f.is_file()).collect()
}

/// The top-level modules a module's files name as `crate::<module>`.
fn uses(module: &str, known: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in sources(module) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module && known.contains(name.as_str()) {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn modules_depend_one_way() {
    let known: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (module, allowed) in LAYERS {
        assert!(
            !sources(module).is_empty(),
            "src/{module} is gone: update LAYERS"
        );
        let used = uses(module, &known);
        let extra: Vec<&String> = used
            .iter()
            .filter(|u| !allowed.contains(&u.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{module} uses {extra:?}, beyond {allowed:?}"
        );
        graph.insert(module, used);
    }
    // No circle: each module's dependencies come earlier in LAYERS.
    for (i, (module, _)) in LAYERS.iter().enumerate() {
        let earlier: BTreeSet<&str> = LAYERS[..i].iter().map(|(m, _)| *m).collect();
        for dep in &graph[module] {
            assert!(
                earlier.contains(dep.as_str()),
                "{module} -> {dep} closes a circle"
            );
        }
    }
}
