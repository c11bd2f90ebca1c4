"""``cccd-edge simulate-bhyt``: run the BHYT gateway simulator (demo and tests).

The same as ``python -m simulators.bhyt_gateway``; the facility password is read from the
environment variable named by ``--password-env`` (``BHYT_SIM_PASSWORD``), never from the
command line. Runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from simulators.bhyt_gateway.__main__ import DESCRIPTION, add_arguments

    p = subparsers.add_parser(
        "simulate-bhyt",
        help="run the BHYT (health-insurance) gateway simulator on a local port",
        description=DESCRIPTION,
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from simulators.bhyt_gateway.__main__ import run as run_simulator  # demo only

    return run_simulator(args)
