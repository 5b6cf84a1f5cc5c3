//! A Redis that replicas share. A request's throttles are counted by one
//! script, atomically and in one round trip: DRF's read-modify-write on the
//! cache is not atomic (DRF issue #5181), so N replicas admit up to N times
//! the rate, where this admits the rate exactly. The script keeps DRF's
//! sliding log (a list of timestamps, newest first) on Redis's own clock,
//! so that replicas whose clocks differ still agree.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use url::Url;

use super::{CacheError, Hit, Outcome};

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
    script: redis::Script,
    timeout: Duration,
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
        Ok(Remote {
            manager,
            script: redis::Script::new(SLIDE),
            timeout,
        })
    }

    /// Runs one call under the time budget.
    async fn call<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, CacheError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(CacheError::Unavailable(e.to_string())),
            Err(_) => Err(CacheError::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    pub async fn hit(&self, hits: &[Hit]) -> Result<Vec<Outcome>, CacheError> {
        let mut invocation = self.script.prepare_invoke();
        for hit in hits {
            invocation
                .key(&hit.key)
                .arg(hit.limit)
                .arg(u64::try_from(hit.window.as_micros()).unwrap_or(u64::MAX));
        }
        let mut conn = self.manager.clone();
        let answers: Vec<i64> = self.call(invocation.invoke_async(&mut conn)).await?;
        if answers.len() != hits.len() {
            return Err(CacheError::Unavailable(format!(
                "the script answered {} counts for {} keys",
                answers.len(),
                hits.len()
            )));
        }
        Ok(answers
            .into_iter()
            .map(|answer| match answer {
                -1 => Outcome::Allowed,
                wait if wait >= 0 => Outcome::Refused(Some(Duration::from_micros(wait as u64))),
                _ => Outcome::Refused(None),
            })
            .collect())
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
