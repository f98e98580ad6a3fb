-- Only waiting requests are swept for timeouts, escalations and abandonment: index only those.
-- Requests the policy decides at once (most of them) then touch none of these indexes.
DROP INDEX requests_pending;
DROP INDEX requests_escalate;
DROP INDEX requests_detached;
CREATE INDEX requests_pending ON requests (timeout_at) WHERE state = 'pending';
CREATE INDEX requests_escalate ON requests (escalate_at) WHERE state = 'pending';
CREATE INDEX requests_detached ON requests (detached_at) WHERE state = 'pending';
