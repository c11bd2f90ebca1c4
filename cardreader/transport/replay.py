"""Strict, ordered replay of a recorded APDU exchange.

Each command must equal the next scripted one byte for byte; anything else
fails at once with ``ReplayMismatch`` (an ``AssertionError``, so no protocol
code can mistake it for a card error). ``assert_done()`` fails when part of
the script was never used. Traces are JSON files under ``tests/traces/``::

    {"source": "...", "description": "...", "randoms": {...},
     "exchanges": [{"description": "...", "command": "00A4...", "response": "9000"},
                   {"command": "...", "error": "card_removed"}]}

``error`` replays a transport fault: ``card_removed`` or ``timeout``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardreader.errors import CardRemovedError, CardTimeoutError

TRACES_DIR = Path(__file__).resolve().parents[2] / "tests" / "traces"
_FAULTS = {"card_removed": CardRemovedError, "timeout": CardTimeoutError}


class ReplayMismatch(AssertionError):
    """The terminal sent something the script did not expect (or left script unused)."""


def _hex(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else bytes.fromhex("".join(value.split()))


@dataclass(frozen=True)
class Exchange:
    command: bytes
    response: bytes | None
    error: str | None = None
    description: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Exchange:
        if d.get("error") is not None and d["error"] not in _FAULTS:
            raise ValueError(f"unknown replay fault {d['error']!r}")
        if d.get("response") is None and d.get("error") is None:
            raise ValueError("an exchange needs a response or an error")
        return cls(
            _hex(d["command"]),
            None if d.get("response") is None else _hex(d["response"]),
            d.get("error"),
            d.get("description", ""),
        )


class ReplayTransport:
    def __init__(
        self,
        exchanges: Iterable[Exchange | tuple[str | bytes, ...]],
        *,
        name: str = "trace",
        meta: dict[str, Any] | None = None,
    ):
        self.script: list[Exchange] = [
            e if isinstance(e, Exchange) else Exchange(_hex(e[0]), _hex(e[1])) for e in exchanges
        ]
        self.name = name
        self.meta = meta or {}
        self.sent: list[bytes] = []
        self.closed = False

    @classmethod
    def from_dict(cls, trace: dict[str, Any], name: str = "trace") -> ReplayTransport:
        meta = {k: v for k, v in trace.items() if k != "exchanges"}
        return cls([Exchange.from_dict(e) for e in trace["exchanges"]], name=name, meta=meta)

    @classmethod
    def from_json(cls, path: str | Path) -> ReplayTransport:
        path = Path(path)
        return cls.from_dict(json.loads(path.read_text()), name=path.stem)

    @classmethod
    def from_trace(cls, name: str, directory: str | Path | None = None) -> ReplayTransport:
        """Load ``tests/traces/<name>.json``."""
        return cls.from_json(Path(directory or TRACES_DIR) / f"{name}.json")

    @property
    def remaining(self) -> int:
        return len(self.script) - len(self.sent)

    def transmit(self, apdu: bytes) -> bytes:
        if self.closed:
            raise ReplayMismatch(f"{self.name}: transmit after close")
        i = len(self.sent)
        if i >= len(self.script):
            raise ReplayMismatch(
                f"{self.name}: unexpected extra command #{i}: {apdu.hex().upper()}"
            )
        want = self.script[i]
        if bytes(apdu) != want.command:
            raise ReplayMismatch(
                f"{self.name}: command #{i} ({want.description or 'unnamed'}) differs\n"
                f"  expected {want.command.hex().upper()}\n"
                f"  got      {bytes(apdu).hex().upper()}"
            )
        self.sent.append(bytes(apdu))
        if want.error is not None:
            raise _FAULTS[want.error]()
        assert want.response is not None  # an exchange has a response or an error
        return want.response

    def assert_done(self) -> None:
        if self.remaining:
            nxt = self.script[len(self.sent)]
            raise ReplayMismatch(
                f"{self.name}: {self.remaining} scripted exchange(s) unused, next "
                f"{nxt.description or nxt.command.hex().upper()}"
            )

    def close(self) -> None:
        self.closed = True


def save_trace(path: str | Path, exchanges: list[dict[str, Any]], **meta: Any) -> None:
    """Write a trace (e.g. ``Session.wire_trace()``) with its source and injected randoms.

    Only for synthetic cards: traces must never hold personal data.
    """
    Path(path).write_text(json.dumps({**meta, "exchanges": exchanges}, indent=1) + "\n")
