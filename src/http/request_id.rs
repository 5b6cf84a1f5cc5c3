//! Each request's ID, to follow it from the proxy's log into the server's:
//! the incoming `X-Request-Id` when it is well-formed (nginx's `$request_id`
//! is 32 hex digits), else one of ours ([`super::observe`] echoes it).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::HeaderName;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// The longest ID kept from a client or proxy.
pub const MAX_LEN: usize = 64;

/// Whether an incoming ID is kept: 1 to 64 of letters, digits, `-`, `_`, `.`
/// (nothing a log line or a header could be broken with).
pub fn well_formed(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 32 hex digits, as nginx's: this process's random half and a counter,
/// unique across replicas without a random draw per request.
pub fn new_id() -> String {
    static PROCESS: LazyLock<u64> = LazyLock::new(|| {
        let mut bytes = [0u8; 8];
        let _ = aws_lc_rs::rand::fill(&mut bytes);
        u64::from_le_bytes(bytes)
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{:016x}{:016x}",
        *PROCESS,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_ids_are_kept() {
        for good in [
            "a",
            "0123456789abcdef0123456789abcdef",
            "req-1_2.3",
            &"x".repeat(MAX_LEN),
        ] {
            assert!(well_formed(good.as_bytes()), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a\nb",
            "é",
            "a;b",
            "a/b",
            &"x".repeat(MAX_LEN + 1),
        ] {
            assert!(!well_formed(bad.as_bytes()), "{bad:?}");
        }
        let (one, two) = (new_id(), new_id());
        assert_ne!(one, two);
        assert_eq!(one.len(), 32);
        assert!(well_formed(one.as_bytes()) && one.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
