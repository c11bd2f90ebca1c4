"""``cccd-edge serve [--config FILE] [--listen HOST:PORT]``: the HTTP service under gunicorn."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="run the HTTP API (gunicorn)",
                              description="Serve the verification API and the kiosk screen.")
    p.add_argument("--config", metavar="FILE", help="TOML configuration (default: packaged defaults + env)")
    p.add_argument("--listen", metavar="HOST:PORT", help="override the configured listen address")
    p.add_argument("--dry-run", action="store_true", help="check the configuration, print the command, exit")
    p.set_defaults(func=run)


def gunicorn_command(config_file: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONF.is_file():
        cmd += ["-c", str(GUNICORN_CONF)]
    else:
        # Installed without the source tree: the same settings as flags.
        from edge.config import load_config
        c = load_config(config_file)
        cmd += ["-b", c.listen, "-w", str(c.workers), "--threads", str(c.threads), "-k", "gthread",
                "-t", str(int(c.card_timeout + c.face_timeout + 90)), "edge.app:create_app()"]
    return cmd


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
    host, port = config.host_port
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    cmd = gunicorn_command(env.get("CCCD_EDGE_CONFIG"))
    reader = "the built-in virtual CCCD (demo)" if config.reader == "simulator" else f"reader {config.reader!r}"
    print(f"cccd-edge: serving on http://{shown}:{port}/ (API at /v1, {reader})", flush=True)
    if not config.relying_parties:
        print("cccd-edge: no relying parties configured: set CCCD_EDGE_API_KEYS=rp_id:profile:key",
              file=sys.stderr, flush=True)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    # exec: gunicorn takes over this process, so signals from systemd reach it directly.
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached
