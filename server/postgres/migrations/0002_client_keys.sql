-- 0002: at most one event per client key in a session's log (an answer's id, a join, "close
-- question q in world w"), enforced by the database so that a command retried after a failed or
-- timed-out commit is never logged twice. The same change as SQLite's 0002.
--
-- Existing answers get their key from their id; where an older version logged the same answer
-- twice, only the first keeps the key, so the index can be built and the log stays as it was.

ALTER TABLE events ADD COLUMN client_id text;

UPDATE events ev SET client_id = 'answer:' || k.id
FROM (
	SELECT DISTINCT ON (a.session, a.id) a.session, a.seq, a.id
	FROM (
		SELECT session, seq,
			CASE WHEN type = 'answer' THEN convert_from(data, 'UTF8')::jsonb ->> 'id' END AS id
		FROM events WHERE type = 'answer'
	) a
	WHERE a.id IS NOT NULL
	ORDER BY a.session, a.id, a.seq
) k
WHERE ev.session = k.session AND ev.seq = k.seq;

CREATE UNIQUE INDEX events_session_client_id ON events (session, client_id) WHERE client_id IS NOT NULL;
