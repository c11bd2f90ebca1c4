"""In-process transport: APDUs go straight to a card object in this process.

The card is anything with ``process_apdu(bytes) -> bytes`` (and optionally
``power_on() -> ATR``, ``power_off()``, ``atr``): the virtual CCCD of
``simulators``, which this module never imports so that the terminal side
stays independent of the card side. A card that raises the builtin
``ConnectionResetError`` has been "taken away": that is ``CardRemovedError``.
"""

from __future__ import annotations

from typing import Any

from cardreader.errors import CardError, CardRemovedError


class InProcessTransport:
    def __init__(self, card: Any, *, power_on: bool = True) -> None:
        if not callable(getattr(card, "process_apdu", None)):
            raise TypeError("the card object must offer process_apdu(bytes) -> bytes")
        self.card = card
        self.reader = "in-process"
        self._removed = False
        self._closed = False
        try:
            if power_on and callable(getattr(card, "power_on", None)):
                self.atr = bytes(card.power_on())
            else:
                self.atr = bytes(getattr(card, "atr", b"") or b"")
        except ConnectionResetError:
            raise CardRemovedError(step="connect") from None

    def transmit(self, apdu: bytes) -> bytes:
        if self._closed:
            raise CardError("The card connection is closed.")
        if self._removed:
            raise CardRemovedError()
        try:
            response = self.card.process_apdu(bytes(apdu))
        except ConnectionResetError:
            self._removed = True
            raise CardRemovedError() from None
        return bytes(response)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._removed and callable(getattr(self.card, "power_off", None)):
            try:
                self.card.power_off()
            except ConnectionResetError:
                pass

    def __enter__(self) -> InProcessTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
