//! This process's memory (Django's `LocMemCache`): the throttles' logs and
//! plain values, forgotten once expired. Each process counts alone.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::{Clock, Hit, Outcome};

/// Expired entries are swept when this many new keys came since the last sweep.
const SWEEP_EVERY: usize = 1024;

pub struct Local {
    clock: Clock,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Newest first, as DRF's history; with the window that keeps it alive.
    logs: HashMap<String, (VecDeque<u64>, u64)>,
    /// Value and when it expires (µs).
    values: HashMap<String, (Vec<u8>, u64)>,
    new_keys: usize,
}

impl Local {
    pub fn new(clock: Clock) -> Local {
        Local {
            clock,
            state: Mutex::default(),
        }
    }

    pub fn hit(&self, hits: &[Hit]) -> Vec<Outcome> {
        let now = (self.clock)();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.sweep(now);
        hits.iter()
            .map(|hit| {
                let window = micros(hit.window);
                if !state.logs.contains_key(&hit.key) {
                    state.new_keys += 1;
                    state.logs.insert(hit.key.clone(), Default::default());
                }
                match state.logs.get_mut(&hit.key) {
                    Some((log, kept)) => {
                        *kept = window;
                        slide(log, now, hit.limit, window)
                    }
                    None => Outcome::Allowed,
                }
            })
            .collect()
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let now = (self.clock)();
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .values
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(value, _)| value.clone())
    }

    pub fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let now = (self.clock)();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.sweep(now);
        state.new_keys += 1;
        state
            .values
            .insert(key.to_owned(), (value.to_vec(), now + micros(ttl)));
    }

    /// How many keys it holds (tests of the sweep).
    #[cfg(test)]
    fn len(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.logs.len() + state.values.len()
    }
}

impl State {
    fn sweep(&mut self, now: u64) {
        if self.new_keys < SWEEP_EVERY {
            return;
        }
        self.new_keys = 0;
        self.logs
            .retain(|_, (log, window)| log.front().is_some_and(|newest| newest + *window > now));
        self.values.retain(|_, (_, expires)| *expires > now);
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros().try_into().unwrap_or(u64::MAX)
}

/// DRF's `SimpleRateThrottle.allow_request` and `wait`, on a log newest
/// first: drop what left the window, refuse at the limit, else record now.
/// (`remote.rs` runs the same steps in Redis, as a script.)
pub(super) fn slide(log: &mut VecDeque<u64>, now: u64, limit: u32, window: u64) -> Outcome {
    while log
        .back()
        .is_some_and(|oldest| *oldest <= now.saturating_sub(window))
    {
        log.pop_back();
    }
    let held = log.len() as u64;
    if held < u64::from(limit) {
        log.push_front(now);
        return Outcome::Allowed;
    }
    let remaining = match log.back() {
        Some(oldest) => window.saturating_sub(now.saturating_sub(*oldest)),
        None => window,
    };
    let available = i128::from(limit) - i128::from(held) + 1;
    Outcome::Refused((available > 0).then(|| Duration::from_micros(remaining / available as u64)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    const SEC: u64 = 1_000_000;

    fn clock() -> (Arc<AtomicU64>, Clock) {
        let now = Arc::new(AtomicU64::new(1_000 * SEC));
        let read = now.clone();
        (now, Arc::new(move || read.load(Ordering::SeqCst)))
    }

    fn hit(key: &str, limit: u32, secs: u64) -> Hit {
        Hit {
            key: key.into(),
            limit,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn a_sliding_window_as_drf_counts_it() {
        let (now, clock) = clock();
        let cache = Local::new(clock);
        let three_a_minute = [hit("k", 3, 60)];
        for _ in 0..3 {
            assert_eq!(cache.hit(&three_a_minute), [Outcome::Allowed]);
            now.fetch_add(10 * SEC, Ordering::SeqCst);
        }
        // At 30 s: the oldest (at 0 s) leaves the window at 60 s.
        assert_eq!(
            cache.hit(&three_a_minute),
            [Outcome::Refused(Some(Duration::from_secs(30)))]
        );
        // A refusal is not counted: still 30 s from the oldest.
        now.fetch_add(29 * SEC, Ordering::SeqCst);
        assert_eq!(
            cache.hit(&three_a_minute),
            [Outcome::Refused(Some(Duration::from_secs(1)))]
        );
        // Exactly a window after the oldest, it is gone (DRF's `<=`).
        now.fetch_add(SEC, Ordering::SeqCst);
        assert_eq!(cache.hit(&three_a_minute), [Outcome::Allowed]);
        // Other keys count alone.
        assert_eq!(cache.hit(&[hit("other", 3, 60)]), [Outcome::Allowed]);
    }

    #[test]
    fn every_hit_of_a_request_is_counted_even_when_another_refuses() {
        let (_, clock) = clock();
        let cache = Local::new(clock);
        let both = [hit("burst", 1, 1), hit("day", 10, 86_400)];
        assert_eq!(cache.hit(&both), [Outcome::Allowed, Outcome::Allowed]);
        assert_eq!(
            cache.hit(&both),
            [
                Outcome::Refused(Some(Duration::from_secs(1))),
                Outcome::Allowed
            ]
        );
    }

    #[test]
    fn a_lowered_limit_refuses_without_a_wait() {
        let (_, clock) = clock();
        let cache = Local::new(clock);
        for _ in 0..3 {
            cache.hit(&[hit("k", 3, 60)]);
        }
        // DRF: available requests below one, so wait() is None.
        assert_eq!(cache.hit(&[hit("k", 1, 60)]), [Outcome::Refused(None)]);
        // Spread over what is left when some are free: DRF's wait divides.
        let (_, clock) = super::tests::clock();
        let zero = Local::new(clock);
        assert_eq!(
            zero.hit(&[hit("z", 0, 60)]),
            [Outcome::Refused(Some(Duration::from_secs(60)))]
        );
    }

    #[test]
    fn expired_entries_are_swept() {
        let (now, clock) = clock();
        let cache = Local::new(clock);
        for i in 0..SWEEP_EVERY {
            cache.hit(&[hit(&format!("k{i}"), 5, 1)]);
        }
        assert_eq!(cache.len(), SWEEP_EVERY);
        now.fetch_add(2 * SEC, Ordering::SeqCst);
        cache.set("v", b"x", Duration::from_secs(1));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("v"), Some(b"x".to_vec()));
        now.fetch_add(SEC, Ordering::SeqCst);
        assert_eq!(cache.get("v"), None);
    }
}
