//! Authentication: credentials from the header, the token verified against the
//! key store, the payload mapped to a user. As in DRF it runs before any
//! permission check: no credentials → anonymous; credentials presented and
//! refused → 401, whatever the route's permission.

pub mod cache;
pub mod claims;
pub mod header;
pub mod keys;
pub mod providers;
pub mod token;
pub mod users;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::db::Db;
use crate::db::models::User;
use crate::error::{ApiError, AuthFailure};
use crate::metrics::AuthMetrics;
use crate::policy::{Requester, UsernameHandler};
use cache::{Entry, TokenCache};
use claims::Claims;
use keys::{KeyState, KeyStoreStatus};
use token::{Recheck, TokenValidator, Unverified};

/// Who is making the request.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    User {
        user: Arc<User>,
        claims: Arc<Claims>,
    },
}

impl Principal {
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Principal::User { .. })
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::User { user, .. } => Some(user),
            Principal::Anonymous => None,
        }
    }

    /// The token's `sub`, when it has a non-empty one.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Principal::User { claims, .. } => claims.subject(),
            Principal::Anonymous => None,
        }
    }

    /// Whether the token grants `scope`: its space-separated `scope` claim,
    /// or the `permissions` array of Auth0's RBAC, holds it.
    pub fn has_scope(&self, scope: &str) -> bool {
        match self {
            Principal::User { claims, .. } => claims.grants(scope),
            Principal::Anonymous => false,
        }
    }
}

/// What permission classes see of the one asking.
impl Requester for Principal {
    fn is_authenticated(&self) -> bool {
        Principal::is_authenticated(self)
    }
    fn is_staff(&self) -> bool {
        self.user().is_some_and(|u| u.is_staff)
    }
    fn has_scope(&self, scope: &str) -> bool {
        Principal::has_scope(self, scope)
    }
    fn subject(&self) -> Option<&str> {
        Principal::subject(self)
    }
}

/// What `/api/ready/` reports of the keys.
pub struct KeyStatus {
    /// The key sets fetched from providers (JWKS), worst first: `None`
    /// when no provider's keys are fetched (only the development issuer).
    pub remote: Option<KeyStoreStatus>,
    pub total: usize,
}

/// A trusted identity provider: what verifies its tokens and how they map
/// to a user.
pub struct Issuer {
    pub validator: TokenValidator,
    pub username_handler: UsernameHandler,
    /// Its keys are fetched (a tenant's JWKS), not held (the development issuer).
    pub remote: bool,
}

pub struct Authenticator {
    header_prefix: String,
    /// Every trusted issuer by its exact `iss`: a token's unverified `iss`
    /// picks the one whose keys may verify it, and an `iss` not here is
    /// refused before any key is fetched or signature computed. Empty:
    /// every token is refused.
    issuers: HashMap<Arc<str>, Issuer>,
    /// Their `iss`, in settings' order (the tenant first).
    order: Vec<Arc<str>>,
    db: Db,
    cache: TokenCache,
    /// How long a cached user row is believed.
    user_max_age: Duration,
    metrics: AuthMetrics,
}

/// How much authentication remembers (`auth.token_cache_size`, `auth.user_cache_secs`).
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    pub tokens: usize,
    pub user_max_age: Duration,
}

impl Authenticator {
    /// `header_prefix`: `auth.header_prefix`; `issuers`: every trusted
    /// provider, the tenant first. Two with one `iss` are an error.
    pub fn new(
        header_prefix: &str,
        issuers: Vec<Issuer>,
        db: Db,
        cache: CachePolicy,
    ) -> Result<Self, String> {
        let mut by_iss = HashMap::new();
        let mut order = Vec::new();
        for issuer in issuers {
            let iss: Arc<str> = Arc::from(issuer.validator.issuer());
            if by_iss.insert(iss.clone(), issuer).is_some() {
                return Err(format!("two identity providers claim the iss {iss:?}"));
            }
            order.push(iss);
        }
        Ok(Authenticator {
            header_prefix: header_prefix.to_owned(),
            issuers: by_iss,
            order,
            db,
            cache: TokenCache::new(cache.tokens),
            user_max_age: cache.user_max_age,
            metrics: AuthMetrics::unregistered(),
        })
    }

    /// Records every outcome into `metrics` from now on.
    pub fn observed(mut self, metrics: AuthMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// DRF's `perform_authentication`, given the raw `Authorization` header.
    pub async fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Principal, ApiError> {
        let result = self.authenticate_inner(authorization).await;
        match &result {
            Ok(Principal::Anonymous) => self.metrics.missing(),
            Ok(Principal::User { .. }) => self.metrics.accepted(),
            Err(ApiError::AuthenticationFailed(failure)) => {
                self.metrics.refused(failure.reason());
                // The reason, never the token.
                log::info!("authentication refused: {} ({failure})", failure.reason());
            }
            Err(ApiError::AuthUnavailable) => self.metrics.unavailable(),
            Err(_) => {}
        }
        result
    }

    async fn authenticate_inner(
        &self,
        authorization: Option<&[u8]>,
    ) -> Result<Principal, ApiError> {
        let Some(token) = header::bearer_token(authorization, &self.header_prefix)? else {
            return Ok(Principal::Anonymous);
        };
        let hash = cache::hash(token);
        if let Some((entry, issuer)) = self
            .cache
            .get(&hash)
            .and_then(|e| Some((e.clone(), self.issuers.get(&e.issuer)?)))
        {
            match issuer
                .validator
                .recheck(entry.key.as_ref(), entry.kid.as_deref(), &entry.claims)
            {
                Recheck::Valid => {
                    self.metrics.token_cache(true);
                    let user = match entry.fresh_user(self.user_max_age) {
                        Some(user) => user,
                        None => {
                            let user = self.load_user(issuer, &entry.claims).await?;
                            entry.set_user(user.clone());
                            user
                        }
                    };
                    return principal(user, entry.claims.clone());
                }
                Recheck::Refused(failure) => {
                    self.cache.remove(&hash);
                    return Err(failure.into());
                }
                Recheck::Verify => self.cache.remove(&hash),
            }
        }
        self.metrics.token_cache(false);
        let unverified = Unverified::parse(token)?;
        // An iss nobody trusts goes no further: no key fetched, no signature checked.
        let (iss, issuer) = unverified
            .issuer()
            .and_then(|iss| self.issuers.get_key_value(iss))
            .ok_or(AuthFailure::UntrustedIssuer)?;
        let verified = issuer.validator.verify_keyed(unverified).await?;
        let claims = Arc::new(verified.claims);
        let user = self.load_user(issuer, &claims).await?;
        let exp_known = claims.expires().is_some_and(serde_json::Value::is_number);
        if exp_known {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            let entry = Entry::new(
                iss.clone(),
                verified.key,
                verified.kid,
                claims.clone(),
                user.clone(),
            );
            self.cache.insert(hash, entry, now);
        }
        principal(user, claims)
    }

    /// The user the claims map to, read (or created) in the database.
    async fn load_user(&self, issuer: &Issuer, claims: &Claims) -> Result<Arc<User>, ApiError> {
        let username = issuer
            .username_handler
            .username(claims)
            .ok_or(AuthFailure::InvalidPayload)?;
        let create = issuer.username_handler.creates_users();
        let user = self
            .db
            .run(move |conn| {
                if create {
                    User::get_or_create(conn, &username).map(Some)
                } else {
                    Ok(User::find(conn, &username)?)
                }
            })
            .await?
            .ok_or(AuthFailure::UnknownUser)?;
        Ok(Arc::new(user))
    }

    /// Every trusted issuer's `iss`, the tenant's first.
    pub fn issuers(&self) -> Vec<String> {
        self.order.iter().map(|iss| iss.to_string()).collect()
    }

    /// How many verified tokens are remembered.
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    /// Each key store once (providers may share one, a custom domain's),
    /// under the `iss` of the first provider using it, and whether it is fetched.
    fn stores(&self) -> Vec<(&str, &Issuer)> {
        let mut stores: Vec<(&str, &Issuer)> = Vec::new();
        for (iss, issuer) in self
            .order
            .iter()
            .filter_map(|iss| Some((iss, self.issuers.get(iss)?)))
        {
            if !stores
                .iter()
                .any(|(_, seen)| seen.validator.same_keys(&issuer.validator))
            {
                stores.push((iss, issuer));
            }
        }
        stores
    }

    /// The fetched key sets (JWKS) now, each under its first provider's `iss`.
    pub fn key_sets(&self) -> Vec<(String, KeyStoreStatus)> {
        self.stores()
            .into_iter()
            .filter(|(_, issuer)| issuer.remote)
            .map(|(iss, issuer)| (iss.to_owned(), issuer.validator.key_status()))
            .collect()
    }

    /// The key stores' state: the worst of the fetched ones (a stale set
    /// before one still loading before ready ones, then the oldest), and
    /// the number of keys in all of them.
    pub fn key_status(&self) -> KeyStatus {
        let statuses: Vec<(bool, KeyStoreStatus)> = self
            .stores()
            .iter()
            .map(|(_, i)| (i.remote, i.validator.key_status()))
            .collect();
        let rank = |s: &KeyStoreStatus| match s.state {
            KeyState::Stale => 2,
            KeyState::Loading => 1,
            KeyState::Ready => 0,
        };
        KeyStatus {
            remote: statuses
                .iter()
                .filter(|(remote, _)| *remote)
                .map(|(_, s)| *s)
                .max_by_key(|s| (rank(s), s.age)),
            total: statuses.iter().map(|(_, s)| s.keys).sum(),
        }
    }
}

/// An active user's principal; a disabled one is refused (DRF's "User account is disabled.").
fn principal(user: Arc<User>, claims: Arc<Claims>) -> Result<Principal, ApiError> {
    if !user.is_active {
        return Err(AuthFailure::UserDisabled.into());
    }
    Ok(Principal::User { user, claims })
}
