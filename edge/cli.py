"""The ``cccd-edge`` command line.

Sub-commands live in ``edge.commands``, one module each, so each protocol or
feature owns its own command. Errors a user can meet are printed as one plain
sentence with exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import edge.commands
from cardreader.errors import CardError


class UsageError(Exception):
    """A command was given arguments it cannot use; the message says why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cccd-edge",
        description="Read and verify Vietnamese chip ID cards (CCCD) and serve the results to "
        "local systems.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(edge.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"edge.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CardError, UsageError) as exc:
        print(f"cccd-edge: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cccd-edge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error worth a traceback.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    # Run through the imported module, not __main__, so the commands' ``UsageError``
    # (imported from edge.cli) is the class caught above.
    from edge.cli import main as _main

    sys.exit(_main())
