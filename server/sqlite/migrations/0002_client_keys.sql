-- 0002: at most one event per client key in a session's log (an answer's id, a join, "close
-- question q in world w"), enforced by the database so that a command retried after a failed or
-- timed-out commit is never logged twice.
--
-- Existing answers get their key from their id; where an older version logged the same answer
-- twice, only the first keeps the key, so the index can be built and the log stays as it was.

ALTER TABLE events ADD COLUMN client_id TEXT;

UPDATE events SET client_id = 'answer:' || json_extract(CAST(data AS TEXT), '$.id')
WHERE type = 'answer'
  AND json_valid(CAST(data AS TEXT))
  AND json_extract(CAST(data AS TEXT), '$.id') IS NOT NULL
  AND seq = (SELECT MIN(e.seq) FROM events e
             WHERE e.session = events.session AND e.type = 'answer'
               AND json_valid(CAST(e.data AS TEXT))
               AND json_extract(CAST(e.data AS TEXT), '$.id') = json_extract(CAST(events.data AS TEXT), '$.id'));

CREATE UNIQUE INDEX events_session_client_id ON events (session, client_id) WHERE client_id IS NOT NULL;
