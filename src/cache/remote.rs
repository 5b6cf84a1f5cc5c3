//! A Redis that replicas share. Throttles are counted by one script,
//! atomically: DRF's read-modify-write on the cache is not atomic (DRF
//! issue #5181), so N replicas admit up to N times the rate, where this
//! admits the rate exactly. The script keeps DRF's sliding log (a list of
//! timestamps, newest first) on Redis's own clock, so that replicas whose
//! clocks differ still agree.
//!
//! The hits of requests that arrive while a script call is on its way go
//! together in the next one (`batcher`): one round trip a request at most,
//! and under load far fewer, where Redis's own CPU for each script call
//! was most of the cost (measured: 70% of no throttling at one call a
//! request). The script takes its keys in order, so a key twice in a batch
//! is counted twice, as two calls would.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::{CacheError, Hit, Outcome};

/// Keys a script call takes at most (one call's latency stays short).
const BATCH_KEYS: usize = 256;

/// `local.rs`'s `slide`, for each key of a request. ARGV holds each key's
/// limit and window (µs). Answers per key: -1 allowed, -2 refused with no
/// wait to say, else the wait in µs.
const SLIDE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stamp = string.format('%d', now)
local out = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  while true do
    local oldest = redis.call('LINDEX', key, -1)
    if oldest and tonumber(oldest) <= now - window then
      redis.call('RPOP', key)
    else
      break
    end
  end
  local held = redis.call('LLEN', key)
  if held < limit then
    redis.call('LPUSH', key, stamp)
    redis.call('PEXPIRE', key, math.ceil(window / 1000))
    out[i] = -1
  else
    local available = limit - held + 1
    if available <= 0 then
      out[i] = -2
    else
      local oldest = redis.call('LINDEX', key, -1)
      local remaining = window
      if oldest then
        remaining = window - (now - tonumber(oldest))
      end
      out[i] = math.floor(remaining / available)
    end
  end
end
return out
";

pub struct Remote {
    manager: ConnectionManager,
    timeout: Duration,
    batches: mpsc::UnboundedSender<Waiting>,
}

/// A request's hits, waiting for the next script call.
struct Waiting {
    hits: Vec<Hit>,
    answer: oneshot::Sender<Result<Vec<Outcome>, CacheError>>,
}

impl Remote {
    /// Connects at the first call (and again after Redis went away).
    pub fn new(url: &Url, timeout: Duration) -> Result<Remote, CacheError> {
        let unavailable = |e: redis::RedisError| CacheError::Unavailable(e.to_string());
        let client = redis::Client::open(url.as_str()).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager =
            ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        let (batches, waiting) = mpsc::unbounded_channel();
        tokio::spawn(batcher(manager.clone(), timeout, waiting));
        Ok(Remote {
            manager,
            timeout,
            batches,
        })
    }

    /// Runs one call under the time budget.
    async fn call<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, CacheError> {
        within(self.timeout, call).await
    }

    /// Counts the hits in the next script call, with those of the requests
    /// that arrive meanwhile; waits at most the time budget for it.
    pub async fn hit(&self, hits: Vec<Hit>) -> Result<Vec<Outcome>, CacheError> {
        let (answer, answered) = oneshot::channel();
        if self.batches.send(Waiting { hits, answer }).is_err() {
            return Err(CacheError::Unavailable("the batcher has stopped".into()));
        }
        match tokio::time::timeout(self.timeout, answered).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CacheError::Unavailable(
                "the batcher dropped the call".into(),
            )),
            Err(_) => Err(CacheError::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut conn = self.manager.clone();
        self.call(redis::cmd("GET").arg(key).query_async(&mut conn))
            .await
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let mut conn = self.manager.clone();
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.call(
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(millis)
                .query_async::<()>(&mut conn),
        )
        .await
    }

    pub async fn ping(&self) -> Result<(), CacheError> {
        let mut conn = self.manager.clone();
        self.call(redis::cmd("PING").query_async::<()>(&mut conn))
            .await
    }
}

async fn within<T>(
    timeout: Duration,
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, CacheError> {
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(CacheError::Unavailable(e.to_string())),
        Err(_) => Err(CacheError::Unavailable(format!(
            "no answer within {} ms",
            timeout.as_millis()
        ))),
    }
}

/// Takes what is waiting (up to `BATCH_KEYS` keys), runs one script call
/// for all of it, and hands each request its own outcomes; until the
/// server stops.
async fn batcher(
    manager: ConnectionManager,
    timeout: Duration,
    mut waiting: mpsc::UnboundedReceiver<Waiting>,
) {
    let script = redis::Script::new(SLIDE);
    while let Some(first) = waiting.recv().await {
        let mut keys = first.hits.len();
        let mut batch = vec![first];
        while keys < BATCH_KEYS {
            match waiting.try_recv() {
                Ok(more) => {
                    keys += more.hits.len();
                    batch.push(more);
                }
                Err(_) => break,
            }
        }
        let mut invocation = script.prepare_invoke();
        for hit in batch.iter().flat_map(|w| &w.hits) {
            invocation
                .key(&hit.key)
                .arg(hit.limit)
                .arg(u64::try_from(hit.window.as_micros()).unwrap_or(u64::MAX));
        }
        let mut conn = manager.clone();
        let answers: Result<Vec<i64>, CacheError> =
            within(timeout, invocation.invoke_async(&mut conn)).await;
        let answers = answers.and_then(|a| match a.len() == keys {
            true => Ok(a),
            false => Err(CacheError::Unavailable(format!(
                "the script answered {} counts for {keys} keys",
                a.len()
            ))),
        });
        let mut taken = 0;
        for w in batch {
            let mine = match &answers {
                Ok(all) => Ok(all[taken..taken + w.hits.len()]
                    .iter()
                    .map(|a| outcome(*a))
                    .collect()),
                Err(e) => Err(e.clone()),
            };
            taken += w.hits.len();
            // A request that gave up waiting has dropped its receiver.
            let _ = w.answer.send(mine);
        }
    }
}

fn outcome(answer: i64) -> Outcome {
    match answer {
        -1 => Outcome::Allowed,
        wait if wait >= 0 => Outcome::Refused(Some(Duration::from_micros(wait as u64))),
        _ => Outcome::Refused(None),
    }
}
