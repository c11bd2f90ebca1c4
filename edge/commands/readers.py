"""``cccd-edge readers``: list the PC/SC readers and whether a card is in each."""

from __future__ import annotations

import json

from cardreader.transport.pcsc import list_readers


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "readers", help="list PC/SC card readers and whether a card is present"
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    readers = list_readers()  # NoReaderError (pcscd not running) -> exit 2 in edge.cli
    if args.json:
        print(json.dumps([r.to_dict() for r in readers], indent=2))
        return 0 if readers else 1
    if not readers:
        print("No card reader is connected.")
        return 1
    for r in readers:
        state = (
            f"card present (ATR {r.atr.hex().upper()})"
            if r.card_present and r.atr
            else "card present"
            if r.card_present
            else "no card"
        )
        print(f"{r.name}: {state}")
    return 0
