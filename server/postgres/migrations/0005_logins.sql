-- 0005: facilitator logins, shared by the nodes on this database so that a login made on one
-- node works on every other. The id is a hash of the cookie's value, never the value itself.
CREATE TABLE logins (
	id text PRIMARY KEY,
	name text NOT NULL,
	csrf text NOT NULL,
	expires timestamptz NOT NULL,
	account text NOT NULL
);

CREATE INDEX logins_name ON logins (name);
