-- Duplicates are found by (kiosk_id, event_id) whatever the event's time. The partitioned
-- `events` table can only hold unique keys that include its partition column `at`, so a
-- resend whose time changed (a kiosk clock corrected, an outbox rebuilt) slipped past its
-- primary key. This small table is not partitioned: ingest inserts the ids first, in the same
-- statement, and only the ids really inserted go on to `events` and the rollups.
--
-- `at` is the event time of the first delivery; retention (`cccd-edge fleet prune`) deletes
-- the ids of the months it drops, so the duplicate window is the raw-event retention.
CREATE TABLE event_ids (
    kiosk_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kiosk_id, event_id)
);
INSERT INTO event_ids (kiosk_id, event_id, at)
SELECT kiosk_id, event_id, min(at) FROM events GROUP BY kiosk_id, event_id;
