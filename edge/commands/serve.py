"""``cccd-edge serve [--config FILE] [--listen HOST:PORT]``: the HTTP service under gunicorn.

The URL is printed by gunicorn's ``when_ready`` hook (gunicorn.conf.py), after the socket is
bound; without the conf file (flags only) gunicorn's own "Listening at" line says it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP API (gunicorn)",
        description="Serve the verification API and the kiosk screen.",
    )
    p.add_argument(
        "--config", metavar="FILE", help="TOML configuration (default: packaged defaults + env)"
    )
    p.add_argument("--listen", metavar="HOST:PORT", help="override the configured listen address")
    p.add_argument(
        "--dry-run", action="store_true", help="check the configuration, print the command, exit"
    )
    p.set_defaults(func=run)


def gunicorn_command(config_file: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONF.is_file():
        cmd += ["-c", str(GUNICORN_CONF)]
    else:
        # Installed without the source tree: the same settings as flags.
        from edge.config import load_config

        c = load_config(config_file)
        cmd += [
            "-b",
            c.listen,
            "-w",
            str(c.workers),
            "--threads",
            str(c.threads),
            "-k",
            "gthread",
            "-t",
            str(int(c.card_timeout + c.face_timeout + 90)),
            "edge.app:create_app()",
        ]
    return cmd


def banner(config, *, ready: bool = True) -> str:
    """The line naming the URL. Printed by gunicorn's ``when_ready`` hook, once the socket is
    bound: a port already in use must not print a URL that leads nowhere (or elsewhere)."""
    host, port = config.host_port
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    reader = {
        "simulator": "the built-in virtual CCCD (demo)",
        "none": "no reader: uploads only",
    }.get(config.reader, f"reader {config.reader!r}")
    verb = "serving on" if ready else "would serve on"
    return f"cccd-edge: {verb} http://{shown}:{port}/ (API at /v1, {reader})"


def run(args: argparse.Namespace) -> int:
    from edge.cli import UsageError
    from edge.config import ConfigError, load_config

    env = dict(os.environ)
    if args.config:
        env["CCCD_EDGE_CONFIG"] = str(Path(args.config).resolve())
    if args.listen:
        env["CCCD_EDGE_LISTEN"] = args.listen
    try:
        config = load_config(env=env)
    except ConfigError as exc:
        raise UsageError(exc.message) from None
    cmd = gunicorn_command(env.get("CCCD_EDGE_CONFIG"))
    if not config.relying_parties:
        print(
            "cccd-edge: no relying parties configured: set CCCD_EDGE_API_KEYS=rp_id:profile:key",
            file=sys.stderr,
            flush=True,
        )
    if args.dry_run:
        print(banner(config, ready=False))
        print(" ".join(cmd))
        return 0
    # exec: gunicorn takes over this process, so signals from systemd reach it directly. The URL
    # is printed by gunicorn.conf.py's when_ready hook, once the socket is really bound.
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached
