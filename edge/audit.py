"""Audit log (SQLite) and JSON-lines application logs, both without personal data.

An audit row says *that* a verification happened, for whom it was made (the
relying party), how it ended (verdicts, reason codes) and how long each step
took. The person is represented only by a keyed HMAC-SHA256 of the ID number
with a per-kiosk secret: rows about the same card can be linked on this
kiosk, but the number cannot be recovered or matched across kiosks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.secretfile import create_once

log = logging.getLogger("cccd_edge.audit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verifications (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,              -- ISO 8601 UTC
    day TEXT NOT NULL,             -- YYYY-MM-DD, for the statistics page
    kiosk_id TEXT NOT NULL,
    relying_party TEXT NOT NULL,
    kind TEXT NOT NULL,            -- 'card' or 'upload'
    outcome TEXT NOT NULL,         -- 'done' or 'failed'
    overall TEXT,
    passive_authentication TEXT,
    chip_authenticity TEXT,
    face TEXT,
    access_protocol TEXT,
    reason_codes TEXT NOT NULL,    -- JSON list of stable codes
    durations TEXT NOT NULL,       -- JSON {step: ms}
    total_ms REAL,
    id_hmac TEXT,                  -- HMAC-SHA256(kiosk secret, ID number), hex
    liveness TEXT,                 -- 'passed' | 'failed' | 'not_performed' | NULL (no face step)
    face_decision TEXT,            -- 'match' | 'no_match' | 'undetermined' | NULL
    insurance_status TEXT,         -- BHYT: eligible | not_eligible | record_mismatch | ... | NULL
    insurance_code TEXT            -- the gateway's maKetQua, or our reason when it gave none
);
CREATE INDEX IF NOT EXISTS verifications_day ON verifications(day);
"""
AUDIT_COLUMNS = (
    "id",
    "at",
    "day",
    "kiosk_id",
    "relying_party",
    "kind",
    "outcome",
    "overall",
    "passive_authentication",
    "chip_authenticity",
    "face",
    "access_protocol",
    "reason_codes",
    "durations",
    "total_ms",
    "id_hmac",
    "liveness",
    "face_decision",
    "insurance_status",
    "insurance_code",
)
# Columns added after the first release: added in place to an older file when it is opened.
_ADDED_COLUMNS = {
    "liveness": "TEXT",
    "face_decision": "TEXT",
    "insurance_status": "TEXT",
    "insurance_code": "TEXT",
}
# Verdict codes older rows carried in reason_codes before the liveness column existed.
_VERDICT_CODES = {"liveness_passed"}
QUEUE_SIZE = 1024  # rows waiting for the writer; past this, record() waits (bounded) instead
BATCH = 256  # rows per transaction


def load_or_create_secret(path: str | Path, rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """The per-kiosk HMAC secret: 32 random bytes in a 0600 file made on first start."""
    return create_once(path, lambda: rng(32))


class AuditLog:
    """Append-only verification log.

    ``record`` only queues the row; one writer thread inserts queued rows in batches, one
    transaction per batch (a commit per request cost more than the rest of the bookkeeping).
    The queue is bounded: when it is full, ``record`` waits for room (at most ``put_timeout``)
    and then writes the row itself. Readers (``rows``, ``row``, ``stats``) flush first, so they
    always see every row recorded before them.
    """

    def __init__(
        self,
        path: str | Path,
        secret: bytes,
        *,
        kiosk_id: str,
        clock: Callable[[], float] = time.time,
        put_timeout: float = 2.0,
    ):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._secret = secret
        self.kiosk_id = kiosk_id
        self._clock = clock
        self._put_timeout = put_timeout
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
        # WAL with synchronous=NORMAL: a commit is an append, not an fsync (an fsync per request
        # costs ~25 ms here); after a power cut at most the last few rows are lost, never corrupted.
        # WAL also lets several gunicorn workers write one file.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._db.commit()
        self._insert = (
            f"INSERT OR REPLACE INTO verifications ({', '.join(AUDIT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})"
        )
        self._queue: queue.Queue[tuple | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._closed = False
        # Called with the rows (dicts of every column) after they are committed, in the writer
        # thread: the fleet outbox (edge.fleet) hangs here, off the request path.
        self.listeners: list[Callable[[list[dict]], None]] = []
        self._writer = threading.Thread(target=self._write_loop, name="audit-writer", daemon=True)
        self._writer.start()

    def _migrate(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(verifications)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in have:
                self._db.execute(f"ALTER TABLE verifications ADD COLUMN {column} {kind}")

    def id_hmac(self, id_number: str | None) -> str | None:
        if not id_number:
            return None
        return hmac.new(self._secret, id_number.encode("utf-8"), hashlib.sha256).hexdigest()

    def record(
        self,
        *,
        verification_id: str,
        relying_party: str,
        kind: str,
        outcome: str,
        overall: str | None = None,
        passive_authentication: str | None = None,
        chip_authenticity: str | None = None,
        face: str | None = None,
        access_protocol: str | None = None,
        reason_codes: list[str] | None = None,
        durations: dict[str, float] | None = None,
        total_ms: float | None = None,
        id_number: str | None = None,
        liveness: str | None = None,
        face_decision: str | None = None,
        insurance_status: str | None = None,
        insurance_code: str | None = None,
    ) -> None:
        now = datetime.fromtimestamp(self._clock(), UTC)
        row = (
            verification_id,
            now.isoformat(timespec="seconds"),
            now.date().isoformat(),
            self.kiosk_id,
            relying_party,
            kind,
            outcome,
            overall,
            passive_authentication,
            chip_authenticity,
            face,
            access_protocol,
            json.dumps(sorted(set(reason_codes or []) - _VERDICT_CODES)),
            json.dumps({k: round(v, 2) for k, v in (durations or {}).items()}),
            None if total_ms is None else round(total_ms, 2),
            self.id_hmac(id_number),
            liveness,
            face_decision,
            insurance_status,
            insurance_code,
        )
        if not self._closed:
            try:
                self._queue.put(row, timeout=self._put_timeout)
                return
            except queue.Full:
                log.warning("audit queue full; writing in the request thread")
        self._write([row])

    def _write(self, rows: list[tuple]) -> None:
        with self._lock:
            self._db.executemany(self._insert, rows)
            self._db.commit()
        for listener in self.listeners:
            try:
                listener([dict(zip(AUDIT_COLUMNS, r, strict=True)) for r in rows])
            except Exception as exc:  # a listener must never lose the audit row or the request
                log.error("audit listener failed", extra={"code": type(exc).__name__})

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first] if first is not None else []
            stop = first is None
            while not stop and len(batch) < BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            try:
                if batch:
                    self._write(batch)
            except sqlite3.Error as exc:  # the log must not take the service down; say so
                log.error("audit rows not written", extra={"code": type(exc).__name__})
            finally:
                for _ in range(len(batch) + (1 if stop else 0)):
                    self._queue.task_done()
            if stop:
                return

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout``) until every queued row is written; True when all were."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def rows(self, limit: int = 100) -> list[dict]:
        self.flush()
        with self._lock:
            cur = self._db.execute(
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM verifications "
                "ORDER BY at DESC, rowid DESC LIMIT ?",
                (limit,),
            )
            return [dict(zip(AUDIT_COLUMNS, r, strict=True)) for r in cur.fetchall()]

    def row(self, verification_id: str) -> dict | None:
        self.flush()
        with self._lock:
            cur = self._db.execute(
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM verifications WHERE id = ?",
                (verification_id,),
            )
            found = cur.fetchone()
        return dict(zip(AUDIT_COLUMNS, found, strict=True)) if found else None

    def columns(self) -> set[str]:
        """The verifications table's columns (an older file, before a migration, has fewer)."""
        with self._lock:
            return {row[1] for row in self._db.execute("PRAGMA table_info(verifications)")}

    def select(self, columns: list[str], since_at: str) -> list[dict]:
        """Rows recorded at or after ``since_at`` (ISO UTC), only ``columns`` (known names only)."""
        have = self.columns()
        wanted = [c for c in columns if c in have]
        self.flush()
        with self._lock:
            cur = self._db.execute(
                f"SELECT {', '.join(wanted)} FROM verifications WHERE at >= ? ORDER BY at",
                (since_at,),
            )
            return [dict(zip(wanted, r, strict=True)) for r in cur.fetchall()]

    def stats(self, days: int = 30) -> dict:
        """What the operators' page shows: per day, success rate, failure reasons, time per step."""
        since = datetime.fromtimestamp(self._clock() - days * 86400, UTC).date().isoformat()
        self.flush()
        with self._lock:
            cur = self._db.execute(
                "SELECT day, outcome, overall, reason_codes, durations, total_ms, "
                "liveness FROM verifications WHERE day >= ?",
                (since,),
            )
            rows = cur.fetchall()
        liveness: dict[str, int] = {}
        per_day: dict[str, dict] = {}
        reasons: dict[str, int] = {}
        step_sum: dict[str, float] = {}
        step_n: dict[str, int] = {}
        total = succeeded = 0
        total_ms_sum, total_ms_n = 0.0, 0
        for day, outcome, overall, codes, durations, total_ms, live in rows:
            if live:
                liveness[live] = liveness.get(live, 0) + 1
            ok = outcome == "done" and overall == "valid"
            d = per_day.setdefault(day, {"day": day, "verifications": 0, "succeeded": 0})
            d["verifications"] += 1
            d["succeeded"] += ok
            total += 1
            succeeded += ok
            if not ok:
                # Verdict codes of rows written before the liveness column are not reasons.
                found = [c for c in json.loads(codes) if c not in _VERDICT_CODES]
                if live in ("failed", "not_performed") and f"liveness_{live}" not in found:
                    found.append(f"liveness_{live}")  # from the column: a reason here
                for code in found or ["unspecified"]:
                    reasons[code] = reasons.get(code, 0) + 1
            for step, ms in json.loads(durations).items():
                step_sum[step] = step_sum.get(step, 0.0) + ms
                step_n[step] = step_n.get(step, 0) + 1
            if total_ms is not None:
                total_ms_sum += total_ms
                total_ms_n += 1
        return {
            "days": days,
            "verifications": total,
            "succeeded": succeeded,
            "success_rate": round(succeeded / total, 4) if total else None,
            "per_day": [per_day[k] for k in sorted(per_day)],
            "failure_reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "average_ms_per_step": {k: round(step_sum[k] / step_n[k], 2) for k in sorted(step_sum)},
            "average_total_ms": round(total_ms_sum / total_ms_n, 2) if total_ms_n else None,
            "liveness": dict(sorted(liveness.items())),
        }

    def close(self, timeout: float = 5.0) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                pass
            self._writer.join(timeout)
        with self._lock:
            self._db.close()


# --- JSON-lines application logs ------------------------------------------------------------

# Defence in depth: even if a message carried a number that looks like an ID (9 or 12 digits)
# or a CAN (6 digits), it is masked before it reaches the log.
_NUMBER = re.compile(r"(?<!\d)(\d{12}|\d{9}|\d{6})(?!\d)")
_SAFE_EXTRAS = (
    "verification_id",
    "relying_party",
    "state",
    "step",
    "code",
    "status",
    "duration_ms",
    "method",
    "path",
    "http_status",
    "reader",
)


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _NUMBER.sub("[redacted]", record.getMessage()),
        }
        for key in _SAFE_EXTRAS:
            if hasattr(record, key):
                value = getattr(record, key)
                entry[key] = _NUMBER.sub("[redacted]", value) if isinstance(value, str) else value
        if record.exc_info:
            # The exception type only: messages and tracebacks may quote input.
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, ensure_ascii=False)


def setup_json_logging(
    logger_name: str = "cccd_edge", *, path: str | None = None, level: int = logging.INFO
) -> logging.Logger:
    """One JSON-lines handler on the root logger, so every library's records (``cardreader.*``
    warnings, werkzeug, ...) come out in the same masked format; ``cccd_edge`` logs from INFO."""
    root = logging.getLogger()
    logger = logging.getLogger(logger_name)
    for owner in (root, logger):
        for h in list(owner.handlers):
            if getattr(h, "_cccd_edge", False):
                owner.removeHandler(h)
                h.close()
    logger.setLevel(level)
    logger.propagate = True  # through the root's handler: one place, one format
    if root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    handler: logging.Handler = (
        logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler()
    )
    handler.setFormatter(JsonLinesFormatter())
    handler._cccd_edge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Plain-text handlers a library may have put on the root (basicConfig) would print the same
    # records again without masking: the JSON handler is the only one left there.
    for h in list(root.handlers):
        if h is not handler and type(h) in (logging.StreamHandler, logging.FileHandler):
            root.removeHandler(h)
    return logger
