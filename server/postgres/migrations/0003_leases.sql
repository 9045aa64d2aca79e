-- 0003: several nodes on one database. A live session has one owner node at a time: the
-- holder of its lease. Every append of a live node carries the node and epoch of its lease,
-- and paraat_fence refuses it in the append's own transaction unless the lease is still that
-- node's, with that epoch, and unexpired by the database's clock. So a node that was paused or
-- cut off past its lease cannot write after another node took over.

CREATE TABLE nodes (
	id text PRIMARY KEY,
	addr text NOT NULL DEFAULT '',
	started timestamptz NOT NULL DEFAULT clock_timestamp(),
	seen timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE leases (
	session text PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
	node text NOT NULL,
	epoch bigint NOT NULL,
	expires timestamptz NOT NULL
);

CREATE INDEX leases_node ON leases (node);

-- paraat_fence(sessions, nodes, epochs) raises SQLSTATE PT409 unless every session's lease is
-- held by that node with that epoch and has not expired. It locks the lease rows FOR SHARE, in
-- session order, so a takeover (an UPDATE of the row) waits for the append's commit, and an
-- append after a committed takeover sees the new epoch.
CREATE FUNCTION paraat_fence(s text[], n text[], e bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	bad text;
BEGIN
	PERFORM 1 FROM leases WHERE session = ANY (s) ORDER BY session FOR SHARE;
	SELECT f.session INTO bad
	FROM unnest(s, n, e) AS f (session, node, epoch)
	LEFT JOIN leases l ON l.session = f.session
	WHERE l.session IS NULL OR l.node <> f.node OR l.epoch <> f.epoch OR l.expires < clock_timestamp()
	LIMIT 1;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'paraat: the lease of session % is no longer held by this node', bad USING ERRCODE = 'PT409';
	END IF;
END
$$;
