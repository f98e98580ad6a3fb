//! The expacti approval server (SPEC §8): shells connect to `/ws/shell` and wait; reviewers
//! decide through the HTTP API; every decision lands in a hash-chained audit trail.
//!
//! The server only adapts: every decision about a command is made by `expacti-core`
//! (`Policy::check`), and the audit chain's hashing and signing are core's too.
#![deny(missing_docs)]

pub mod admin;
pub mod api;
pub mod auth;
pub mod db;
pub mod error;
pub mod fanout;
pub mod notify;
pub mod state;
pub mod suggestions;
pub mod time;
pub mod web;
pub mod ws;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use expacti_core::Policy;
use tokio::sync::{Mutex, broadcast};

use crate::db::Db;
use crate::error::{AppError, Result};
use crate::state::{AppState, LoadedPolicy, Metrics};

/// Where the server keeps its files and data.
#[derive(Debug, Clone)]
pub struct Storage {
    /// The data directory (SQLite database, audit signing key, initial admin password).
    pub data: PathBuf,
    /// A database URL; SQLite in the data directory when absent.
    pub database: Option<String>,
}

impl Storage {
    /// Opens the database, creating the data directory.
    pub async fn open(&self) -> Result<Db> {
        std::fs::create_dir_all(&self.data)
            .map_err(|e| AppError::Config(format!("cannot create {}: {e}", self.data.display())))?;
        let url = self
            .database
            .clone()
            .unwrap_or_else(|| db::sqlite_url(&self.data));
        let db = Db::open(&url).await?;
        admin::ensure_admin(&db, &self.data).await?;
        Ok(db)
    }
}

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: String,
    /// Storage.
    pub storage: Storage,
    /// The policy file; without one every command goes to review.
    pub policy: Option<PathBuf>,
    /// The dashboard's public base URL, for links.
    pub public_url: Option<String>,
    /// The notification settings file.
    pub notify: Option<PathBuf>,
    /// The clock (tests move it forward).
    pub clock: time::Clock,
    /// A waiting request whose shell left and did not come back for this long is decided
    /// `abandoned`.
    pub abandon_after: Duration,
}

/// The default abandon period: long enough for a shell to reconnect to another replica.
pub const ABANDON_AFTER: Duration = Duration::from_secs(60);

/// The router.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws/shell", get(ws::handler))
        .route("/api/requests", get(api::list))
        .route("/api/requests/{id}", get(api::get))
        .route("/api/requests/{id}/approve", post(api::approve))
        .route("/api/requests/{id}/deny", post(api::deny))
        .route("/api/history", get(api::history))
        .route("/api/audit/export", get(api::audit_export))
        .route("/api/audit/key", get(api::audit_key))
        .route("/api/policy", get(api::policy))
        .route("/api/policy/reload", post(api::reload))
        .route("/api/audit/status", get(api::audit_status))
        .route("/api/admin/tokens", get(api::admin_tokens))
        .route("/api/admin/tokens/{id}/revoke", post(api::admin_revoke))
        .route("/api/admin/reviewers", get(api::admin_reviewers))
        .route("/api/events", get(web::events))
        .route("/slack/interactions", post(notify::slack_interaction))
        .route(
            "/confirm/{token}",
            get(notify::confirm_page).post(notify::confirm_post),
        )
        .route("/api/push/key", get(notify::push_key))
        .route("/api/push/subscriptions", post(notify::push_subscribe))
        .route("/api/requests/{id}/deliveries", get(api::deliveries))
        .route("/api/deliveries", get(api::recent_deliveries))
        .route("/sw.js", get(notify::service_worker))
        .route("/api/suggestions", get(suggestions::list))
        .route("/api/suggestions/accept", post(suggestions::accept))
        .route("/api/suggestions/dismiss", post(suggestions::dismiss))
        .route("/api/admin/tokens", post(api::admin_create_token))
        .route("/api/admin/reviewers", post(api::admin_add_reviewer))
        .route(
            "/api/admin/reviewers/{name}/remove",
            post(api::admin_remove_reviewer),
        )
        .route("/", get(web::queue_page))
        .route("/requests/{id}", get(web::request_page))
        .route("/history", get(web::history_page))
        .route("/rules", get(web::rules_page))
        .route("/admin", get(web::admin_page))
        .route("/login", get(web::login_page).post(web::login))
        .route("/logout", post(web::logout))
        .route("/assets/app.css", get(web::css))
        .route("/assets/app.js", get(web::js))
        .fallback(web::not_found)
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

/// Reads a 32-byte key from the data directory (`audit-signing.key`, `session.key`), creating
/// it (mode 0600) on first start. Replicas must share these files.
fn key_file(dir: &Path, file: &str) -> Result<[u8; 32]> {
    let path = dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(t) => expacti_core::audit::unhex::<32>(t.trim()).ok_or_else(|| {
            AppError::Config(format!(
                "{}: not a 64-hex-digit ed25519 key",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = auth::random_bytes::<32>()?;
            admin::write_private(&path, &expacti_core::audit::hex(&key))?;
            Ok(key)
        }
        Err(e) => Err(AppError::Config(format!("{}: {e}", path.display()))),
    }
}

/// Replaces `DATA/audit-signing.key` with a new random key, keeping the old file as
/// `audit-signing.key.retired-MILLIS`. Returns the (old, new) public keys, hex. Running servers
/// keep signing with the key they loaded until they restart.
pub fn rotate_signing_key(data: &Path) -> Result<(String, String)> {
    let path = data.join("audit-signing.key");
    let old = key_file(data, "audit-signing.key")?;
    let retired = data.join(format!("audit-signing.key.retired-{}", time::now_ms()));
    std::fs::rename(&path, &retired)
        .map_err(|e| AppError::Config(format!("cannot move {} aside: {e}", path.display())))?;
    let new = key_file(data, "audit-signing.key")?;
    Ok((
        expacti_core::audit::public_key(&old),
        expacti_core::audit::public_key(&new),
    ))
}

/// A server ready to accept connections: its listener, its state (with the background tasks
/// running: notifier, timeout and escalation sweeps, WAL and audit checkpoints).
#[derive(Debug)]
pub struct Prepared {
    /// The bound listener.
    pub listener: tokio::net::TcpListener,
    /// Its address.
    pub addr: SocketAddr,
    /// The shared state.
    pub state: Arc<AppState>,
}

/// Opens storage, loads the policy and notification settings, binds the listener and starts
/// the background tasks; [`serve`] then answers requests. Tests use it to run a server in
/// their own process with a clock they move.
pub async fn prepare(opts: ServeOptions) -> Result<Prepared> {
    let db = opts.storage.open().await?;
    let (policy, path, text) = match &opts.policy {
        Some(p) => {
            let (pol, text) = state::load_policy(p).map_err(|e| AppError::Config(e.to_string()))?;
            (pol, Some(p.clone()), text)
        }
        None => (
            Policy::empty().map_err(|e| AppError::Config(e.to_string()))?,
            None,
            String::new(),
        ),
    };
    let notifier = match &opts.notify {
        Some(p) => Some(Arc::new(notify::Notifier::new(
            notify::NotifyConfig::load(p)?,
            &opts.storage.data,
        )?)),
        None => None,
    };
    let key = key_file(&opts.storage.data, "audit-signing.key")?;
    let session_key = key_file(&opts.storage.data, "session.key")?;
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .map_err(|e| AppError::Config(format!("cannot listen on {}: {e}", opts.listen)))?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| AppError::Config(e.to_string()))?;
    let (tx, _) = broadcast::channel(1024);
    let (writer, jobs) = tokio::sync::mpsc::channel(4 * state::GROUP);
    let state = Arc::new(AppState {
        db,
        policy: RwLock::new(LoadedPolicy {
            policy: Arc::new(policy),
            path,
            text,
        }),
        write_lock: Mutex::new(()),
        decided: tx,
        public_url: opts
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string(),
        signing_key: key,
        session_key,
        logins: web::LoginLimiter::default(),
        metrics: Metrics::default(),
        notifier: notifier.clone(),
        escalated: broadcast::channel(1024).0,
        clock: opts.clock.clone(),
        changes: broadcast::channel(1024).0,
        waiters: Arc::new(fanout::Waiters::default()),
        replica: auth::new_id()?,
        listener: fanout::ListenerStatus::default(),
        abandon_after_ms: i64::try_from(opts.abandon_after.as_millis()).unwrap_or(i64::MAX / 4),
        writer,
    });
    tokio::spawn(state.clone().write_new_requests(jobs));
    // Shells that left while this server was down could not come back until now: each
    // detached request gets a whole abandon period from this start.
    sqlx::query(
        "UPDATE requests SET detached_at = $1 WHERE state = 'pending' AND detached_at IS NOT NULL",
    )
    .bind(state.clock.now())
    .execute(&state.db.pool)
    .await?;
    if let (db::Backend::Postgres, Some(url)) = (state.db.backend, &opts.storage.database) {
        tokio::spawn(fanout::listen(state.clone(), url.clone()));
    }
    if let Some(n) = notifier {
        tokio::spawn(n.run(state.clone()));
    }
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.sweep_timeouts().await {
                tracing::warn!(error = %e, "timeout sweep failed; retrying");
            }
            if let Err(e) = sweeper.sweep_escalations().await {
                tracing::warn!(error = %e, "escalation sweep failed; retrying");
            }
            if let Err(e) = sweeper.sweep_abandoned().await {
                tracing::warn!(error = %e, "abandonment sweep failed; retrying");
            }
        }
    });
    let wal = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            if let Err(e) = wal.db.checkpoint_wal().await {
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
            }
        }
    });
    let signer = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = signer.checkpoint().await {
                tracing::warn!(error = %e, "audit checkpoint failed; retrying");
            }
        }
    });
    Ok(Prepared {
        listener,
        addr,
        state,
    })
}

/// Starts the server and runs until SIGINT or SIGTERM. Prints `listening on http://ADDR` on
/// standard output once it accepts connections.
pub async fn serve(opts: ServeOptions) -> Result<()> {
    let Prepared {
        listener,
        addr,
        state,
    } = prepare(opts).await?;
    let key = state.signing_key;
    tracing::info!(%addr, key = %expacti_core::audit::public_key(&key), "expacti-server started");
    println!("listening on http://{addr}");
    println!(
        "audit signing key (pin it with `expacti audit verify --key`): {}",
        expacti_core::audit::public_key(&key)
    );
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    // Waiting shells hold their WebSockets open: after the signal, give them a moment, then
    // stop. Their requests stay in the database and resume on reconnect.
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signalled = stopping.clone();
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown().await;
        signalled.notify_one();
    });
    tokio::select! {
        r = server => r.map_err(|e| AppError::Internal(e.to_string())),
        _ = async { stopping.notified().await; tokio::time::sleep(Duration::from_secs(3)).await } => Ok(()),
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
