-- The run a request belongs to (context `run_id`), for "what ran before it in this run".
ALTER TABLE requests ADD COLUMN run_id TEXT;
CREATE INDEX requests_run ON requests (repository, run_id, created_at);
