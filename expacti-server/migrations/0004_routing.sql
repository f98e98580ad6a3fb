-- Escalation (issue 8): when a waiting request escalates, and when it did (set once, by
-- whichever replica marks it first).
ALTER TABLE requests ADD COLUMN escalate_at BIGINT;
ALTER TABLE requests ADD COLUMN escalated_at BIGINT;
CREATE INDEX requests_escalate ON requests (state, escalate_at);
-- Every notification delivered or given up, for the dashboard; Slack message references.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    target TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    ref TEXT,
    attempts BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX deliveries_request ON deliveries (request_id, at);
CREATE INDEX deliveries_status ON deliveries (status, at);
-- Email confirm links that were used (single use).
CREATE TABLE used_links (
    nonce TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    at BIGINT NOT NULL
);
-- Browsers subscribed to Web Push, per reviewer.
CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
