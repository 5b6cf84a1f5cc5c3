//! Authentication: credentials from the header, the token verified against the
//! key store, the payload mapped to a user. As in DRF it runs before any
//! permission check: no credentials → anonymous; credentials presented and
//! refused → 401, whatever the route's permission.

pub mod cache;
pub mod header;
pub mod keys;
pub mod token;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use crate::db::Db;
use crate::db::models::User;
use crate::error::{ApiError, AuthFailure};
use crate::policy::UsernameHandler;
use cache::{Entry, TokenCache};
use keys::KeyStoreStatus;
use token::{Claims, Recheck, TokenValidator, Unverified};

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
            Principal::User { claims, .. } => claims
                .get("sub")
                .and_then(|sub| sub.as_str())
                .filter(|sub| !sub.is_empty()),
            Principal::Anonymous => None,
        }
    }

    /// Whether the token grants `scope`: its space-separated `scope` claim,
    /// or the `permissions` array of Auth0's RBAC, holds it.
    pub fn has_scope(&self, scope: &str) -> bool {
        let Principal::User { claims, .. } = self else {
            return false;
        };
        let in_scope = claims
            .get("scope")
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.split_ascii_whitespace().any(|s| s == scope));
        let in_permissions = claims
            .get("permissions")
            .and_then(|p| p.as_array())
            .is_some_and(|p| p.iter().any(|p| p.as_str() == Some(scope)));
        in_scope || in_permissions
    }
}

/// What `/api/ready/` reports of the keys.
pub struct KeyStatus {
    pub tenant: Option<KeyStoreStatus>,
    pub total: usize,
}

pub struct Authenticator {
    header_prefix: String,
    /// One per trusted issuer: the Auth0 tenant's first (when configured),
    /// then the development issuer's. Empty: every token is refused.
    validators: Vec<TokenValidator>,
    /// Whether `validators[0]` is the tenant's.
    has_tenant: bool,
    username_handler: UsernameHandler,
    db: Db,
    cache: TokenCache,
    /// How long a cached user row is believed.
    user_max_age: Duration,
}

/// How much authentication remembers (`auth.token_cache_size`, `auth.user_cache_secs`).
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    pub tokens: usize,
    pub user_max_age: Duration,
}

impl Authenticator {
    /// `header_prefix`: `auth.header_prefix`; `tenant`: the Auth0 tenant's
    /// validator; `others`: further issuers'.
    pub fn new(
        header_prefix: &str,
        username_handler: UsernameHandler,
        tenant: Option<TokenValidator>,
        others: Vec<TokenValidator>,
        db: Db,
        cache: CachePolicy,
    ) -> Self {
        let has_tenant = tenant.is_some();
        Authenticator {
            header_prefix: header_prefix.to_owned(),
            validators: tenant.into_iter().chain(others).collect(),
            has_tenant,
            username_handler,
            db,
            cache: TokenCache::new(cache.tokens),
            user_max_age: cache.user_max_age,
        }
    }

    /// DRF's `perform_authentication`, given the raw `Authorization` header.
    pub async fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Principal, ApiError> {
        let result = self.authenticate_inner(authorization).await;
        if let Err(ApiError::AuthenticationFailed(reason)) = &result {
            // The reason, never the token.
            log::info!("authentication refused: {reason}");
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
        if let Some((entry, validator)) = self
            .cache
            .get(&hash)
            .and_then(|e| Some((e.clone(), self.validators.get(e.validator)?)))
        {
            match validator.recheck(entry.key.as_ref(), entry.kid.as_deref(), &entry.claims) {
                Recheck::Valid => {
                    let user = match entry.fresh_user(self.user_max_age) {
                        Some(user) => user,
                        None => {
                            let user = self.load_user(&entry.claims).await?;
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
        let unverified = Unverified::parse(token)?;
        let index = self
            .validator_index(unverified.issuer())
            .ok_or(AuthFailure::Decode)?;
        let validator = self.validators.get(index).ok_or(AuthFailure::Decode)?;
        let verified = validator.verify_keyed(unverified).await?;
        let claims = Arc::new(verified.claims);
        let user = self.load_user(&claims).await?;
        let exp_known = claims.get("exp").is_some_and(serde_json::Value::is_number);
        if exp_known {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            let entry = Entry::new(
                index,
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
    async fn load_user(&self, claims: &Claims) -> Result<Arc<User>, ApiError> {
        let username = self
            .username_handler
            .username(claims)
            .ok_or(AuthFailure::InvalidPayload)?;
        let create = self.username_handler.creates_users();
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

    /// Every trusted issuer's `iss`.
    pub fn issuers(&self) -> Vec<String> {
        self.validators
            .iter()
            .map(|v| v.issuer().to_owned())
            .collect()
    }

    /// How many verified tokens are remembered.
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    /// The key stores' state: the tenant's (the first validator, when a
    /// tenant is configured) and the number of keys in all of them.
    pub fn key_status(&self) -> KeyStatus {
        let statuses: Vec<KeyStoreStatus> =
            self.validators.iter().map(|v| v.key_status()).collect();
        KeyStatus {
            tenant: self.has_tenant.then(|| statuses.first().copied()).flatten(),
            total: statuses.iter().map(|s| s.keys).sum(),
        }
    }

    /// With one trusted issuer, that one; with several, the one the token
    /// names (unverified, only to pick the keys), else the first, whose
    /// verification then refuses the token.
    fn validator_index(&self, iss: Option<&str>) -> Option<usize> {
        match self.validators.as_slice() {
            [] => None,
            [_] => Some(0),
            all => all.iter().position(|v| Some(v.issuer()) == iss).or(Some(0)),
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
