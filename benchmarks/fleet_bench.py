"""Fleet service figures on a private PostgreSQL (Debian's, started here, durable defaults).

1. Ingest: signed-batch path minus HTTP (``FleetStore.ingest``: COPY + one INSERT ... RETURNING
   statement growing the rollups), 500-event batches from several writer threads -> events/s.
   Then the same through the real service (gunicorn, signed requests) -> events/s.
2. Scale: 10 million events generated in SQL (``generate_series``) over the last ~34 days
   (500 kiosks, 300,000 a day), rollups rebuilt from them, then every dashboard query timed.
3. Kiosk: what the outbox adds to a verification: ``AuditLog.record`` with and without the
   outbox listener, and the listener's own cost per row (it runs in the audit writer thread).

    .venv/bin/python benchmarks/fleet_bench.py [--events 10000000] [--ingest 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.audit import AuditLog  # noqa: E402 - after the path setup above
from edge.fleet.app import FleetService, dashboard_data  # noqa: E402
from edge.fleet.db import Database  # noqa: E402
from edge.fleet.outbox import Outbox  # noqa: E402
from edge.fleet.settings import FleetSettings  # noqa: E402
from edge.fleet.store import FleetStore, normalise_event, partition_ddl  # noqa: E402
from tests.support.postgres import PrivatePostgres  # noqa: E402

TZ = "Asia/Ho_Chi_Minh"


def row(n: int, kiosk: str, at: float) -> dict:
    ok = n % 10 != 0
    iso = datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
    return {
        "id": f"{kiosk}-{n}",
        "at": iso,
        "day": iso[:10],
        "kiosk_id": kiosk,
        "relying_party": "hospital-rp",
        "kind": "card",
        "outcome": "done" if ok else "failed",
        "overall": "valid" if ok else None,
        "passive_authentication": "valid" if ok else None,
        "chip_authenticity": "valid" if ok else None,
        "face": None,
        "access_protocol": "PACE",
        "reason_codes": "[]" if ok else '["card_removed"]',
        "durations": json.dumps({"read": 700 + n % 500, "passive_authentication": 12 + n % 9}),
        "total_ms": 760.0 + n % 500,
        "liveness": None,
        "face_decision": None,
    }


def run_threads(work: Callable[[int], None], count: int) -> float:
    """Run ``work(0) .. work(count - 1)`` in parallel threads; the seconds until all are done."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def bench_ingest(
    url: str, total: int, writers: int = 2, batch: int = 500, tag: str = "ingest"
) -> float:
    db = Database(url, pool_max=writers + 1)
    store = FleetStore(db, timezone=TZ)
    now = datetime.now(UTC)
    kiosks = [f"{tag}-{i:02d}" for i in range(writers * 4)]
    for k in kiosks:
        store.enrol(k, {"kty": "EC"}, f"token-{k}", "", now)
    per_writer = total // writers
    base = time.time() - 3600

    def work(w: int) -> None:
        for start in range(0, per_writer, batch):
            kiosk = kiosks[(w * 4) + (start // batch) % 4]
            events = [
                normalise_event(row(w * per_writer + start + i, kiosk, base + i), kiosk)
                for i in range(batch)
            ]
            store.ingest(kiosk, events, nonce=f"n-{w}-{start}-xxxxxxxx", now=datetime.now(UTC))

    elapsed = run_threads(work, writers)
    with db.transaction() as tx:
        # Not named ``row``: that would shadow the event maker ``work`` uses above.
        found = tx.one("SELECT count(*) FROM events WHERE kiosk_id LIKE %s", (f"{tag}-%",))
        assert found is not None  # count(*) always gives a row
        stored = found[0]
    db.close()
    assert stored == per_writer * writers, stored
    return stored / elapsed


def bench_http_ingest(url: str, total: int, clients: int = 4, batch: int = 500) -> float:
    """The same through the real service: gunicorn, signed requests, JSON, 503 never expected."""
    import subprocess
    import urllib.request

    from edge.fleet.protocol import sign_request
    from edge.signing import KioskKey
    from tests.support.postgres import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tokens = [f"bench-token-{i}" for i in range(clients)]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CCCD_EDGE_FLEET_DATABASE_URL": url,
        "CCCD_EDGE_FLEET_ENROLL_TOKEN": ",".join(tokens),
        "CCCD_EDGE_FLEET_DIR": tempfile.mkdtemp(),
        "CCCD_EDGE_FLEET_WORKERS": "2",
        "CCCD_EDGE_FLEET_THREADS": "4",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "fleet", "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def post(key: KioskKey, kiosk: str, path: str, body: bytes) -> dict:
        headers = {
            **sign_request(key, kiosk, "POST", path, body),
            "Content-Type": "application/json",
        }
        req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/v1/fleet/key", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        kiosks = []
        for i, token in enumerate(tokens):
            key, kiosk = KioskKey.generate(), f"http-{i}"
            enrol = {"kiosk_id": kiosk, "token": token, "jwk": key.jwk}
            post(key, kiosk, "/v1/fleet/enroll", json.dumps(enrol).encode())
            kiosks.append((key, kiosk))
        per_client = total // clients
        base_time = time.time() - 1800
        bodies = [
            [
                json.dumps(
                    {"events": [row(s + i, kiosk, base_time + i) for i in range(batch)]}
                ).encode()
                for s in range(0, per_client, batch)
            ]
            for _key, kiosk in kiosks
        ]
        accepted = [0] * clients

        def work(c: int) -> None:
            key, kiosk = kiosks[c]
            for body in bodies[c]:
                accepted[c] += post(key, kiosk, "/v1/fleet/events", body)["accepted"]

        elapsed = run_threads(work, clients)
        # Whole batches: per_client rounded up to a multiple of the batch size.
        assert sum(accepted) == sum(len(b) for b in bodies) * batch, accepted
        return sum(accepted) / elapsed
    finally:
        server.terminate()
        server.wait(20)


LOAD_SQL = """
INSERT INTO events (kiosk_id, event_id, at, received_at, outcome_key, succeeded, first_cause,
                    total_ms, data)
SELECT k, 'ev-' || g, t, t + interval '2 seconds',
       CASE WHEN r < 90 THEN 'valid' WHEN r < 96 THEN 'failed' ELSE 'invalid' END,
       r < 90,
       CASE WHEN r < 90 THEN NULL
            ELSE (ARRAY['card_removed','pace_failed','csca_unknown','timeout',
                        'liveness_failed'])[1 + g %% 5] END,
       600 + (g %% 700) + 12 + (g %% 30) + 80 + (g %% 60),
       jsonb_build_object('id', 'ev-' || g, 'kiosk_id', k, 'relying_party', 'hospital-rp',
                          'kind', 'card', 'durations',
                          jsonb_build_object('read', 600 + (g %% 700),
                                             'passive_authentication', 12 + (g %% 30),
                                             'chip_authentication', 80 + (g %% 60)))
FROM (
    SELECT g, 'kiosk-' || lpad((g %% 500)::text, 3, '0') AS k,
           (g * 2654435761) %% 100 AS r,
           %(start)s::timestamptz + (g::float8 / %(n)s) * %(span)s::interval AS t
    FROM generate_series(1, %(n)s) AS g
) AS s
"""

REBUILD_SQL = [
    "TRUNCATE rollup_daily, rollup_hourly, rollup_causes, rollup_steps",
    """INSERT INTO rollup_daily SELECT (at AT TIME ZONE %(tz)s)::date, kiosk_id, outcome_key,
       count(*) FROM events GROUP BY 1, 2, 3""",
    """INSERT INTO rollup_hourly SELECT (at AT TIME ZONE %(tz)s)::date,
       extract(hour FROM at AT TIME ZONE %(tz)s)::smallint, count(*),
       count(*) FILTER (WHERE succeeded) FROM events GROUP BY 1, 2""",
    """INSERT INTO rollup_causes SELECT (at AT TIME ZONE %(tz)s)::date, first_cause, count(*)
       FROM events WHERE first_cause IS NOT NULL GROUP BY 1, 2""",
    """INSERT INTO rollup_steps SELECT d, step, fleet_ms_bucket(ms), count(*) FROM (
         SELECT (at AT TIME ZONE %(tz)s)::date AS d, j.key AS step,
                j.value::double precision AS ms
         FROM events, jsonb_each_text(data -> 'durations') AS j
         UNION ALL
         SELECT (at AT TIME ZONE %(tz)s)::date, 'total', total_ms FROM events
       ) AS s GROUP BY 1, 2, 3""",
    # The duplicate check's ids (migration 0002), as ingest would have left them.
    """INSERT INTO event_ids SELECT kiosk_id, event_id, min(at) FROM events GROUP BY 1, 2
       ON CONFLICT DO NOTHING""",
    """UPDATE kiosks SET events_total = c.n, last_event_at = c.newest FROM (
         SELECT kiosk_id, count(*) AS n, max(at) AS newest FROM events GROUP BY kiosk_id) AS c
       WHERE kiosks.kiosk_id = c.kiosk_id""",
]


def load_events(url: str, n: int, days: int) -> tuple[float, float]:
    import psycopg

    now = datetime.now(UTC)
    start = datetime.fromtimestamp(now.timestamp() - days * 86400, UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("SET work_mem = '256MB'")
        month = datetime(start.year, start.month, 1).date()
        while month <= now.date():
            conn.execute(partition_ddl(month))
            month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1).date()
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO kiosks (kiosk_id, jwk, facility, enrolled_at) VALUES (%s,%s,%s,%s) "
                "ON CONFLICT DO NOTHING",
                [(f"kiosk-{i:03d}", "{}", f"Cơ sở {i // 10:02d}", start) for i in range(500)],
            )
        t0 = time.perf_counter()
        conn.execute(LOAD_SQL, {"start": start, "n": n, "span": f"{days} days"})
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        for sql in REBUILD_SQL:
            conn.execute(sql, {"tz": TZ} if "%(tz)s" in sql else None)
        conn.execute("VACUUM ANALYZE")
        rolled = time.perf_counter() - t0
    return loaded, rolled


def event_ids_bytes_per_row(url: str, n: int = 1_000_000) -> float:
    """Disk per id in ``event_ids`` (heap + primary key), with ids shaped like the kiosk's
    (22 characters of URL-safe base64, ``edge.sessions``) and 500 kiosk ids."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE ids_size (LIKE event_ids INCLUDING ALL)")
        conn.execute(
            "INSERT INTO ids_size SELECT 'kiosk-' || lpad((g %% 500)::text, 3, '0'), "
            "left(replace(replace(encode(sha256(g::text::bytea), 'base64'), '+', '-'), "
            "'/', '_'), 22), now() FROM generate_series(1, %s) AS g",
            (n,),
        )
        conn.execute("VACUUM ANALYZE ids_size")
        row = conn.execute("SELECT pg_total_relation_size('ids_size')").fetchone()
        conn.execute("DROP TABLE ids_size")
    assert row is not None
    return int(row[0]) / n


def time_queries(url: str, rounds: int = 5) -> dict[str, tuple[float, float]]:
    settings = FleetSettings(database_url=url, instance_dir=tempfile.mkdtemp(), timezone=TZ)
    service = FleetService(settings)
    store, now = service.store, service.now()
    queries = {
        "summary (30 days)": lambda: store.summary(30, now),
        "per day": lambda: store.per_day(30, now),
        "per hour": lambda: store.per_hour(30, now),
        "failures by first cause": lambda: store.failures(30, now),
        "time per step": lambda: store.steps(30, now),
        "per facility": lambda: store.per_facility(30, now),
        "per kiosk": lambda: store.per_kiosk(30, now),
        "whole dashboard": lambda: dashboard_data(service, 30),
    }
    out = {}
    for name, q in queries.items():
        q()  # warm the pool and the cache
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            q()
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = (statistics.median(times), max(times))
    service.db.close()
    return out


def bench_outbox(n: int = 2000) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    out: dict[str, float] = {}
    for label, with_outbox in (("without outbox", False), ("with outbox", True)):
        audit = AuditLog(tmp / f"audit-{label}.sqlite", b"k" * 32, kiosk_id="bench")
        if with_outbox:
            audit.listeners.append(Outbox(tmp / "fleet-outbox.sqlite").enqueue)
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            audit.record(
                verification_id=f"v-{label}-{i}",
                relying_party="hospital-rp",
                kind="card",
                outcome="done",
                overall="valid",
                reason_codes=[],
                durations={"read": 800.0, "passive_authentication": 12.0},
                total_ms=820.0,
                id_number="001099012345",
            )
            times.append((time.perf_counter() - t0) * 1000)
            if i % 50 == 0:
                time.sleep(0.002)  # verifications arrive spaced out, not in one burst
        audit.close()
        times.sort()
        out[f"record() {label} p50"] = times[len(times) // 2]
        out[f"record() {label} p99"] = times[int(len(times) * 0.99)]
    box = Outbox(tmp / "single.sqlite")
    times = []
    for i in range(n):
        r = {"id": f"e-{i}", "at": "2026-01-01T00:00:00+00:00", "outcome": "done", "id_hmac": "x"}
        t0 = time.perf_counter()
        box.enqueue([r])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out["outbox enqueue, one row, p50"] = times[len(times) // 2]
    out["outbox enqueue, one row, p99"] = times[int(len(times) * 0.99)]
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=34)
    parser.add_argument("--ingest", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=2)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    for name, ms in bench_outbox().items():
        print(f"kiosk  {name:<36} {ms:8.3f} ms")
    pg = PrivatePostgres(durable=True).start()
    try:
        url = pg.create_database("fleet_bench")
        Database(url).migrate()
        rate = bench_ingest(url, args.ingest, writers=args.writers)
        print(
            f"ingest {args.ingest} events, {args.writers} writers, 500/batch: {rate:,.0f} events/s"
        )
        rate = bench_http_ingest(url, args.ingest // 2)
        print(
            f"ingest over HTTP (gunicorn 2 workers, 4 signed clients, 500/batch), "
            f"{args.ingest // 2} events: {rate:,.0f} events/s"
        )
        per_row = event_ids_bytes_per_row(url)
        print(
            f"event_ids: {per_row:.0f} bytes per id with its key; 110 million ids a year: "
            f"{per_row * 110e6 / 1e9:.1f} GB"
        )
        if not args.events:
            return 0  # ingest figures only
        loaded, rolled = load_events(url, args.events, args.days)
        print(
            f"loaded {args.events:,} events over {args.days} days in {loaded:.0f} s "
            f"({args.events / loaded:,.0f}/s); rollups rebuilt in {rolled:.0f} s"
        )
        rate = bench_ingest(url, args.ingest, writers=args.writers, tag="after")
        print(
            f"ingest after the load ({args.events:,} events and ids held), {args.ingest} events, "
            f"{args.writers} writers, 500/batch: {rate:,.0f} events/s"
        )
        for name, (median, worst) in time_queries(url).items():
            print(f"query  {name:<26} median {median:7.1f} ms   max {worst:7.1f} ms")
        print(f"load average at end: {os.getloadavg()}")
    finally:
        pg.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
