-- 0004: commands carried from the node a client is connected to to the session's owner. The
-- sender inserts the command and NOTIFYs; the owner takes it, runs it, and stores the result
-- (the acknowledgement or error to send back); the sender reads the result when woken.
CREATE TABLE commands (
	id bigserial PRIMARY KEY,
	session text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	node text NOT NULL,
	body bytea NOT NULL,
	taken boolean NOT NULL DEFAULT false,
	result bytea,
	created timestamptz NOT NULL DEFAULT clock_timestamp(),
	done timestamptz
);

CREATE INDEX commands_waiting ON commands (session, id) WHERE result IS NULL;
CREATE INDEX commands_done ON commands (done) WHERE done IS NOT NULL;
