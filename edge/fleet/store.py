"""The fleet's data: kiosks and their keys, events (idempotent by event id), rollups, trust.

Every write of events goes through ``ingest``: rows already stored are skipped and the rollups
grow only by the rows really inserted, in the same transaction, so a batch sent twice (a lost
answer, a retry after a restart) never counts twice. Reads for the dashboard touch rollups only.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from edge.causes import first_cause
from edge.fleet.db import _LOCK_ID, Database, Tx
from edge.fleet.protocol import MAX_SKEW_S, NONCE_WINDOW_S, PRIVATE_FIELDS

MAX_TEXT = 200  # characters in one shipped text value
MAX_EVENT_FIELDS = 64
MAX_HEARTBEAT = 8000
# Accepted event times: a kiosk may ship what it kept through a long outage, not the far future
# (each month of events is a partition: a wrong clock must not create partitions for year 9999).
MAX_EVENT_AGE = timedelta(days=400)
MAX_EVENT_AHEAD = timedelta(days=1)
SUCCESS = "valid"
BUCKET_BASE = 1.1


class FleetInputError(Exception):
    """A request the service refuses; ``code`` is stable, ``message`` a plain sentence."""

    def __init__(self, code: str, message: str, status: int = 400):
        self.code, self.message, self.status = code, message, status
        super().__init__(message)


@dataclass(frozen=True)
class Event:
    kiosk_id: str
    event_id: str
    at: datetime
    outcome_key: str
    succeeded: bool
    first_cause: str | None
    total_ms: float | None
    data: dict[str, Any]

    @property
    def steps(self) -> dict[str, float]:
        out = dict(self.data.get("durations") or {})
        if self.total_ms is not None:
            out["total"] = self.total_ms
        return out


def ms_bucket(ms: float | None) -> int:
    """The same buckets as SQL's fleet_ms_bucket: b holds (1.1^(b-1), 1.1^b] ms."""
    if ms is None or ms <= 1:
        return 0
    return min(math.ceil(math.log(ms) / math.log(BUCKET_BASE)), 32000)


def bucket_ms(bucket: int) -> float:
    return round(BUCKET_BASE**bucket, 1) if bucket > 0 else 1.0


def _json_field(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def normalise_event(raw: Any, kiosk_id: str, now: datetime | None = None) -> Event:
    """Check one shipped audit row; raise ``FleetInputError`` naming what is wrong."""
    if not isinstance(raw, dict) or len(raw) > MAX_EVENT_FIELDS:
        raise FleetInputError("bad_event", "Each event is an object of audit columns.")
    data = {k: _json_field(v) for k, v in raw.items() if k not in PRIVATE_FIELDS}
    event_id, at_text = data.get("id"), data.get("at")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 80:
        raise FleetInputError("bad_event", "An event has no usable id.")
    if data.get("kiosk_id") not in (None, kiosk_id):
        raise FleetInputError("bad_event", "An event names another kiosk than the sender.")
    try:
        at = datetime.fromisoformat(str(at_text))
    except ValueError:
        raise FleetInputError("bad_event", f"Event {event_id} has no ISO 8601 time.") from None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if now is not None and not now - MAX_EVENT_AGE <= at <= now + MAX_EVENT_AHEAD:
        raise FleetInputError("bad_event", f"Event {event_id} has a time out of range ({at_text}).")
    for key, value in data.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise FleetInputError("bad_event", f"Event field {key} is too long.")
    durations = data.get("durations") or {}
    codes = data.get("reason_codes") or []
    total = data.get("total_ms")
    if not isinstance(durations, dict) or not all(
        isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in durations.values()
    ):
        raise FleetInputError("bad_event", f"Event {event_id} has unusable step durations.")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise FleetInputError("bad_event", f"Event {event_id} has unusable reason codes.")
    if total is not None and not (isinstance(total, int | float) and math.isfinite(total)):
        raise FleetInputError("bad_event", f"Event {event_id} has an unusable total time.")
    data["durations"], data["reason_codes"], data["kiosk_id"] = durations, codes, kiosk_id
    outcome = str(data.get("outcome") or "failed")
    overall = data.get("overall")
    outcome_key = str(overall) if outcome == "done" and overall else "failed"
    succeeded = outcome_key == SUCCESS
    cause = None if succeeded else event_cause(data)
    return Event(
        kiosk_id,
        event_id,
        at,
        outcome_key[:40],
        succeeded,
        None if cause is None else cause[:MAX_TEXT],
        None if total is None else float(total),
        data,
    )


def event_cause(data: dict[str, Any]) -> str | None:
    """The rollup key of a stored event: its first real cause by the shared priority (the
    audit keeps its codes sorted, which says nothing of what failed first)."""
    return first_cause({**data, "outcome": str(data.get("outcome") or "failed")})


def percentile(hist: list[tuple[int, int]], q: float) -> float | None:
    """The ``q`` quantile (0..1) of a histogram [(bucket, n)] as the bucket's upper bound (ms)."""
    total = sum(n for _, n in hist)
    if not total:
        return None
    need, seen = q * total, 0
    for bucket, n in sorted(hist):
        seen += n
        if seen >= need:
            return bucket_ms(bucket)
    return bucket_ms(max(b for b, _ in hist))


class FleetStore:
    def __init__(self, db: Database, *, timezone: str = "Asia/Ho_Chi_Minh"):
        self.db = db
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self._partitions: set[str] = set()
        self._partition_lock = threading.Lock()
        self._requests = 0

    # --- enrolment and request authentication ----------------------------------------------
    def enrol(
        self, kiosk_id: str, jwk: dict, token: str, facility: str, now: datetime
    ) -> dict[str, Any]:
        token_digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        jwk_text = json.dumps(jwk, sort_keys=True)
        with self.db.transaction() as tx:
            known = tx.one("SELECT jwk FROM kiosks WHERE kiosk_id = %s", (kiosk_id,))
            used = tx.one(
                "SELECT kiosk_id FROM enrol_tokens_used WHERE token_sha256 = %s", (token_digest,)
            )
            if known is not None:
                if json.loads(known[0]) == json.loads(jwk_text) and used and used[0] == kiosk_id:
                    return {"kiosk_id": kiosk_id, "already_enrolled": True}  # a lost answer
                raise FleetInputError(
                    "kiosk_exists",
                    f"Kiosk {kiosk_id} is already enrolled with another key.",
                    409,
                )
            if used is not None:
                raise FleetInputError(
                    "token_used", "This enrolment token has already been used.", 403
                )
            tx.execute(
                "INSERT INTO enrol_tokens_used VALUES (%s, %s, %s)", (token_digest, kiosk_id, now)
            )
            tx.execute(
                "INSERT INTO kiosks (kiosk_id, jwk, facility, enrolled_at) VALUES (%s,%s,%s,%s)",
                (kiosk_id, jwk_text, facility[:MAX_TEXT], now),
            )
        return {"kiosk_id": kiosk_id, "already_enrolled": False}

    def kiosk_jwk(self, kiosk_id: str) -> dict | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT jwk FROM kiosks WHERE kiosk_id = %s", (kiosk_id,))
        return json.loads(row[0]) if row else None

    def use_nonce(self, tx: Tx, kiosk_id: str, nonce: str, now: datetime) -> None:
        """Remember the nonce (inside the request's transaction); a repeat is a replay."""
        self._requests += 1
        if self._requests % 200 == 0:
            tx.execute(
                "DELETE FROM seen_nonces WHERE seen_at < %s",
                (now - timedelta(seconds=NONCE_WINDOW_S + MAX_SKEW_S),),
            )
        inserted = tx.execute(
            "INSERT INTO seen_nonces VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (kiosk_id, nonce[:64], now),
        ).rowcount
        if inserted != 1:
            raise FleetInputError("replayed", "This request was already received (replay).", 409)

    # --- events ----------------------------------------------------------------------------
    def ingest(
        self, kiosk_id: str, events: list[Event], *, nonce: str | None, now: datetime
    ) -> int:
        """Store new events and grow the rollups by them; returns how many were new."""
        if self.db.dialect == "postgresql":
            self._ensure_partitions({e.at for e in events})
        with self.db.transaction() as tx:
            if nonce is not None:
                self.use_nonce(tx, kiosk_id, nonce, now)
            if not events:
                return 0
            # One row per event id, the first sent: the ids table then decides what is new.
            first: dict[tuple[str, str], Event] = {}
            for e in events:
                first.setdefault((e.kiosk_id, e.event_id), e)
            events = list(first.values())
            if self.db.dialect == "postgresql":
                return self._ingest_pg(tx, events, now)
            return self._ingest_sqlite(tx, events, now)

    def _ensure_partitions(self, times: Iterable[datetime]) -> None:
        months = {date(t.year, t.month, 1) for t in times}
        missing = [m for m in months if m.isoformat() not in self._partitions]
        if not missing:
            return
        with self._partition_lock, self.db.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            for month in missing:
                tx.execute(partition_ddl(month))
                self._partitions.add(month.isoformat())

    def _ingest_pg(self, tx: Tx, events: list[Event], now: datetime) -> int:
        tx.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fleet_staging (kiosk_id TEXT, event_id TEXT, "
            "at TIMESTAMPTZ, outcome_key TEXT, succeeded BOOLEAN, first_cause TEXT, "
            "total_ms REAL, data JSONB) ON COMMIT DELETE ROWS"
        )
        cur = tx.conn.cursor()
        with cur.copy(
            "COPY fleet_staging (kiosk_id, event_id, at, outcome_key, succeeded, first_cause, "
            "total_ms, data) FROM STDIN"
        ) as copy:
            for e in events:
                copy.write_row(
                    (
                        e.kiosk_id,
                        e.event_id,
                        e.at,
                        e.outcome_key,
                        e.succeeded,
                        e.first_cause,
                        e.total_ms,
                        json.dumps(e.data, ensure_ascii=False),
                    )
                )
        row = tx.one(INGEST_SQL, {"tz": self.timezone, "now": now})  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    def _ingest_sqlite(self, tx: Tx, events: list[Event], now: datetime) -> int:
        new: list[Event] = []
        for e in events:
            cur = tx.execute(
                "INSERT OR IGNORE INTO events VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (
                    e.kiosk_id,
                    e.event_id,
                    e.at.isoformat(),
                    now.isoformat(),
                    e.outcome_key,
                    int(e.succeeded),
                    e.first_cause,
                    e.total_ms,
                    json.dumps(e.data, ensure_ascii=False),
                ),
            )
            if cur.rowcount == 1:
                new.append(e)
        for e in new:
            local = e.at.astimezone(self.zone)
            day = local.date().isoformat()
            tx.execute(
                "INSERT INTO rollup_daily VALUES (%s,%s,%s,1) ON CONFLICT DO UPDATE SET n = n + 1",
                (day, e.kiosk_id, e.outcome_key),
            )
            tx.execute(
                "INSERT INTO rollup_hourly VALUES (%s,%s,1,%s) ON CONFLICT DO UPDATE "
                "SET n = n + 1, succeeded = succeeded + excluded.succeeded",
                (day, local.hour, int(e.succeeded)),
            )
            if e.first_cause is not None:
                tx.execute(
                    "INSERT INTO rollup_causes VALUES (%s,%s,1) "
                    "ON CONFLICT DO UPDATE SET n = n + 1",
                    (day, e.first_cause),
                )
            for step, ms in e.steps.items():
                tx.execute(
                    "INSERT INTO rollup_steps VALUES (%s,%s,%s,1) ON CONFLICT DO UPDATE "
                    "SET n = n + 1",
                    (day, step, ms_bucket(ms)),
                )
            tx.execute(
                "UPDATE kiosks SET events_total = events_total + 1, last_event_at = "
                "max(coalesce(last_event_at, ''), %s) WHERE kiosk_id = %s",
                (e.at.isoformat(), e.kiosk_id),
            )
        return len(new)

    # --- heartbeat -------------------------------------------------------------------------
    def heartbeat(self, kiosk_id: str, health: dict, *, nonce: str, now: datetime) -> None:
        text = json.dumps(health, ensure_ascii=False)
        if len(text) > MAX_HEARTBEAT:
            raise FleetInputError(
                "too_large", f"A heartbeat is at most {MAX_HEARTBEAT} characters of JSON.", 413
            )
        with self.db.transaction() as tx:
            self.use_nonce(tx, kiosk_id, nonce, now)
            tx.execute(
                "UPDATE kiosks SET last_heartbeat_at = %s, health = %s WHERE kiosk_id = %s",
                (now, text, kiosk_id),
            )

    # --- reads -----------------------------------------------------------------------------
    def since(self, days: int, now: datetime) -> date:
        return now.astimezone(self.zone).date() - timedelta(days=days - 1)

    def kiosks(self) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT kiosk_id, facility, enrolled_at, last_event_at, last_heartbeat_at, "
                "health, events_total FROM kiosks ORDER BY kiosk_id"
            )
        out = []
        for kid, facility, enrolled, last_event, last_hb, health, total in rows:
            seen = [_as_time(t) for t in (last_event, last_hb) if t]
            out.append(
                {
                    "kiosk_id": kid,
                    "facility": facility,
                    "enrolled_at": _iso(enrolled),
                    "last_event_at": _iso(last_event),
                    "last_heartbeat_at": _iso(last_hb),
                    "last_seen": max(seen).isoformat() if seen else None,
                    "health": json.loads(health) if health else None,
                    "events_total": int(total),
                }
            )
        return out

    def summary(self, days: int, now: datetime) -> dict[str, Any]:
        since = self.since(days, now)
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT kiosk_id, outcome_key, sum(n) FROM rollup_daily WHERE day >= %s "
                "GROUP BY kiosk_id, outcome_key",
                (since,),
            )
        per: dict[str, dict[str, int]] = {}
        for kid, key, n in rows:
            per.setdefault(kid, {})[key] = int(n)
        kiosks = []
        totals: dict[str, int] = {}
        for k in self.kiosks():
            outcomes = dict(sorted(per.get(k["kiosk_id"], {}).items()))
            for key, n in outcomes.items():
                totals[key] = totals.get(key, 0) + n
            kiosks.append(
                {
                    "kiosk_id": k["kiosk_id"],
                    "facility": k["facility"],
                    "verifications": sum(outcomes.values()),
                    "outcomes": outcomes,
                    "last_seen": k["last_seen"],
                }
            )
        return {
            "days": days,
            "since": since.isoformat(),
            "kiosks": kiosks,
            "totals": {
                "kiosks": len(kiosks),
                "verifications": sum(totals.values()),
                "outcomes": dict(sorted(totals.items())),
            },
        }

    def per_day(self, days: int, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT day, sum(n), sum(succeeded) FROM rollup_hourly WHERE day >= %s "
                "GROUP BY day ORDER BY day",
                (self.since(days, now),),
            )
        return [
            _rate({"day": str(d)[:10], "verifications": int(n), "succeeded": int(s)})
            for d, n, s in rows
        ]

    def per_hour(self, days: int, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT hour, sum(n), sum(succeeded) FROM rollup_hourly WHERE day >= %s "
                "GROUP BY hour ORDER BY hour",
                (self.since(days, now),),
            )
        found = {int(h): (int(n), int(s)) for h, n, s in rows}
        return [
            _rate(
                {
                    "hour": h,
                    "verifications": found.get(h, (0, 0))[0],
                    "succeeded": found.get(h, (0, 0))[1],
                }
            )
            for h in range(24)
        ]

    def failures(self, days: int, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT first_cause, sum(n) AS total FROM rollup_causes WHERE day >= %s "
                "GROUP BY first_cause ORDER BY total DESC, first_cause",
                (self.since(days, now),),
            )
        return [{"first_cause": c, "failures": int(n)} for c, n in rows]

    def steps(self, days: int, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT step, bucket, sum(n) FROM rollup_steps WHERE day >= %s "
                "GROUP BY step, bucket",
                (self.since(days, now),),
            )
        hist: dict[str, list[tuple[int, int]]] = {}
        for step, bucket, n in rows:
            hist.setdefault(step, []).append((int(bucket), int(n)))
        return [
            {
                "step": step,
                "count": sum(n for _, n in h),
                "median_ms": percentile(h, 0.5),
                "p90_ms": percentile(h, 0.9),
            }
            for step, h in sorted(hist.items())
        ]

    def per_kiosk(self, days: int, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT kiosk_id, sum(n), sum(CASE WHEN outcome_key = %s THEN n ELSE 0 END) "
                "FROM rollup_daily WHERE day >= %s GROUP BY kiosk_id",
                (SUCCESS, self.since(days, now)),
            )
        counts = {kid: (int(n), int(s)) for kid, n, s in rows}
        out = []
        for k in self.kiosks():
            n, s = counts.get(k["kiosk_id"], (0, 0))
            out.append(_rate({**k, "verifications": n, "succeeded": s}))
        return out

    def per_facility(self, days: int, now: datetime) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT k.facility, count(DISTINCT r.kiosk_id), sum(r.n), "
                "sum(CASE WHEN r.outcome_key = %s THEN r.n ELSE 0 END) "
                "FROM rollup_daily r JOIN kiosks k ON k.kiosk_id = r.kiosk_id "
                "WHERE r.day >= %s GROUP BY k.facility ORDER BY k.facility",
                (SUCCESS, self.since(days, now)),
            )
        return [
            _rate(
                {
                    "facility": f or "-",
                    "kiosks": int(k),
                    "verifications": int(n),
                    "succeeded": int(s),
                }
            )
            for f, k, n, s in rows
        ]

    def events_ingested(self) -> int:
        with self.db.transaction() as tx:
            row = tx.one("SELECT coalesce(sum(events_total), 0) FROM kiosks")
        return int(row[0]) if row else 0

    # --- trust lists -----------------------------------------------------------------------
    def trust_items(self) -> list[tuple[str, str, bytes, str]]:
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT fingerprint, kind, der, source FROM trust_items ORDER BY kind, fingerprint"
            )
        return [(fp, kind, bytes(der), source) for fp, kind, der, source in rows]

    def add_trust_items(self, items: list[tuple[str, str, bytes, str]], now: datetime) -> None:
        with self.db.transaction() as tx:
            for fp, kind, der, source in items:
                tx.execute(
                    "INSERT INTO trust_items VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                    (fp, kind, der, source[:MAX_TEXT], now),
                )

    def latest_bundle(self) -> tuple[int, str] | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT version, jws FROM trust_bundles ORDER BY version DESC LIMIT 1")
        return (int(row[0]), str(row[1])) if row else None

    def next_bundle_version(self) -> int:
        with self.db.transaction() as tx:
            row = tx.one("SELECT coalesce(max(version), 0) FROM trust_bundles")
        return int(row[0]) + 1 if row else 1

    def save_bundle(self, version: int, jws: str, now: datetime) -> None:
        with self.db.transaction() as tx:
            inserted = tx.execute(
                "INSERT INTO trust_bundles VALUES (%s,%s,%s) ON CONFLICT DO NOTHING",
                (version, now, jws),
            ).rowcount
        if inserted != 1:  # another worker published the same version a moment ago
            raise FleetInputError(
                "conflict", "Another import was published at the same moment; send it again.", 409
            )


def event_partitions(tx: Tx) -> list[tuple[str, date]]:
    """The monthly partitions of ``events`` (PostgreSQL), oldest first."""
    rows = tx.all(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'"
    )
    out = []
    for (name,) in rows:
        digits = name.removeprefix("events_")
        if len(digits) == 6 and digits.isdigit():
            out.append((name, date(int(digits[:4]), int(digits[4:]), 1)))
    return sorted(out, key=lambda p: p[1])


def drop_months_before(db: Database, cutoff: date) -> list[str]:
    """Retention: detach and drop whole months of raw events older than ``cutoff``'s month.

    The rollups stay, so the dashboard keeps its history; only the raw rows go.
    """
    if db.dialect != "postgresql":
        raise FleetInputError("postgresql_only", "Monthly partitions exist on PostgreSQL only.")
    first_kept = date(cutoff.year, cutoff.month, 1)
    dropped = []
    with db.transaction() as tx:
        tx.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        for name, month in event_partitions(tx):
            if month < first_kept:
                tx.execute(f"ALTER TABLE events DETACH PARTITION {name}")
                tx.execute(f"DROP TABLE {name}")
                dropped.append(name)
        if dropped:
            # The duplicate window ends with the raw rows (event_ids keeps the first time).
            tx.execute(
                "DELETE FROM event_ids WHERE at < %s",
                (datetime(first_kept.year, first_kept.month, 1, tzinfo=UTC),),
            )
    return dropped


def partition_ddl(month: date) -> str:
    """The monthly partition of ``events`` holding ``month`` (made once, on demand)."""
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    name = f"events_{month.year:04d}{month.month:02d}"
    # Bounds are UTC instants; a month's partition is [first day 00:00Z, next month 00:00Z).
    return (
        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF events "
        f"FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') TO ('{nxt.isoformat()} 00:00:00+00')"
    )


# One statement: insert what is new, then grow every rollup by exactly those rows. Keys are
# grouped (one upsert per key) and sorted, so concurrent batches lock rollup rows in one order.
INGEST_SQL = """
WITH ids AS (
    -- Idempotence by (kiosk, event id) alone: event_ids is not partitioned by time, so a
    -- resend with another time is caught too. Sorted: concurrent batches lock keys in order.
    INSERT INTO event_ids (kiosk_id, event_id, at)
    SELECT kiosk_id, event_id, at FROM fleet_staging ORDER BY kiosk_id, event_id
    ON CONFLICT DO NOTHING
    RETURNING kiosk_id, event_id
), new AS (
    INSERT INTO events (kiosk_id, event_id, at, received_at, outcome_key, succeeded,
                        first_cause, total_ms, data)
    SELECT s.kiosk_id, s.event_id, s.at, %(now)s, s.outcome_key, s.succeeded, s.first_cause,
           s.total_ms, s.data
    FROM fleet_staging s JOIN ids ON ids.kiosk_id = s.kiosk_id AND ids.event_id = s.event_id
    ON CONFLICT DO NOTHING
    RETURNING kiosk_id, at, outcome_key, succeeded, first_cause, total_ms, data
), loc AS (
    SELECT kiosk_id, at, (at AT TIME ZONE %(tz)s) AS lt, outcome_key, succeeded, first_cause,
           total_ms, data
    FROM new
), daily AS (
    INSERT INTO rollup_daily (day, kiosk_id, outcome_key, n)
    SELECT lt::date, kiosk_id, outcome_key, count(*) FROM loc GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, kiosk_id, outcome_key) DO UPDATE SET n = rollup_daily.n + excluded.n
), hourly AS (
    INSERT INTO rollup_hourly (day, hour, n, succeeded)
    SELECT lt::date, extract(hour FROM lt)::smallint, count(*), count(*) FILTER (WHERE succeeded)
    FROM loc GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, hour) DO UPDATE SET n = rollup_hourly.n + excluded.n,
        succeeded = rollup_hourly.succeeded + excluded.succeeded
), causes AS (
    INSERT INTO rollup_causes (day, first_cause, n)
    SELECT lt::date, first_cause, count(*) FROM loc WHERE first_cause IS NOT NULL
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, first_cause) DO UPDATE SET n = rollup_causes.n + excluded.n
), steps AS (
    INSERT INTO rollup_steps (day, step, bucket, n)
    SELECT lt::date, s.step, fleet_ms_bucket(s.ms), count(*)
    FROM loc, LATERAL (
        SELECT key, value::double precision FROM jsonb_each_text(loc.data -> 'durations')
        UNION ALL SELECT 'total', loc.total_ms WHERE loc.total_ms IS NOT NULL
    ) AS s(step, ms)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, step, bucket) DO UPDATE SET n = rollup_steps.n + excluded.n
), per_kiosk AS (
    UPDATE kiosks SET events_total = kiosks.events_total + c.n,
        last_event_at = greatest(kiosks.last_event_at, c.newest)
    FROM (SELECT kiosk_id, count(*) AS n, max(at) AS newest FROM new GROUP BY kiosk_id) c
    WHERE kiosks.kiosk_id = c.kiosk_id
)
SELECT count(*) FROM new
"""


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(value: Any) -> str | None:
    return _as_time(value).isoformat() if value else None


def _rate(row: dict[str, Any]) -> dict[str, Any]:
    n = row["verifications"]
    row["success_rate"] = round(row["succeeded"] / n, 4) if n else None
    return row
