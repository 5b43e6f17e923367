//! Opening the embedded stores and serving the router, so that no client can hold the
//! server hostage:
//! - at most [`Limits::max_connections`] connections are served at once; further ones
//!   wait in the listen queue;
//! - a client gets [`Limits::header_read_timeout`] to send a request's headers
//!   (slowloris), from the moment it connects and between requests on a kept-alive
//!   connection, and a body that goes [`Limits::body_read_timeout`] without a byte ends
//!   its request (see [`crate::api`]);
//! - on SIGTERM (or Ctrl-C) the listener closes, idle connections close, requests in
//!   flight get [`Limits::shutdown_grace`] to finish, and connections still open after
//!   that (a stalled upload on a half-open connection) are dropped.
//!
//! Unfinished uploads past their expiry are swept at start and then periodically.
//!
//! The server speaks HTTP/1.1 only, as every client of the protocol does: HTTP/2 has no
//! header read timeout, and telling the two apart waits on the client's first bytes
//! with no timeout at all.
//!
//! [`Limits::max_connections`]: crate::config::Limits::max_connections
//! [`Limits::header_read_timeout`]: crate::config::Limits::header_read_timeout
//! [`Limits::body_read_timeout`]: crate::config::Limits::body_read_timeout
//! [`Limits::shutdown_grace`]: crate::config::Limits::shutdown_grace

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::api::blobs::sweep_expired_uploads;
use crate::api::router;
use crate::config::{DataDir, Limits};
use crate::console;
use crate::state::AppState;
use crate::storage::{Blobs, Database, StoreError};

/// Opens the embedded SQLite record store and local blob store in a data folder.
pub fn open_state(data: &DataDir, limits: Limits) -> Result<AppState, StoreError> {
    open_state_on(&Database::Sqlite(data.database()), data, limits)
}

/// Opens the record store in `database` and the blob store in a data folder.
pub fn open_state_on(
    database: &Database,
    data: &DataDir,
    limits: Limits,
) -> Result<AppState, StoreError> {
    open_stores(database, &Blobs::Folder(data.blobs()), limits)
}

/// Opens the record store in `database` and the blob store in `blobs`.
pub fn open_stores(
    database: &Database,
    blobs: &Blobs,
    limits: Limits,
) -> Result<AppState, StoreError> {
    let store = database.open()?;
    Ok(AppState::new(store, blobs.open()?, limits))
}

/// Serves on an already bound listener until `shutdown` completes, then lets the
/// requests in flight finish for at most the shutdown grace and drops what is left.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    let app = router(state.clone()).merge(console::router(state.clone()));
    let sweeper = tokio::spawn(sweep_uploads(state));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1) as usize));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => permit.map_err(std::io::Error::other)?,
        };
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            // So that logs and the enrolment rate limit see the client's address.
            req.extensions_mut().insert(ConnectInfo(remote));
            app.clone().call(req)
        });
        let builder = builder.clone();
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let _permit = permit;
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                    // Finish the request in flight, if any, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(client = %remote, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let open = connections.len();
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            of = open,
            grace_ms = limits.shutdown_grace.as_millis() as u64,
            "shutdown grace over; dropping connections still open"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    sweeper.abort();
    Ok(())
}

/// Waits out a failed accept: a connection that failed before it was accepted is
/// nobody's problem; anything else (out of file descriptors) is logged and given a
/// moment to pass rather than spun on.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Removes expired uploads now and then every sweep interval, until aborted.
async fn sweep_uploads(state: AppState) {
    let mut ticker = tokio::time::interval(state.limits.upload_sweep_interval());
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match sweep_expired_uploads(&state).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired uploads removed"),
            Err(e) => tracing::error!(error = %e, "sweeping expired uploads failed"),
        }
    }
}

/// Binds `listen` and serves the data folder's embedded stores until SIGTERM or Ctrl-C.
pub async fn serve(data: &DataDir, listen: SocketAddr, limits: Limits) -> std::io::Result<()> {
    serve_database(
        data,
        &Database::Sqlite(data.database()),
        &Blobs::Folder(data.blobs()),
        listen,
        limits,
    )
    .await
}

/// Binds `listen` and serves the records in `database` and the photos in `blobs`
/// until SIGTERM or Ctrl-C.
pub async fn serve_database(
    data: &DataDir,
    database: &Database,
    blobs: &Blobs,
    listen: SocketAddr,
    limits: Limits,
) -> std::io::Result<()> {
    let state = open_stores(database, blobs, limits).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, data = %data.root.display(), "listening");
    // Tests and scripts read this line to learn the port when listening on :0. A reader
    // that went away (`serve | head -0`) is no reason to stop serving: `println!` would
    // panic, so the line is written and a failure ignored.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ =
            writeln!(out, "gridwalk-server listening on http://{local}").and_then(|()| out.flush());
    }
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
