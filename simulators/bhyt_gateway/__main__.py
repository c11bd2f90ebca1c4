"""``python -m simulators.bhyt_gateway --port N``: run the insurance-gateway simulator."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from simulators.bhyt_gateway.records import MODES
from simulators.bhyt_gateway.server import (
    DEFAULT_STAFF_ID,
    DEFAULT_STAFF_NAME,
    DEFAULT_USERNAME,
    GatewaySimulator,
)

DESCRIPTION = "A stand-in for the BHYT gateway with synthetic records (tests and demo)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = a free port (printed)")
    p.add_argument("--mode", default="correct", choices=MODES)
    p.add_argument("--delay", type=float, default=10.0, help="seconds for slow and stall")
    p.add_argument("--username", default=DEFAULT_USERNAME)
    p.add_argument(
        "--password-env",
        default="BHYT_SIM_PASSWORD",
        metavar="VAR",
        help="environment variable holding the facility password (never a command-line word)",
    )
    p.add_argument("--staff-id", default=DEFAULT_STAFF_ID)
    p.add_argument("--staff-name", default=DEFAULT_STAFF_NAME)
    p.add_argument("--token-lifetime", type=int, default=3600, help="seconds")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.bhyt_gateway", description=DESCRIPTION)
    add_arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    sim = GatewaySimulator(
        args.host,
        args.port,
        username=args.username,
        password=os.environ.get(args.password_env, ""),
        staff_id=args.staff_id,
        staff_name=args.staff_name,
        token_lifetime=args.token_lifetime,
        mode=args.mode,
        delay=args.delay,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"bhyt-gateway simulator: listening on http://{args.host}:{sim.port}", flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
