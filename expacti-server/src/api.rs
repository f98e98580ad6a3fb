//! The reviewer HTTP API (JSON; `Authorization: Bearer <reviewer API token>`), health,
//! readiness and metrics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth;
use crate::db;
use crate::error::{AppError, Result};
use crate::state::{AppState, ShellToken};

/// A reviewer's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Approves and denies.
    Reviewer,
    /// Everything, including policy reloads.
    Admin,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The reviewer behind a request's API token.
#[derive(Debug, Clone)]
pub struct Reviewer {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
}

impl Reviewer {
    /// Refuses unless the reviewer has at least `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "`{}` may not do this: it needs the {role:?} role",
                self.name
            )))
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Reviewer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Reviewer> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if header.is_none() {
            // The dashboard: a signed session cookie, and the CSRF checks on anything that
            // changes state.
            let session = crate::web::cookie(&parts.headers)
                .and_then(|c| crate::web::check_session(&state.session_key, c))
                .ok_or(AppError::Unauthorized)?;
            let safe = matches!(
                parts.method,
                axum::http::Method::GET | axum::http::Method::HEAD
            );
            if !safe && !crate::web::csrf_ok(&parts.headers, &session, None) {
                return Err(AppError::Forbidden(
                    "missing or wrong CSRF token: reload the page".into(),
                ));
            }
            return crate::web::session_reviewer(state, &session)
                .await?
                .ok_or(AppError::Unauthorized);
        }
        let tok = auth::bearer(header).ok_or(AppError::Unauthorized)?;
        let (id, secret) =
            auth::split_token(auth::API_PREFIX, tok).ok_or(AppError::Unauthorized)?;
        let row = sqlx::query(
            "SELECT t.hash, t.reviewer, r.role FROM api_tokens t JOIN reviewers r ON r.name = t.reviewer \
             WHERE t.id = $1 AND t.revoked_at IS NULL AND r.removed_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(AppError::Unauthorized)?;
        if !auth::secret_matches(secret, &db::str_col(&row, "hash")?) {
            return Err(AppError::Unauthorized);
        }
        Ok(Reviewer {
            name: db::str_col(&row, "reviewer")?,
            role: Role::parse(&db::str_col(&row, "role")?).unwrap_or(Role::Viewer),
        })
    }
}

/// The shell token of an `Authorization` header, if valid and not revoked.
pub async fn shell_token(state: &AppState, header: Option<&str>) -> Result<Option<ShellToken>> {
    let Some((id, secret)) =
        auth::bearer(header).and_then(|t| auth::split_token(auth::SHELL_PREFIX, t))
    else {
        return Ok(None);
    };
    let Some(row) = sqlx::query(
        "SELECT id, name, hash, repository, environment FROM shell_tokens WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?
    else {
        return Ok(None);
    };
    if !auth::secret_matches(secret, &db::str_col(&row, "hash")?) {
        return Ok(None);
    }
    Ok(Some(ShellToken {
        id: db::str_col(&row, "id")?,
        name: db::str_col(&row, "name")?,
        repository: db::opt_str(&row, "repository")?,
        environment: db::opt_str(&row, "environment")?,
    }))
}

/// `GET /api/requests?state=&repository=&source=&limit=`
pub async fn list(
    State(st): State<Arc<AppState>>,
    _r: Reviewer,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(200);
    let rows = st.list(&q, limit).await?;
    Ok(Json(json!({
        "requests": rows.iter().map(|r| r.to_json(&[])).collect::<Vec<_>>()
    })))
}

/// `GET /api/requests/{id}`
pub async fn get(
    State(st): State<Arc<AppState>>,
    _r: Reviewer,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let row = st.get(&id).await?;
    let a = st.approvals(&id).await?;
    let mut v = row.to_json(&a);
    // What ran before it in the same run, with decisions and exit codes.
    let run = row.context.get("run_id").and_then(Value::as_str);
    let mut previous = Vec::new();
    if let Some(run) = run {
        let mut f = BTreeMap::from([("run_id".to_string(), run.to_string())]);
        if let Some(r) = row.context.get("repository").and_then(Value::as_str) {
            f.insert("repository".into(), r.to_string());
        }
        for p in st.list(&f, 200).await? {
            if p.created_at < row.created_at || (p.created_at == row.created_at && p.id < row.id) {
                previous.push(json!({
                    "id": p.id, "command": p.command, "decision": p.state,
                    "exit_code": p.exit_code, "requested_at": crate::time::rfc3339(p.created_at),
                    "step": p.context.get("step"),
                }));
            }
        }
        previous.reverse();
    }
    if let Value::Object(m) = &mut v {
        m.insert("previous".into(), Value::Array(previous));
        m.insert("nearest".into(), json!(st.policy().nearest(&row.command)));
        m.insert(
            "now".into(),
            json!(crate::time::rfc3339(crate::time::now_ms())),
        );
    }
    Ok(Json(v))
}

/// `GET /api/audit/status`: whether the stored chain verifies (the same check as
/// `expacti audit verify`).
pub async fn audit_status(State(st): State<Arc<AppState>>, _r: Reviewer) -> Result<Json<Value>> {
    let recs = st.audit_export().await?;
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let key = expacti_core::audit::public_key(&st.signing_key);
    let rep = expacti_core::audit::verify(&text, Some(&key));
    Ok(Json(json!({
        "ok": rep.ok() || (rep.records == 0 && rep.checkpoints == 0),
        "records": rep.records,
        "checkpoints": rep.checkpoints,
        "covered_to": rep.covered_to,
        "findings": rep.findings,
        "key": key,
    })))
}

/// `GET /api/admin/tokens` (admin): shell tokens, never their secrets.
pub async fn admin_tokens(State(st): State<Arc<AppState>>, r: Reviewer) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    let rows = sqlx::query(
        "SELECT id, name, repository, environment, created_at, revoked_at FROM shell_tokens ORDER BY created_at",
    )
    .fetch_all(&st.db.pool)
    .await?;
    let mut out = Vec::new();
    for t in &rows {
        out.push(json!({
            "id": db::str_col(t, "id")?, "name": db::str_col(t, "name")?,
            "repository": db::opt_str(t, "repository")?, "environment": db::opt_str(t, "environment")?,
            "created_at": crate::time::rfc3339(db::int(t, "created_at")?),
            "revoked": db::opt_int(t, "revoked_at")?.is_some(),
        }));
    }
    Ok(Json(json!({ "tokens": out })))
}

/// `POST /api/admin/tokens/{id}/revoke` (admin).
pub async fn admin_revoke(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    crate::admin::revoke_shell_token(&st.db, &id).await?;
    tracing::info!(token = %id, by = %r.name, "shell token revoked");
    Ok(Json(json!({ "revoked": id })))
}

/// The body of `POST /api/admin/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    environment: Option<String>,
}

/// `POST /api/admin/tokens` (admin): a new shell token, shown once in the answer.
pub async fn admin_create_token(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Json(t): Json<NewToken>,
) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    let blank = |o: Option<String>| o.filter(|s| !s.trim().is_empty());
    if t.name.trim().is_empty() || t.name.len() > 64 {
        return Err(AppError::BadRequest(
            "a token name is 1 to 64 characters".into(),
        ));
    }
    let (id, token) = crate::admin::create_shell_token(
        &st.db,
        t.name.trim(),
        blank(t.repository).as_deref(),
        blank(t.environment).as_deref(),
    )
    .await?;
    tracing::info!(token = %id, by = %r.name, "shell token created");
    Ok(Json(json!({ "id": id, "token": token })))
}

/// The body of `POST /api/admin/reviewers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReviewer {
    name: String,
    role: String,
}

/// `POST /api/admin/reviewers` (admin): a new reviewer with a generated password, shown once.
pub async fn admin_add_reviewer(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Json(n): Json<NewReviewer>,
) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    let role = Role::parse(&n.role).ok_or_else(|| {
        AppError::BadRequest(format!("`{}`: expected admin, reviewer or viewer", n.role))
    })?;
    let password = expacti_core::audit::hex(&auth::random_bytes::<12>()?);
    crate::admin::add_reviewer(&st.db, &n.name, role, &password).await?;
    tracing::info!(reviewer = %n.name, by = %r.name, "reviewer added");
    Ok(Json(json!({ "name": n.name, "password": password })))
}

/// `POST /api/admin/reviewers/{name}/remove` (admin).
pub async fn admin_remove_reviewer(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    if name == r.name {
        return Err(AppError::BadRequest("you cannot remove yourself".into()));
    }
    crate::admin::remove_reviewer(&st.db, &name).await?;
    tracing::info!(reviewer = %name, by = %r.name, "reviewer removed");
    Ok(Json(json!({ "removed": name })))
}

/// `GET /api/admin/reviewers` (admin).
pub async fn admin_reviewers(State(st): State<Arc<AppState>>, r: Reviewer) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    let rows =
        sqlx::query("SELECT name, role FROM reviewers WHERE removed_at IS NULL ORDER BY name")
            .fetch_all(&st.db.pool)
            .await?;
    let mut out = Vec::new();
    for x in &rows {
        out.push(json!({ "name": db::str_col(x, "name")?, "role": db::str_col(x, "role")? }));
    }
    Ok(Json(json!({ "reviewers": out })))
}

/// The body of approve and deny.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// An optional comment.
    #[serde(default)]
    pub comment: Option<String>,
}

fn comment(body: Option<Json<DecideBody>>) -> Result<Option<String>> {
    let c = body.and_then(|b| b.0.comment);
    if c.as_ref().is_some_and(|c| c.len() > 4096) {
        return Err(AppError::BadRequest(
            "the comment is longer than 4 KiB".into(),
        ));
    }
    Ok(c)
}

/// `POST /api/requests/{id}/approve`
pub async fn approve(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Path(id): Path<String>,
    body: Option<Json<DecideBody>>,
) -> Result<Json<Value>> {
    r.require(Role::Reviewer)?;
    let row = st.approve(&id, &r.name, comment(body)?).await?;
    let a = st.approvals(&id).await?;
    Ok(Json(row.to_json(&a)))
}

/// `POST /api/requests/{id}/deny`
pub async fn deny(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Path(id): Path<String>,
    body: Option<Json<DecideBody>>,
) -> Result<Json<Value>> {
    r.require(Role::Reviewer)?;
    let row = st.deny(&id, &r.name, comment(body)?).await?;
    let a = st.approvals(&id).await?;
    Ok(Json(row.to_json(&a)))
}

/// `GET /api/history?format=jsonl|csv&since=&repository=&source=&reviewer=&decision=`: one
/// history record (SPEC §6) per decided request.
pub async fn history(
    State(st): State<Arc<AppState>>,
    _r: Reviewer,
    Query(mut q): Query<BTreeMap<String, String>>,
) -> Result<Response> {
    if let Some(d) = q.remove("decision") {
        q.insert("state".into(), d);
    }
    let format = q.remove("format").unwrap_or_else(|| "jsonl".into());
    let rows = st.list(&q, 100_000).await?;
    let recs: Vec<Value> = rows
        .iter()
        .rev()
        .filter(|r| r.state != "pending")
        .map(|r| Value::Object(r.history_record()))
        .collect();
    lines(&format, &recs)
}

/// `GET /api/audit/export?format=jsonl|csv`: the hash chain with signed checkpoints.
pub async fn audit_export(
    State(st): State<Arc<AppState>>,
    _r: Reviewer,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response> {
    let recs = st.audit_export().await?;
    lines(q.get("format").map_or("jsonl", String::as_str), &recs)
}

/// `GET /api/audit/key`: the public key that signs checkpoints.
pub async fn audit_key(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "key": expacti_core::audit::public_key(&st.signing_key) }))
}

const CSV_COLS: &[&str] = &[
    "seq",
    "id",
    "event",
    "command",
    "decision",
    "reviewer",
    "rule",
    "risk_level",
    "risk_score",
    "requested_at",
    "decided_at",
    "latency_ms",
    "exit_code",
    "repository",
    "source",
    "environment",
    "actor",
    "comment",
    "prev_hash",
    "hash",
];

fn lines(format: &str, recs: &[Value]) -> Result<Response> {
    match format {
        "jsonl" => {
            let mut out = String::new();
            for r in recs {
                out.push_str(&r.to_string());
                out.push('\n');
            }
            Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
        }
        "csv" => {
            let mut out = CSV_COLS.join(",");
            out.push('\n');
            for r in recs.iter().filter(|r| r.get("checkpoint").is_none()) {
                let cell = |k: &str| -> String {
                    let v = match k {
                        "risk_level" => r.pointer("/risk/level"),
                        "risk_score" => r.pointer("/risk/score"),
                        "repository" | "source" | "environment" | "actor" => {
                            r.get("context").and_then(|c| c.get(k))
                        }
                        _ => r.get(k),
                    };
                    match v {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    }
                };
                let row: Vec<String> = CSV_COLS.iter().map(|k| csv_cell(&cell(k))).collect();
                let _ = writeln!(out, "{}", row.join(","));
            }
            Ok(([(header::CONTENT_TYPE, "text/csv")], out).into_response())
        }
        f => Err(AppError::BadRequest(format!(
            "`format={f}`: expected jsonl or csv"
        ))),
    }
}

/// A CSV cell: quoted when needed, and a leading `=`, `+`, `-`, `@` made inert for
/// spreadsheets (commands often start with `-` or contain `=`).
fn csv_cell(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// `GET /api/policy`
pub async fn policy(State(st): State<Arc<AppState>>, _r: Reviewer) -> Result<Json<Value>> {
    let hits = st.rule_hits().await?;
    // The policy lock is a std lock: taken only after the last await.
    let p = st
        .policy
        .read()
        .map_err(|_| AppError::Internal("policy lock".into()))?;
    let lint: Vec<Value> = p
        .policy
        .lint()
        .iter()
        .map(|f| json!({ "line": f.line, "kind": f.kind, "message": f.message }))
        .collect();
    Ok(Json(json!({
        "lint": lint,
        "path": p.path.as_ref().map(|p| p.display().to_string()),
        "text": p.text,
        "rules": p.policy.rules.iter().map(|r| json!({
            "id": r.id, "action": r.action, "match": r.patterns, "regex": r.regex_src,
            "max_risk": r.max_risk, "approvals": r.approvals, "line": r.line,
            "hits": hits.get(&r.id).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
    })))
}

/// `POST /api/policy/reload` (admin): a bad policy is refused with file:line:col.
pub async fn reload(State(st): State<Arc<AppState>>, r: Reviewer) -> Result<Response> {
    r.require(Role::Admin)?;
    match st.reload_policy() {
        Ok(n) => Ok(Json(json!({ "reloaded": true, "rules": n })).into_response()),
        Err(AppError::BadRequest(m)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "reloaded": false, "error": m, "kept": "the previous policy stays in force" })),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the database answers.
pub async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    if st.writer.is_closed() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the request writer stopped\n",
        )
            .into_response();
    }
    if st.db.ping().await {
        "ready\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let m = &st.metrics;
    let mut out = String::new();
    let counters = [
        ("expacti_requests_total", "requests submitted", &m.requests),
        (
            "expacti_requests_resumed_total",
            "requests resumed by a reconnecting shell",
            &m.resumed,
        ),
        (
            "expacti_auto_approved_total",
            "requests the policy allowed",
            &m.auto_approved,
        ),
        (
            "expacti_auto_denied_total",
            "requests the policy denied",
            &m.auto_denied,
        ),
        (
            "expacti_approved_total",
            "requests reviewers approved",
            &m.approved,
        ),
        (
            "expacti_denied_total",
            "requests reviewers denied",
            &m.denied,
        ),
        (
            "expacti_timed_out_total",
            "requests decided by their timeout",
            &m.timed_out,
        ),
        (
            "expacti_abandoned_total",
            "requests abandoned by their shells",
            &m.abandoned,
        ),
        (
            "expacti_fanout_connects_total",
            "times the connection listening for other replicas' changes (re)connected",
            &st.listener.connects,
        ),
        (
            "expacti_refused_total",
            "frames or requests refused",
            &m.refused,
        ),
    ];
    for (name, help, c) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            c.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP expacti_shells_connected open shell connections\n# TYPE expacti_shells_connected gauge\nexpacti_shells_connected {}",
        m.shells.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP expacti_requests_waiting requests with a shell waiting on this replica\n# TYPE expacti_requests_waiting gauge\nexpacti_requests_waiting {}",
        st.waiters.len()
    );
    let _ = writeln!(
        out,
        "# HELP expacti_fanout_up 1 when this replica hears other replicas' changes\n# TYPE expacti_fanout_up gauge\nexpacti_fanout_up {}",
        u8::from(st.listener.up.load(Ordering::Relaxed))
    );
    if let Some(n) = &st.notifier {
        for (name, help, v) in [
            (
                "expacti_notifications_delivered_total",
                "notifications delivered",
                &n.metrics.delivered,
            ),
            (
                "expacti_notification_attempts_failed_total",
                "notification attempts that failed",
                &n.metrics.failed_attempts,
            ),
            (
                "expacti_notifications_given_up_total",
                "notifications given up after every retry",
                &n.metrics.given_up,
            ),
            (
                "expacti_escalations_total",
                "requests escalated because nobody answered in time",
                &n.metrics.escalations,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn delivery_json(r: &sqlx::any::AnyRow) -> Result<Value> {
    Ok(json!({
        "request": db::str_col(r, "request_id")?,
        "target": db::str_col(r, "target")?,
        "event": db::str_col(r, "event")?,
        "status": db::str_col(r, "status")?,
        "detail": db::opt_str(r, "detail")?,
        "attempts": db::int(r, "attempts")?,
        "at": crate::time::rfc3339(db::int(r, "at")?),
    }))
}

/// `GET /api/requests/{id}/deliveries`: every notification sent or given up for a request.
pub async fn deliveries(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    r.require(Role::Viewer)?;
    let rows = sqlx::query(
        "SELECT request_id, target, event, status, detail, attempts, at FROM deliveries \
         WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(&id)
    .fetch_all(&st.db.pool)
    .await?;
    let list = rows.iter().map(delivery_json).collect::<Result<Vec<_>>>()?;
    Ok(Json(json!({ "deliveries": list })))
}

/// `GET /api/deliveries?status=failed`: the latest 100 deliveries (of one status).
pub async fn recent_deliveries(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>> {
    r.require(Role::Viewer)?;
    // One query: without a status filter, `$1` is NULL and every status is listed.
    let rows = sqlx::query(
        "SELECT request_id, target, event, status, detail, attempts, at FROM deliveries \
         WHERE ($1 IS NULL OR status = $1) ORDER BY at DESC LIMIT 100",
    )
    .bind(q.get("status"))
    .fetch_all(&st.db.pool)
    .await?;
    let list = rows.iter().map(delivery_json).collect::<Result<Vec<_>>>()?;
    Ok(Json(json!({ "deliveries": list })))
}
