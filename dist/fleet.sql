-- SPDX-License-Identifier: BSD-3-Clause
-- hydrascope fleet schema (PostgreSQL 15 or later with the hll extension).
--
-- `hydrascope fleet --db URL --init` runs this file in one transaction: it
-- creates what is missing and changes nothing that is there, so it is also
-- the migration from any earlier version (each version's changes below,
-- guarded). The schema's version is hydrascope.meta's 'schema_version'.
--
-- Every edge host's `run --fleet` writes one row per window and fingerprint
-- into hydrascope.rows; `hydrascope fleet` unions them per window. Sketches
-- have the parameters log2m 10, regwidth 5, expthresh 0, sparse on (SPARSE
-- while small, FULL above 341 registers): hll_union_agg merges them as they are, and
-- hll_add_agg(hll_hash_bytea(b), 10, 5, 0, 1) over an address's bytes in
-- network order builds the same sketch in SQL.

CREATE EXTENSION IF NOT EXISTS hll;
CREATE SCHEMA IF NOT EXISTS hydrascope;

CREATE TABLE IF NOT EXISTS hydrascope.meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
INSERT INTO hydrascope.meta VALUES ('retention_days', '30') ON CONFLICT DO NOTHING;

-- one row per host, window, kind and fingerprint: kind 'ja4' (a TLS
-- fingerprint), 'tcp' (a TCP stack's p0f signature) or 'pair' (named
-- "JA4 STACK"). Daily partitions on window_start.
CREATE TABLE IF NOT EXISTS hydrascope.rows (
	window_start timestamptz NOT NULL,   -- a multiple of window_s since the epoch
	window_s     integer NOT NULL,
	host         text NOT NULL,
	kind         text NOT NULL CHECK (kind IN ('ja4', 'tcp', 'pair')),
	name         text NOT NULL,
	detail       text,                   -- JA4_r, or the p0f OS label
	conns        bigint NOT NULL,        -- counted ClientHellos, or SYNs
	unvalidated  bigint NOT NULL DEFAULT 0,  -- ClientHellos without a handshake
	novel_ips    bigint NOT NULL DEFAULT 0,  -- sources new to the JA4 (host's history)
	novel_site   bigint NOT NULL DEFAULT 0,  -- ... and new to the host
	novel_nets   bigint NOT NULL DEFAULT 0,
	tags         bigint NOT NULL DEFAULT 0,  -- connections the application tagged
	ips          hll NOT NULL,           -- distinct sources
	nets         hll NOT NULL,           -- distinct /24 (IPv4) or /48 (IPv6)
	stacks       hll,                    -- distinct TCP stacks (ja4 only)
	accounts     hll,                    -- distinct accounts (NULL: none tagged)
	tagged_ips   hll,                    -- distinct sources of tagged connections
	PRIMARY KEY (window_start, kind, name, host)
) PARTITION BY RANGE (window_start);

-- one row per window a host sent: a batch applied once whatever the
-- retries (the sender's transaction inserts it first)
CREATE TABLE IF NOT EXISTS hydrascope.batches (
	host         text NOT NULL,
	batch        text NOT NULL,
	window_start timestamptz NOT NULL,
	window_s     integer NOT NULL,
	nrows        integer NOT NULL,
	received     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (host, batch)
);
CREATE INDEX IF NOT EXISTS batches_window ON hydrascope.batches (window_start);

-- the fleet detector's alerts: one row per fingerprint and alert, state
-- 'open' until it ends
CREATE TABLE IF NOT EXISTS hydrascope.alerts (
	id           bigserial PRIMARY KEY,
	kind         text NOT NULL,
	name         text NOT NULL,
	state        text NOT NULL CHECK (state IN ('open', 'ended')),
	first_window timestamptz NOT NULL,
	last_window  timestamptz NOT NULL,
	score        integer NOT NULL,
	ips          double precision NOT NULL,
	hosts        text[] NOT NULL,
	alert        jsonb NOT NULL          -- the last alert line
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_open ON hydrascope.alerts (kind, name) WHERE state = 'open';

-- The day partition holding ts (created when missing). Serialised by an
-- advisory lock: hosts create tomorrow's at the same moment.
CREATE OR REPLACE FUNCTION hydrascope.partition_for(ts timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	day  date := (ts AT TIME ZONE 'UTC')::date;
	part text := 'rows_' || to_char(day, 'YYYYMMDD');
BEGIN
	IF to_regclass('hydrascope.' || part) IS NULL THEN
		PERFORM pg_advisory_xact_lock(hashtext('hydrascope.partition_for'));
		EXECUTE format('CREATE TABLE IF NOT EXISTS hydrascope.%I PARTITION OF hydrascope.rows '
			       'FOR VALUES FROM (%L) TO (%L)', part,
			       (day::timestamp AT TIME ZONE 'UTC'),
			       ((day + 1)::timestamp AT TIME ZONE 'UTC'));
	END IF;
	RETURN part;
END $$;

-- Upkeep: today's and the next days' partitions made, partitions and
-- batches older than meta's retention_days dropped. Returns what it did.
-- `hydrascope fleet` calls it hourly; a cron job may too.
CREATE OR REPLACE FUNCTION hydrascope.upkeep(ahead integer DEFAULT 2) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	keep  integer := (SELECT value::integer FROM hydrascope.meta WHERE key = 'retention_days');
	cut   date := (now() AT TIME ZONE 'UTC')::date - keep;
	r     record;
	said  text := '';
	i     integer;
BEGIN
	FOR i IN 0 .. ahead LOOP
		PERFORM hydrascope.partition_for(now() + make_interval(days => i));
	END LOOP;
	FOR r IN SELECT c.relname FROM pg_inherits h
		 JOIN pg_class c ON c.oid = h.inhrelid
		 WHERE h.inhparent = 'hydrascope.rows'::regclass
		   AND c.relname ~ '^rows_[0-9]{8}$'
		   AND to_date(substr(c.relname, 6), 'YYYYMMDD') < cut LOOP
		EXECUTE format('DROP TABLE hydrascope.%I', r.relname);
		said := said || 'dropped ' || r.relname || '; ';
	END LOOP;
	DELETE FROM hydrascope.batches WHERE window_start < cut::timestamp AT TIME ZONE 'UTC';
	DELETE FROM hydrascope.alerts WHERE state = 'ended' AND last_window < cut::timestamp AT TIME ZONE 'UTC';
	RETURN said || 'partitions through ' || to_char(now() + make_interval(days => ahead), 'YYYY-MM-DD');
END $$;

-- The fleet-wide view of a window: each fingerprint's rows unioned over
-- the hosts (what `hydrascope fleet` judges, and what Grafana plots).
CREATE OR REPLACE VIEW hydrascope.fleet AS
SELECT window_start, window_s, kind, name,
       sum(conns)::bigint AS conns,
       count(*)::integer AS hosts,
       hll_cardinality(hll_union_agg(ips)) AS ips,
       hll_cardinality(hll_union_agg(nets)) AS nets
FROM hydrascope.rows
GROUP BY window_start, window_s, kind, name;

INSERT INTO hydrascope.meta VALUES ('schema_version', '1')
	ON CONFLICT (key) DO UPDATE SET value = excluded.value;
