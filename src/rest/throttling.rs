//! DRF's throttling (`throttling.py`): a route's throttle classes with
//! their rates, counted in the cache after authentication and permissions,
//! as DRF's `initial()` orders them, so that an anonymous request to a
//! route that needs a user is a 401 that no throttle counts.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::auth::Principal;
use crate::cache::{Cache, Hit, Outcome};
use crate::error::ApiError;
use crate::policy::{Rate, ThrottleClass};
use crate::settings::RestFrameworkSettings;

/// Seconds between two warnings that the cache is unavailable.
const WARN_EVERY_SECS: u64 = 10;

/// One class in force on a route, with the scope and rate it counts by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Throttle {
    class: ThrottleClass,
    scope: String,
    rate: Rate,
}

/// A route's throttles (DRF's `get_throttles()`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Throttles(Vec<Throttle>);

impl Throttles {
    /// The classes in force (settings, then the view's, then the default)
    /// with the view's `throttle_scope`. A class that does not apply (the
    /// scoped class on a view without a scope) is left out; a scope without
    /// a rate is `Err`, naming it.
    pub fn new(
        classes: &[ThrottleClass],
        view_scope: Option<&str>,
        rf: &RestFrameworkSettings,
    ) -> Result<Throttles, String> {
        let mut throttles = Vec::new();
        for &class in classes {
            let Some(scope) = class.fixed_scope().or(view_scope) else {
                continue;
            };
            let rate = rf.throttle_rate(scope).ok_or_else(|| {
                format!(
                    "{class} needs a rate for the scope {scope:?} in rest_framework.default_throttle_rates"
                )
            })?;
            throttles.push(Throttle {
                class,
                scope: scope.to_owned(),
                rate,
            });
        }
        Ok(Throttles(throttles))
    }

    /// One rate for every request, keyed by the client's address under
    /// `scope`, whoever it claims to be (the development issuer's sign-in).
    pub fn by_address(scope: &str, rate: Rate) -> Throttles {
        Throttles(vec![Throttle {
            class: ThrottleClass::Anon,
            scope: scope.to_owned(),
            rate,
        }])
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The cache keys this request counts against (DRF's `get_cache_key`):
    /// `throttle_<scope>_<user id, else client address>`.
    /// The address is looked up only when a key needs it.
    fn hits(&self, principal: &Principal, client: impl FnOnce() -> Option<IpAddr>) -> Vec<Hit> {
        let mut client = Some(client);
        let mut address: Option<String> = None;
        self.0
            .iter()
            .filter_map(|t| {
                let ident = match (t.class, principal.user()) {
                    // AnonRateThrottle leaves authenticated requests alone.
                    (ThrottleClass::Anon, Some(_)) => return None,
                    (ThrottleClass::User | ThrottleClass::Scoped, Some(user)) => {
                        user.id.to_string()
                    }
                    (_, None) => address
                        .get_or_insert_with(|| match client.take().and_then(|c| c()) {
                            Some(ip) => ip.to_string(),
                            None => "unknown".to_owned(),
                        })
                        .clone(),
                };
                Some(Hit {
                    key: format!("throttle_{}_{ident}", t.scope),
                    limit: t.rate.num_requests,
                    window: t.rate.duration,
                })
            })
            .collect()
    }

    /// DRF's `check_throttles`: every throttle counts; when any refuses,
    /// a 429 with the longest wait. A cache that cannot be reached lets the
    /// request through (with a warning in the log), or answers 503 when
    /// `refuse` (`cache.refuse_when_unavailable`).
    pub async fn check(
        &self,
        cache: &Cache,
        refuse: bool,
        principal: &Principal,
        client: impl FnOnce() -> Option<IpAddr>,
    ) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let hits = self.hits(principal, client);
        if hits.is_empty() {
            return Ok(());
        }
        match cache.hit(hits).await {
            Ok(outcomes) => throttled(&outcomes),
            Err(e) => {
                warn_now_and_then(&e.to_string(), refuse);
                match refuse {
                    true => Err(ApiError::ServiceUnavailable),
                    false => Ok(()),
                }
            }
        }
    }
}

/// DRF 3.10+: all throttles are asked; the longest wait that can be said is reported.
fn throttled(outcomes: &[Outcome]) -> Result<(), ApiError> {
    let mut refused = false;
    let mut wait: Option<Duration> = None;
    for outcome in outcomes {
        if let Outcome::Refused(w) = outcome {
            refused = true;
            wait = wait.max(*w);
        }
    }
    match refused {
        // DRF's `Throttled`: `math.ceil(wait)` seconds.
        true => Err(ApiError::Throttled(wait.map(|w| {
            w.as_micros()
                .div_ceil(1_000_000)
                .try_into()
                .unwrap_or(u64::MAX)
        }))),
        false => Ok(()),
    }
}

/// An outage would otherwise log once per request.
fn warn_now_and_then(cause: &str, refuse: bool) {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let last = LAST.load(Ordering::Relaxed);
    if now >= last + WARN_EVERY_SECS
        && LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        let answer = match refuse {
            true => "throttled requests are refused (503)",
            false => "throttled requests are let through uncounted",
        };
        log::warn!("{cause}; {answer} while it lasts");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    use super::*;

    #[test]
    fn the_longest_wait_rounded_up_as_drf_says_it() {
        let refused = |ms: Option<u64>| Outcome::Refused(ms.map(Duration::from_millis));
        assert!(throttled(&[Outcome::Allowed, Outcome::Allowed]).is_ok());
        let wait = |outcomes: &[Outcome]| match throttled(outcomes) {
            Err(ApiError::Throttled(w)) => w,
            _ => Some(u64::MAX),
        };
        assert_eq!(wait(&[refused(Some(1_200)), Outcome::Allowed]), Some(2));
        assert_eq!(
            wait(&[refused(Some(59_001)), refused(Some(3_000))]),
            Some(60)
        );
        assert_eq!(wait(&[refused(None), refused(Some(1))]), Some(1));
        assert_eq!(wait(&[refused(None)]), None);
    }

    #[tokio::test]
    async fn a_request_counts_by_scope_and_user_or_address() {
        let now = Arc::new(AtomicU64::new(5_000_000));
        let read = now.clone();
        let cache = Cache::local_with_clock(Arc::new(move || read.load(Ordering::SeqCst)));
        let rate = |s: &str| {
            s.parse::<Rate>().unwrap_or(Rate {
                num_requests: 0,
                duration: Duration::ZERO,
            })
        };
        let throttles = Throttles(vec![
            Throttle {
                class: ThrottleClass::Anon,
                scope: "anon".into(),
                rate: rate("2/m"),
            },
            Throttle {
                class: ThrottleClass::Scoped,
                scope: "burst".into(),
                rate: rate("3/s"),
            },
        ]);
        let client: Option<IpAddr> = "203.0.113.9".parse().ok();
        let anonymous = Principal::Anonymous;
        assert_eq!(
            throttles
                .hits(&anonymous, || client)
                .iter()
                .map(|h| h.key.as_str())
                .collect::<Vec<_>>(),
            ["throttle_anon_203.0.113.9", "throttle_burst_203.0.113.9"]
        );
        for _ in 0..2 {
            assert!(
                throttles
                    .check(&cache, false, &anonymous, || client)
                    .await
                    .is_ok()
            );
        }
        assert!(matches!(
            throttles.check(&cache, false, &anonymous, || client).await,
            Err(ApiError::Throttled(Some(60)))
        ));
        // Another address counts alone.
        let other: Option<IpAddr> = "203.0.113.10".parse().ok();
        assert!(
            throttles
                .check(&cache, false, &anonymous, || other)
                .await
                .is_ok()
        );
        // A minute after the first, the first address is let in again.
        now.fetch_add(60_000_000, Ordering::SeqCst);
        assert!(
            throttles
                .check(&cache, false, &anonymous, || client)
                .await
                .is_ok()
        );
    }
}
