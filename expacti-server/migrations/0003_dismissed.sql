-- Suggestions a reviewer dismissed in the dashboard: not offered again.
CREATE TABLE dismissed_suggestions (
    pattern TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL,
    at BIGINT NOT NULL
);
