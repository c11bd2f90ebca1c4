"""``cccd-edge fleet recount-causes``: give stored failures the first-cause rule of today.

Events ingested before ``edge.causes`` (or before a change to its priority) keep the first cause
they were given, and so do their rollup rows. This re-derives each failed event's cause from its
stored row and rebuilds ``rollup_causes`` for the days whose raw events are all still held.

The earliest day present is recounted only when its rollup holds as many failures as its raw
events: pruning drops whole UTC months, so the first local day may have lost some of its events,
and recounting it would lose them from the dashboard too. Days before it (raw events pruned)
keep their old rollups. On PostgreSQL ingest waits while this
runs (``rollup_causes`` is locked), so a batch arriving meanwhile is counted once, afterwards.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from edge.fleet.db import Database
from edge.fleet.store import event_cause

FETCH = 5000  # rows per round trip of the scan


@dataclass(frozen=True)
class Recount:
    events_changed: int  # failed events whose first cause changed
    days_recounted: int  # days of rollup_causes rebuilt from their raw events
    kept_until: date | None  # this day and earlier keep their rollups (None: no raw events)


def _at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def recount_causes(db: Database, timezone: str) -> Recount:
    zone = ZoneInfo(timezone)
    postgres = db.dialect == "postgresql"
    with db.transaction() as tx:
        if postgres:
            # Ingest upserts rollup_causes in its one statement: it waits until this commits.
            tx.execute("LOCK TABLE rollup_causes IN SHARE ROW EXCLUSIVE MODE")
            cur = tx.conn.cursor(name="fleet_recount_causes")
        else:
            cur = tx.conn.cursor()
        cur.execute(
            "SELECT kiosk_id, event_id, at, first_cause, data FROM events WHERE NOT succeeded"
        )
        changed: list[tuple[str, str, str, Any]] = []
        counts: Counter[tuple[date, str]] = Counter()
        while rows := cur.fetchmany(FETCH):
            for kiosk_id, event_id, at, old, data in rows:
                row = json.loads(data) if isinstance(data, str) else data
                cause = event_cause(row) or "unspecified"  # stored failures always have one
                counts[(_at(at).astimezone(zone).date(), cause)] += 1
                if cause != old:
                    changed.append((cause, kiosk_id, event_id, at))
        cur.close()
        first = tx.one("SELECT min(at) FROM events")
        if not first or first[0] is None:
            return Recount(0, 0, None)
        earliest = _at(first[0]).astimezone(zone).date()
        # The earliest day is recounted only when all its failures are still held.
        rolled = tx.one("SELECT coalesce(sum(n), 0) FROM rollup_causes WHERE day = %s", (earliest,))
        held = sum(n for (day, _), n in counts.items() if day == earliest)
        complete = rolled is not None and int(rolled[0]) == held
        kept = date.fromordinal(earliest.toordinal() - 1) if complete else earliest
        tx.conn.cursor().executemany(
            "UPDATE events SET first_cause = %s WHERE kiosk_id = %s AND event_id = %s AND at = %s"
            if postgres
            else "UPDATE events SET first_cause = ? WHERE kiosk_id = ? AND event_id = ? AND at = ?",
            changed,
        )
        days = sorted({day for day, _ in counts if day > kept})
        tx.execute("DELETE FROM rollup_causes WHERE day > %s", (kept,))
        tx.conn.cursor().executemany(
            "INSERT INTO rollup_causes (day, first_cause, n) VALUES (%s, %s, %s)"
            if postgres
            else "INSERT INTO rollup_causes (day, first_cause, n) VALUES (?, ?, ?)",
            [
                (day if postgres else day.isoformat(), cause, n)
                for (day, cause), n in sorted(counts.items())
                if day > kept
            ],
        )
    return Recount(len(changed), len(days), kept)
