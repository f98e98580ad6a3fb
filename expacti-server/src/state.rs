//! The server's shared state and the request lifecycle: submit, decide (by a reviewer, a
//! timeout or the policy), record the exit code. Every decision and its audit record are
//! written in one transaction, so a crash loses neither or both; decisions about a command
//! come from `expacti-core` only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use expacti_core::Policy;
use expacti_core::audit;
use expacti_core::policy::{Context, Decision, OnTimeout, Routing, approval_refused};
use expacti_core::protocol::{MAX_COMMAND, MAX_ID, Outcome};
use serde_json::{Map, Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use tokio::sync::{Mutex, broadcast};

use crate::db::{self, Db};
use crate::error::{AppError, Result};
use crate::fanout::Change;
use crate::time::{now_ms, rfc3339};

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests submitted (new, not resumed).
    pub requests: AtomicU64,
    /// Requests resumed by a reconnecting shell.
    pub resumed: AtomicU64,
    /// Decided by the policy at once, allow.
    pub auto_approved: AtomicU64,
    /// Decided by the policy at once, deny.
    pub auto_denied: AtomicU64,
    /// Approved by reviewers.
    pub approved: AtomicU64,
    /// Denied by reviewers.
    pub denied: AtomicU64,
    /// Timed out.
    pub timed_out: AtomicU64,
    /// Abandoned by their shells.
    pub abandoned: AtomicU64,
    /// Frames refused (malformed, oversized, unauthenticated).
    pub refused: AtomicU64,
    /// Open shell connections.
    pub shells: AtomicU64,
}

/// The loaded policy and where it came from.
#[derive(Debug)]
pub struct LoadedPolicy {
    /// The compiled policy.
    pub policy: Arc<Policy>,
    /// The file, when there is one.
    pub path: Option<PathBuf>,
    /// Its text.
    pub text: String,
}

/// Shared state.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The policy in force.
    pub policy: RwLock<LoadedPolicy>,
    /// Serialises writes (SQLite has one writer; PostgreSQL replicas also lock the audit head).
    pub write_lock: Mutex<()>,
    /// Request ids, sent after each new request and each decision is committed.
    pub decided: broadcast::Sender<String>,
    /// Where the dashboard is, for links.
    pub public_url: String,
    /// The audit signing key.
    pub signing_key: [u8; 32],
    /// The key that signs dashboard session cookies.
    pub session_key: [u8; 32],
    /// Failed dashboard logins.
    pub logins: crate::web::LoginLimiter,
    /// Counters.
    pub metrics: Metrics,
    /// Notifications, when configured.
    pub notifier: Option<Arc<crate::notify::Notifier>>,
    /// Request ids whose escalation time came (sent once, by the replica that marked it).
    pub escalated: broadcast::Sender<String>,
    /// The clock for request times, timeouts and escalations.
    pub clock: crate::time::Clock,
    /// Request ids changed on this replica or another (or `*`: reload everything), for
    /// dashboards.
    pub changes: broadcast::Sender<String>,
    /// Shells waiting on this replica.
    pub waiters: Arc<crate::fanout::Waiters>,
    /// This replica's random id, in its notifications.
    pub replica: String,
    /// The connection listening for other replicas' changes.
    pub listener: crate::fanout::ListenerStatus,
    /// A waiting request whose shell left and did not come back for this long is abandoned.
    pub abandon_after_ms: i64,
    /// The queue of new requests to store ([`AppState::write_new_requests`]).
    pub writer: tokio::sync::mpsc::Sender<NewRow>,
}

/// A shell token's row.
#[derive(Debug, Clone)]
pub struct ShellToken {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The repository it is limited to.
    pub repository: Option<String>,
    /// The environment it is limited to.
    pub environment: Option<String>,
}

/// A request as stored.
#[derive(Debug, Clone)]
pub struct RequestRow {
    /// Server id.
    pub id: String,
    /// The shell token that asked.
    pub token_id: String,
    /// The client's id.
    pub client_id: String,
    /// The command.
    pub command: String,
    /// Its SHA-256.
    pub command_sha256: String,
    /// Context (JSON object).
    pub context: Value,
    /// The core's evaluation (JSON).
    pub evaluation: Value,
    /// Risk level.
    pub risk_level: String,
    /// Risk score.
    pub risk_score: i64,
    /// The deciding rule, if one.
    pub rule: Option<String>,
    /// Distinct approvals needed.
    pub approvals_needed: i64,
    /// What a timeout does.
    pub on_timeout: String,
    /// State: `pending`, or a history decision of SPEC §6 (`approved`, `denied`,
    /// `timed_out`, `auto_approved`, `auto_denied`).
    pub state: String,
    /// Why, in words.
    pub why: String,
    /// Times, ms.
    pub created_at: i64,
    /// When it times out, ms.
    pub timeout_at: i64,
    /// When it was decided, ms.
    pub decided_at: Option<i64>,
    /// Who decided.
    pub reviewer: Option<String>,
    /// Their comment.
    pub comment: Option<String>,
    /// The command's exit code, when it ran.
    pub exit_code: Option<i64>,
    /// When it escalates if still waiting, ms.
    pub escalate_at: Option<i64>,
    /// When it escalated, ms.
    pub escalated_at: Option<i64>,
}

const REQUEST_COLS: &str = "id, token_id, client_id, command, command_sha256, context, evaluation, \
    risk_level, risk_score, rule, approvals_needed, on_timeout, state, why, created_at, timeout_at, \
    decided_at, reviewer, comment, exit_code, escalate_at, escalated_at";

impl RequestRow {
    fn from_row(r: &AnyRow) -> Result<RequestRow> {
        let json = |c: &str| -> Result<Value> {
            serde_json::from_str(&db::str_col(r, c)?)
                .map_err(|e| AppError::Internal(format!("stored {c}: {e}")))
        };
        Ok(RequestRow {
            id: db::str_col(r, "id")?,
            token_id: db::str_col(r, "token_id")?,
            client_id: db::str_col(r, "client_id")?,
            command: db::str_col(r, "command")?,
            command_sha256: db::str_col(r, "command_sha256")?,
            context: json("context")?,
            evaluation: json("evaluation")?,
            risk_level: db::str_col(r, "risk_level")?,
            risk_score: db::int(r, "risk_score")?,
            rule: db::opt_str(r, "rule")?,
            approvals_needed: db::int(r, "approvals_needed")?,
            on_timeout: db::str_col(r, "on_timeout")?,
            state: db::str_col(r, "state")?,
            why: db::str_col(r, "why")?,
            created_at: db::int(r, "created_at")?,
            timeout_at: db::int(r, "timeout_at")?,
            decided_at: db::opt_int(r, "decided_at")?,
            reviewer: db::opt_str(r, "reviewer")?,
            comment: db::opt_str(r, "comment")?,
            exit_code: db::opt_int(r, "exit_code")?,
            escalate_at: db::opt_int(r, "escalate_at")?,
            escalated_at: db::opt_int(r, "escalated_at")?,
        })
    }

    /// What the shell is told of a decided request; `None` while pending.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.state.as_str() {
            "approved" | "auto_approved" => Some(Outcome::Allow),
            "denied" | "auto_denied" | "abandoned" => Some(Outcome::Deny),
            "timed_out" => Some(Outcome::TimedOut),
            _ => None,
        }
    }

    /// The history record of SPEC §6 (without the chain fields).
    pub fn history_record(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("command".into(), json!(self.command));
        m.insert("decision".into(), json!(self.state));
        m.insert("reviewer".into(), json!(self.reviewer));
        m.insert("rule".into(), json!(self.rule));
        m.insert(
            "risk".into(),
            self.evaluation.get("risk").cloned().unwrap_or(Value::Null),
        );
        m.insert("requested_at".into(), json!(rfc3339(self.created_at)));
        m.insert("decided_at".into(), json!(self.decided_at.map(rfc3339)));
        m.insert(
            "latency_ms".into(),
            json!(self.decided_at.map(|d| d - self.created_at)),
        );
        m.insert("exit_code".into(), json!(self.exit_code));
        m.insert("context".into(), self.context.clone());
        m.insert("comment".into(), json!(self.comment));
        m
    }

    /// Where the request was routed when it was submitted.
    pub fn routing(&self) -> Routing {
        self.evaluation
            .get("routing")
            .and_then(|r| serde_json::from_value(r.clone()).ok())
            .unwrap_or_default()
    }

    /// The JSON a reviewer sees.
    pub fn to_json(&self, approvals: &[(String, i64, Option<String>)]) -> Value {
        let mut m = self.history_record();
        m.insert("state".into(), json!(self.state));
        m.insert("why".into(), json!(self.why));
        m.insert("evaluation".into(), self.evaluation.clone());
        m.insert("approvals_needed".into(), json!(self.approvals_needed));
        m.insert(
            "approvals".into(),
            json!(
                approvals
                    .iter()
                    .map(|(r, at, c)| json!({"reviewer": r, "at": rfc3339(*at), "comment": c}))
                    .collect::<Vec<_>>()
            ),
        );
        m.insert("on_timeout".into(), json!(self.on_timeout));
        m.insert("timeout_at".into(), json!(rfc3339(self.timeout_at)));
        m.insert("client_id".into(), json!(self.client_id));
        m.insert("escalate_at".into(), json!(self.escalate_at.map(rfc3339)));
        m.insert("escalated_at".into(), json!(self.escalated_at.map(rfc3339)));
        Value::Object(m)
    }
}

/// What the shell is answered when it submits.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The request.
    pub row: RequestRow,
    /// Whether it existed already (a resumed request).
    pub resumed: bool,
}

/// New requests stored in one transaction at most.
pub const GROUP: usize = 64;

/// A new request on its way to the writer ([`AppState::write_new_requests`]).
#[derive(Debug)]
pub struct NewRow {
    /// The row.
    pub row: RequestRow,
    /// Context columns kept for filtering.
    pub repository: Option<String>,
    /// The context's source.
    pub source: Option<String>,
    /// The context's run id.
    pub run_id: Option<String>,
    /// The row back, and whether it was inserted (false: the client id was taken).
    pub reply: tokio::sync::oneshot::Sender<Result<(RequestRow, bool)>>,
}

/// A new request from a shell.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The client's id.
    pub client_id: String,
    /// The command.
    pub command: String,
    /// Context.
    pub context: BTreeMap<String, String>,
    /// How long the shell waits, seconds.
    pub timeout_secs: Option<u64>,
}

impl AppState {
    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => p.policy.clone(),
            Err(poisoned) => poisoned.into_inner().policy.clone(),
        }
    }

    /// Submits (or resumes) a request: the core decides; allow and deny are final at once.
    pub async fn submit(&self, token: &ShellToken, req: NewRequest) -> Result<Submitted> {
        if req.client_id.is_empty() || req.client_id.len() > MAX_ID {
            return Err(AppError::BadRequest(format!(
                "the request id must be 1 to {MAX_ID} bytes"
            )));
        }
        if req.command.len() > MAX_COMMAND {
            return Err(AppError::BadRequest(format!(
                "the command is {} bytes; the limit is {MAX_COMMAND}",
                req.command.len()
            )));
        }
        if req.context.len() > 32
            || req
                .context
                .iter()
                .any(|(k, v)| k.len() > 64 || v.len() > 4096)
        {
            return Err(AppError::BadRequest(
                "the context is too large (32 keys, 64-byte keys, 4 KiB values)".into(),
            ));
        }
        let sha = audit::sha256_hex(req.command.as_bytes());
        // A new request is inserted straight away; one whose id exists is resumed below.
        let mut ctx = Context {
            values: req.context.clone(),
        };
        for (key, scope) in [
            ("repository", &token.repository),
            ("environment", &token.environment),
        ] {
            if let Some(s) = scope {
                match ctx.values.get(key) {
                    Some(v) if v != s => {
                        return Err(AppError::Forbidden(format!(
                            "this token is limited to {key} `{s}`, not `{v}`"
                        )));
                    }
                    _ => {
                        ctx.values.insert(key.to_string(), s.clone());
                    }
                }
            }
        }
        let policy = self.policy();
        let eval = policy.check(&req.command, &ctx);
        let now = self.clock.now();
        let mut timeout = eval.timeout_secs;
        if let Some(t) = req.timeout_secs {
            timeout = timeout.min(t.max(1));
        }
        let rule = eval.deciding_rule().map(str::to_string);
        let mut evaluation =
            serde_json::to_value(&eval).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut escalate_at = None;
        if eval.verdict == Decision::Review {
            let routing = policy.route(&eval, &ctx);
            escalate_at = routing
                .escalate_after_secs
                .map(|s| now + i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX / 2));
            if let Value::Object(m) = &mut evaluation {
                m.insert(
                    "routing".into(),
                    serde_json::to_value(&routing)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                );
            }
        }
        let state = match eval.verdict {
            Decision::Allow => "auto_approved",
            Decision::Deny => "auto_denied",
            Decision::Review => "pending",
        };
        let row = RequestRow {
            id: crate::auth::new_id()?,
            token_id: token.id.clone(),
            client_id: req.client_id.clone(),
            command: req.command.clone(),
            command_sha256: sha.clone(),
            context: serde_json::to_value(&ctx.values)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            evaluation,
            risk_level: eval.risk.level.as_str().to_string(),
            risk_score: i64::from(eval.risk.score),
            rule,
            approvals_needed: i64::from(eval.approvals.max(1)),
            on_timeout: match eval.on_timeout {
                OnTimeout::Approve => "approve".into(),
                OnTimeout::Deny => "deny".into(),
            },
            state: state.into(),
            why: eval.why.clone(),
            created_at: now,
            timeout_at: now + i64::try_from(timeout.saturating_mul(1000)).unwrap_or(i64::MAX / 2),
            decided_at: (state != "pending").then_some(now),
            reviewer: None,
            comment: None,
            exit_code: None,
            escalate_at,
            escalated_at: None,
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = NewRow {
            row,
            repository: ctx.values.get("repository").cloned(),
            source: ctx.values.get("source").cloned(),
            run_id: ctx.values.get("run_id").cloned(),
            reply,
        };
        self.writer
            .send(job)
            .await
            .map_err(|_| AppError::Internal("the writer stopped".into()))?;
        let (row, inserted) = answer
            .await
            .map_err(|_| AppError::Internal("the writer stopped".into()))??;
        if !inserted {
            // The id exists (a shell resuming, or another replica at the same moment).
            let row = self
                .find_by_client(&token.id, &req.client_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if row.command_sha256 != sha {
                return Err(AppError::Conflict(format!(
                    "request id `{}` was used for another command",
                    req.client_id
                )));
            }
            self.metrics.resumed.fetch_add(1, Ordering::Relaxed);
            return Ok(Submitted { row, resumed: true });
        }
        self.metrics.requests.fetch_add(1, Ordering::Relaxed);
        self.changed(Change::New, &row.id);
        match row.state.as_str() {
            "auto_approved" => self.metrics.auto_approved.fetch_add(1, Ordering::Relaxed),
            "auto_denied" => self.metrics.auto_denied.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        tracing::info!(request = %row.id, client_id = %row.client_id, token = %token.name,
            state = %row.state, risk = %row.risk_level, "request submitted");
        Ok(Submitted {
            row,
            resumed: false,
        })
    }

    /// Stores new requests, many in one transaction: the writer takes every request waiting
    /// in its queue (up to [`GROUP`]), inserts them with their audit records (for requests
    /// the policy decided at once) in one transaction, commits once, then answers each. A
    /// failed transaction fails every request in it: their shells are told, and run nothing.
    pub async fn write_new_requests(
        self: Arc<Self>,
        mut jobs: tokio::sync::mpsc::Receiver<NewRow>,
    ) {
        let mut batch = Vec::with_capacity(GROUP);
        while jobs.recv_many(&mut batch, GROUP).await > 0 {
            let result = self.insert_batch(&batch).await;
            match result {
                Ok(inserted) => {
                    for (job, ok) in batch.drain(..).zip(inserted) {
                        let _ = job.reply.send(Ok((job.row, ok)));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, requests = batch.len(), "could not store new requests");
                    for job in batch.drain(..) {
                        let _ = job.reply.send(Err(AppError::Internal(e.to_string())));
                    }
                }
            }
        }
    }

    async fn insert_batch(&self, batch: &[NewRow]) -> Result<Vec<bool>> {
        const COLS: usize = 25;
        let mut sql =
            format!("INSERT INTO requests ({REQUEST_COLS}, repository, source, run_id) VALUES ");
        for i in 0..batch.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..COLS {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i * COLS + c + 1));
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (token_id, client_id) DO NOTHING RETURNING id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for job in batch {
            let row = &job.row;
            q = q
                .bind(&row.id)
                .bind(&row.token_id)
                .bind(&row.client_id)
                .bind(&row.command)
                .bind(&row.command_sha256)
                .bind(row.context.to_string())
                .bind(row.evaluation.to_string())
                .bind(&row.risk_level)
                .bind(row.risk_score)
                .bind(&row.rule)
                .bind(row.approvals_needed)
                .bind(&row.on_timeout)
                .bind(&row.state)
                .bind(&row.why)
                .bind(row.created_at)
                .bind(row.timeout_at)
                .bind(row.decided_at)
                .bind(&row.reviewer)
                .bind(&row.comment)
                .bind(row.exit_code)
                .bind(row.escalate_at)
                .bind(row.escalated_at)
                .bind(&job.repository)
                .bind(&job.source)
                .bind(&job.run_id);
        }
        let _w = self.write_lock.lock().await;
        let mut tx = self.db.begin().await?;
        let ids: std::collections::HashSet<String> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| db::str_col(r, "id"))
            .collect::<Result<_>>()?;
        let inserted: Vec<bool> = batch.iter().map(|j| ids.contains(&j.row.id)).collect();
        let decided: Vec<(&RequestRow, Option<&str>)> = batch
            .iter()
            .zip(&inserted)
            .filter(|(j, ok)| **ok && j.row.state != "pending")
            .map(|(j, _)| (&j.row, None))
            .collect();
        self.append_audit_many(&mut tx, &decided).await?;
        let new: Vec<&str> = batch
            .iter()
            .zip(&inserted)
            .filter(|(_, ok)| **ok)
            .map(|(j, _)| j.row.id.as_str())
            .collect();
        self.notify_tx_many(&mut tx, Change::New, &new).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// Tells other replicas of a change, in the caller's transaction (PostgreSQL delivers
    /// the notification when the transaction commits, and never if it rolls back).
    async fn notify_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        change: Change,
        id: &str,
    ) -> Result<()> {
        self.notify_tx_many(tx, change, &[id]).await
    }

    /// [`AppState::notify_tx`] for several requests, in one notification.
    async fn notify_tx_many(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        change: Change,
        ids: &[&str],
    ) -> Result<()> {
        if self.db.backend == db::Backend::Postgres && !ids.is_empty() {
            // PostgreSQL's payload limit is 8,000 bytes: at most 100 ids of 30 bytes each.
            for chunk in ids.chunks(100) {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(crate::fanout::CHANNEL)
                    .bind(crate::fanout::payload(
                        &self.replica,
                        change,
                        &chunk.join(","),
                    ))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// After a change committed here: wakes the shells waiting on it, tells the dashboards,
    /// and (for new and decided requests) this replica's notifier.
    fn changed(&self, change: Change, id: &str) {
        self.waiters.wake(id);
        if self.changes.receiver_count() > 0 {
            let _ = self.changes.send(id.to_string());
        }
        if change != Change::Updated && self.decided.receiver_count() > 0 {
            let _ = self.decided.send(id.to_string());
        }
    }

    /// Appends the audit record of `row` (with `event` when it is not the decision) to the
    /// chain, in the caller's transaction.
    async fn append_audit(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        row: &RequestRow,
        event: Option<&str>,
    ) -> Result<()> {
        self.append_audit_many(tx, &[(row, event)]).await
    }

    /// Appends several records to the chain in order, in the caller's transaction: the head
    /// is read (locked, on PostgreSQL) and written once, the records inserted in one statement.
    async fn append_audit_many(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        rows: &[(&RequestRow, Option<&str>)],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let head = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            self.db.for_update()
        )))
        .fetch_one(&mut **tx)
        .await?;
        let mut seq = db::int(&head, "seq")?;
        let mut prev = db::str_col(&head, "hash")?;
        let now = self.clock.now();
        let mut sealed = Vec::with_capacity(rows.len());
        for (row, event) in rows {
            let mut rec = row.history_record();
            if let Some(e) = event {
                rec.insert("event".into(), json!(e));
            }
            seq += 1;
            let next = u64::try_from(seq).map_err(|e| AppError::Internal(e.to_string()))?;
            let rec = audit::seal(rec, next, &prev);
            prev = rec
                .get("hash")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            sealed.push((
                seq,
                row.id.as_str(),
                Value::Object(rec).to_string(),
                prev.clone(),
            ));
        }
        let mut sql = String::from("INSERT INTO audit (seq, request_id, at, record, hash) VALUES ");
        for i in 0..sealed.len() {
            let b = i * 5;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, id, record, hash) in &sealed {
            q = q.bind(*seq).bind(*id).bind(now).bind(record).bind(hash);
        }
        q.execute(&mut **tx).await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&prev)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A request by the client's id.
    pub async fn find_by_client(
        &self,
        token_id: &str,
        client_id: &str,
    ) -> Result<Option<RequestRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLS} FROM requests WHERE token_id = $1 AND client_id = $2"
        )))
        .bind(token_id)
        .bind(client_id)
        .fetch_optional(&self.db.pool)
        .await?;
        r.as_ref().map(RequestRow::from_row).transpose()
    }

    /// A request by the server's id.
    pub async fn get(&self, id: &str) -> Result<RequestRow> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLS} FROM requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
        RequestRow::from_row(&r)
    }

    /// Who has approved a request so far: (reviewer, at, comment).
    pub async fn approvals(&self, id: &str) -> Result<Vec<(String, i64, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT reviewer, at, comment FROM approvals WHERE request_id = $1 ORDER BY at",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    db::str_col(r, "reviewer")?,
                    db::int(r, "at")?,
                    db::opt_str(r, "comment")?,
                ))
            })
            .collect()
    }

    /// Requests, newest first, filtered.
    pub async fn list(
        &self,
        filters: &BTreeMap<String, String>,
        limit: i64,
    ) -> Result<Vec<RequestRow>> {
        let mut sql = format!("SELECT {REQUEST_COLS} FROM requests WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        // Written out, so the planner can use the indexes of waiting requests.
        if filters.get("state").is_some_and(|v| v == "pending") {
            sql.push_str(" AND state = 'pending'");
        }
        for (key, col) in [
            ("state", "state"),
            ("repository", "repository"),
            ("source", "source"),
            ("reviewer", "reviewer"),
            ("risk", "risk_level"),
            ("run_id", "run_id"),
        ] {
            if let Some(v) = filters.get(key).filter(|v| !v.is_empty()) {
                binds.push(v.clone());
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        if let Some(q) = filters.get("q").filter(|v| !v.is_empty()) {
            // Full-text search on the command: a substring, with LIKE's wildcards escaped.
            let esc = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            binds.push(format!("%{esc}%"));
            sql.push_str(&format!(" AND command LIKE ${} ESCAPE '\\'", binds.len()));
        }
        let mut times: Vec<i64> = Vec::new();
        for (key, op) in [("since", ">="), ("until", "<"), ("before", "<")] {
            if let Some(s) = filters.get(key).filter(|v| !v.is_empty()) {
                let t = crate::time::parse_rfc3339(s)
                    .or_else(|| crate::time::parse_rfc3339(&format!("{s}T00:00:00Z")))
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "`{key}={s}`: expected an RFC 3339 time or a date"
                        ))
                    })?;
                times.push(t);
                sql.push_str(&format!(
                    " AND created_at {op} ${}",
                    binds.len() + times.len()
                ));
            }
        }
        sql.push_str(&format!(
            " ORDER BY created_at DESC LIMIT {}",
            limit.clamp(1, 100_000)
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b);
        }
        for t in times {
            q = q.bind(t);
        }
        let rows = q.fetch_all(&self.db.pool).await?;
        rows.iter().map(RequestRow::from_row).collect()
    }

    /// A reviewer approves. With `approvals = N` the request is approved at the Nth distinct
    /// reviewer; before that it stays pending.
    pub async fn approve(
        &self,
        id: &str,
        reviewer: &str,
        comment: Option<String>,
    ) -> Result<RequestRow> {
        let _w = self.write_lock.lock().await;
        let mut tx = self.db.begin().await?;
        let row = self.locked_pending(&mut tx, id).await?;
        let requester = row.context.get("actor").and_then(Value::as_str);
        if let Some(why) = approval_refused(
            &row.routing(),
            reviewer,
            requester,
            row.escalated_at.is_some(),
        ) {
            return Err(AppError::Forbidden(why));
        }
        sqlx::query(
            "INSERT INTO approvals (request_id, reviewer, at, comment) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (request_id, reviewer) DO NOTHING",
        )
        .bind(id)
        .bind(reviewer)
        .bind(self.clock.now())
        .bind(&comment)
        .execute(&mut *tx)
        .await?;
        // One approval is enough for most requests: no need to count.
        let n = if row.approvals_needed <= 1 {
            1
        } else {
            db::int(
                &sqlx::query(
                    "SELECT COUNT(DISTINCT reviewer) AS n FROM approvals WHERE request_id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?,
                "n",
            )?
        };
        if n < row.approvals_needed {
            self.notify_tx(&mut tx, Change::Updated, id).await?;
            tx.commit().await?;
            self.changed(Change::Updated, id);
            tracing::info!(request = %id, reviewer, approvals = n, needed = row.approvals_needed, "approval counted");
            return self.get(id).await;
        }
        let why = if row.approvals_needed > 1 {
            format!("approved by {n} reviewers")
        } else {
            format!("approved by {reviewer}")
        };
        let out = self
            .finish(&mut tx, row, "approved", Some(reviewer), comment, why)
            .await?;
        self.notify_tx(&mut tx, Change::Decided, &out.id).await?;
        tx.commit().await?;
        self.metrics.approved.fetch_add(1, Ordering::Relaxed);
        self.changed(Change::Decided, &out.id);
        Ok(out)
    }

    /// A reviewer denies: one deny ends the request.
    pub async fn deny(
        &self,
        id: &str,
        reviewer: &str,
        comment: Option<String>,
    ) -> Result<RequestRow> {
        let _w = self.write_lock.lock().await;
        let mut tx = self.db.begin().await?;
        let row = self.locked_pending(&mut tx, id).await?;
        let out = self
            .finish(
                &mut tx,
                row,
                "denied",
                Some(reviewer),
                comment,
                format!("denied by {reviewer}"),
            )
            .await?;
        self.notify_tx(&mut tx, Change::Decided, &out.id).await?;
        tx.commit().await?;
        self.metrics.denied.fetch_add(1, Ordering::Relaxed);
        self.changed(Change::Decided, &out.id);
        Ok(out)
    }

    async fn locked_pending(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &str,
    ) -> Result<RequestRow> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLS} FROM requests WHERE id = $1{}",
            self.db.for_update()
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AppError::NotFound)?;
        let row = RequestRow::from_row(&r)?;
        if row.state != "pending" {
            return Err(AppError::Conflict(format!(
                "request {id} is already decided: {}",
                row.state
            )));
        }
        Ok(row)
    }

    async fn finish(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        mut row: RequestRow,
        state: &str,
        reviewer: Option<&str>,
        comment: Option<String>,
        why: String,
    ) -> Result<RequestRow> {
        let now = self.clock.now();
        let n = sqlx::query(
            "UPDATE requests SET state = $1, decided_at = $2, reviewer = $3, comment = $4, why = $5 \
             WHERE id = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(now)
        .bind(reviewer)
        .bind(&comment)
        .bind(&why)
        .bind(&row.id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(AppError::Conflict(format!(
                "request {} is already decided",
                row.id
            )));
        }
        row.state = state.into();
        row.decided_at = Some(now);
        row.reviewer = reviewer.map(str::to_string);
        row.comment = comment;
        row.why = why;
        self.append_audit(tx, &row, None).await?;
        tracing::info!(request = %row.id, state, reviewer = reviewer.unwrap_or("-"), "request decided");
        Ok(row)
    }

    /// Locks request `id` for a sweep's decision: the write lock, a transaction and the
    /// pending row; `None` when another replica (or a reviewer) decided it first.
    async fn sweep_lock(
        &self,
        id: &str,
    ) -> Result<
        Option<(
            tokio::sync::MutexGuard<'_, ()>,
            sqlx::Transaction<'static, sqlx::Any>,
            RequestRow,
        )>,
    > {
        let w = self.write_lock.lock().await;
        let mut tx = self.db.begin().await?;
        match self.locked_pending(&mut tx, id).await {
            Ok(row) => Ok(Some((w, tx, row))),
            Err(AppError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Decides every pending request whose time is up: deny, or approve where the deciding
    /// rule says `on_timeout = "approve"`. Returns how many were decided.
    pub async fn sweep_timeouts(&self) -> Result<usize> {
        let due =
            sqlx::query("SELECT id FROM requests WHERE state = 'pending' AND timeout_at <= $1")
                .bind(self.clock.now())
                .fetch_all(&self.db.pool)
                .await?;
        let mut n = 0;
        for r in due {
            let id = db::str_col(&r, "id")?;
            let Some((_w, mut tx, row)) = self.sweep_lock(&id).await? else {
                continue;
            };
            let (state, why) = if row.on_timeout == "approve" {
                (
                    "approved",
                    format!(
                        "nobody answered in time; rule `{}` approves on timeout",
                        row.rule.as_deref().unwrap_or("-")
                    ),
                )
            } else {
                ("timed_out", "nobody answered in time: denied".to_string())
            };
            let out = self.finish(&mut tx, row, state, None, None, why).await?;
            self.notify_tx(&mut tx, Change::Decided, &out.id).await?;
            tx.commit().await?;
            self.metrics.timed_out.fetch_add(1, Ordering::Relaxed);
            self.changed(Change::Decided, &out.id);
            n += 1;
        }
        Ok(n)
    }

    /// Marks every waiting request whose escalation time came as escalated and announces it
    /// on [`AppState::escalated`]. The mark is one conditional update, so with several
    /// replicas each request escalates exactly once. Returns how many escalated.
    pub async fn sweep_escalations(&self) -> Result<usize> {
        let now = self.clock.now();
        let due = sqlx::query(
            "SELECT id FROM requests WHERE state = 'pending' AND escalate_at IS NOT NULL \
             AND escalate_at <= $1 AND escalated_at IS NULL",
        )
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        let mut n = 0;
        for r in due {
            let id = db::str_col(&r, "id")?;
            let marked = {
                let _w = self.write_lock.lock().await;
                let mut tx = self.db.begin().await?;
                let marked = sqlx::query(
                    "UPDATE requests SET escalated_at = $1 WHERE id = $2 AND state = 'pending' \
                     AND escalated_at IS NULL",
                )
                .bind(now)
                .bind(&id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if marked == 1 {
                    self.notify_tx(&mut tx, Change::Updated, &id).await?;
                }
                tx.commit().await?;
                marked
            };
            if marked == 1 {
                tracing::info!(request = %id, "request escalated: nobody answered in time");
                let _ = self.escalated.send(id.clone());
                self.changed(Change::Updated, &id);
                n += 1;
            }
        }
        Ok(n)
    }

    /// A shell session waits on request `id` (new or resumed): it is no longer left alone.
    pub async fn attach(&self, id: &str, session: &str) -> Result<()> {
        let _w = self.write_lock.lock().await;
        sqlx::query(
            "UPDATE requests SET attached_to = $1, detached_at = NULL WHERE id = $2 AND state = 'pending'",
        )
        .bind(session)
        .bind(id)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The shell session waiting on `id` went away. Only the session that attached last can
    /// detach, so a replica that notices a dead connection late cannot leave alone a request
    /// a shell has since resumed elsewhere.
    pub async fn detach(&self, id: &str, session: &str) -> Result<()> {
        let _w = self.write_lock.lock().await;
        sqlx::query(
            "UPDATE requests SET detached_at = $1 WHERE id = $2 AND attached_to = $3 AND state = 'pending'",
        )
        .bind(self.clock.now())
        .bind(id)
        .bind(session)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Decides `abandoned` every pending request whose shell left at least the abandon
    /// period ago and did not come back: a later approval finds it decided and runs nothing.
    /// Returns how many.
    pub async fn sweep_abandoned(&self) -> Result<usize> {
        let cutoff = self.clock.now() - self.abandon_after_ms;
        let due = sqlx::query(
            "SELECT id FROM requests WHERE state = 'pending' AND detached_at IS NOT NULL \
             AND detached_at <= $1",
        )
        .bind(cutoff)
        .fetch_all(&self.db.pool)
        .await?;
        let mut n = 0;
        for r in due {
            let id = db::str_col(&r, "id")?;
            let Some((_w, mut tx, row)) = self.sweep_lock(&id).await? else {
                continue;
            };
            // Re-read under the lock: the shell may have come back meanwhile.
            let still = sqlx::query(
                "SELECT 1 AS one FROM requests WHERE id = $1 AND detached_at IS NOT NULL AND detached_at <= $2",
            )
            .bind(&id)
            .bind(cutoff)
            .fetch_optional(&mut *tx)
            .await?;
            if still.is_none() {
                continue;
            }
            let why = format!(
                "abandoned: the shell went away before a decision and did not come back within {} s",
                self.abandon_after_ms / 1000
            );
            let out = self
                .finish(&mut tx, row, "abandoned", None, None, why)
                .await?;
            self.notify_tx(&mut tx, Change::Decided, &out.id).await?;
            tx.commit().await?;
            self.metrics.abandoned.fetch_add(1, Ordering::Relaxed);
            self.changed(Change::Decided, &out.id);
            n += 1;
        }
        Ok(n)
    }

    /// Records the exit code of a command that was allowed to run; it lands in the audit
    /// trail as a second record of the same request (`"event": "exit"`).
    pub async fn record_exit(&self, token: &ShellToken, client_id: &str, code: i32) -> Result<()> {
        let _w = self.write_lock.lock().await;
        let mut tx = self.db.begin().await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLS} FROM requests WHERE token_id = $1 AND client_id = $2{}",
            self.db.for_update()
        )))
        .bind(&token.id)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
        let mut row = RequestRow::from_row(&r)?;
        if row.outcome() != Some(Outcome::Allow) {
            return Err(AppError::Conflict(format!(
                "request `{client_id}` was not allowed to run"
            )));
        }
        if row.exit_code.is_some() {
            return Ok(()); // A resent exit report: already recorded.
        }
        sqlx::query("UPDATE requests SET exit_code = $1 WHERE id = $2")
            .bind(i64::from(code))
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        row.exit_code = Some(i64::from(code));
        self.append_audit(&mut tx, &row, Some("exit")).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many requests each rule decided.
    pub async fn rule_hits(&self) -> Result<BTreeMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT rule, COUNT(*) AS n FROM requests WHERE rule IS NOT NULL GROUP BY rule",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((db::str_col(r, "rule")?, db::int(r, "n")?)))
            .collect()
    }

    /// Signs a checkpoint of the chain's head when it moved since the last one.
    pub async fn checkpoint(&self) -> Result<()> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.db.pool)
            .await?;
        let seq = db::int(&head, "seq")?;
        if seq == 0 {
            return Ok(());
        }
        let hash = db::str_col(&head, "hash")?;
        let cp = audit::sign_checkpoint(
            &self.signing_key,
            u64::try_from(seq).unwrap_or(0),
            &hash,
            &rfc3339(now_ms()),
        );
        let body = serde_json::to_string(&cp).map_err(|e| AppError::Internal(e.to_string()))?;
        sqlx::query(
            "INSERT INTO checkpoints (seq, body) VALUES ($1, $2) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(seq)
        .bind(body)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The audit trail: records and checkpoints, as JSON Lines.
    pub async fn audit_export(&self) -> Result<Vec<Value>> {
        self.checkpoint().await?;
        let recs = sqlx::query("SELECT seq, record FROM audit ORDER BY seq")
            .fetch_all(&self.db.pool)
            .await?;
        let cps = sqlx::query("SELECT seq, body FROM checkpoints ORDER BY seq")
            .fetch_all(&self.db.pool)
            .await?;
        let mut cps = cps.iter().peekable();
        let mut out = Vec::with_capacity(recs.len());
        for r in &recs {
            let seq = db::int(r, "seq")?;
            out.push(
                serde_json::from_str(&db::str_col(r, "record")?)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            );
            while let Some(c) = cps.next_if(|c| c.try_get::<i64, _>("seq").is_ok_and(|s| s <= seq))
            {
                let body: Value = serde_json::from_str(&db::str_col(c, "body")?)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                out.push(json!({ "checkpoint": body }));
            }
        }
        Ok(out)
    }

    /// Reloads the policy from its file. A bad policy is refused with file:line:col and the
    /// old one stays in force.
    pub fn reload_policy(&self) -> Result<usize> {
        let path = {
            let p = self
                .policy
                .read()
                .map_err(|_| AppError::Internal("policy lock".into()))?;
            p.path.clone()
        };
        let Some(path) = path else {
            return Err(AppError::BadRequest(
                "the server runs without a policy file".into(),
            ));
        };
        let (policy, text) = load_policy(&path)?;
        let n = policy.rules.len();
        let mut p = self
            .policy
            .write()
            .map_err(|_| AppError::Internal("policy lock".into()))?;
        *p = LoadedPolicy {
            policy: Arc::new(policy),
            path: Some(path),
            text,
        };
        tracing::info!(rules = n, "policy reloaded");
        Ok(n)
    }
}

/// Reads and compiles a policy file.
pub fn load_policy(path: &std::path::Path) -> Result<(Policy, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::BadRequest(format!("cannot read {}: {e}", path.display())))?;
    let policy = Policy::from_toml(&text, &path.display().to_string())
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok((policy, text))
}
