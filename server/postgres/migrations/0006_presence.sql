-- 0006: which participants are connected to which node. Each node writes, with its heartbeat,
-- the participants connected to it for every session it serves; a facilitator's console on any
-- node counts the whole room from these rows (those of nodes with a recent heartbeat).

CREATE TABLE presence (
	node text NOT NULL,
	session text NOT NULL,
	participants text[] NOT NULL,
	PRIMARY KEY (node, session)
);

CREATE INDEX presence_session ON presence (session);
