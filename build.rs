// The migrations are embedded in the binary: rebuild when one changes.
// The git commit goes into the metrics' build info: TODOAPI_GIT_COMMIT when
// set (an image built without .git), else `git rev-parse`, else "unknown".
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=TODOAPI_GIT_COMMIT");
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = std::env::var("TODOAPI_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            std::process::Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|c| c.trim().to_owned())
        })
        .filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric()) && !c.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=TODOAPI_GIT_COMMIT={commit}");
}
