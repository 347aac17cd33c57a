//! Starting and stopping the service: listen at once (answering 503 while the
//! engine loads), open the engine and load the corpora into an empty store,
//! keep the indexes synced, and on SIGINT/SIGTERM stop accepting, finish the
//! requests in flight, sync and persist.

use super::state::{AppState, ServiceConfig};
use crate::{Engine, Error, Result};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Without writes, the indexes are checked against the store this often.
const IDLE_SYNC: Duration = Duration::from_secs(1);

/// What `duijie serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Data directory (store and indexes).
    pub data: PathBuf,
    /// Corpus files loaded into an empty store.
    pub corpora: PathBuf,
    /// Limits and timings.
    pub config: ServiceConfig,
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Syncs the indexes after writes (at most every `sync_interval`) and every
/// second otherwise, until `stop` changes.
async fn sync_loop(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = state.written.notified() => {},
            _ = tokio::time::sleep(IDLE_SYNC) => {},
            _ = stop.changed() => return,
        }
        let worker = state.clone();
        match tokio::task::spawn_blocking(move || worker.sync()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "index sync failed"),
            Err(e) => tracing::error!(error = %e, "index sync panicked"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config.sync_interval) => {},
            _ = stop.changed() => return,
        }
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, keeping the
/// indexes synced; then finishes the requests in flight, syncs the indexes
/// and persists what is only in memory.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let (stop, stopped) = watch::channel(false);
    let syncing = tokio::spawn(sync_loop(state.clone(), stopped));
    let app = super::router(state.clone());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop.send(true);
    let _ = syncing.await;
    let last = state.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        last.sync()?;
        if let Some(engine) = last.engine_if_open() {
            engine.persist()?;
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    served?;
    Ok(())
}

/// `duijie serve`: listens on `options.addr` (503 while loading), opens the
/// engine, loads the corpora into an empty store (`progress` is told the file
/// and line), prints the URL once ready, and serves until SIGINT/SIGTERM.
pub fn run(
    options: ServeOptions,
    progress: impl FnMut(&str, usize) + Send + 'static,
    on_ready: impl FnOnce(SocketAddr) + Send + 'static,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async move {
        let listener = TcpListener::bind(options.addr).await?;
        let addr = listener.local_addr()?;
        let state = AppState::loading(options.config.clone());
        let (signalled_tx, mut signalled) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = signalled_tx.send(true);
        });
        let mut server_stop = signalled.clone();
        let server = tokio::spawn(serve(listener, state.clone(), async move {
            let _ = server_stop.wait_for(|s| *s).await;
        }));
        let loader = state.clone();
        let loading = tokio::task::spawn_blocking(move || -> Result<()> {
            let engine = Engine::open(&options.data)?;
            engine.load_corpora_if_empty(&options.corpora, progress)?;
            loader.set_engine(Arc::new(engine))
        });
        tokio::select! {
            loaded = loading => {
                loaded.map_err(|e| Error::Internal(e.to_string()))??;
                on_ready(addr);
            }
            _ = signalled.wait_for(|s| *s) => {
                tracing::warn!("interrupted while loading");
            }
        }
        server.await.map_err(|e| Error::Internal(e.to_string()))?
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    outcome
}
