-- 0001: sessions, their event logs, and facilitator accounts.
--
-- Times are INTEGER UTC unix nanoseconds, so they sort and compare as numbers and round-trip
-- exactly; NULL stands for Go's zero time, which has no unix nanosecond value.

CREATE TABLE sessions (
	id       TEXT    NOT NULL PRIMARY KEY,
	code     TEXT    NOT NULL UNIQUE,
	owner    TEXT    NOT NULL DEFAULT '',
	scenario TEXT    NOT NULL,
	created  INTEGER,
	expires  INTEGER,
	ended    INTEGER NOT NULL DEFAULT 0 CHECK (ended IN (0, 1)),
	meta     BLOB
);

-- Sessions(owner) lists newest first; the rowid (part of every index) breaks ties.
CREATE INDEX sessions_owner_created ON sessions (owner, created);
CREATE INDEX sessions_created ON sessions (created);

-- The log is read by (session, seq) ranges only, so it is clustered on that key.
CREATE TABLE events (
	session TEXT    NOT NULL REFERENCES sessions (id),
	seq     INTEGER NOT NULL CHECK (seq > 0),
	time    INTEGER,
	type    TEXT    NOT NULL,
	data    BLOB,
	PRIMARY KEY (session, seq)
) WITHOUT ROWID;

CREATE TABLE users (
	name    TEXT    NOT NULL PRIMARY KEY,
	hash    BLOB,
	admin   INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
	created INTEGER
);
