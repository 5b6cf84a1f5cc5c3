//! What the development issuer remembers for browsers, in memory (a restart
//! signs everyone out): who signed in, by session cookie; the authorization
//! codes it handed out (one use, bound to client, redirect URI and PKCE
//! challenge, a minute long); each user's profile for `/userinfo`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::constant_time_eq;

/// How long a code may wait for its exchange.
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// Bounds on what is kept, so that a loop of sign-ins cannot grow it forever.
const MAX_SESSIONS: usize = 1024;
const MAX_CODES: usize = 1024;

/// Who signed in on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub sub: String,
    pub name: String,
    pub email: String,
    /// Added to the token's `permissions` (Auth0 RBAC).
    pub permissions: Vec<String>,
}

impl SignIn {
    /// Auth0's `nickname`: the part of the `sub` after its connection.
    pub fn nickname(&self) -> &str {
        self.sub.rsplit('|').next().unwrap_or(&self.sub)
    }
}

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    /// PKCE, S256: base64url(SHA-256(verifier)).
    pub code_challenge: String,
    pub scope: String,
    pub audience: String,
    pub nonce: Option<String>,
    pub user: SignIn,
}

/// Why a code was refused at the token endpoint (all `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("Invalid authorization code")]
    Unknown,
    #[error("The authorization code has expired")]
    Expired,
    #[error("The authorization code was issued to another client")]
    WrongClient,
    #[error("The redirect_uri differs from the one the code was issued for")]
    WrongRedirect,
    #[error("Failed to verify code verifier")]
    WrongVerifier,
}

#[derive(Default)]
struct Sessions {
    by_id: HashMap<String, SignIn>,
    order: VecDeque<String>,
}

#[derive(Default)]
pub struct Browsers {
    sessions: Mutex<Sessions>,
    codes: Mutex<HashMap<String, (Grant, Instant)>>,
    profiles: Mutex<HashMap<String, SignIn>>,
}

/// 32 random bytes, base64url: a session id or a code.
fn random_id() -> String {
    let mut bytes = [0u8; 32];
    // The system's generator does not fail on Linux; zeros would only make ids collide.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a code issued at `issued` may still be exchanged at `now`.
fn is_live(issued: Instant, now: Instant) -> bool {
    now.saturating_duration_since(issued) < CODE_LIFETIME
}

/// PKCE's S256 (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

impl Browsers {
    /// Remembers who signed in; returns the session id for the cookie.
    pub fn sign_in(&self, user: SignIn) -> String {
        let id = random_id();
        if let Ok(mut profiles) = self.profiles.lock() {
            if profiles.len() >= MAX_SESSIONS && !profiles.contains_key(&user.sub) {
                profiles.clear();
            }
            profiles.insert(user.sub.clone(), user.clone());
        }
        if let Ok(mut sessions) = self.sessions.lock() {
            // One in, at most one out: the store never holds more than MAX_SESSIONS.
            if sessions.order.len() >= MAX_SESSIONS
                && let Some(oldest) = sessions.order.pop_front()
            {
                sessions.by_id.remove(&oldest);
            }
            sessions.order.push_back(id.clone());
            sessions.by_id.insert(id.clone(), user);
        }
        id
    }

    pub fn session(&self, id: &str) -> Option<SignIn> {
        self.sessions.lock().ok()?.by_id.get(id).cloned()
    }

    pub fn sign_out(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.by_id.remove(id);
            sessions.order.retain(|s| s != id);
        }
    }

    /// The profile of whoever last signed in as `sub`.
    pub fn profile(&self, sub: &str) -> Option<SignIn> {
        self.profiles.lock().ok()?.get(sub).cloned()
    }

    /// A code for `grant`. When `MAX_CODES` codes are waiting, the new one
    /// is not kept (its exchange fails), so a flood cannot grow the store.
    pub fn issue_code(&self, grant: Grant) -> String {
        self.issue_code_at(grant, Instant::now())
    }

    fn issue_code_at(&self, grant: Grant, now: Instant) -> String {
        let code = random_id();
        if let Ok(mut codes) = self.codes.lock() {
            codes.retain(|_, (_, issued)| is_live(*issued, now));
            if codes.len() < MAX_CODES {
                codes.insert(code.clone(), (grant, now));
            }
        }
        code
    }

    /// Exchanges a code once: whatever the outcome, it cannot be used again.
    pub fn redeem(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Grant, CodeError> {
        self.redeem_at(code, client_id, redirect_uri, verifier, Instant::now())
    }

    fn redeem_at(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: &str,
        now: Instant,
    ) -> Result<Grant, CodeError> {
        let (grant, issued) = self
            .codes
            .lock()
            .ok()
            .and_then(|mut codes| codes.remove(code))
            .ok_or(CodeError::Unknown)?;
        if !is_live(issued, now) {
            return Err(CodeError::Expired);
        }
        if grant.client_id != client_id {
            return Err(CodeError::WrongClient);
        }
        if grant.redirect_uri != redirect_uri {
            return Err(CodeError::WrongRedirect);
        }
        if !constant_time_eq(s256(verifier).as_bytes(), grant.code_challenge.as_bytes()) {
            return Err(CodeError::WrongVerifier);
        }
        Ok(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "a-verifier-of-forty-three-characters-at-least";
    const REDIRECT: &str = "http://localhost:4200/callback";

    fn grant(challenge: &str) -> Grant {
        Grant {
            client_id: "spa".into(),
            redirect_uri: REDIRECT.into(),
            code_challenge: challenge.into(),
            scope: "openid".into(),
            audience: "api".into(),
            nonce: None,
            user: SignIn {
                sub: "auth0|alice".into(),
                name: "Alice".into(),
                email: String::new(),
                permissions: Vec::new(),
            },
        }
    }

    #[test]
    fn s256_is_rfc_7636s() {
        // RFC 7636, Appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_code_is_exchanged_once_and_only_with_its_bindings() {
        let browsers = Browsers::default();
        let (verifier, redirect) = (VERIFIER, REDIRECT);
        let code = browsers.issue_code(grant(&s256(verifier)));
        assert!(browsers.redeem(&code, "spa", redirect, verifier).is_ok());
        assert_eq!(
            browsers.redeem(&code, "spa", redirect, verifier).err(),
            Some(CodeError::Unknown),
            "a second exchange"
        );
        for (client, uri, v, expected) in [
            ("other", redirect, verifier, CodeError::WrongClient),
            (
                "spa",
                "http://localhost:4200/other",
                verifier,
                CodeError::WrongRedirect,
            ),
            (
                "spa",
                redirect,
                "another-verifier",
                CodeError::WrongVerifier,
            ),
        ] {
            let code = browsers.issue_code(grant(&s256(verifier)));
            assert_eq!(browsers.redeem(&code, client, uri, v).err(), Some(expected));
            assert_eq!(
                browsers.redeem(&code, "spa", redirect, verifier).err(),
                Some(CodeError::Unknown),
                "a refused code is spent"
            );
        }
    }

    /// A code for the test grant, issued at `at`.
    fn issue_at(browsers: &Browsers, at: Instant) -> String {
        browsers.issue_code_at(grant(&s256(VERIFIER)), at)
    }

    /// Exchanges `code` at `at` with the bindings it was issued with.
    fn exchange_at(browsers: &Browsers, code: &str, at: Instant) -> Result<Grant, CodeError> {
        browsers.redeem_at(code, "spa", REDIRECT, VERIFIER, at)
    }

    /// A code lives for CODE_LIFETIME, to the nanosecond: at its end it is
    /// expired, and issuing another then forgets it.
    #[test]
    fn a_code_lives_for_its_lifetime() {
        let browsers = Browsers::default();
        let issued = Instant::now();
        let end = issued + CODE_LIFETIME;
        let just_before = end - Duration::from_nanos(1);
        let code = issue_at(&browsers, issued);
        assert!(exchange_at(&browsers, &code, just_before).is_ok());
        let code = issue_at(&browsers, issued);
        assert_eq!(
            exchange_at(&browsers, &code, end).err(),
            Some(CodeError::Expired)
        );

        let waiting = issue_at(&browsers, issued);
        issue_at(&browsers, just_before);
        assert!(
            exchange_at(&browsers, &waiting, issued).is_ok(),
            "a live code is kept"
        );
        let expired = issue_at(&browsers, issued);
        issue_at(&browsers, end);
        assert_eq!(
            exchange_at(&browsers, &expired, issued).err(),
            Some(CodeError::Unknown),
            "an expired code is forgotten"
        );
    }

    /// MAX_CODES codes may wait at once; one more is not kept until some expire.
    #[test]
    fn waiting_codes_are_bounded() {
        let browsers = Browsers::default();
        let issued = Instant::now();
        let codes: Vec<String> = (0..MAX_CODES)
            .map(|_| issue_at(&browsers, issued))
            .collect();
        let over = issue_at(&browsers, issued);
        assert_eq!(
            exchange_at(&browsers, &over, issued).err(),
            Some(CodeError::Unknown),
            "one code over the bound"
        );
        let last = codes.last().map(String::as_str).unwrap_or_default();
        assert!(
            exchange_at(&browsers, last, issued).is_ok(),
            "the last code within the bound"
        );
        let later = issued + CODE_LIFETIME;
        let after = issue_at(&browsers, later);
        assert!(
            exchange_at(&browsers, &after, later).is_ok(),
            "expired codes make room"
        );
    }

    /// Both stores are bounded: the oldest session goes first; profiles are
    /// forgotten all at once when a new person would be one too many.
    #[test]
    fn sessions_and_profiles_are_bounded() {
        let browsers = Browsers::default();
        let base = grant("x").user;
        let person = |i: usize| {
            let mut user = base.clone();
            user.sub = format!("auth0|{i}");
            user
        };
        let first = browsers.sign_in(person(0));
        let ids: Vec<String> = (1..MAX_SESSIONS)
            .map(|i| browsers.sign_in(person(i)))
            .collect();
        assert!(browsers.session(&first).is_some() && browsers.profile("auth0|0").is_some());
        // Someone already known signing in again forgets nobody.
        browsers.sign_in(person(1));
        assert!(
            browsers.session(&first).is_none(),
            "the oldest session went"
        );
        assert!(browsers.session(&ids[0]).is_some());
        assert!(browsers.profile("auth0|0").is_some());
        browsers.sign_in(person(MAX_SESSIONS));
        assert!(browsers.profile("auth0|0").is_none());
        assert!(browsers.profile(&format!("auth0|{MAX_SESSIONS}")).is_some());
    }

    /// A signed-out session leaves the eviction order, and the others stay in it.
    #[test]
    fn signing_out_keeps_the_others_in_line() {
        let browsers = Browsers::default();
        let user = grant("x").user;
        let leaving = browsers.sign_in(user.clone());
        let staying = browsers.sign_in(user.clone());
        browsers.sign_out(&leaving);
        for _ in 0..MAX_SESSIONS - 1 {
            browsers.sign_in(user.clone());
        }
        assert!(
            browsers.session(&staying).is_some(),
            "{MAX_SESSIONS} sessions fit"
        );
        browsers.sign_in(user.clone());
        assert!(browsers.session(&staying).is_none(), "the oldest went");
    }

    #[test]
    fn sessions_and_profiles() {
        let browsers = Browsers::default();
        let user = grant("x").user;
        let id = browsers.sign_in(user.clone());
        assert_eq!(browsers.session(&id), Some(user.clone()));
        assert_eq!(browsers.profile("auth0|alice"), Some(user.clone()));
        assert_eq!(user.nickname(), "alice");
        // Someone else signing in keeps alice's profile (until MAX_SESSIONS
        // different people have signed in).
        let mut bob = user.clone();
        bob.sub = "auth0|bob".into();
        browsers.sign_in(bob.clone());
        assert_eq!(browsers.profile("auth0|alice"), Some(user.clone()));
        assert_eq!(browsers.profile("auth0|bob"), Some(bob));
        browsers.sign_out(&id);
        assert_eq!(browsers.session(&id), None);
        assert_eq!(browsers.session("made-up"), None);
    }
}
