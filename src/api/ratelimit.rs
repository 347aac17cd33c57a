//! Per-key token buckets: each key may spend `burst` requests at once and
//! regains `per_second` tokens a second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets idle this long (seconds) are forgotten when the map grows.
const IDLE_SECONDS: f64 = 60.0;
/// The map is swept of idle buckets when it holds this many.
const SWEEP_AT: usize = 10_000;

/// Rate of one class of requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens regained per second.
    pub per_second: f64,
    /// Bucket size: requests admitted at once after a pause.
    pub burst: f64,
}

impl Rate {
    /// `per_second` sustained, `burst` at once.
    pub const fn new(per_second: f64, burst: f64) -> Rate {
        Rate { per_second, burst }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets by key.
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter admitting `rate` per key.
    pub fn new(rate: Rate) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`: `Ok` when admitted, else the whole seconds to wait.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, b| now.duration_since(b.last).as_secs_f64() < IDLE_SECONDS);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.rate.burst,
            last: now,
        });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate.per_second.max(1e-9);
            Err(wait.ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_admitted_then_refused_per_key() {
        let limiter = RateLimiter::new(Rate::new(0.001, 3.0));
        for _ in 0..3 {
            assert!(limiter.check("a").is_ok());
        }
        assert!(limiter.check("a").is_err());
        assert!(limiter.check("b").is_ok());
    }
}
