//! Retries with exponential backoff and full jitter, bounded in attempts.
//!
//! Jitter spreads the retries of many devices that lost the network at the same moment
//! (a whole village coming back into coverage), so they do not hit the server in waves.
//! Only failures that a retry can fix are retried: an unreachable server, a cut
//! connection, a `5xx`, `408` or `429`. Every request the client retries is idempotent
//! on the server (push by record id, tus by offset, GETs), so a retry after a lost
//! answer stores nothing twice.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{CoreError, Result};

/// How often and how patiently to retry one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The backoff ceiling before the first retry; doubled for each later one.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The backoff ceiling before retry number `retry` (0 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The delay before retry number `retry`: uniformly random up to the ceiling
    /// ("full jitter").
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry).as_millis() as u64;
        Duration::from_millis(if ceiling == 0 {
            0
        } else {
            random() % (ceiling + 1)
        })
    }

    /// Runs `op` until it succeeds, fails with an error a retry cannot fix, or the
    /// attempts are used up (then the last error is returned).
    pub async fn run<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempts = self.attempts.max(1);
        let mut retry = 0;
        loop {
            match op().await {
                Ok(value) => return Ok(value),
                Err(e) if is_retryable(&e) && retry + 1 < attempts => {
                    tokio::time::sleep(self.delay(retry)).await;
                    retry += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Whether a retry may fix `error`: the network, or the server being briefly unwell.
pub fn is_retryable(error: &CoreError) -> bool {
    match error {
        CoreError::NetworkUnreachable { .. } => true,
        CoreError::ServerStatus { status, .. } => {
            *status >= 500 || *status == 408 || *status == 429
        }
        _ => false,
    }
}

/// A cheap pseudo-random number for jitter (splitmix64 over the clock and a counter);
/// jitter needs spread, not secrecy.
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_maximum_and_delays_stay_below_them() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_000),
        };
        assert_eq!(policy.ceiling(0), Duration::from_millis(100));
        assert_eq!(policy.ceiling(1), Duration::from_millis(200));
        assert_eq!(policy.ceiling(3), Duration::from_millis(800));
        assert_eq!(policy.ceiling(4), Duration::from_millis(1_000));
        assert_eq!(policy.ceiling(40), Duration::from_millis(1_000));
        for retry in 0..8 {
            assert!(policy.delay(retry) <= policy.ceiling(retry));
        }
    }

    #[test]
    fn only_network_and_transient_server_failures_are_retryable() {
        let status = |status| CoreError::ServerStatus {
            status,
            code: String::new(),
            message: String::new(),
        };
        assert!(is_retryable(&status(503)));
        assert!(is_retryable(&status(429)));
        assert!(!is_retryable(&status(400)));
        assert!(!is_retryable(&CoreError::Unauthorised {
            message: String::new()
        }));
        assert!(is_retryable(&CoreError::NetworkUnreachable {
            url: String::new(),
            reason: String::new()
        }));
    }

    #[tokio::test]
    async fn gives_up_after_the_bounded_attempts() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        };
        let mut calls = 0;
        let result: Result<()> = policy
            .run(|| {
                calls += 1;
                async {
                    Err(CoreError::NetworkUnreachable {
                        url: "u".into(),
                        reason: "r".into(),
                    })
                }
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls, 3);
    }
}
