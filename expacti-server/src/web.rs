//! The reviewer dashboard: login with signed session cookies, CSRF protection, live updates
//! (server-sent events) and the pages. The pages are small HTML shells embedded in the
//! binary; `assets/app.js` renders them from the same JSON API that tokens use, so the
//! dashboard shows exactly what the API says.
//!
//! A session cookie is `NAME|EXPIRES|CSRF|HMAC` (HMAC-SHA256 with `DATA/session.key`, shared
//! by replicas), `HttpOnly`, `SameSite=Strict`, `Secure` behind https. A state-changing call
//! authenticated by the cookie must carry the session's CSRF token in `X-CSRF-Token` (or a
//! `csrf` form field) and must not come from another site (`Sec-Fetch-Site`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use expacti_core::audit::hex;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::api::{Reviewer, Role};
use crate::db;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::time::now_ms;

/// The session cookie's name.
pub const COOKIE: &str = "expacti_session";
/// How long a session lasts.
const SESSION_MS: i64 = 12 * 3600 * 1000;
/// Failed logins allowed per name and per address in a window.
const MAX_FAILURES: u32 = 5;
/// The window.
const FAILURE_WINDOW: Duration = Duration::from_secs(300);

/// A verified session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The reviewer.
    pub name: String,
    /// The session's CSRF token.
    pub csrf: String,
}

fn sign(key: &[u8; 32], payload: &str) -> String {
    // A 32-byte key is always a valid HMAC key.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(payload.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Makes a session cookie value for `name`.
pub fn make_session(key: &[u8; 32], name: &str) -> Result<(String, Session)> {
    let csrf = hex(&crate::auth::random_bytes::<16>()?);
    let payload = format!("v1|{name}|{}|{csrf}", now_ms() + SESSION_MS);
    let sig = sign(key, &payload);
    Ok((
        format!("{payload}|{sig}"),
        Session {
            name: name.to_string(),
            csrf,
        },
    ))
}

/// Verifies a session cookie value.
pub fn check_session(key: &[u8; 32], value: &str) -> Option<Session> {
    let (payload, sig) = value.rsplit_once('|')?;
    let good = sign(key, payload);
    if !bool::from(good.as_bytes().ct_eq(sig.as_bytes())) {
        return None;
    }
    let mut it = payload.split('|');
    let (v, name, exp, csrf) = (it.next()?, it.next()?, it.next()?, it.next()?);
    if v != "v1" || it.next().is_some() || exp.parse::<i64>().ok()? < now_ms() {
        return None;
    }
    Some(Session {
        name: name.to_string(),
        csrf: csrf.to_string(),
    })
}

/// The session cookie of a request, if any.
pub fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// Whether a cookie-authenticated, state-changing request passes the CSRF checks.
pub fn csrf_ok(headers: &HeaderMap, session: &Session, form_token: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let presented = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .or(form_token);
    presented.is_some_and(|t| bool::from(t.as_bytes().ct_eq(session.csrf.as_bytes())))
}

/// The reviewer behind a session, from the database (so a removed reviewer or a changed role
/// takes effect at once).
pub async fn session_reviewer(state: &AppState, s: &Session) -> Result<Option<Reviewer>> {
    let row =
        sqlx::query("SELECT name, role FROM reviewers WHERE name = $1 AND removed_at IS NULL")
            .bind(&s.name)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(match row {
        Some(r) => Some(Reviewer {
            name: db::str_col(&r, "name")?,
            role: Role::parse(&db::str_col(&r, "role")?).unwrap_or(Role::Viewer),
        }),
        None => None,
    })
}

/// Failed logins by name and by address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    fn blocked(&self, keys: &[String]) -> bool {
        let Ok(m) = self.failures.lock() else {
            return true;
        };
        keys.iter().any(|k| {
            m.get(k)
                .is_some_and(|(n, t)| *n >= MAX_FAILURES && t.elapsed() < FAILURE_WINDOW)
        })
    }
    fn fail(&self, keys: &[String]) {
        if let Ok(mut m) = self.failures.lock() {
            if m.len() > 10_000 {
                m.retain(|_, (_, t)| t.elapsed() < FAILURE_WINDOW);
            }
            for k in keys {
                let e = m.entry(k.clone()).or_insert((0, Instant::now()));
                if e.1.elapsed() >= FAILURE_WINDOW {
                    *e = (0, Instant::now());
                }
                e.0 += 1;
            }
        }
    }
    fn clear(&self, keys: &[String]) {
        if let Ok(mut m) = self.failures.lock() {
            for k in keys {
                m.remove(k);
            }
        }
    }
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `GET /login`
pub async fn login_page(Query(q): Query<HashMap<String, String>>) -> Html<String> {
    let next = q.get("next").cloned().unwrap_or_default();
    let error = q.contains_key("failed");
    let limited = q.contains_key("limited");
    Html(shell(
        "login",
        "Sign in",
        "",
        &format!(
            r#"<form class="login" method="post" action="/login">
<h1>expacti</h1>
{}
<label>Name <input name="name" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{}">
<button type="submit" class="approve">Sign in</button>
</form>"#,
            if limited {
                r#"<p class="error">Too many failed attempts: wait a few minutes.</p>"#
            } else if error {
                r#"<p class="error">Wrong name or password.</p>"#
            } else {
                ""
            },
            esc(&next)
        ),
    ))
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn url_encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(char::from(b));
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

/// `POST /login`
pub async fn login(
    State(st): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(AppError::Forbidden("cross-site login refused".into()));
    }
    let keys = [format!("name:{}", f.name), format!("ip:{}", addr.ip())];
    let next = safe_next(f.next.as_deref());
    if st.logins.blocked(&keys) {
        tracing::warn!(name = %f.name, ip = %addr.ip(), "login rate-limited");
        return Ok(
            Redirect::to(&format!("/login?limited=1&next={}", url_encode(&next))).into_response(),
        );
    }
    let row =
        sqlx::query("SELECT password_hash FROM reviewers WHERE name = $1 AND removed_at IS NULL")
            .bind(&f.name)
            .fetch_optional(&st.db.pool)
            .await?;
    let ok = match row
        .as_ref()
        .map(|r| db::opt_str(r, "password_hash"))
        .transpose()?
    {
        Some(Some(h)) => crate::auth::password_matches(&f.password, &h),
        _ => false,
    };
    if !ok {
        st.logins.fail(&keys);
        tracing::info!(name = %f.name, "login failed");
        return Ok(
            Redirect::to(&format!("/login?failed=1&next={}", url_encode(&next))).into_response(),
        );
    }
    st.logins.clear(&keys);
    let (value, _) = make_session(&st.session_key, &f.name)?;
    let secure = if st.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_MS / 1000
    );
    tracing::info!(name = %f.name, "login");
    let mut r = Redirect::to(&next).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(r)
}

/// `POST /logout`
pub async fn logout() -> Response {
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("expacti_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

/// `GET /api/events`: server-sent events, one `changed` event with a request id each time a
/// request arrives or is decided.
pub async fn events(State(st): State<Arc<AppState>>, _r: Reviewer) -> Response {
    let rx = st.changes.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let data = match rx.recv().await {
            Ok(id) => id,
            // Missed some: tell the page to reload everything.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => "*".to_string(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((
            Ok::<_, Infallible>(Event::default().event("changed").data(data)),
            rx,
        ))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// HTML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");

/// `GET /assets/app.css`
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        CSS,
    )
        .into_response()
}

/// `GET /assets/app.js`
pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        JS,
    )
        .into_response()
}

fn shell(page: &str, title: &str, nav: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} · expacti</title>
<link rel="stylesheet" href="/assets/app.css">
</head><body data-page="{}">
{nav}<main>{body}</main>
<script src="/assets/app.js"></script>
</body></html>"#,
        esc(title),
        esc(page)
    )
}

fn nav(r: &Reviewer, csrf: &str) -> String {
    format!(
        r#"<meta name="csrf" content="{}"><meta name="role" content="{}"><meta name="me" content="{}">
<header><nav><a href="/" class="brand">expacti</a> <a href="/">Queue</a> <a href="/history">History</a> <a href="/rules">Rules</a>{}
<form method="post" action="/logout" class="logout"><span class="me">{} ({})</span> <button type="submit">Sign out</button></form></nav></header>"#,
        esc(csrf),
        role_name(r.role),
        esc(&r.name),
        if r.role == Role::Admin {
            r#" <a href="/admin">Admin</a>"#
        } else {
            ""
        },
        esc(&r.name),
        role_name(r.role),
    )
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Reviewer => "reviewer",
        Role::Viewer => "viewer",
    }
}

async fn page(
    st: &AppState,
    headers: &HeaderMap,
    uri_path: &str,
    name: &str,
    title: &str,
    body: &str,
) -> Result<Response> {
    let session = cookie(headers).and_then(|c| check_session(&st.session_key, c));
    let reviewer = match &session {
        Some(s) => session_reviewer(st, s).await?,
        None => None,
    };
    let (Some(s), Some(r)) = (session, reviewer) else {
        return Ok(Redirect::to(&format!("/login?next={}", url_encode(uri_path))).into_response());
    };
    let mut resp = Html(shell(name, title, &nav(&r, &s.csrf), body)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    Ok(resp)
}

/// `GET /`: the pending queue.
pub async fn queue_page(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response> {
    page(&st, &headers, "/", "queue", "Pending", r#"<h1>Pending <span id="count" class="count"></span></h1>
<p class="hint"><button id="notify" type="button">Notify me of new requests</button> <span id="live" class="live">connecting…</span></p>
<ul id="queue" class="queue"></ul><p id="empty" class="empty" hidden>Nothing is waiting.</p>"#).await
}

/// `GET /requests/{id}`
pub async fn request_page(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let body = format!(
        r#"<article id="request" data-id="{}"><p class="loading">Loading…</p></article>"#,
        esc(&id)
    );
    page(
        &st,
        &headers,
        &format!("/requests/{id}"),
        "request",
        "Request",
        &body,
    )
    .await
}

/// `GET /history`
pub async fn history_page(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response> {
    page(&st, &headers, "/history", "history", "History", r#"<h1>History</h1>
<form id="filters" class="filters">
<input name="q" placeholder="search commands" aria-label="search commands">
<input name="repository" placeholder="repository" aria-label="repository">
<select name="source" aria-label="source"><option value="">any source</option><option>ci</option><option>agent</option><option>cron</option><option>ssh</option><option>cli</option></select>
<input name="reviewer" placeholder="reviewer" aria-label="reviewer">
<select name="decision" aria-label="decision"><option value="">any decision</option><option>approved</option><option>denied</option><option>timed_out</option><option>auto_approved</option><option>auto_denied</option></select>
<select name="risk" aria-label="risk"><option value="">any risk</option><option>low</option><option>medium</option><option>high</option><option>critical</option></select>
<input name="since" type="date" aria-label="since">
<button type="submit">Filter</button>
</form>
<p class="exports">Export: <a id="export-jsonl" href="/api/history?format=jsonl">JSON Lines</a> · <a id="export-csv" href="/api/history?format=csv">CSV</a> · <a href="/api/audit/export">audit chain</a> · <span id="chain">audit chain: checking…</span></p>
<table class="history"><thead><tr><th>when</th><th>command</th><th>risk</th><th>decision</th><th>by</th><th>exit</th></tr></thead><tbody id="rows"></tbody></table>"#).await
}

/// `GET /rules`
pub async fn rules_page(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response> {
    page(&st, &headers, "/rules", "rules", "Rules", r#"<h1>Rules</h1><div id="lint"></div>
<table class="rules"><thead><tr><th>id</th><th>action</th><th>match</th><th>hits</th></tr></thead><tbody id="rules"></tbody></table>
<h2>Suggested from history</h2><p class="hint">Mined from approvals, checked against every denied and timed-out command. Accepting writes the rule into the policy file with who accepted it and when.</p>
<p id="suggest-msg" class="state"></p><ul id="suggestions" class="queue"></ul><p id="no-suggestions" class="empty" hidden>No suggestions yet: they need at least three approvals of the same shape.</p>"#).await
}

/// `GET /admin`
pub async fn admin_page(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response> {
    page(&st, &headers, "/admin", "admin", "Admin", r#"<h1>Admin</h1>
<section><h2>Shell tokens</h2>
<form id="new-token" class="filters"><input name="name" placeholder="token name" required aria-label="token name"><input name="repository" placeholder="repository (optional)" aria-label="repository"><input name="environment" placeholder="environment (optional)" aria-label="environment"><button type="submit">Create token</button></form>
<p id="token-once" class="state"></p><table><thead><tr><th>name</th><th>scope</th><th>created</th><th>state</th></tr></thead><tbody id="tokens"></tbody></table></section>
<section><h2>Reviewers</h2>
<form id="new-reviewer" class="filters"><input name="name" placeholder="name" required aria-label="reviewer name"><select name="role" aria-label="role"><option>reviewer</option><option>viewer</option><option>admin</option></select><button type="submit">Add reviewer</button></form>
<p id="password-once" class="state"></p><table><thead><tr><th>name</th><th>role</th><th></th></tr></thead><tbody id="reviewers"></tbody></table></section>
<section><h2>Failed notifications</h2><div id="failures"></div></section>
<p class="hint">Tokens and passwords are shown once, here; only their hashes are kept.</p>"#).await
}

/// A not-found page for unknown paths.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>not found</title><p>Not found. <a href=\"/\">Queue</a></p>"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_verify_and_refuse_forgery_and_expiry() {
        let key = [3u8; 32];
        let (v, s) = make_session(&key, "alice").unwrap();
        let back = check_session(&key, &v).unwrap();
        assert_eq!(
            (back.name.as_str(), back.csrf.as_str()),
            ("alice", s.csrf.as_str())
        );
        assert!(check_session(&[4u8; 32], &v).is_none(), "another key");
        let forged = v.replacen("alice", "admin", 1);
        assert!(check_session(&key, &forged).is_none(), "renamed");
        let payload = "v1|alice|1|abcd";
        let expired = format!("{payload}|{}", sign(&key, payload));
        assert!(check_session(&key, &expired).is_none(), "expired");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/requests/abc")), "/requests/abc");
        assert_eq!(esc("<a href=\"x\">'"), "&lt;a href=&quot;x&quot;&gt;&#39;");
    }
}
