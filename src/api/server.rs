//! Starting and stopping the service: listen at once (answering 503 while the
//! engine loads), open the engine and load the corpora into an empty store,
//! keep the indexes synced, and on SIGINT/SIGTERM stop accepting, finish the
//! requests in flight, sync and persist.

use super::admin::AdminFile;
use super::state::{AppState, ServiceConfig};
use crate::{Engine, Error, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Without writes, the indexes are checked against the store this often.
const IDLE_SYNC: Duration = Duration::from_secs(1);
/// Pause after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

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

/// Accepts connections until `shutdown` resolves, then lets the connections
/// finish their requests in flight. Each connection must send a request's
/// headers within [`ServiceConfig::header_read_timeout`] (a client that
/// stalls is disconnected; this also closes idle keep-alive connections).
async fn accept_loop(
    listener: TcpListener,
    app: axum::Router,
    config: &ServiceConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
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
    accept_loop(listener, app, &state.config, shutdown).await;
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
        let data = options.data.clone();
        let loading = tokio::task::spawn_blocking(move || -> Result<AdminFile> {
            let engine = Engine::open(&options.data)?;
            // The store is ours now (sled's lock): say how to reach us for snapshots.
            let admin = AdminFile::create(&options.data, addr)?;
            loader.set_admin_token(admin.token.clone());
            engine.load_corpora_if_empty(&options.corpora, progress)?;
            loader.set_engine(Arc::new(engine))?;
            Ok(admin)
        });
        let mut admin = None;
        tokio::select! {
            loaded = loading => {
                admin = Some(loaded.map_err(|e| Error::Internal(e.to_string()))??);
                on_ready(addr);
            }
            _ = signalled.wait_for(|s| *s) => {
                tracing::warn!("interrupted while loading");
            }
        }
        let served = server.await.map_err(|e| Error::Internal(e.to_string()))?;
        if let Some(admin) = admin {
            admin.remove_if_current(&data);
        }
        served
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    outcome
}
