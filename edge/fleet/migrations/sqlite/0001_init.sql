-- Fleet schema, SQLite (one-machine demo): the PostgreSQL tables without partitions
-- (see migrations/postgresql/0001_init.sql for the why of each).
CREATE TABLE kiosks (
    kiosk_id TEXT PRIMARY KEY, jwk TEXT NOT NULL, facility TEXT NOT NULL DEFAULT '',
    enrolled_at TEXT NOT NULL, last_event_at TEXT, last_heartbeat_at TEXT, health TEXT,
    events_total INTEGER NOT NULL DEFAULT 0);
CREATE TABLE enrol_tokens_used (
    token_sha256 TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, used_at TEXT NOT NULL);
CREATE TABLE seen_nonces (
    kiosk_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, nonce));
CREATE INDEX seen_nonces_seen_at ON seen_nonces (seen_at);
CREATE TABLE events (
    kiosk_id TEXT NOT NULL, event_id TEXT NOT NULL, at TEXT NOT NULL,
    received_at TEXT NOT NULL, outcome_key TEXT NOT NULL, succeeded INTEGER NOT NULL,
    first_cause TEXT, total_ms REAL, data TEXT NOT NULL, PRIMARY KEY (kiosk_id, event_id));
CREATE INDEX events_at ON events (at);
CREATE TABLE rollup_daily (
    day TEXT NOT NULL, kiosk_id TEXT NOT NULL, outcome_key TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, kiosk_id, outcome_key));
CREATE TABLE rollup_hourly (
    day TEXT NOT NULL, hour INTEGER NOT NULL, n INTEGER NOT NULL, succeeded INTEGER NOT NULL,
    PRIMARY KEY (day, hour));
CREATE TABLE rollup_causes (
    day TEXT NOT NULL, first_cause TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, first_cause));
CREATE TABLE rollup_steps (
    day TEXT NOT NULL, step TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, step, bucket));
CREATE TABLE trust_items (
    fingerprint TEXT PRIMARY KEY, kind TEXT NOT NULL, der BLOB NOT NULL, source TEXT NOT NULL,
    added_at TEXT NOT NULL);
CREATE TABLE trust_bundles (
    version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, jws TEXT NOT NULL)
