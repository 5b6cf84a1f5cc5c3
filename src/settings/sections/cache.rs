//! `[cache]`, Django's `CACHES`: where shared counters live (the throttles'
//! today). Local memory serves one process; replicas share a Redis.

use std::fmt;

use url::Url;

use crate::settings::declare::{positive, section};

section! {
    pub struct CacheSettings at "cache" {
        /// empty = local memory (one process; each replica counts alone); redis://[:password@]host:port/db = shared by replicas
        pub url: CacheUrl = r#""""#;
        /// prefix of every key the server writes (Django's KEY_PREFIX): replicas of one deployment share it
        pub key_prefix: String = r#""todoapi""#;
        /// the longest a request waits on the cache; then it is treated as unavailable
        pub timeout_ms: u64 = "100", check positive;
        /// when the cache cannot be reached: false lets requests through (a warning in the log), true answers 503
        pub refuse_when_unavailable: bool = "false";
    }
}

/// Where the cache is: this process's memory, or a Redis server.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum CacheUrl {
    #[default]
    Local,
    Redis(Url),
}

impl CacheUrl {
    pub fn parse(raw: &str) -> Result<CacheUrl, String> {
        let raw = raw.trim();
        if raw.is_empty() || raw == "locmem://" {
            return Ok(CacheUrl::Local);
        }
        let url =
            Url::parse(raw).map_err(|e| format!("is not a URL ({e}); use redis://host:port/db"))?;
        match url.scheme() {
            "redis" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(CacheUrl::Redis(url)),
            "redis" => Err("names no host; use redis://host:port/db".into()),
            other => Err(format!(
                "has the scheme {other:?}; use redis://host:port/db, or leave it empty for local memory"
            )),
        }
    }

    /// The URL with any password replaced, for logs and `todoapi check`.
    pub fn redacted(&self) -> String {
        match self {
            CacheUrl::Local => String::new(),
            CacheUrl::Redis(url) => {
                let mut url = url.clone();
                if url.password().is_some() {
                    let _ = url.set_password(Some("********"));
                }
                url.to_string()
            }
        }
    }
}

impl fmt::Debug for CacheUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_the_cache_is() {
        assert_eq!(CacheUrl::parse(""), Ok(CacheUrl::Local));
        let redis = CacheUrl::parse("redis://:s3cret@127.0.0.1:6379/2");
        assert!(matches!(&redis, Ok(CacheUrl::Redis(u)) if u.port() == Some(6379)));
        assert_eq!(
            redis.map(|r| r.redacted()),
            Ok("redis://:********@127.0.0.1:6379/2".into())
        );
        for bad in ["memcached://127.0.0.1", "redis://", "127.0.0.1:6379"] {
            assert!(CacheUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
