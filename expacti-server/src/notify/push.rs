//! Web Push (RFC 8030) to dashboard browsers: payloads encrypted with `aes128gcm` (RFC 8291)
//! and requests signed with VAPID (RFC 8292), by `web-push-native`. The VAPID key pair is made
//! on first start (`vapid.key` in the data directory; replicas must share it, like the other
//! keys). Browsers subscribe from the dashboard (`POST /api/push/subscriptions`); a
//! subscription the push service says is gone (404, 410) is deleted.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;
use serde_json::{Value, json};
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::{Auth, WebPushBuilder, p256};

use super::{Notice, truncate};
use crate::api::Reviewer;
use crate::error::{AppError, Result};
use crate::state::AppState;

/// Web Push settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    /// The VAPID `sub` claim: `mailto:ops@example.com` or an https URL (Apple refuses
    /// localhost and `.invalid` addresses here).
    pub subject: String,
}

/// The server's VAPID key pair.
pub struct Vapid {
    kp: ES256KeyPair,
    /// The public key, uncompressed point, base64url (the browser's `applicationServerKey`).
    pub public: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    pub(super) fn load_or_create(dir: &std::path::Path) -> Result<Vapid> {
        let path = dir.join("vapid.key");
        let kp = match std::fs::read_to_string(&path) {
            Ok(t) => {
                let b = expacti_core::audit::unhex::<32>(t.trim()).ok_or_else(|| {
                    AppError::Config(format!("{}: not a 64-hex-digit key", path.display()))
                })?;
                ES256KeyPair::from_bytes(&b)
                    .map_err(|e| AppError::Config(format!("{}: {e}", path.display())))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let kp = ES256KeyPair::generate();
                crate::admin::write_private(&path, &expacti_core::audit::hex(&kp.to_bytes()))?;
                kp
            }
            Err(e) => return Err(AppError::Config(format!("{}: {e}", path.display()))),
        };
        let public =
            Base64UrlUnpadded::encode_string(&kp.public_key().public_key().to_bytes_uncompressed());
        Ok(Vapid { kp, public })
    }
}

/// Pushes to every browser `reviewer` subscribed; returns how many accepted it.
pub(super) async fn send(
    state: &AppState,
    http: &reqwest::Client,
    cfg: &PushConfig,
    vapid: &Vapid,
    reviewer: &str,
    n: &Notice,
    headline: &str,
) -> std::result::Result<usize, String> {
    let subs =
        sqlx::query("SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE reviewer = $1")
            .bind(reviewer)
            .fetch_all(&state.db.pool)
            .await
            .map_err(|e| e.to_string())?;
    if subs.is_empty() {
        return Err(format!(
            "{reviewer} has no browser subscribed to notifications"
        ));
    }
    let payload = json!({
        "title": headline,
        "body": truncate(&n.command, 300),
        "risk": n.level,
        "url": n.url,
        "id": n.id,
    })
    .to_string();
    let mut ok = 0;
    let mut errors = Vec::new();
    for s in subs {
        let (Ok(endpoint), Ok(p256dh), Ok(auth)) = (
            crate::db::str_col(&s, "endpoint"),
            crate::db::str_col(&s, "p256dh"),
            crate::db::str_col(&s, "auth"),
        ) else {
            continue;
        };
        match push_one(http, cfg, vapid, &endpoint, &p256dh, &auth, &payload).await {
            Ok(()) => ok += 1,
            Err(Gone) => {
                tracing::info!(reviewer, "push subscription expired; removed");
                let _ = sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
                    .bind(&endpoint)
                    .execute(&state.db.pool)
                    .await;
            }
            Err(Failed(e)) => errors.push(e),
        }
    }
    if ok == 0 && !errors.is_empty() {
        return Err(errors.join("; "));
    }
    Ok(ok)
}

enum PushError {
    Gone,
    Failed(String),
}
use PushError::{Failed, Gone};

async fn push_one(
    http: &reqwest::Client,
    cfg: &PushConfig,
    vapid: &Vapid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    payload: &str,
) -> std::result::Result<(), PushError> {
    let (ua_public, ua_auth) = keys(p256dh, auth).map_err(Failed)?;
    let uri = endpoint
        .parse()
        .map_err(|e| Failed(format!("endpoint: {e}")))?;
    let req = WebPushBuilder::new(uri, ua_public, ua_auth)
        .with_valid_duration(std::time::Duration::from_secs(3600))
        .with_vapid(&vapid.kp, &cfg.subject)
        .build(payload.as_bytes().to_vec())
        .map_err(|e| Failed(e.to_string()))?;
    let (parts, body) = req.into_parts();
    let mut rb = http.post(endpoint).body(body);
    for (k, v) in &parts.headers {
        rb = rb.header(k.as_str(), v.as_bytes());
    }
    let resp = rb.send().await.map_err(|e| Failed(e.to_string()))?;
    match resp.status().as_u16() {
        200..=299 => Ok(()),
        404 | 410 => Err(Gone),
        s => Err(Failed(format!("push service answered HTTP {s}"))),
    }
}

fn keys(p256dh: &str, auth: &str) -> std::result::Result<(p256::PublicKey, Auth), String> {
    let pk = Base64UrlUnpadded::decode_vec(p256dh.trim_end_matches('='))
        .map_err(|e| format!("p256dh: {e}"))?;
    let pk = p256::PublicKey::from_sec1_bytes(&pk).map_err(|e| format!("p256dh: {e}"))?;
    let a = Base64UrlUnpadded::decode_vec(auth.trim_end_matches('='))
        .map_err(|e| format!("auth: {e}"))?;
    let a: [u8; 16] = a.try_into().map_err(|_| "auth: not 16 bytes".to_string())?;
    Ok((pk, Auth::from(a)))
}

/// `GET /api/push/key`: the VAPID public key for `pushManager.subscribe`.
pub async fn push_key(State(st): State<Arc<AppState>>, _r: Reviewer) -> Result<Json<Value>> {
    let vapid = st
        .notifier
        .as_ref()
        .and_then(|n| n.vapid.as_ref())
        .ok_or(AppError::NotFound)?;
    Ok(Json(json!({ "public_key": vapid.public })))
}

/// A browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize)]
pub struct Subscription {
    endpoint: String,
    keys: SubscriptionKeys,
}

/// Its keys.
#[derive(Debug, Deserialize)]
pub struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

/// `POST /api/push/subscriptions`: this browser wants notifications for the signed-in reviewer.
pub async fn push_subscribe(
    State(st): State<Arc<AppState>>,
    r: Reviewer,
    Json(s): Json<Subscription>,
) -> Result<Json<Value>> {
    if st
        .notifier
        .as_ref()
        .and_then(|n| n.vapid.as_ref())
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    if s.endpoint.len() > 2048 || s.keys.p256dh.len() > 200 || s.keys.auth.len() > 100 {
        return Err(AppError::BadRequest("the subscription is too large".into()));
    }
    let uri: axum::http::Uri = s
        .endpoint
        .parse()
        .map_err(|_| AppError::BadRequest("the endpoint is not a URL".into()))?;
    let loopback = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if loopback => {}
        _ => {
            return Err(AppError::BadRequest(
                "the endpoint must be an https URL".into(),
            ));
        }
    }
    keys(&s.keys.p256dh, &s.keys.auth).map_err(AppError::BadRequest)?;
    let _w = st.write_lock.lock().await;
    sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
        .bind(&s.endpoint)
        .execute(&st.db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO push_subscriptions (endpoint, reviewer, p256dh, auth, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.endpoint)
    .bind(&r.name)
    .bind(&s.keys.p256dh)
    .bind(&s.keys.auth)
    .bind(crate::time::now_ms())
    .execute(&st.db.pool)
    .await?;
    tracing::info!(reviewer = %r.name, "browser subscribed to push");
    Ok(Json(json!({ "subscribed": true, "reviewer": r.name })))
}

const SW: &str = r#"// expacti service worker: shows pushed requests; a click opens the request.
self.addEventListener('push', (event) => {
  let d = {};
  try { d = event.data ? event.data.json() : {}; } catch (e) { d = { title: 'expacti', body: event.data ? event.data.text() : '' }; }
  event.waitUntil(self.registration.showNotification(d.title || 'expacti', {
    body: d.body || '', tag: d.id || undefined, data: { url: d.url || '/' }, requireInteraction: true,
  }));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(clients.openWindow(url));
});
"#;

/// `GET /sw.js`: the service worker (at the root so it may control every page).
pub async fn service_worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        SW,
    )
        .into_response()
}
