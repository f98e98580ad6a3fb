//! Notifications (SPEC §8; first cut of issue 8): each channel is a small adapter behind one
//! interface, fed by one dispatcher that follows the server's change stream. A new pending
//! request goes to the targets its deciding rule names (`notify = ["slack:#deploys",
//! "pagerduty:oncall", "webhook:ops"]`) or the configured defaults; when it is decided, the
//! Slack message is updated, the PagerDuty incident resolved and webhooks told. Delivery is
//! retried with backoff in its own task: a failing channel never blocks a decision or another
//! channel. Commands are masked (`expacti_core::mask`) before they leave the server.
//!
//! Slack's interaction endpoint (`POST /slack/interactions`) verifies Slack's signature
//! (`v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret, five-minute
//! window, constant-time comparison) and maps the Slack user to a reviewer.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use expacti_core::audit::hex;
use expacti_core::mask::mask_secrets;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{AppError, Result};
use crate::state::{AppState, RequestRow};

mod email;
mod push;

pub use email::{EmailConfig, confirm_page, confirm_post};
pub use push::{PushConfig, push_key, push_subscribe, service_worker};

/// The notification settings (`--notify FILE`, TOML).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Targets for requests whose rule and routes name none.
    #[serde(default)]
    pub default: Vec<String>,
    /// Slack.
    #[serde(default)]
    pub slack: Option<SlackConfig>,
    /// Email over SMTP (`email:REVIEWER`).
    #[serde(default)]
    pub email: Option<EmailConfig>,
    /// Web Push to subscribed dashboard browsers (`push:REVIEWER`).
    #[serde(default)]
    pub push: Option<PushConfig>,
    /// Generic webhooks by name (`webhook:NAME`).
    #[serde(default)]
    pub webhook: BTreeMap<String, WebhookConfig>,
    /// PagerDuty services by name (`pagerduty:NAME`).
    #[serde(default)]
    pub pagerduty: BTreeMap<String, PagerDutyConfig>,
    /// Opsgenie (or Jira Service Management) teams by name (`opsgenie:NAME`).
    #[serde(default)]
    pub opsgenie: BTreeMap<String, OpsgenieConfig>,
}

/// Slack settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// The bot token (`xoxb-…`).
    pub token: String,
    /// The app's signing secret, for interaction requests.
    pub signing_secret: String,
    /// The Web API base URL.
    #[serde(default = "slack_api")]
    pub api_url: String,
    /// Slack user id → reviewer name.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
}

fn slack_api() -> String {
    "https://slack.com/api".into()
}

/// A generic webhook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST.
    pub url: String,
    /// The HMAC-SHA256 key for `X-Expacti-Signature`.
    pub secret: String,
}

/// A PagerDuty Events API v2 service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// The integration's routing key.
    pub routing_key: String,
    /// The events endpoint.
    #[serde(default = "pagerduty_url")]
    pub url: String,
}

fn pagerduty_url() -> String {
    "https://events.pagerduty.com/v2/enqueue".into()
}

/// An Opsgenie API integration (Opsgenie's API ends in April 2027; Jira Service Management's
/// alert API takes the same requests at another base URL).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieConfig {
    /// The API integration key (`Authorization: GenieKey …`).
    pub api_key: String,
    /// The API base URL.
    #[serde(default = "opsgenie_url")]
    pub url: String,
    /// Responders, as Opsgenie expects them (`{ name = "ops", type = "team" }`).
    #[serde(default)]
    pub responders: Vec<BTreeMap<String, String>>,
}

fn opsgenie_url() -> String {
    "https://api.opsgenie.com".into()
}

impl NotifyConfig {
    /// Reads and checks the settings file.
    pub fn load(path: &std::path::Path) -> Result<NotifyConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::Config(format!("cannot read {}: {e}", path.display())))?;
        let cfg: NotifyConfig = toml::from_str(&text)
            .map_err(|e| AppError::Config(format!("{}: {e}", path.display())))?;
        for t in &cfg.default {
            cfg.check_target(t)
                .map_err(|e| AppError::Config(format!("{}: {e}", path.display())))?;
        }
        if let Some(e) = &cfg.email {
            e.check()
                .map_err(|e| AppError::Config(format!("{}: [email]: {e}", path.display())))?;
        }
        Ok(cfg)
    }

    fn check_target(&self, t: &str) -> std::result::Result<(), String> {
        match t.split_once(':') {
            Some(("slack", c)) if self.slack.is_some() && !c.is_empty() => Ok(()),
            Some(("webhook", n)) if self.webhook.contains_key(n) => Ok(()),
            Some(("pagerduty", n)) if self.pagerduty.contains_key(n) => Ok(()),
            Some(("opsgenie", n)) if self.opsgenie.contains_key(n) => Ok(()),
            Some(("email", n))
                if self
                    .email
                    .as_ref()
                    .is_some_and(|e| e.addresses.contains_key(n)) =>
            {
                Ok(())
            }
            Some(("push", n)) if self.push.is_some() && !n.is_empty() => Ok(()),
            _ => Err(format!(
                "`{t}`: not a configured target (slack:#channel, email:REVIEWER with an address, \
                 push:REVIEWER, webhook:NAME, pagerduty:NAME, opsgenie:NAME)"
            )),
        }
    }
}

/// Delivery counters.
#[derive(Debug, Default)]
pub struct NotifyMetrics {
    /// Deliveries that succeeded.
    pub delivered: AtomicU64,
    /// Attempts that failed (each retry counts).
    pub failed_attempts: AtomicU64,
    /// Deliveries given up after every retry.
    pub given_up: AtomicU64,
    /// Escalations sent.
    pub escalations: AtomicU64,
}

/// What a delivery is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A request started waiting.
    Requested,
    /// Nobody answered in time: the backup is told.
    Escalated,
    /// It was decided.
    Decided,
}

impl Event {
    fn as_str(self) -> &'static str {
        match self {
            Event::Requested => "requested",
            Event::Escalated => "escalated",
            Event::Decided => "decided",
        }
    }
}

/// The notifier.
#[derive(Debug)]
pub struct Notifier {
    cfg: NotifyConfig,
    http: reqwest::Client,
    /// Counters for `/metrics`.
    pub metrics: NotifyMetrics,
    /// Requests this process announced and that are still waiting.
    notified: Mutex<HashSet<String>>,
    /// The VAPID key pair for Web Push, when push is configured.
    vapid: Option<push::Vapid>,
}

const ATTEMPTS: u32 = 5;

impl Notifier {
    /// A notifier for these settings; `data` holds the VAPID key (created on first start).
    pub fn new(cfg: NotifyConfig, data: &std::path::Path) -> Result<Notifier> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| AppError::Config(format!("HTTP client: {e}")))?;
        let vapid = match &cfg.push {
            Some(_) => Some(push::Vapid::load_or_create(data)?),
            None => None,
        };
        Ok(Notifier {
            cfg,
            http,
            metrics: NotifyMetrics::default(),
            notified: Mutex::new(HashSet::new()),
            vapid,
        })
    }

    /// Follows the server's change and escalation streams until they close.
    pub async fn run(self: Arc<Self>, state: Arc<AppState>) {
        let mut changes = state.decided.subscribe();
        let mut escalations = state.escalated.subscribe();
        loop {
            let (got, escalation) = tokio::select! {
                r = changes.recv() => (r, false),
                r = escalations.recv() => (r, true),
            };
            let id = match got {
                Ok(id) => id,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "notifier fell behind; some notifications were skipped"
                    );
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Ok(row) = state.get(&id).await else {
                continue;
            };
            if escalation {
                if row.state == "pending" {
                    self.metrics.escalations.fetch_add(1, Ordering::Relaxed);
                    let targets = self.checked(row.routing().escalate_to);
                    self.send_all(&state, &row, Event::Escalated, targets);
                }
            } else if row.state == "pending" {
                let first = self
                    .notified
                    .lock()
                    .is_ok_and(|mut n| n.insert(row.id.clone()));
                if first {
                    let targets = self.targets(&row);
                    self.send_all(&state, &row, Event::Requested, targets);
                }
            } else {
                if let Ok(mut n) = self.notified.lock() {
                    n.remove(&row.id);
                }
                let me = self.clone();
                let st = state.clone();
                tokio::spawn(async move { me.decided(&st, &row).await });
            }
        }
    }

    /// Keeps the targets this server can reach, in order, once each.
    fn checked(&self, list: Vec<String>) -> Vec<String> {
        let mut seen = HashSet::new();
        list.into_iter()
            .filter(|t| seen.insert(t.clone()))
            .filter(|t| match self.cfg.check_target(t) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(target = %t, error = %e, "notification target skipped");
                    false
                }
            })
            .collect()
    }

    /// Where a new request goes: its routing (rules and routes), else the defaults.
    fn targets(&self, row: &RequestRow) -> Vec<String> {
        let mut list = row.routing().notify;
        if list.is_empty() {
            list = row
                .evaluation
                .get("notify")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
        }
        if list.is_empty() {
            list = self.cfg.default.clone();
        }
        self.checked(list)
    }

    /// Sends `event` to every target, each in its own task with retries, and records each
    /// delivery. A request decided while its announcement was in flight is told at once.
    fn send_all(
        self: &Arc<Self>,
        state: &Arc<AppState>,
        row: &RequestRow,
        event: Event,
        targets: Vec<String>,
    ) {
        let n = Notice::of(state, row, event);
        for target in targets {
            let me = self.clone();
            let st = state.clone();
            let n = n.clone();
            tokio::spawn(async move {
                let (r, attempts) = me.retry(&target, || me.send(&st, &target, &n)).await;
                let sent = r.is_ok();
                let reference = r.as_ref().ok().cloned().flatten();
                me.record(&st, &n.id, &target, event, r, attempts).await;
                if sent {
                    if let Ok(now) = st.get(&n.id).await {
                        if now.state != "pending" {
                            let d = Notice::of(&st, &now, Event::Decided);
                            let (r, _) = me
                                .retry(&target, || {
                                    me.send_decided(&st, &target, &d, reference.as_deref())
                                })
                                .await;
                            if let Err(e) = r {
                                tracing::warn!(target = %target, error = %e, "late update failed");
                            }
                        }
                    }
                }
            });
        }
    }

    /// Tells every target that was told of the request (from the delivery records, so it
    /// works after a restart) that it was decided.
    async fn decided(self: &Arc<Self>, state: &Arc<AppState>, row: &RequestRow) {
        let rows = match sqlx::query(
            "SELECT target, ref FROM deliveries WHERE request_id = $1 AND status = 'sent' \
             AND event <> 'decided' ORDER BY at",
        )
        .bind(&row.id)
        .fetch_all(&state.db.pool)
        .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(request = %row.id, error = %e, "cannot read deliveries");
                return;
            }
        };
        let mut seen = HashSet::new();
        let n = Notice::of(state, row, Event::Decided);
        for r in rows {
            let (Ok(target), Ok(reference)) = (
                crate::db::str_col(&r, "target"),
                crate::db::opt_str(&r, "ref"),
            ) else {
                continue;
            };
            if !seen.insert((target.clone(), reference.clone())) {
                continue;
            }
            let me = self.clone();
            let st = state.clone();
            let n = n.clone();
            tokio::spawn(async move {
                let (r, attempts) = me
                    .retry(&target, || {
                        me.send_decided(&st, &target, &n, reference.as_deref())
                    })
                    .await;
                if !matches!(r, Ok(false)) {
                    me.record(
                        &st,
                        &n.id,
                        &target,
                        Event::Decided,
                        r.map(|_| None),
                        attempts,
                    )
                    .await;
                }
            });
        }
    }

    /// Stores one delivery's outcome, for the dashboard.
    async fn record(
        &self,
        state: &AppState,
        request: &str,
        target: &str,
        event: Event,
        r: std::result::Result<Option<String>, String>,
        attempts: u32,
    ) {
        let (status, detail, reference) = match r {
            Ok(reference) => ("sent", None, reference),
            Err(e) => ("failed", Some(truncate(&e, 500)), None),
        };
        let Ok(id) = crate::auth::new_id() else {
            return;
        };
        let res = sqlx::query(
            "INSERT INTO deliveries (id, request_id, target, event, status, detail, ref, attempts, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(request)
        .bind(target)
        .bind(event.as_str())
        .bind(status)
        .bind(detail)
        .bind(reference)
        .bind(i64::from(attempts))
        .bind(crate::time::now_ms())
        .execute(&state.db.pool)
        .await;
        if let Err(e) = res {
            tracing::warn!(request, target, error = %e, "cannot record a delivery");
        }
    }

    /// Runs `f` up to [`ATTEMPTS`] times with doubling waits; returns the last result and
    /// the number of attempts.
    async fn retry<T, F, Fut>(&self, target: &str, f: F) -> (std::result::Result<T, String>, u32)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, String>>,
    {
        let mut wait = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match f().await {
                Ok(v) => {
                    self.metrics.delivered.fetch_add(1, Ordering::Relaxed);
                    return (Ok(v), attempt);
                }
                Err(e) => {
                    self.metrics.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target, attempt, error = %e, "notification failed");
                    if attempt == ATTEMPTS {
                        self.metrics.given_up.fetch_add(1, Ordering::Relaxed);
                        return (Err(e), attempt);
                    }
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
            }
        }
    }

    async fn post(
        &self,
        url: &str,
        body: &Value,
        headers: &[(&str, String)],
    ) -> std::result::Result<Value, String> {
        let text = body.to_string();
        let mut req = self
            .http
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .body(text);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Announces a waiting (or escalated) request to one target; returns the reference to
    /// keep (Slack: `channel ts`).
    async fn send(
        &self,
        state: &AppState,
        target: &str,
        n: &Notice,
    ) -> std::result::Result<Option<String>, String> {
        let headline = if n.event == Event::Escalated {
            format!(
                "expacti: ESCALATED, nobody answered: {} risk command waiting for review",
                n.level
            )
        } else {
            format!("expacti: {} risk command waiting for review", n.level)
        };
        match target.split_once(':') {
            Some(("slack", channel)) => {
                let slack = self.cfg.slack.as_ref().ok_or("Slack is not configured")?;
                let body = json!({
                    "channel": channel,
                    "text": format!("{headline}: {}", n.command),
                    "blocks": slack_blocks(n, true),
                });
                let r = self.slack_call(slack, "chat.postMessage", &body).await?;
                let ch = r.get("channel").and_then(Value::as_str).unwrap_or(channel);
                let ts = r.get("ts").and_then(Value::as_str).unwrap_or_default();
                Ok(Some(format!("{ch} {ts}")))
            }
            Some(("webhook", name)) => {
                self.webhook(name, n.event.as_str(), n).await?;
                Ok(None)
            }
            Some(("pagerduty", name)) => {
                let pd = self
                    .cfg
                    .pagerduty
                    .get(name)
                    .ok_or("no such PagerDuty service")?;
                let body = json!({
                    "routing_key": pd.routing_key,
                    "event_action": "trigger",
                    "dedup_key": format!("expacti-{}", n.id),
                    "payload": {
                        "summary": truncate(&format!("{headline}: {}", n.command), 1000),
                        "source": n.context.get("host").and_then(Value::as_str).unwrap_or("expacti"),
                        "severity": match n.level.as_str() { "critical" => "critical", "high" => "error", "medium" => "warning", _ => "info" },
                        "custom_details": { "command": n.command, "reasons": n.reasons, "context": n.context, "escalated": n.event == Event::Escalated },
                    },
                    "links": [{ "href": n.url, "text": "Review in expacti" }],
                });
                self.post(&pd.url, &body, &[]).await?;
                Ok(None)
            }
            Some(("opsgenie", name)) => {
                let og = self.cfg.opsgenie.get(name).ok_or("no such Opsgenie team")?;
                let body = json!({
                    "message": truncate(&format!("{headline}: {}", n.command), 120),
                    "alias": format!("expacti-{}", n.id),
                    "description": truncate(&format!("{}\n\n{}\n\n{}", n.command, n.reasons.join("\n"), n.url), 15000),
                    "responders": og.responders,
                    "details": n.context.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect::<BTreeMap<_, _>>(),
                    "source": "expacti",
                    "priority": match n.level.as_str() { "critical" => "P1", "high" => "P2", "medium" => "P3", _ => "P4" },
                    "tags": ["expacti", n.level.as_str()],
                });
                let url = format!("{}/v2/alerts", og.url.trim_end_matches('/'));
                self.post(
                    &url,
                    &body,
                    &[("authorization", format!("GenieKey {}", og.api_key))],
                )
                .await?;
                Ok(None)
            }
            Some(("email", reviewer)) => {
                let cfg = self.cfg.email.as_ref().ok_or("email is not configured")?;
                email::send(state, cfg, reviewer, n, &headline).await?;
                Ok(None)
            }
            Some(("push", reviewer)) => {
                let (cfg, vapid) = match (&self.cfg.push, &self.vapid) {
                    (Some(c), Some(v)) => (c, v),
                    _ => return Err("Web Push is not configured".into()),
                };
                let sent =
                    push::send(state, &self.http, cfg, vapid, reviewer, n, &headline).await?;
                Ok(Some(format!("{sent} browser(s)")))
            }
            _ => Err(format!("`{target}`: unknown target")),
        }
    }

    /// Tells one target that a request it was told of was decided; `reference` is what
    /// [`Notifier::send`] kept. Returns whether anything was sent.
    async fn send_decided(
        &self,
        _state: &AppState,
        target: &str,
        n: &Notice,
        reference: Option<&str>,
    ) -> std::result::Result<bool, String> {
        match target.split_once(':') {
            Some(("webhook", name)) => self.webhook(name, "decided", n).await.map(|()| true),
            Some(("pagerduty", name)) => {
                let pd = self
                    .cfg
                    .pagerduty
                    .get(name)
                    .ok_or("no such PagerDuty service")?;
                let body = json!({
                    "routing_key": pd.routing_key,
                    "event_action": "resolve",
                    "dedup_key": format!("expacti-{}", n.id),
                });
                self.post(&pd.url, &body, &[]).await.map(|_| true)
            }
            Some(("opsgenie", name)) => {
                let og = self.cfg.opsgenie.get(name).ok_or("no such Opsgenie team")?;
                let url = format!(
                    "{}/v2/alerts/expacti-{}/close?identifierType=alias",
                    og.url.trim_end_matches('/'),
                    n.id
                );
                let note = match &n.reviewer {
                    Some(r) => format!("{} by {r}", n.state),
                    None => n.state.clone(),
                };
                let body = json!({ "source": "expacti", "note": note });
                self.post(
                    &url,
                    &body,
                    &[("authorization", format!("GenieKey {}", og.api_key))],
                )
                .await
                .map(|_| true)
            }
            Some(("slack", _)) => {
                let Some((channel, ts)) = reference.and_then(|r| r.split_once(' ')) else {
                    return Ok(false);
                };
                self.slack_update(channel, ts, n).await.map(|()| true)
            }
            _ => Ok(false),
        }
    }

    async fn slack_update(
        &self,
        channel: &str,
        ts: &str,
        n: &Notice,
    ) -> std::result::Result<(), String> {
        let slack = self.cfg.slack.as_ref().ok_or("Slack is not configured")?;
        let body = json!({
            "channel": channel,
            "ts": ts,
            "text": format!("expacti: {} — {}", n.state, n.command),
            "blocks": slack_blocks(n, false),
        });
        self.slack_call(slack, "chat.update", &body)
            .await
            .map(|_| ())
    }

    /// A Slack Web API call: `ok: false` is a failure like an HTTP error.
    async fn slack_call(
        &self,
        slack: &SlackConfig,
        method: &str,
        body: &Value,
    ) -> std::result::Result<Value, String> {
        let auth = [("authorization", format!("Bearer {}", slack.token))];
        let r = self
            .post(&format!("{}/{method}", slack.api_url), body, &auth)
            .await?;
        if r.get("ok") != Some(&Value::Bool(true)) {
            return Err(format!(
                "Slack said {}",
                r.get("error").unwrap_or(&Value::Null)
            ));
        }
        Ok(r)
    }

    async fn webhook(
        &self,
        name: &str,
        event: &str,
        n: &Notice,
    ) -> std::result::Result<(), String> {
        let w = self.cfg.webhook.get(name).ok_or("no such webhook")?;
        let body = json!({ "event": event, "request": n.to_json() });
        let ts = (crate::time::now_ms() / 1000).to_string();
        let sig = webhook_signature(&w.secret, &ts, body.to_string().as_bytes());
        self.post(
            &w.url,
            &body,
            &[("x-expacti-timestamp", ts), ("x-expacti-signature", sig)],
        )
        .await
        .map(|_| ())
    }
}

/// `sha256=` HMAC-SHA256 of `{timestamp}.{body}` with the webhook's secret.
pub fn webhook_signature(secret: &str, ts: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hmac_hex(secret.as_bytes(), &[ts.as_bytes(), b".", body])
    )
}

fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    for p in parts {
        mac.update(p);
    }
    hex(&mac.finalize().into_bytes())
}

/// Slack's request signature: `v0=` HMAC-SHA256 of `v0:{ts}:{body}`.
pub fn slack_signature(secret: &str, ts: &str, body: &[u8]) -> String {
    format!(
        "v0={}",
        hmac_hex(secret.as_bytes(), &[b"v0:", ts.as_bytes(), b":", body])
    )
}

/// Whether a Slack request is signed with `secret` and no older than five minutes.
pub fn slack_verified(secret: &str, headers: &HeaderMap, body: &[u8], now_secs: i64) -> bool {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok());
    let (Some(ts), Some(sig)) = (get("x-slack-request-timestamp"), get("x-slack-signature")) else {
        return false;
    };
    let Ok(t) = ts.parse::<i64>() else {
        return false;
    };
    if (now_secs - t).abs() > 300 {
        return false;
    }
    slack_signature(secret, ts, body)
        .as_bytes()
        .ct_eq(sig.as_bytes())
        .into()
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// What a notification says about a request (command masked).
#[derive(Debug, Clone)]
pub struct Notice {
    id: String,
    event: Event,
    command: String,
    level: String,
    score: i64,
    reasons: Vec<String>,
    context: serde_json::Map<String, Value>,
    url: String,
    state: String,
    reviewer: Option<String>,
    rule: Option<String>,
    timeout_at: i64,
}

impl Notice {
    fn of(state: &AppState, row: &RequestRow, event: Event) -> Notice {
        let reasons = row
            .evaluation
            .pointer("/risk/reasons")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.get("detail").and_then(Value::as_str).map(mask_secrets))
                    .take(5)
                    .collect()
            })
            .unwrap_or_default();
        let context = match &row.context {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map_or(v.clone(), |s| Value::from(mask_secrets(s))),
                    )
                })
                .collect(),
            _ => serde_json::Map::new(),
        };
        Notice {
            id: row.id.clone(),
            event,
            command: mask_secrets(&row.command),
            level: row.risk_level.clone(),
            score: row.risk_score,
            reasons,
            context,
            url: format!("{}/requests/{}", state.public_url, row.id),
            state: row.state.clone(),
            reviewer: row.reviewer.clone(),
            rule: row.rule.clone(),
            timeout_at: row.timeout_at,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "command": self.command,
            "risk": { "level": self.level, "score": self.score, "reasons": self.reasons },
            "context": self.context, "url": self.url, "state": self.state,
            "escalated": self.event == Event::Escalated,
            "reviewer": self.reviewer, "rule": self.rule,
        })
    }
}

fn slack_blocks(n: &Notice, buttons: bool) -> Value {
    let ctx: Vec<String> = [
        "repository",
        "environment",
        "workflow",
        "actor",
        "host",
        "source",
    ]
    .iter()
    .filter_map(|k| {
        n.context
            .get(*k)
            .and_then(Value::as_str)
            .map(|v| format!("*{k}:* {v}"))
    })
    .collect();
    let code = truncate(&n.command.replace("```", "`\u{200b}``"), 2500);
    let escalated = if n.event == Event::Escalated {
        "*Escalated: nobody answered in time.*\n"
    } else {
        ""
    };
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{escalated}*{} risk ({})*\n```{}```", n.level, n.score, code)}}),
    ];
    if !n.reasons.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": n.reasons.iter().map(|r| format!("• {r}")).collect::<Vec<_>>().join("\n")}}));
    }
    if !ctx.is_empty() {
        blocks.push(
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": ctx.join("  ")}]}),
        );
    }
    if buttons {
        blocks.push(json!({"type": "actions", "block_id": format!("expacti-{}", n.id), "elements": [
            {"type": "button", "action_id": "approve", "style": "primary", "value": n.id, "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": "deny", "style": "danger", "value": n.id, "text": {"type": "plain_text", "text": "Deny"}},
            {"type": "button", "action_id": "open", "url": n.url, "text": {"type": "plain_text", "text": "Open"}},
        ]}));
    } else {
        let who = n
            .reviewer
            .as_deref()
            .map(|r| format!(" by {r}"))
            .unwrap_or_default();
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("*{}*{who}", n.state)}]}));
    }
    Value::Array(blocks)
}

/// Decodes `application/x-www-form-urlencoded` into pairs.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let dec = |s: &[u8]| -> String {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    let h = std::str::from_utf8(&s[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match h {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (dec(&p[..i]), dec(&p[i + 1..])),
            None => (dec(p), String::new()),
        })
        .collect()
}

/// Whether `reviewer` still exists with a role that may decide (reviewer or admin), for the
/// channels that decide on a reviewer's behalf (Slack, email links).
pub(crate) async fn may_decide(st: &AppState, reviewer: &str) -> bool {
    let role = sqlx::query("SELECT role FROM reviewers WHERE name = $1 AND removed_at IS NULL")
        .bind(reviewer)
        .fetch_optional(&st.db.pool)
        .await
        .ok()
        .flatten()
        .and_then(|r| crate::db::str_col(&r, "role").ok());
    role.as_deref()
        .and_then(crate::api::Role::parse)
        .is_some_and(|r| r >= crate::api::Role::Reviewer)
}

/// `POST /slack/interactions`: a click on Approve or Deny in Slack.
pub async fn slack_interaction(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(notifier) = st.notifier.clone() else {
        return (StatusCode::NOT_FOUND, "Slack is not configured").into_response();
    };
    let Some(slack) = notifier.cfg.slack.as_ref() else {
        return (StatusCode::NOT_FOUND, "Slack is not configured").into_response();
    };
    if !slack_verified(
        &slack.signing_secret,
        &headers,
        &body,
        crate::time::now_ms() / 1000,
    ) {
        tracing::warn!("Slack interaction with a bad or stale signature refused");
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let Some(payload) = form_pairs(&body)
        .into_iter()
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v)
    else {
        return (StatusCode::BAD_REQUEST, "no payload").into_response();
    };
    let Ok(p) = serde_json::from_str::<Value>(&payload) else {
        return (StatusCode::BAD_REQUEST, "payload is not JSON").into_response();
    };
    let user = p
        .pointer("/user/id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(reviewer) = slack.users.get(user).cloned() else {
        return axum::Json(
            json!({"response_type": "ephemeral", "replace_original": false,
            "text": format!("Your Slack user ({user}) is not mapped to an expacti reviewer.")}),
        )
        .into_response();
    };
    let Some(action) = p.pointer("/actions/0") else {
        return StatusCode::OK.into_response();
    };
    let (Some(kind), Some(id)) = (
        action.get("action_id").and_then(Value::as_str),
        action.get("value").and_then(Value::as_str),
    ) else {
        return StatusCode::OK.into_response();
    };
    // The reviewer must still exist with a role that may decide.
    if !may_decide(&st, &reviewer).await {
        return axum::Json(
            json!({"response_type": "ephemeral", "replace_original": false,
            "text": format!("`{reviewer}` may not decide requests.")}),
        )
        .into_response();
    }
    let comment = Some("from Slack".to_string());
    let r = match kind {
        "approve" => st.approve(id, &reviewer, comment).await,
        "deny" => st.deny(id, &reviewer, comment).await,
        _ => return StatusCode::OK.into_response(),
    };
    let text = match r {
        Ok(row) => format!("{}: {}", row.state, row.why),
        Err(e) => e.to_string(),
    };
    tracing::info!(request = id, reviewer = %reviewer, action = kind, "Slack decision");
    axum::Json(json!({"response_type": "ephemeral", "replace_original": false, "text": text}))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slacks_published_signature_example_verifies() {
        // Slack's documented example ("Verifying requests from Slack").
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let ts = "1531420618";
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(slack_signature(secret, ts, body.as_bytes()), expected);
        let mut h = HeaderMap::new();
        h.insert("x-slack-request-timestamp", ts.parse().unwrap());
        h.insert("x-slack-signature", expected.parse().unwrap());
        assert!(slack_verified(
            secret,
            &h,
            body.as_bytes(),
            1_531_420_618 + 299
        ));
        assert!(
            !slack_verified(secret, &h, body.as_bytes(), 1_531_420_618 + 301),
            "replay window"
        );
        assert!(
            !slack_verified(secret, &h, b"token=other", 1_531_420_618),
            "another body"
        );
        assert!(!slack_verified(
            "another-secret",
            &h,
            body.as_bytes(),
            1_531_420_618
        ));
        let pairs = form_pairs(body.as_bytes());
        assert!(pairs.contains(&("command".into(), "/webhook-collect".into())));
    }
}
