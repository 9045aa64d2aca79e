-- 0001: sessions, their event logs, and facilitator accounts; the same tables as SQLite's 0001.
--
-- Times are bigint UTC unix nanoseconds, not timestamptz: timestamptz keeps microseconds, and
-- the log must give back exactly the instant it was given. NULL stands for Go's zero time.

CREATE TABLE sessions (
	id       text    NOT NULL PRIMARY KEY,
	code     text    NOT NULL UNIQUE,
	owner    text    NOT NULL DEFAULT '',
	scenario text    NOT NULL,
	created  bigint,
	expires  bigint,
	ended    boolean NOT NULL DEFAULT false,
	meta     bytea,
	-- Insertion order, which breaks ties between sessions created at the same instant (SQLite
	-- uses its rowid for that).
	ord      bigint  GENERATED ALWAYS AS IDENTITY
);

-- Sessions(owner) lists newest first, with NULL (zero) times last as in SQLite.
CREATE INDEX sessions_owner_created ON sessions (owner, created DESC NULLS LAST, ord DESC);
CREATE INDEX sessions_created ON sessions (created DESC NULLS LAST, ord DESC);

-- The log is read by (session, seq) ranges only; appends find a session's last number with a
-- backward scan of this key.
CREATE TABLE events (
	session text   NOT NULL REFERENCES sessions (id),
	seq     bigint NOT NULL CHECK (seq > 0),
	time    bigint,
	type    text   NOT NULL,
	data    bytea,
	PRIMARY KEY (session, seq)
);

CREATE TABLE users (
	name    text    NOT NULL PRIMARY KEY,
	hash    bytea,
	admin   boolean NOT NULL DEFAULT false,
	created bigint
);
