//! Shared state of the service: the engine (once it is open), readiness,
//! rate limiters, the facet reader, and the limits the service runs with.

use super::error::{ApiError, ApiResult};
use super::ratelimit::{Rate, RateLimiter};
use crate::search::facets::FacetReader;
use crate::Engine;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

/// Limits and timings of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Time a request may take before it is answered with 503.
    pub request_timeout: Duration,
    /// Time an operator's evaluation or gap report may take.
    pub slow_request_timeout: Duration,
    /// Writes per key.
    pub write_rate: Rate,
    /// Authenticated reads per key (anonymous reads are not limited per key).
    pub read_rate: Rate,
    /// Shortest pause between two index syncs.
    pub sync_interval: Duration,
    /// Time a client may take to send a request's headers (and an idle
    /// keep-alive connection may stay open) before the connection is closed.
    pub header_read_timeout: Duration,
    /// Time a request body may stall between two chunks before the request
    /// is answered with 408.
    pub body_read_timeout: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            slow_request_timeout: Duration::from_secs(300),
            write_rate: Rate::new(20.0, 40.0),
            read_rate: Rate::new(500.0, 1000.0),
            sync_interval: Duration::from_millis(200),
            header_read_timeout: Duration::from_secs(15),
            body_read_timeout: Duration::from_secs(5),
        }
    }
}

/// State shared by the handlers.
pub struct AppState {
    engine: OnceLock<Arc<Engine>>,
    facets: OnceLock<FacetReader>,
    indexed_seq: AtomicU64,
    admin_token: OnceLock<String>,
    /// Limits and timings.
    pub config: ServiceConfig,
    /// Per-key write limiter.
    pub write_limiter: RateLimiter,
    /// Per-key read limiter.
    pub read_limiter: RateLimiter,
    /// Woken by every write so the indexes catch up soon.
    pub written: Notify,
}

impl AppState {
    /// State without an engine yet: every engine route answers 503 until
    /// [`AppState::set_engine`].
    pub fn loading(config: ServiceConfig) -> Arc<AppState> {
        Arc::new(AppState {
            engine: OnceLock::new(),
            facets: OnceLock::new(),
            indexed_seq: AtomicU64::new(0),
            admin_token: OnceLock::new(),
            write_limiter: RateLimiter::new(config.write_rate),
            read_limiter: RateLimiter::new(config.read_rate),
            config,
            written: Notify::new(),
        })
    }

    /// State over an open engine whose indexes are synced.
    pub fn ready(engine: Arc<Engine>, config: ServiceConfig) -> crate::Result<Arc<AppState>> {
        let state = AppState::loading(config);
        state.set_engine(engine)?;
        Ok(state)
    }

    /// Installs the engine (once), syncs its indexes, and opens the facet reader.
    pub fn set_engine(&self, engine: Arc<Engine>) -> crate::Result<()> {
        let facets = FacetReader::open(&engine.data_dir().join("fulltext"))?;
        let _ = self.facets.set(facets);
        let _ = self.engine.set(engine);
        self.sync()?;
        Ok(())
    }

    /// Sets the token of the admin routes (once); without one they refuse every caller.
    pub fn set_admin_token(&self, token: String) {
        let _ = self.admin_token.set(token);
    }

    /// The token of the admin routes, if set.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.get().map(String::as_str)
    }

    /// The engine, or 503 while it is loading.
    pub fn engine(&self) -> ApiResult<&Arc<Engine>> {
        self.engine
            .get()
            .ok_or_else(|| ApiError::unavailable("the engine is loading its data"))
    }

    /// The engine if it is open.
    pub fn engine_if_open(&self) -> Option<&Arc<Engine>> {
        self.engine.get()
    }

    /// The facet reader, or 503 while loading.
    pub fn facets(&self) -> ApiResult<&FacetReader> {
        self.facets
            .get()
            .ok_or_else(|| ApiError::unavailable("the engine is loading its data"))
    }

    /// Store sequence number the indexes are known to reflect.
    pub fn indexed_seq(&self) -> u64 {
        self.indexed_seq.load(Ordering::Acquire)
    }

    /// Brings the indexes up to the store (blocking) and records the sequence
    /// number reached: everything written before the call is then searchable.
    pub fn sync(&self) -> crate::Result<usize> {
        let Some(engine) = self.engine.get() else {
            return Ok(0);
        };
        let before = engine.store().last_seq()?;
        let applied = engine.sync()?;
        self.indexed_seq.fetch_max(before, Ordering::AcqRel);
        Ok(applied)
    }

    /// Runs blocking engine work on the blocking pool.
    pub async fn blocking<T, F>(self: &Arc<Self>, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> ApiResult<T> + Send + 'static,
    {
        let engine = self.engine()?.clone();
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .map_err(|e| ApiError::internal(&e))?
    }
}
