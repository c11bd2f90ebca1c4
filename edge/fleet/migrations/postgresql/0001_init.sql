-- Fleet schema, PostgreSQL. Sized for a province: 500 kiosks x 600 verifications a day =
-- 300,000 events a day, ~110 million a year (docs/fleet.md).
--
-- events: the raw audit rows, range-partitioned by month on `at` (partitions are made on
-- demand by the service; old months are detached or dropped whole for retention). The primary
-- key includes `at` (a partitioned table's unique keys must hold the partition key); a repeat
-- of an event carries the same `at`, so (kiosk_id, event_id, at) catches every duplicate.
--
-- Dashboards never scan events: they read rollups, updated in the same transaction as the
-- insert and only for rows really inserted (ON CONFLICT DO NOTHING ... RETURNING), so a repeat
-- never counts twice.

CREATE TABLE kiosks (
    kiosk_id          TEXT PRIMARY KEY,
    jwk               TEXT NOT NULL,
    facility          TEXT NOT NULL DEFAULT '',
    enrolled_at       TIMESTAMPTZ NOT NULL,
    last_event_at     TIMESTAMPTZ,
    last_heartbeat_at TIMESTAMPTZ,
    health            TEXT,
    events_total      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE enrol_tokens_used (
    token_sha256 TEXT PRIMARY KEY,
    kiosk_id     TEXT NOT NULL,
    used_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE seen_nonces (
    kiosk_id TEXT NOT NULL,
    nonce    TEXT NOT NULL,
    seen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kiosk_id, nonce)
);
CREATE INDEX seen_nonces_seen_at ON seen_nonces (seen_at);

CREATE TABLE events (
    kiosk_id    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome_key TEXT NOT NULL,
    succeeded   BOOLEAN NOT NULL,
    first_cause TEXT,
    total_ms    REAL,
    data        JSONB NOT NULL,
    PRIMARY KEY (kiosk_id, event_id, at)
) PARTITION BY RANGE (at);
CREATE INDEX events_at ON events (at);

-- Per day (local time of the province), kiosk and outcome: the summary and per-kiosk tables.
CREATE TABLE rollup_daily (
    day         DATE NOT NULL,
    kiosk_id    TEXT NOT NULL,
    outcome_key TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (day, kiosk_id, outcome_key)
);
-- Per day and hour of the day: the per-day and per-hour charts and the success rate.
CREATE TABLE rollup_hourly (
    day       DATE NOT NULL,
    hour      SMALLINT NOT NULL,
    n         BIGINT NOT NULL,
    succeeded BIGINT NOT NULL,
    PRIMARY KEY (day, hour)
);
-- Failed verifications per day by their first reason code.
CREATE TABLE rollup_causes (
    day         DATE NOT NULL,
    first_cause TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (day, first_cause)
);
-- Step durations as a log histogram (bucket b holds (1.1^(b-1), 1.1^b] ms): medians and p90
-- within 10 %, from a few thousand rows whatever the number of events.
CREATE TABLE rollup_steps (
    day    DATE NOT NULL,
    step   TEXT NOT NULL,
    bucket SMALLINT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (day, step, bucket)
);

CREATE FUNCTION fleet_ms_bucket(ms DOUBLE PRECISION) RETURNS SMALLINT
    IMMUTABLE LANGUAGE sql AS
    'SELECT CASE WHEN ms IS NULL OR ms <= 1 THEN 0 ELSE least(ceil(ln(ms) / ln(1.1)), 32000) END::smallint';

CREATE TABLE trust_items (
    fingerprint TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    der         BYTEA NOT NULL,
    source      TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE trust_bundles (
    version    INTEGER PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    jws        TEXT NOT NULL
);
