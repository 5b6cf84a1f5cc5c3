//! The modules depend one way. Each top-level module of `src/` may use only
//! the ones listed for it here, and the list has no circle: settings and
//! policy are leaves, the database knows nothing of HTTP or auth, the DRF
//! layer knows no resource, only startup knows the development issuer. And
//! below the top level too, no module reaches back to one that uses it
//! (a parent's own use of its children aside). A new dependency is a
//! change to this table, made on purpose.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, &[&str])] = &[
    ("policy", &[]),
    // Prometheus's handles: every part may record into them.
    ("metrics", &[]),
    ("settings", &["policy"]),
    ("db", &["metrics", "settings"]),
    // error.rs renders the database's own error type (db::error).
    ("error", &["db"]),
    // CORS, limits, trusted proxies, static files: no resource, no DRF.
    ("http", &["error", "metrics", "settings"]),
    ("auth", &["db", "error", "metrics", "policy", "settings"]),
    // Django's CACHES: it knows what it stores, not who counts.
    ("cache", &["settings"]),
    ("state", &["auth", "cache", "db", "metrics", "settings"]),
    // The DRF layer: it knows no resource.
    (
        "rest",
        &[
            "auth", "cache", "db", "error", "http", "metrics", "policy", "settings", "state",
        ],
    ),
    (
        "resources",
        &[
            "auth", "cache", "db", "error", "policy", "rest", "settings", "state",
        ],
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
            "cache",
            "db",
            "dev_issuer",
            "error",
            "http",
            "metrics",
            "policy",
            "resources",
            "rest",
            "settings",
            "state",
        ],
    ),
];

/// Every module of the library: its path (`rest::router`) and its file.
fn modules() -> BTreeMap<String, PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(&src) else {
                continue;
            };
            let text = relative.to_string_lossy();
            let Some(stem) = text.strip_suffix(".rs") else {
                continue;
            };
            // The binary's own files (main.rs and its cli/) call the library
            // as `todoapi::`; they are none of its modules.
            if stem == "lib" || stem == "main" || stem.starts_with("cli/") {
                continue;
            }
            let name = stem.trim_end_matches("/mod").replace('/', "::");
            found.insert(name, path);
        }
    }
    found
}

/// The paths after `prefix` in `text`, a `{a, b::{c, d}}` group read as
/// each of its paths.
fn paths_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(prefix) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        expand(&text[i + prefix.len()..], String::new(), &mut out);
    }
    out
}

/// Reads one path (or group) at the start of `rest`, each result prefixed.
fn expand(rest: &str, prefix: String, out: &mut Vec<String>) {
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(inner[start..i].trim(), prefix.clone(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(inner[start..i].trim(), prefix.clone(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let joined = match prefix.is_empty() {
        true => name.clone(),
        false => format!("{prefix}::{name}"),
    };
    match rest[name.len()..].strip_prefix("::") {
        Some(more) if !name.is_empty() => expand(more, joined, out),
        _ => out.push(joined),
    }
}

/// The modules a module's file names: through `crate::`, `super::` and its
/// own child modules; each reference taken to the longest module it names.
fn uses(module: &str, file: &Path, known: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    // Code only: a doc comment's link is not a use.
    let text: String = std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    // A `mod.rs` (or a top-level file) is the module itself; `super` is its parent.
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p).to_owned();
    let mut named: Vec<String> = paths_after(&text, "crate::");
    for path in paths_after(&text, "super::") {
        named.push(match parent.is_empty() {
            true => path,
            false => format!("{parent}::{path}"),
        });
    }
    for path in paths_after(&text, "self::") {
        named.push(format!("{module}::{path}"));
    }
    let children: Vec<&String> = known
        .keys()
        .filter(|k| {
            k.strip_prefix(module)
                .is_some_and(|r| r.starts_with("::") && !r[2..].contains("::"))
        })
        .collect();
    for child in children {
        let short = &child[module.len() + 2..];
        if !paths_after(&text, &format!("{short}::")).is_empty() {
            named.push(child.clone());
        }
    }
    named
        .into_iter()
        .filter_map(|path| {
            let mut segments: Vec<&str> = path.split("::").collect();
            while !segments.is_empty() {
                let candidate = segments.join("::");
                if known.contains_key(&candidate) {
                    return Some(candidate);
                }
                segments.pop();
            }
            None
        })
        // A module may use itself, and its own children.
        .filter(|target| target != module && !target.starts_with(&format!("{module}::")))
        .collect()
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn modules_depend_one_way() {
    let known = modules();
    let graph: BTreeMap<&String, BTreeSet<String>> = known
        .iter()
        .map(|(module, file)| (module, uses(module, file, &known)))
        .collect();
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    for (module, used) in &graph {
        let Some(allowed) = layers.get(top(module)) else {
            panic!("src/{} is not in LAYERS", top(module));
        };
        for target in used {
            let to = top(target);
            assert!(
                to == top(module) || allowed.contains(&to),
                "{module} uses {target}, beyond {allowed:?}"
            );
        }
    }
    // No circle among the top-level modules: each one's come earlier.
    for (i, (module, allowed)) in LAYERS.iter().enumerate() {
        assert!(
            known.contains_key(*module),
            "src/{module} is gone: update LAYERS"
        );
        for dep in allowed.iter() {
            assert!(
                LAYERS[..i].iter().any(|(m, _)| m == dep),
                "{module} -> {dep} closes a circle"
            );
        }
    }
    // No circle anywhere below them.
    for start in graph.keys() {
        let mut stack: Vec<(String, Vec<String>)> =
            vec![((*start).clone(), vec![(*start).clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in graph.get(&at).into_iter().flatten() {
                assert!(next != *start, "a circle: {} -> {next}", trail.join(" -> "));
                if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
}

#[test]
fn the_reader_finds_groups_and_nested_paths() {
    assert_eq!(
        paths_after("use crate::{db::Db, rest::{route::X, view}};", "crate::"),
        ["db::Db", "rest::route::X", "rest::view"]
    );
    assert_eq!(
        paths_after("a::crate::b; crate::c::d(", "crate::"),
        ["c::d"]
    );
}
