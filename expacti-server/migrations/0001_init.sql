-- One schema for SQLite and PostgreSQL: text ids made by the server, BIGINT times in
-- milliseconds since the epoch, JSON kept as TEXT.
CREATE TABLE shell_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    repository TEXT,
    environment TEXT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE reviewers (
    name TEXT PRIMARY KEY,
    password_hash TEXT,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    token_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    command TEXT NOT NULL,
    command_sha256 TEXT NOT NULL,
    context TEXT NOT NULL,
    evaluation TEXT NOT NULL,
    risk_level TEXT NOT NULL,
    risk_score BIGINT NOT NULL,
    repository TEXT,
    source TEXT,
    rule TEXT,
    approvals_needed BIGINT NOT NULL,
    on_timeout TEXT NOT NULL,
    state TEXT NOT NULL,
    why TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    timeout_at BIGINT NOT NULL,
    decided_at BIGINT,
    reviewer TEXT,
    comment TEXT,
    exit_code BIGINT,
    UNIQUE (token_id, client_id)
);
CREATE INDEX requests_pending ON requests (state, timeout_at);
CREATE INDEX requests_created ON requests (created_at);
CREATE TABLE approvals (
    request_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    at BIGINT NOT NULL,
    comment TEXT,
    PRIMARY KEY (request_id, reviewer)
);
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    request_id TEXT,
    at BIGINT NOT NULL,
    record TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE checkpoints (
    seq BIGINT PRIMARY KEY,
    body TEXT NOT NULL
);
