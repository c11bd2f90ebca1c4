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
import re
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

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
    id_hmac TEXT                   -- HMAC-SHA256(kiosk secret, ID number), hex
);
CREATE INDEX IF NOT EXISTS verifications_day ON verifications(day);
"""
AUDIT_COLUMNS = ("id", "at", "day", "kiosk_id", "relying_party", "kind", "outcome", "overall",
                 "passive_authentication", "chip_authenticity", "face", "access_protocol",
                 "reason_codes", "durations", "total_ms", "id_hmac")


def load_or_create_secret(path: str | Path, rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """The per-kiosk HMAC secret: 32 random bytes in a 0600 file made on first start."""
    path = Path(path)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same pattern as the signing key: complete 0600 file linked into place; first writer wins.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(rng(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


class AuditLog:
    """Append-only verification log; one connection guarded by a lock (threads of one worker)."""

    def __init__(self, path: str | Path, secret: bytes, *, kiosk_id: str,
                 clock: Callable[[], float] = time.time):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._secret = secret
        self.kiosk_id = kiosk_id
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0)
        # WAL with synchronous=NORMAL: a commit is an append, not an fsync (an fsync per request
        # costs ~25 ms here); after a power cut at most the last few rows are lost, never corrupted.
        # WAL also lets several gunicorn workers write one file.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def id_hmac(self, id_number: str | None) -> str | None:
        if not id_number:
            return None
        return hmac.new(self._secret, id_number.encode("utf-8"), hashlib.sha256).hexdigest()

    def record(self, *, verification_id: str, relying_party: str, kind: str, outcome: str,
               overall: str | None = None, passive_authentication: str | None = None,
               chip_authenticity: str | None = None, face: str | None = None,
               access_protocol: str | None = None, reason_codes: list[str] | None = None,
               durations: dict[str, float] | None = None, total_ms: float | None = None,
               id_number: str | None = None) -> None:
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        row = (verification_id, now.isoformat(timespec="seconds"), now.date().isoformat(),
               self.kiosk_id, relying_party, kind, outcome, overall, passive_authentication,
               chip_authenticity, face, access_protocol,
               json.dumps(sorted(set(reason_codes or []))),
               json.dumps({k: round(v, 2) for k, v in (durations or {}).items()}),
               None if total_ms is None else round(total_ms, 2), self.id_hmac(id_number))
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO verifications ({', '.join(AUDIT_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})", row)
            self._db.commit()

    def rows(self, limit: int = 100) -> list[dict]:
        with self._lock:
            cur = self._db.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM verifications "
                                   "ORDER BY at DESC, rowid DESC LIMIT ?", (limit,))
            return [dict(zip(AUDIT_COLUMNS, r)) for r in cur.fetchall()]

    def row(self, verification_id: str) -> dict | None:
        with self._lock:
            cur = self._db.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM verifications WHERE id = ?",
                                   (verification_id,))
            found = cur.fetchone()
        return dict(zip(AUDIT_COLUMNS, found)) if found else None

    def stats(self, days: int = 30) -> dict:
        """What the operators' page shows: per day, success rate, failure reasons, time per step."""
        since = datetime.fromtimestamp(self._clock() - days * 86400, timezone.utc).date().isoformat()
        with self._lock:
            cur = self._db.execute("SELECT day, outcome, overall, reason_codes, durations, total_ms "
                                   "FROM verifications WHERE day >= ?", (since,))
            rows = cur.fetchall()
        per_day: dict[str, dict] = {}
        reasons: dict[str, int] = {}
        step_sum: dict[str, float] = {}
        step_n: dict[str, int] = {}
        total = succeeded = 0
        total_ms_sum, total_ms_n = 0.0, 0
        for day, outcome, overall, codes, durations, total_ms in rows:
            ok = outcome == "done" and overall == "valid"
            d = per_day.setdefault(day, {"day": day, "verifications": 0, "succeeded": 0})
            d["verifications"] += 1
            d["succeeded"] += ok
            total += 1
            succeeded += ok
            if not ok:
                for code in json.loads(codes) or ["unspecified"]:
                    reasons[code] = reasons.get(code, 0) + 1
            for step, ms in json.loads(durations).items():
                step_sum[step] = step_sum.get(step, 0.0) + ms
                step_n[step] = step_n.get(step, 0) + 1
            if total_ms is not None:
                total_ms_sum += total_ms
                total_ms_n += 1
        return {"days": days, "verifications": total, "succeeded": succeeded,
                "success_rate": round(succeeded / total, 4) if total else None,
                "per_day": [per_day[k] for k in sorted(per_day)],
                "failure_reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
                "average_ms_per_step": {k: round(step_sum[k] / step_n[k], 2) for k in sorted(step_sum)},
                "average_total_ms": round(total_ms_sum / total_ms_n, 2) if total_ms_n else None}

    def close(self) -> None:
        with self._lock:
            self._db.close()


# --- JSON-lines application logs ------------------------------------------------------------

# Defence in depth: even if a message carried a number that looks like an ID (9 or 12 digits)
# or a CAN (6 digits), it is masked before it reaches the log.
_NUMBER = re.compile(r"(?<!\d)(\d{12}|\d{9}|\d{6})(?!\d)")
_SAFE_EXTRAS = ("verification_id", "relying_party", "state", "step", "code", "status",
                "duration_ms", "method", "path", "http_status", "reader")


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name,
                 "msg": _NUMBER.sub("[redacted]", record.getMessage())}
        for key in _SAFE_EXTRAS:
            if hasattr(record, key):
                value = getattr(record, key)
                entry[key] = _NUMBER.sub("[redacted]", value) if isinstance(value, str) else value
        if record.exc_info:
            # The exception type only: messages and tracebacks may quote input.
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, ensure_ascii=False)


def setup_json_logging(logger_name: str = "cccd_edge", *, path: str | None = None,
                       level: int = logging.INFO) -> logging.Logger:
    logger = logging.getLogger(logger_name)
    logger.setLevel(level)
    logger.propagate = False
    for h in list(logger.handlers):
        if getattr(h, "_cccd_edge", False):
            logger.removeHandler(h)
            h.close()
    handler: logging.Handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler()
    handler.setFormatter(JsonLinesFormatter())
    handler._cccd_edge = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    return logger
