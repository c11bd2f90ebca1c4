"""The transport: bytes in, bytes out; nothing else.

``transmit`` takes a whole command APDU and returns the whole response APDU
(data followed by SW1 SW2). Implementations raise ``CardRemovedError``,
``CardTimeoutError`` or ``NoReaderError`` from ``cardreader.errors`` and
never hang: every wait on the card has a timeout.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Transport(Protocol):
    def transmit(self, apdu: bytes) -> bytes: ...

    def close(self) -> None: ...
