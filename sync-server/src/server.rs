//! Opening the embedded stores and serving the router with graceful shutdown: on
//! SIGTERM (or Ctrl-C) the listener closes and in-flight requests run to completion.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::api::router;
use crate::config::{DataDir, Limits};
use crate::state::AppState;
use crate::storage::StoreError;
use crate::storage::files::FileBlobStore;
use crate::storage::sqlite::SqliteStore;

/// Opens the embedded SQLite record store and local blob store in a data folder.
pub fn open_state(data: &DataDir, limits: Limits) -> Result<AppState, StoreError> {
    let store = SqliteStore::open(&data.database())?;
    let blobs = FileBlobStore::open(&data.blobs())?;
    Ok(AppState::new(Arc::new(store), Arc::new(blobs), limits))
}

/// Serves on an already bound listener until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With connect info, so that logs and the enrolment rate limit see the client's
    // address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Binds `listen` and serves until SIGTERM or Ctrl-C.
pub async fn serve(data: &DataDir, listen: SocketAddr, limits: Limits) -> std::io::Result<()> {
    let state = open_state(data, limits).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, data = %data.root.display(), "listening");
    // Tests and scripts read this line to learn the port when listening on :0.
    println!("gridwalk-server listening on http://{local}");
    serve_on(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
