-- Abandonment (issue 10): which shell session (on which replica) waits on a pending request,
-- and since when none does. A request left without a shell for the server's abandon period
-- is decided `abandoned`: a later approval runs nothing.
ALTER TABLE requests ADD COLUMN attached_to TEXT;
ALTER TABLE requests ADD COLUMN detached_at BIGINT;
CREATE INDEX requests_detached ON requests (state, detached_at);
