"""Connections and versioned migrations for the fleet store: PostgreSQL, or SQLite for a demo.

PostgreSQL (``CCCD_EDGE_FLEET_DATABASE_URL``, a ``postgresql://`` URL) goes through a psycopg 3
connection pool; each ``transaction()`` borrows one connection and commits at the end. With no
URL, one SQLite file (WAL) serves a one-machine demo. Schema changes are numbered SQL files in
``migrations/<dialect>/`` recorded in ``schema_migrations``; each is applied once, under a lock,
so several gunicorn workers starting together apply it once.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 7270012  # pg_advisory_xact_lock key for migrations and partition creation


class DatabaseDown(Exception):
    """The database cannot be reached or refused the work; the service answers 503."""

    def __init__(self, message: str = "The fleet database is unavailable; try again later."):
        self.message = message
        super().__init__(message)


class Tx:
    """One transaction: ``execute`` with ``%s`` placeholders on either engine."""

    def __init__(self, conn: Any, dialect: str):
        self.conn = conn
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect == "sqlite":
            sql = sql.replace("%s", "?")
            params = [p.isoformat() if isinstance(p, date | datetime) else p for p in params]
            return self.conn.execute(sql, params)
        # No parameters: None, so a '%' in the text (a comment) is not taken for a placeholder.
        return self.conn.execute(sql, params or None)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        row = self.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None


class Database:
    """``Database(url)`` for PostgreSQL, ``Database(None, sqlite_path=...)`` for the demo file."""

    def __init__(
        self, url: str | None, *, sqlite_path: str | Path | None = None, pool_max: int = 8
    ):
        self.url = url
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        if url:
            if not url.startswith(("postgresql://", "postgres://")):
                raise ValueError("CCCD_EDGE_FLEET_DATABASE_URL must be a postgresql:// URL.")
            from psycopg_pool import ConnectionPool

            self.dialect = "postgresql"
            # open=False then open(wait=False): the service starts (and answers 503) even when
            # the database is down; check= drops connections a database restart has broken.
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=pool_max,
                open=False,
                timeout=3.0,
                check=ConnectionPool.check_connection,
                kwargs={"connect_timeout": 3},
                name="cccd-fleet",
            )
            self._pool.open(wait=False)
        else:
            self.dialect = "sqlite"
            path = Path(sqlite_path or "fleet.sqlite")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._sqlite = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=NORMAL")
            self._sqlite_lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        if not self._schema_ready:
            self.migrate()
        with self._raw() as tx:
            yield tx

    @contextmanager
    def _raw(self) -> Iterator[Tx]:
        if self.dialect == "sqlite":
            with self._sqlite_lock:
                try:
                    self._sqlite.execute("BEGIN IMMEDIATE")
                    yield Tx(self._sqlite, "sqlite")
                    self._sqlite.commit()
                except BaseException:
                    self._sqlite.rollback()
                    raise
            return
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._pool.connection() as conn:
                yield Tx(conn, "postgresql")
        except PoolTimeout:
            raise DatabaseDown() from None
        except psycopg.OperationalError:
            raise DatabaseDown() from None

    def migrate(self) -> list[int]:
        """Apply every migration not yet recorded; return the versions applied now."""
        with self._schema_lock:
            if self._schema_ready:
                return []
            applied_now: list[int] = []
            with self._raw() as tx:
                if self.dialect == "postgresql":
                    tx.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                tx.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                done = {r[0] for r in tx.all("SELECT version FROM schema_migrations")}
                for version, path in self.migration_files():
                    if version in done:
                        continue
                    sql = path.read_text(encoding="utf-8")
                    if self.dialect == "sqlite":
                        # executescript would commit the open transaction: run statement by
                        # statement instead (the files hold no semicolons inside statements).
                        for statement in filter(str.strip, sql.split(";")):
                            tx.execute(statement)
                    else:
                        tx.execute(sql)
                    tx.execute(
                        "INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                        (version, path.name, datetime.now().astimezone().isoformat()),
                    )
                    applied_now.append(version)
            self._schema_ready = True
            return applied_now

    def migration_files(self) -> list[tuple[int, Path]]:
        out = []
        for path in sorted((MIGRATIONS / self.dialect).glob("*.sql")):
            m = _MIGRATION_NAME.match(path.name)
            if m:
                out.append((int(m.group(1)), path))
        return out

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._pool.close()
