//! `[tasks]` and `[cors]`: whose tasks a user sees, and which browser
//! origins may call.

use url::Url;

use crate::policy::Ownership;
use crate::settings::declare::section;

section! {
    pub struct TasksSettings at "tasks" {
        /// shared (everyone sees every task, the original at v1.11) or creator (each sees their own, v1.14)
        pub ownership: Ownership = r#""shared""#;
    }
}

section! {
    pub struct CorsSettings at "cors" {
        /// origins a browser may call from (* any); empty = none
        pub allowed_origins: Vec<String> = "[]", check origins;
    }
}

fn origins(origins: &[String]) -> Result<(), String> {
    let bad: Vec<String> = origins.iter().filter_map(|o| origin(o).err()).collect();
    match bad.is_empty() {
        true => Ok(()),
        false => Err(bad.join("; ")),
    }
}

/// https anywhere; plain http only to loopback (tests and development).
fn origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let url = Url::parse(origin)
        .map_err(|_| format!("{origin:?} is not an origin such as \"https://app.example.com\""))?;
    let bare = url.path() == "/" && !origin.ends_with('/');
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !bare
        || url.query().is_some()
    {
        return Err(format!(
            "{origin:?} is not an origin such as \"https://app.example.com\" (scheme, host and port only)"
        ));
    }
    Ok(())
}
