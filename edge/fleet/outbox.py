"""The kiosk's outbox: audit events waiting to be shipped, in SQLite beside the audit log.

Rows arrive from the audit writer thread (after the audit row is committed), so a verification
never waits for it: ``record`` only queues, as before. The outbox is bounded: past
``max_events`` the oldest rows are dropped and counted (``dropped``), so a kiosk cut off from
the fleet for weeks keeps working and says how much it lost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.fleet.protocol import shippable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    queued_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Outbox:
    def __init__(
        self,
        path: str | Path,
        *,
        max_events: int = 100_000,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_events = max_events
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=5.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._count = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        self.on_enqueue: Callable[[], None] | None = None

    def enqueue(self, rows: list[dict[str, Any]]) -> None:
        """Queue audit rows (the audit log's listener); a row already queued is not doubled."""
        now = self._clock()
        values = [
            (str(r["id"]), now, json.dumps(shippable(r), ensure_ascii=False, default=str))
            for r in rows
        ]
        with self._lock:
            cur = self._db.executemany(
                "INSERT OR IGNORE INTO outbox (event_id, queued_at, body) VALUES (?, ?, ?)", values
            )
            self._count += max(cur.rowcount, 0)
            excess = self._count - self.max_events
            if excess > 0:
                # Oldest first: what is dropped is what has waited longest.
                deleted = self._db.execute(
                    "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                    (excess,),
                ).rowcount
                self._count -= deleted
                self._bump("dropped", deleted)
            self._db.commit()
        if self.on_enqueue is not None:
            self.on_enqueue()

    def _bump(self, key: str, by: int) -> None:
        self._db.execute(
            "INSERT INTO outbox_meta VALUES (?, ?) ON CONFLICT DO UPDATE SET value = value + ?",
            (key, by, by),
        )

    def peek(self, limit: int) -> list[tuple[int, str]]:
        with self._lock:
            return list(
                self._db.execute(
                    "SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", (limit,)
                ).fetchall()
            )

    def ack(self, seqs: list[int]) -> None:
        with self._lock:
            deleted = self._db.executemany(
                "DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs]
            ).rowcount
            self._count -= max(deleted, 0)
            self._db.commit()

    def reject(self, seqs: list[int]) -> None:
        """Rows the fleet refuses as malformed: removed and counted, never retried forever."""
        self.ack(seqs)
        with self._lock:
            self._bump("rejected", len(seqs))
            self._db.commit()

    def __len__(self) -> int:
        return self._count

    def counter(self, key: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM outbox_meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def oldest_age(self) -> float:
        with self._lock:
            row = self._db.execute("SELECT min(queued_at) FROM outbox").fetchone()
        return max(0.0, self._clock() - row[0]) if row and row[0] is not None else 0.0

    def close(self) -> None:
        with self._lock:
            self._db.close()
