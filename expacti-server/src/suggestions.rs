//! Suggestions from the server's own history (SPEC §7), accepted or dismissed in one click.
//! Mining is `expacti_core::suggest`; this module only feeds it the stored decisions and
//! writes an accepted rule into the policy file, with its provenance, through the same
//! reload that refuses a bad policy.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use expacti_core::policy::Context;
use expacti_core::suggest::{self, HistoryDecision, HistoryRecord, SuggestOptions, Suggestions};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Reviewer, Role};
use crate::db;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Decisions mined at most (the newest).
const HISTORY: i64 = 20_000;

fn decision(state: &str) -> Option<HistoryDecision> {
    Some(match state {
        "approved" => HistoryDecision::Approved,
        "denied" => HistoryDecision::Denied,
        "timed_out" => HistoryDecision::TimedOut,
        "auto_approved" => HistoryDecision::AutoApproved,
        "auto_denied" => HistoryDecision::AutoDenied,
        _ => return None,
    })
}

/// The current suggestions, without the dismissed ones.
pub async fn current(st: &AppState) -> Result<Suggestions> {
    let rows = st.list(&Default::default(), HISTORY).await?;
    let history: Vec<HistoryRecord> = rows
        .iter()
        .filter_map(|r| {
            Some(HistoryRecord {
                command: r.command.clone(),
                decision: decision(&r.state)?,
                requested_at: Some(rfc3339(r.created_at)),
                context: serde_json::from_value::<std::collections::BTreeMap<String, String>>(
                    r.context.clone(),
                )
                .ok()
                .map(|values| Context { values }),
                event: None,
            })
        })
        .collect();
    let dismissed: BTreeSet<String> = sqlx::query("SELECT pattern FROM dismissed_suggestions")
        .fetch_all(&st.db.pool)
        .await?
        .iter()
        .map(|r| db::str_col(r, "pattern"))
        .collect::<Result<_>>()?;
    let policy = st.policy();
    let mut s = tokio::task::spawn_blocking(move || {
        suggest::suggest(
            &history,
            Some(&policy),
            &policy.risk,
            &SuggestOptions::default(),
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    s.suggestions.retain(|g| !dismissed.contains(&g.pattern));
    Ok(s)
}

/// `GET /api/suggestions`
pub async fn list(State(st): State<Arc<AppState>>, _r: Reviewer) -> Result<Json<Value>> {
    let s = current(&st).await?;
    Ok(Json(
        json!({ "suggestions": s.suggestions, "dropped": s.dropped }),
    ))
}

/// The body of accept and dismiss: the suggestion's pattern.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pick {
    /// The pattern, as offered.
    pub pattern: String,
}

/// `POST /api/suggestions/accept` (admin): appends the rule to the policy file with its
/// provenance and reloads; when the new policy does not load, the file is put back.
pub async fn accept(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Json(p): Json<Pick>,
) -> Result<Json<Value>> {
    r.require(Role::Admin)?;
    // Only what the miner offers now can be accepted, never a pattern the caller made up.
    let s = current(&st).await?;
    let Some(g) = s.suggestions.into_iter().find(|g| g.pattern == p.pattern) else {
        return Err(AppError::BadRequest(format!(
            "`{}` is not a current suggestion",
            p.pattern
        )));
    };
    let path = {
        let lp = st
            .policy
            .read()
            .map_err(|_| AppError::Internal("policy lock".into()))?;
        lp.path.clone()
    }
    .ok_or_else(|| AppError::BadRequest("the server runs without a policy file".into()))?;
    let old = std::fs::read_to_string(&path)
        .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", path.display())))?;
    let block = suggest::to_toml(&Suggestions {
        suggestions: vec![g.clone()],
        dropped: Vec::new(),
    });
    let new = format!(
        "{}\n\n# accepted from the dashboard by {} at {} (suggestion `{}`, {} approvals)\n{block}",
        old.trim_end(),
        r.name,
        rfc3339(now_ms()),
        g.id,
        g.support
    );
    write_atomic(&path, &new)?;
    if let Err(e) = st.reload_policy() {
        write_atomic(&path, &old)?;
        return Err(AppError::BadRequest(format!(
            "the policy with this rule does not load: {e}"
        )));
    }
    tracing::info!(pattern = %g.pattern, by = %r.name, "suggestion accepted into the policy");
    Ok(Json(json!({ "accepted": g })))
}

/// `POST /api/suggestions/dismiss` (reviewer or admin).
pub async fn dismiss(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Json(p): Json<Pick>,
) -> Result<Json<Value>> {
    r.require(Role::Reviewer)?;
    if p.pattern.len() > 4096 {
        return Err(AppError::BadRequest("the pattern is too long".into()));
    }
    sqlx::query(
        "INSERT INTO dismissed_suggestions (pattern, reviewer, at) VALUES ($1, $2, $3) ON CONFLICT (pattern) DO NOTHING",
    )
    .bind(&p.pattern)
    .bind(&r.name)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(Json(json!({ "dismissed": p.pattern })))
}

fn write_atomic(path: &std::path::Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("toml.expacti-tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))
}
