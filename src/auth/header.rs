//! Credentials from the `Authorization` header, by djangorestframework-jwt's
//! rules: split on whitespace, the prefix matched case-insensitively, another
//! scheme is no credentials at all.

use crate::error::AuthFailure;

/// The token in `Authorization: <prefix> <token>`; `Ok(None)` when the request
/// carries no credentials of ours (no header, or another scheme such as `Basic`).
pub fn bearer_token<'a>(
    header: Option<&'a [u8]>,
    prefix: &str,
) -> Result<Option<&'a str>, AuthFailure> {
    let Some(value) = header else {
        return Ok(None);
    };
    // Python's bytes.split(): runs of ASCII whitespace, vertical tab included.
    let mut parts = value
        .split(|b| b.is_ascii_whitespace() || *b == 0x0b)
        .filter(|p| !p.is_empty());
    let Some(scheme) = parts.next() else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case(prefix.as_bytes()) {
        return Ok(None);
    }
    let token = parts.next().ok_or(AuthFailure::NoCredentials)?;
    if parts.next().is_some() {
        return Err(AuthFailure::CredentialsWithSpaces);
    }
    // A token is ASCII (base64url and dots); anything else cannot be one.
    std::str::from_utf8(token)
        .ok()
        .filter(|t| t.is_ascii())
        .map(Some)
        .ok_or(AuthFailure::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &str) -> Result<Option<&str>, AuthFailure> {
        bearer_token(Some(h.as_bytes()), "Bearer")
    }

    #[test]
    fn follows_drf_splitting_rules() {
        assert_eq!(bearer_token(None, "Bearer"), Ok(None));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(parse("Bearer abc"), Ok(Some("abc")));
        assert_eq!(parse("bEaReR \t abc  "), Ok(Some("abc")));
        assert_eq!(parse("Bearer"), Err(AuthFailure::NoCredentials));
        assert_eq!(parse("Bearer a b"), Err(AuthFailure::CredentialsWithSpaces));
        assert_eq!(parse("JWT abc"), Ok(None));
        assert_eq!(parse("Basic YTpi"), Ok(None));
        assert_eq!(parse("Bearerabc"), Ok(None));
    }

    #[test]
    fn non_ascii_token_is_undecodable() {
        assert_eq!(
            bearer_token(Some("Bearer ab\u{e9}".as_bytes()), "Bearer"),
            Err(AuthFailure::Malformed)
        );
    }
}
