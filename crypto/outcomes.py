"""What the reader's Chip and Active Authentication runs produced: the input of their verdicts.

Defined here, below the reader, because both layers need them: ``cardreader``
fills them during a read (``cardreader.result`` re-exports them) and
``crypto.chip_auth`` / ``crypto.active_auth`` judge them. ``error`` is any typed
error with a ``code`` and a ``message`` (the reader puts its ``CardError`` there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class TypedError(Protocol):
    """What a verdict reads from an error: its stable code and its plain sentence."""

    code: str
    message: str


@dataclass
class ChipAuthOutcome:
    """Chip Authentication as run on the card (verification against DG14/SOD is crypto's job)."""

    performed: bool = False
    established: bool = False  # new secure messaging works with the CA session keys
    protocol_oid: str | None = None
    key_id: int | None = None
    error: TypedError | None = None


@dataclass
class ActiveAuthOutcome:
    """Active Authentication's raw exchange: the challenge sent and the chip's signature."""

    performed: bool = False
    challenge: bytes | None = None
    signature: bytes | None = None
    error: TypedError | None = None
