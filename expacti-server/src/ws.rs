//! `/ws/shell`: a shell asks, waits and reports the exit code (see
//! `expacti_core::protocol`). One request at a time per connection; a shell that reconnects
//! with the same request id resumes the same request.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use expacti_core::protocol::{ClientMessage, MAX_FRAME, ServerMessage};

use crate::error::{AppError, Result};
use crate::fanout::Waiting;
use crate::state::{AppState, NewRequest, RequestRow, ShellToken};

/// How often the server pings an idle shell.
const PING_EVERY: Duration = Duration::from_secs(15);
/// A shell silent this long (no frame, no pong) is dropped; its request stays and resumes.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// How often a waiting request is re-read from the database anyway, on PostgreSQL. Decisions
/// wake the waiting shell at once (on this replica directly, from other replicas through
/// PostgreSQL `NOTIFY`, see [`crate::fanout`]); this is the safety net for a notification lost
/// on a connection that broke without an error. On SQLite every decision is made by this one
/// process and wakes its shell directly, so there is nothing to re-read.
const RECHECK_EVERY: Duration = Duration::from_secs(30);
/// Per-connection WebSocket buffers: frames are small, and 10,000 waiting shells must fit in
/// well under 1 GiB.
const BUFFER: usize = 8 * 1024;
/// Malformed frames tolerated before the connection is closed.
const MAX_ERRORS: u32 = 8;

/// The upgrade: the shell token is checked before the WebSocket opens.
pub async fn handler(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(token) = crate::api::shell_token(&state, header).await? else {
        state.metrics.refused.fetch_add(1, Ordering::Relaxed);
        return Err(AppError::Unauthorized);
    };
    Ok(ws
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(BUFFER)
        .write_buffer_size(BUFFER)
        .on_upgrade(move |socket| async move {
            state.metrics.shells.fetch_add(1, Ordering::Relaxed);
            let mut waiting = None;
            session(&state, token, socket, &mut waiting).await;
            if let Some(w) = waiting {
                w.leave(&state).await;
            }
            state.metrics.shells.fetch_sub(1, Ordering::Relaxed);
        }))
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(t) => socket.send(Message::Text(t.into())).await.is_ok(),
        Err(_) => false,
    }
}

fn decision(row: &RequestRow) -> Option<ServerMessage> {
    Some(ServerMessage::Decision {
        id: row.client_id.clone(),
        request: row.id.clone(),
        command_sha256: row.command_sha256.clone(),
        outcome: row.outcome()?,
        why: row.why.clone(),
        reviewer: row.reviewer.clone(),
    })
}

/// The request a connection waits on.
#[derive(Debug)]
struct Wait {
    id: String,
    /// This connection's session id, recorded on the request while it waits.
    session: String,
    watch: Waiting,
}

impl Wait {
    async fn start(state: &AppState, id: String) -> Option<Wait> {
        let session = crate::auth::new_id().ok()?;
        let watch = state.waiters.watch(&id);
        if let Err(e) = state.attach(&id, &session).await {
            tracing::warn!(request = %id, error = %e, "could not record the waiting shell");
        }
        Some(Wait { id, session, watch })
    }

    /// The shell stopped waiting without a decision (it left, or asked something else).
    async fn leave(self, state: &AppState) {
        if let Err(e) = state.detach(&self.id, &self.session).await {
            tracing::warn!(request = %self.id, error = %e, "could not record that the shell left");
        }
    }
}

async fn session(
    state: &Arc<AppState>,
    token: ShellToken,
    mut socket: WebSocket,
    waiting: &mut Option<Wait>,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.reset();
    let rechecks = state.db.backend == crate::db::Backend::Postgres;
    let mut last_seen = tokio::time::Instant::now();
    let mut errors = 0u32;
    loop {
        tokio::select! {
            msg = socket.recv() => {
                last_seen = tokio::time::Instant::now();
                let text = match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => {
                        errors += 1;
                        state.metrics.refused.fetch_add(1, Ordering::Relaxed);
                        send(&mut socket, &ServerMessage::Error { id: None, message: "binary frames are not accepted: send JSON text".into() }).await;
                        if errors >= MAX_ERRORS { return close(socket, "too many bad frames").await; }
                        continue;
                    }
                    Some(Ok(Message::Text(t))) => t,
                };
                let msg: ClientMessage = match serde_json::from_str(text.as_str()) {
                    Ok(m) => m,
                    Err(e) => {
                        errors += 1;
                        state.metrics.refused.fetch_add(1, Ordering::Relaxed);
                        send(&mut socket, &ServerMessage::Error { id: None, message: format!("malformed message: {e}") }).await;
                        if errors >= MAX_ERRORS { return close(socket, "too many bad frames").await; }
                        continue;
                    }
                };
                match msg {
                    ClientMessage::Ping => { send(&mut socket, &ServerMessage::Pong).await; }
                    ClientMessage::Request { id, command, context, timeout_secs } => {
                        let req = NewRequest { client_id: id.clone(), command, context, timeout_secs };
                        match state.submit(&token, req).await {
                            Ok(s) => {
                                if let Some(old) = waiting.take() && old.id != s.row.id {
                                    old.leave(state).await;
                                }
                                if let Some(d) = decision(&s.row) {
                                    if !send(&mut socket, &d).await { return; }
                                } else {
                                    let left = (s.row.timeout_at - state.clock.now()).max(0) / 1000;
                                    let url = format!("{}/requests/{}", state.public_url, s.row.id);
                                    let p = ServerMessage::Pending { id, request: s.row.id.clone(), url,
                                        expires_in_secs: u64::try_from(left).unwrap_or(0), risk: s.row.risk_level.clone() };
                                    *waiting = Wait::start(state, s.row.id).await;
                                    if !send(&mut socket, &p).await { return; }
                                    // Decided between the submit and the registration?
                                    if !deliver_if_decided(state, &mut socket, waiting).await { return; }
                                }
                            }
                            Err(e) => {
                                state.metrics.refused.fetch_add(1, Ordering::Relaxed);
                                let message = match e { AppError::Db(_) | AppError::Internal(_) => "the server could not record the request".to_string(), e => e.to_string() };
                                if !send(&mut socket, &ServerMessage::Error { id: Some(id), message }).await { return; }
                            }
                        }
                    }
                    ClientMessage::Exit { id, code } => {
                        let m = match state.record_exit(&token, &id, code).await {
                            Ok(()) => ServerMessage::ExitRecorded { id },
                            Err(e) => ServerMessage::Error { id: Some(id), message: e.to_string() },
                        };
                        if !send(&mut socket, &m).await { return; }
                    }
                }
            }
            _ = changed(waiting) => {
                if !deliver_if_decided(state, &mut socket, waiting).await { return; }
            }
            _ = recheck.tick(), if rechecks && waiting.is_some() => {
                if !deliver_if_decided(state, &mut socket, waiting).await { return; }
            }
            _ = ping.tick() => {
                if last_seen.elapsed() > IDLE_LIMIT { return close(socket, "idle").await; }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() { return; }
            }
        }
    }
}

/// Resolves when the awaited request may have changed; never without one.
async fn changed(waiting: &mut Option<Wait>) {
    match waiting {
        Some(w) => {
            if w.watch.rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// Sends the decision of the awaited request if it is decided; false when the socket failed.
async fn deliver_if_decided(
    state: &AppState,
    socket: &mut WebSocket,
    waiting: &mut Option<Wait>,
) -> bool {
    let Some(id) = waiting.as_ref().map(|w| w.id.clone()) else {
        return true;
    };
    match state.get(&id).await {
        Ok(row) => match decision(&row) {
            Some(d) => {
                *waiting = None;
                send(socket, &d).await
            }
            None => true,
        },
        // The database is unreachable: keep waiting; the shell's own timeout still holds.
        Err(_) => true,
    }
}

async fn close(mut socket: WebSocket, why: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1008,
            reason: why.to_string().into(),
        })))
        .await;
}
