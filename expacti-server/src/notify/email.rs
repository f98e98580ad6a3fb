//! Email over SMTP (lettre). A mail carries the masked command and a link to a confirm page;
//! the link itself decides nothing. The page shows the command and two plain form buttons;
//! the decision is a POST carrying a token that is signed (HMAC-SHA256 with the server's
//! session key), bound to one request and one reviewer, expires with the request, and is
//! single use (its nonce is stored when used). Link scanners that fetch (or even render) the
//! page therefore cannot approve. Critical commands are not decided by email alone: the
//! reviewer must also be signed in to the dashboard in that browser.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use expacti_core::audit::hex;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{Notice, hmac_hex, truncate};
use crate::state::AppState;
use crate::time::now_ms;
use crate::web::{check_session, cookie, esc};

/// Email settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The SMTP server: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS).
    pub smtp_url: String,
    /// The sender, `expacti <expacti@example.com>`.
    pub from: String,
    /// Reviewer → address.
    #[serde(default)]
    pub addresses: BTreeMap<String, String>,
}

impl EmailConfig {
    pub(super) fn check(&self) -> std::result::Result<(), String> {
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("`from` {}: {e}", self.from))?;
        for (who, a) in &self.addresses {
            a.parse::<Mailbox>()
                .map_err(|e| format!("address of {who} `{a}`: {e}"))?;
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.smtp_url)
            .map_err(|e| format!("`smtp_url`: {e}"))?;
        Ok(())
    }
}

/// Sends one mail to `reviewer`.
pub(super) async fn send(
    state: &AppState,
    cfg: &EmailConfig,
    reviewer: &str,
    n: &Notice,
    headline: &str,
) -> std::result::Result<(), String> {
    let to = cfg
        .addresses
        .get(reviewer)
        .ok_or_else(|| format!("no address for {reviewer}"))?;
    let token = link_token(&state.session_key, &n.id, reviewer, n.timeout_at)?;
    let link = format!("{}/confirm/{token}", state.public_url);
    let mut text = format!(
        "{headline}.\n\n    {}\n\n",
        n.command.replace('\n', "\n    ")
    );
    text.push_str(&format!("Risk: {} ({})\n", n.level, n.score));
    for r in &n.reasons {
        text.push_str(&format!("  - {r}\n"));
    }
    for (k, v) in &n.context {
        text.push_str(&format!("{k}: {}\n", v.as_str().unwrap_or_default()));
    }
    text.push_str(&format!(
        "\nTo approve or deny, open this link; nothing is decided until you press a button on \
         the page it opens. It works once, for you only, until the request times out:\n{link}\n\n\
         Or open the dashboard: {}\n",
        n.url
    ));
    let msg = Message::builder()
        .from(cfg.from.parse().map_err(|e| format!("from: {e}"))?)
        .to(to.parse().map_err(|e| format!("to: {e}"))?)
        .subject(truncate(&format!("{headline}: {}", n.command), 150).replace(['\r', '\n'], " "))
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.smtp_url)
        .map_err(|e| e.to_string())?
        .timeout(Some(Duration::from_secs(10)))
        .build();
    transport.send(msg).await.map_err(|e| e.to_string())?;
    Ok(())
}

const LINK_DOMAIN: &[u8] = b"expacti-email-link|";

/// A confirm token: hex of `request|reviewer|expiry|nonce`, a dot, and its HMAC.
pub fn link_token(
    key: &[u8; 32],
    request: &str,
    reviewer: &str,
    expires_ms: i64,
) -> std::result::Result<String, String> {
    let nonce = hex(&crate::auth::random_bytes::<16>().map_err(|e| e.to_string())?);
    let payload = format!("{request}|{reviewer}|{expires_ms}|{nonce}");
    let mac = hmac_hex(key, &[LINK_DOMAIN, payload.as_bytes()]);
    Ok(format!("{}.{mac}", hex(payload.as_bytes())))
}

/// A verified, unexpired token's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The request.
    pub request: String,
    /// The reviewer it was sent to.
    pub reviewer: String,
    /// Its nonce (stored when used).
    pub nonce: String,
}

/// Verifies a token: signature (constant time), shape and expiry.
pub fn check_link(key: &[u8; 32], token: &str, now: i64) -> Option<Link> {
    let (payload_hex, mac) = token.split_once('.')?;
    if payload_hex.len() > 2048 || payload_hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Vec<u8> = (0..payload_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(payload_hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let payload = String::from_utf8(bytes).ok()?;
    let good = hmac_hex(key, &[LINK_DOMAIN, payload.as_bytes()]);
    if !bool::from(good.as_bytes().ct_eq(mac.as_bytes())) {
        return None;
    }
    let mut it = payload.split('|');
    let (request, reviewer, exp, nonce) = (it.next()?, it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || exp.parse::<i64>().ok()? < now {
        return None;
    }
    Some(Link {
        request: request.to_string(),
        reviewer: reviewer.to_string(),
        nonce: nonce.to_string(),
    })
}

fn confirm_shell(title: &str, body: &str, status: StatusCode) -> Response {
    let mut r = (
        status,
        Html(format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{} · expacti</title>
<link rel="stylesheet" href="/assets/app.css">
</head><body data-page="confirm"><header><nav><span class="brand">expacti</span></nav></header><main>{body}</main></body></html>"#,
            esc(title)
        )),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

fn bad_link() -> Response {
    confirm_shell(
        "Link not valid",
        "<h1>This link is not valid</h1><p>It may have expired with its request, or been \
         changed. Open the dashboard to review requests.</p>",
        StatusCode::FORBIDDEN,
    )
}

/// `GET /confirm/{token}`: shows the request and the buttons; decides nothing.
pub async fn confirm_page(State(st): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let Some(link) = check_link(&st.session_key, &token, now_ms()) else {
        return bad_link();
    };
    let Ok(row) = st.get(&link.request).await else {
        return bad_link();
    };
    let reasons: String = row
        .evaluation
        .pointer("/risk/reasons")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("detail").and_then(serde_json::Value::as_str))
                .map(|d| format!("<li>{}</li>", esc(d)))
                .collect()
        })
        .unwrap_or_default();
    let context: String = row
        .context
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "<dt>{}</dt><dd>{}</dd>",
                        esc(k),
                        esc(v.as_str().unwrap_or_default())
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let action = if row.state != "pending" {
        format!(
            "<p class=\"decided\">Already decided: <strong>{}</strong>{}.</p>",
            esc(&row.state),
            row.reviewer
                .as_deref()
                .map(|r| format!(" by {}", esc(r)))
                .unwrap_or_default()
        )
    } else if row.risk_level == "critical" {
        format!(
            "<p>This command is <strong>critical</strong>: decide it in the dashboard, signed in \
             as {}. <a href=\"{}/requests/{}\">Open it</a>.</p>",
            esc(&link.reviewer),
            esc(&st.public_url),
            esc(&row.id)
        )
    } else {
        format!(
            r#"<form method="post" action="/confirm/{}" class="confirm">
<label>Comment <input name="comment" maxlength="500"></label>
<button type="submit" name="action" value="approve" class="approve">Approve</button>
<button type="submit" name="action" value="deny" class="deny">Deny</button>
</form>"#,
            esc(&token)
        )
    };
    confirm_shell(
        "Confirm",
        &format!(
            "<h1>Review as {}</h1><pre class=\"command\">{}</pre><p>Risk: <strong>{}</strong> ({})</p>\
             <ul class=\"reasons\">{reasons}</ul><dl class=\"context\">{context}</dl>{action}",
            esc(&link.reviewer),
            esc(&row.command),
            esc(&row.risk_level),
            row.risk_score
        ),
        StatusCode::OK,
    )
}

/// `POST /confirm/{token}`: the decision, once.
pub async fn confirm_post(
    State(st): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(link) = check_link(&st.session_key, &token, now_ms()) else {
        return bad_link();
    };
    let form = super::form_pairs(&body);
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let action = field("action").unwrap_or_default();
    if action != "approve" && action != "deny" {
        return confirm_shell(
            "Confirm",
            "<p>Press Approve or Deny.</p>",
            StatusCode::BAD_REQUEST,
        );
    }
    let Ok(row) = st.get(&link.request).await else {
        return bad_link();
    };
    if row.risk_level == "critical" {
        let signed_in = cookie(&headers)
            .and_then(|c| check_session(&st.session_key, c))
            .is_some_and(|s| s.name == link.reviewer);
        if !signed_in {
            return confirm_shell(
                "Sign in",
                "<p>Critical commands are decided in the dashboard, signed in.</p>",
                StatusCode::FORBIDDEN,
            );
        }
    }
    if !super::may_decide(&st, &link.reviewer).await {
        return confirm_shell(
            "Not allowed",
            &format!("<p>{} may not decide requests.</p>", esc(&link.reviewer)),
            StatusCode::FORBIDDEN,
        );
    }
    let used = sqlx::query(
        "INSERT INTO used_links (nonce, request_id, reviewer, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (nonce) DO NOTHING",
    )
    .bind(&link.nonce)
    .bind(&link.request)
    .bind(&link.reviewer)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await;
    match used {
        Ok(r) if r.rows_affected() == 1 => {}
        Ok(_) => {
            return confirm_shell(
                "Already used",
                "<h1>This link was already used</h1><p>Each link decides once.</p>",
                StatusCode::CONFLICT,
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot record a used link");
            return confirm_shell(
                "Error",
                "<p>Try again.</p>",
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    }
    let comment = Some(
        field("comment")
            .filter(|c| !c.trim().is_empty())
            .map_or_else(|| "from email".to_string(), |c| truncate(&c, 500)),
    );
    let r = if action == "approve" {
        st.approve(&link.request, &link.reviewer, comment).await
    } else {
        st.deny(&link.request, &link.reviewer, comment).await
    };
    tracing::info!(request = %link.request, reviewer = %link.reviewer, action, "email decision");
    match r {
        Ok(row) => confirm_shell(
            "Done",
            &format!("<h1>{}</h1><p>{}</p>", esc(&row.state), esc(&row.why)),
            StatusCode::OK,
        ),
        Err(e) => {
            let (status, msg) = match &e {
                crate::error::AppError::Forbidden(m) | crate::error::AppError::Conflict(m) => {
                    (StatusCode::FORBIDDEN, m.clone())
                }
                other => (StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
            };
            confirm_shell("Not decided", &format!("<p>{}</p>", esc(&msg)), status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_expire_and_refuse_forgery() {
        let key = [7u8; 32];
        let t = link_token(&key, "req1", "alice", 2_000).unwrap();
        let l = check_link(&key, &t, 1_000).unwrap();
        assert_eq!((l.request.as_str(), l.reviewer.as_str()), ("req1", "alice"));
        assert!(check_link(&key, &t, 2_001).is_none(), "expired");
        assert!(check_link(&[8u8; 32], &t, 1_000).is_none(), "other key");
        // Another reviewer's name in the payload breaks the signature.
        let (p, mac) = t.split_once('.').unwrap();
        let forged = hex(String::from_utf8(
            (0..p.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&p[i..i + 2], 16).unwrap())
                .collect(),
        )
        .unwrap()
        .replace("alice", "mallo")
        .as_bytes());
        assert!(check_link(&key, &format!("{forged}.{mac}"), 1_000).is_none());
        assert!(check_link(&key, "zz.zz", 0).is_none());
        assert_ne!(
            t,
            link_token(&key, "req1", "alice", 2_000).unwrap(),
            "nonce"
        );
    }
}
