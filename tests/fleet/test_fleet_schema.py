"""The PostgreSQL schema at work: monthly partitions, pruning in plans, retention, concurrency."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import psycopg

from edge.fleet.db import Database
from edge.fleet.store import FleetStore, drop_months_before, event_partitions, normalise_event
from tests.fleet.conftest import audit_event


def _at(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")


def test_partitions_pruning_retention_and_concurrent_batches(fleet_db):
    db = Database(fleet_db)
    store = FleetStore(db)
    now = datetime.now(UTC)
    store.enrol("k1", {"kty": "EC"}, "t1", "", now)
    store.enrol("k2", {"kty": "EC"}, "t2", "", now)
    old = [normalise_event(audit_event(i, "k1", at=_at(100 + i)), "k1") for i in range(3)]
    new = [normalise_event(audit_event(10 + i, "k1", at=_at(i)), "k1") for i in range(3)]
    assert store.ingest("k1", old + new, nonce="nonce-0001", now=now) == 6
    with db.transaction() as tx:
        months = [m for _, m in event_partitions(tx)]
    assert len(months) >= 2 and months == sorted(months)

    # A query on a time range reads only the partitions of that range.
    month = date(now.year, now.month, 1)
    with psycopg.connect(fleet_db) as conn:
        plan = json.dumps(
            conn.execute(
                "EXPLAIN (FORMAT JSON) SELECT count(*) FROM events WHERE at >= %s",
                (datetime(month.year, month.month, 1, tzinfo=UTC),),
            ).fetchone()[0]
        )
    assert f"events_{month.year:04d}{month.month:02d}" in plan
    assert not any(f"events_{m.year:04d}{m.month:02d}" in plan for m in months if m < month)

    # Two kiosks' batches at once, repeated: each event once, rollups match the raw rows.
    def send(kiosk: str, start: int) -> None:
        events = [normalise_event(audit_event(start + i, kiosk), kiosk) for i in range(200)]
        for n in range(3):
            store.ingest(kiosk, events, nonce=f"{kiosk}-{start}-{n}-xx", now=now)

    threads = [threading.Thread(target=send, args=(k, s)) for k in ("k1", "k2") for s in (100, 250)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.transaction() as tx:
        raw = dict(tx.all("SELECT kiosk_id, count(*) FROM events GROUP BY kiosk_id"))
        rolled = dict(tx.all("SELECT kiosk_id, sum(n) FROM rollup_daily GROUP BY kiosk_id"))
        hourly = tx.one("SELECT sum(n) FROM rollup_hourly")[0]
    assert raw == {"k1": 6 + 350, "k2": 350}
    # The same events again with other times, some in another month's partition: all known.
    moved = [
        normalise_event(audit_event(100 + i, "k1", at=_at(35 + i % 3)), "k1") for i in range(50)
    ]
    assert store.ingest("k1", moved + moved, nonce="moved-0001", now=now) == 0
    assert {k: int(v) for k, v in rolled.items()} == raw
    assert int(hourly) == sum(raw.values())

    # Retention: months before the cutoff go, whole; the rollups (the dashboard) stay.
    # (100 days ago is always a month before 60 days ago: they are 40 days apart.)
    dropped = drop_months_before(db, (now - timedelta(days=60)).date())
    assert dropped and all(name.startswith("events_") for name in dropped)
    with db.transaction() as tx:
        assert tx.one("SELECT count(*) FROM events WHERE kiosk_id = 'k1'")[0] == 353
        assert int(tx.one("SELECT sum(n) FROM rollup_daily")[0]) == sum(raw.values())
        # The ids of the dropped months go with them; the kept ones still catch duplicates.
        assert tx.one("SELECT count(*) FROM event_ids WHERE kiosk_id = 'k1'")[0] == 353
    db.close()
