"""``cccd-edge fleet serve --listen HOST:PORT``: the fleet service (statistics, health, trust).

Settings come from the environment: ``CCCD_EDGE_FLEET_DATABASE_URL`` (PostgreSQL; without it an
SQLite file in ``CCCD_EDGE_FLEET_DIR`` for a one-machine demo), ``CCCD_EDGE_FLEET_ENROLL_TOKEN``
(one-time enrolment tokens, comma-separated), ``CCCD_EDGE_FLEET_OPERATOR_KEY``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.fleet.db import Database
    from edge.fleet.settings import FleetSettings


def register(subparsers) -> None:
    fleet = subparsers.add_parser("fleet", help="the fleet service (many kiosks, one dashboard)")
    sub = fleet.add_subparsers(dest="fleet_command", metavar="ACTION")
    sub.required = True
    serve = sub.add_parser("serve", help="run the fleet service (gunicorn)")
    serve.add_argument("--listen", metavar="HOST:PORT", help="address to listen on")
    serve.add_argument(
        "--dry-run", action="store_true", help="check the settings, print the command, exit"
    )
    serve.set_defaults(func=run_serve)
    migrate = sub.add_parser("migrate", help="apply the database migrations and exit")
    migrate.set_defaults(func=run_migrate)
    prune = sub.add_parser(
        "prune", help="drop whole months of raw events (the dashboard's rollups stay)"
    )
    prune.add_argument(
        "--keep-months", type=int, required=True, metavar="N", help="months of raw events to keep"
    )
    prune.set_defaults(func=run_prune)
    recount = sub.add_parser(
        "recount-causes",
        help="give stored failures today's first-cause rule and rebuild their rollup",
    )
    recount.set_defaults(func=run_recount_causes)


def _settings(env: dict[str, str]):
    from edge.cli import UsageError
    from edge.fleet.settings import FleetConfigError, load_settings

    try:
        return load_settings(env)
    except FleetConfigError as exc:
        raise UsageError(exc.message) from None


def gunicorn_command(settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        # Its own settings file: gunicorn would otherwise read the kiosk's ./gunicorn.conf.py.
        "-c",
        str(Path(__file__).resolve().parents[1] / "fleet" / "gunicorn_conf.py"),
        "-b",
        settings.listen,
        "-w",
        str(settings.workers),
        "-k",
        "gthread",
        "--threads",
        str(settings.threads),
        "-t",
        "60",
        # One shared control socket path for every gunicorn on the machine: not wanted here.
        "--no-control-socket",
        "edge.fleet.app:create_app()",
    ]


def run_serve(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.listen:
        env["CCCD_EDGE_FLEET_LISTEN"] = args.listen
    settings = _settings(env)
    cmd = gunicorn_command(settings)
    engine = (
        "PostgreSQL" if settings.database_url else "SQLite (demo: set CCCD_EDGE_FLEET_DATABASE_URL)"
    )
    if not settings.operator_key_digest:
        print(
            "cccd-edge: no CCCD_EDGE_FLEET_OPERATOR_KEY: the dashboard will refuse everyone",
            file=sys.stderr,
            flush=True,
        )
    host, _, port = settings.listen.rpartition(":")
    print(f"cccd-edge fleet: serving on http://{host}:{port}/fleet ({engine})", flush=True)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def _database(settings: FleetSettings) -> Database:
    """The fleet's database: PostgreSQL at ``database_url``, else SQLite in the instance folder."""
    from edge.fleet.db import Database

    return Database(
        settings.database_url or None, sqlite_path=settings.instance_path / "fleet.sqlite"
    )


def run_migrate(args: argparse.Namespace) -> int:
    from edge.fleet.db import DatabaseDown

    settings = _settings(dict(os.environ))
    db = _database(settings)
    try:
        applied = db.migrate()
    except DatabaseDown as exc:
        print(f"cccd-edge: {exc.message}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"cccd-edge fleet: migrations applied: {applied or 'none (up to date)'}")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from edge.fleet.db import DatabaseDown
    from edge.fleet.store import FleetInputError, drop_months_before

    if args.keep_months < 1:
        print("cccd-edge: --keep-months must be at least 1.", file=sys.stderr)
        return 2
    settings = _settings(dict(os.environ))
    db = _database(settings)
    today = datetime.now(UTC).date()
    months = today.year * 12 + today.month - 1 - (args.keep_months - 1)
    cutoff = today.replace(year=months // 12, month=months % 12 + 1, day=1)
    try:
        dropped = drop_months_before(db, cutoff)
    except (DatabaseDown, FleetInputError) as exc:
        print(f"cccd-edge: {exc.message}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"cccd-edge fleet: raw events before {cutoff} dropped: {', '.join(dropped) or 'none'}")
    return 0


def run_recount_causes(args: argparse.Namespace) -> int:
    from edge.fleet.db import DatabaseDown
    from edge.fleet.recount import recount_causes

    settings = _settings(dict(os.environ))
    db = _database(settings)
    try:
        result = recount_causes(db, settings.timezone)
    except DatabaseDown as exc:
        print(f"cccd-edge: {exc.message}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(
        f"cccd-edge fleet: {result.events_changed} failures given a new first cause; "
        f"{result.days_recounted} days recounted"
        + (f" (up to {result.kept_until} kept as counted)" if result.kept_until else "")
    )
    return 0
