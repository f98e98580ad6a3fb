//! Telling waiting shells and open dashboards that a request changed, on this replica and on
//! every other replica of the same PostgreSQL database.
//!
//! Every write that creates, decides or escalates a request also sends a PostgreSQL
//! `NOTIFY expacti_changes` in the same transaction, so the notification goes out exactly when
//! the change commits and never for a change that rolled back. Each replica `LISTEN`s on one
//! connection of its own and wakes the shells waiting on that request. Notifications are not
//! stored: when the listening connection drops, the replica reconnects and wakes every
//! waiting shell, which re-reads its request from the database (catch-up). A waiting shell
//! also re-reads its request every [`crate::ws`] recheck period, so even a half-open
//! connection that never reports an error delays a decision by at most that period.
//!
//! On SQLite there is one server process, so local wake-ups are all there is.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::state::AppState;

/// The PostgreSQL channel.
pub const CHANNEL: &str = "expacti_changes";

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new request was stored.
    New,
    /// It was decided (by anyone: reviewer, policy, timeout, abandonment).
    Decided,
    /// It escalated, or an approval was counted: its page changed.
    Updated,
}

impl Change {
    fn tag(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Decided => "decided",
            Change::Updated => "updated",
        }
    }
}

/// The payload of one notification: `REPLICA:KIND:REQUEST[,REQUEST…]`.
pub fn payload(replica: &str, change: Change, ids: &str) -> String {
    format!("{replica}:{}:{ids}", change.tag())
}

/// Splits a payload into (replica, request ids); `None` for anything else.
pub fn parse_payload(p: &str) -> Option<(&str, impl Iterator<Item = &str>)> {
    let (replica, rest) = p.split_once(':')?;
    let (kind, ids) = rest.split_once(':')?;
    matches!(kind, "new" | "decided" | "updated")
        .then(|| (replica, ids.split(',').filter(|i| !i.is_empty())))
}

/// Shells waiting on this replica, by request id. Each waiter holds a `watch` receiver; a
/// wake-up bumps the counter, so one that arrives between a shell's database read and its
/// next wait is never lost.
#[derive(Debug, Default)]
pub struct Waiters {
    map: std::sync::Mutex<HashMap<String, watch::Sender<u64>>>,
    /// Wake-ups delivered (for tests and metrics).
    pub wakeups: AtomicU64,
}

/// A shell's registration; dropping it unregisters.
#[derive(Debug)]
pub struct Waiting {
    waiters: Arc<Waiters>,
    id: String,
    /// Changes when the request may have changed.
    pub rx: watch::Receiver<u64>,
}

impl Waiters {
    /// Registers a shell waiting on `id`.
    pub fn watch(self: &Arc<Self>, id: &str) -> Waiting {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let rx = map
            .entry(id.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Waiting {
            waiters: self.clone(),
            id: id.to_string(),
            rx,
        }
    }

    /// Wakes the shells waiting on `id`, if any.
    pub fn wake(&self, id: &str) {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(id) {
            tx.send_modify(|n| *n += 1);
            self.wakeups.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Wakes every waiting shell (after notifications may have been missed).
    pub fn wake_all(&self) {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        for tx in map.values() {
            tx.send_modify(|n| *n += 1);
        }
    }

    /// How many requests have shells waiting here.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when no shell waits here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut map = self.waiters.map.lock().unwrap_or_else(|p| p.into_inner());
        // This receiver is still counted: remove the entry when it is the last one.
        if map.get(&self.id).is_some_and(|tx| tx.receiver_count() <= 1) {
            map.remove(&self.id);
        }
    }
}

/// Whether this replica's listening connection is up (always true on SQLite).
#[derive(Debug)]
pub struct ListenerStatus {
    /// Up now.
    pub up: AtomicBool,
    /// Times it (re)connected.
    pub connects: AtomicU64,
}

impl Default for ListenerStatus {
    fn default() -> Self {
        ListenerStatus {
            up: AtomicBool::new(true),
            connects: AtomicU64::new(0),
        }
    }
}

/// Listens for other replicas' changes until the process ends: wakes the shells waiting
/// here and tells this replica's dashboards. Reconnects with a growing pause (up to 2 s)
/// and wakes everyone after each reconnect.
pub async fn listen(state: Arc<AppState>, url: String) {
    state.listener.up.store(false, Ordering::Relaxed);
    let mut pause = Duration::from_millis(100);
    loop {
        let mut listener = match connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other replicas' changes; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        pause = Duration::from_millis(100);
        state.listener.up.store(true, Ordering::Relaxed);
        state.listener.connects.fetch_add(1, Ordering::Relaxed);
        // Whatever happened while not listening: every waiting shell re-reads its request.
        state.waiters.wake_all();
        let _ = state.changes.send("*".into());
        // `Ok(None)` (connection lost) and errors both end this connection.
        while let Ok(Some(n)) = listener.try_recv().await {
            if let Some((replica, ids)) = parse_payload(n.payload())
                && replica != state.replica
            {
                for id in ids {
                    state.waiters.wake(id);
                    let _ = state.changes.send(id.to_string());
                }
            }
        }
        state.listener.up.store(false, Ordering::Relaxed);
        tracing::warn!(
            "lost the connection that listens for other replicas' changes; reconnecting"
        );
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut l = tokio::time::timeout(Duration::from_secs(5), PgListener::connect(url))
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    l.listen(CHANNEL).await?;
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_junk_is_ignored() {
        let p = payload("r1", Change::Decided, "abc,def");
        let (r, ids) = parse_payload(&p).unwrap();
        assert_eq!((r, ids.collect::<Vec<_>>()), ("r1", vec!["abc", "def"]));
        assert!(parse_payload("r1:other:abc").is_none());
        assert!(parse_payload("nonsense").is_none());
    }

    #[tokio::test]
    async fn a_wake_between_read_and_wait_is_not_lost() {
        let w = Arc::new(Waiters::default());
        let mut a = w.watch("x");
        let b = w.watch("x");
        w.wake("x");
        // Nobody was awaiting yet; the change is still seen.
        tokio::time::timeout(Duration::from_secs(1), a.rx.changed())
            .await
            .unwrap()
            .unwrap();
        drop(b);
        assert_eq!(w.len(), 1, "one waiter left");
        drop(a);
        assert!(w.is_empty(), "unregistered");
        w.wake("x"); // Nobody waits: nothing happens.
    }
}
