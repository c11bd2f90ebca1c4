"""PC/SC transport through pyscard (pcsc-lite on Linux, WinSCard elsewhere).

Every wait has a timeout: waiting for a card uses ``SCardGetStatusChange``
with a deadline; ``SCardTransmit`` itself has none in PC/SC, so it runs on one
worker thread and the caller gives up after ``apdu_timeout_s``. A card taken
away shows up as a status code (removed, reset, not transacted...); those
become ``CardRemovedError`` once the reader confirms the slot is empty.

A card swapped between connect and the first command (one person leaves, the next arrives)
leaves the handle pointing at a card that is gone or was reset: the first exchange then fails
with a removed/reset/unpowered code. Only then the transport reconnects, once, to whatever card
is in the reader and sends the command again; later failures mean the card left mid-read.
"""

from __future__ import annotations

import concurrent.futures
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cardreader.errors import (
    CardError,
    CardRemovedError,
    CardTimeoutError,
    NoCardError,
    NoReaderError,
)

try:  # pyscard is a dependency, but keep the import error a plain sentence.
    from smartcard import scard as _scard
except ImportError:  # pragma: no cover - exercised only without pyscard
    _scard = None

# Status codes meaning the card is gone (or was reset by someone else).
_REMOVED = {0x80100069, 0x8010000C, 0x80100068, 0x80100067, 0x80100066}
# Codes meaning the reader or the service is gone.
_NO_READER = {0x80100017, 0x8010001D, 0x8010001E, 0x8010002E, 0x80100009}
# Codes after which the card may or may not still be there: ask the reader.
_AMBIGUOUS = {0x80100016, 0x80100013, 0x80100003, 0x8010000F}

_POLL_S = 0.25  # slice of each SCardGetStatusChange wait, so deadlines are kept
REMOVAL_SETTLE_S = 1.5
# How long a reconnect before the first APDU waits for the next card to be reported present.
RECONNECT_WAIT_S = 3.0
# The clock deadlines are kept by; tests put a fake one here (its time moves with the waits).
monotonic = time.monotonic


@dataclass(frozen=True)
class ReaderInfo:
    name: str
    card_present: bool
    atr: bytes | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "card_present": self.card_present,
            "atr": self.atr.hex().upper() if self.atr else None,
        }


def _require_pyscard() -> None:
    if _scard is None:
        raise NoReaderError("PC/SC support (pyscard) is not installed.")


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a pyscard function; its wrapper can raise instead of returning a code."""
    try:
        return fn(*args)
    except Exception as exc:  # SystemError on a stale handle, TypeError on bad lists...
        raise CardError(f"The card reader service failed: {type(exc).__name__}.") from exc


class _Context:
    """One PC/SC context; released in ``close``."""

    def __init__(self) -> None:
        _require_pyscard()
        hresult, self.handle = _call(_scard.SCardEstablishContext, _scard.SCARD_SCOPE_USER)
        if hresult != _scard.SCARD_S_SUCCESS:
            raise NoReaderError("The smart-card service (pcscd) is not running.")

    def readers(self) -> list[str]:
        hresult, names = _call(_scard.SCardListReaders, self.handle, [])
        if hresult == _scard.SCARD_E_NO_READERS_AVAILABLE or (hresult == 0 and not names):
            return []
        if hresult != _scard.SCARD_S_SUCCESS:
            raise NoReaderError(
                f"The card readers could not be listed ({_scard.SCardGetErrorMessage(hresult)})."
            )
        return list(names)

    def states(
        self, names: list[str], timeout_ms: int = 0, known: dict[str, int] | None = None
    ) -> dict[str, tuple[int, bytes]]:
        """Reader name -> (event state, ATR).

        Waits up to ``timeout_ms`` for a change from ``known``.
        """
        request = [(n, (known or {}).get(n, _scard.SCARD_STATE_UNAWARE)) for n in names]
        hresult, out = _call(_scard.SCardGetStatusChange, self.handle, timeout_ms, request)
        if hresult == _scard.SCARD_E_TIMEOUT:
            return {n: ((known or {}).get(n, 0), b"") for n in names}
        if hresult in _NO_READER:
            raise NoReaderError("The card reader was disconnected.")
        if hresult != _scard.SCARD_S_SUCCESS:
            raise CardError(
                f"The card reader could not be queried ({_scard.SCardGetErrorMessage(hresult)})."
            )
        return {name: (state & ~_scard.SCARD_STATE_CHANGED, bytes(atr)) for name, state, atr in out}

    def close(self) -> None:
        try:
            _scard.SCardReleaseContext(self.handle)
        except Exception:  # releasing a dead context must not mask the real error
            pass


def _wait_ms(remaining_s: float) -> int:
    """One wait slice in whole milliseconds, rounded up so the last slice reaches the deadline
    (truncating would leave a sub-millisecond remainder polled with 0 ms waits)."""
    if remaining_s <= 0:
        return 0
    return max(1, math.ceil(min(_POLL_S, remaining_s) * 1000))


def _present(state: int) -> bool:
    return bool(state & _scard.SCARD_STATE_PRESENT) and not state & _scard.SCARD_STATE_MUTE


def list_readers() -> list[ReaderInfo]:
    """Every PC/SC reader, whether a card is in it, and the card's ATR."""
    ctx = _Context()
    try:
        names = ctx.readers()
        if not names:
            return []
        states = ctx.states(names)
        return [ReaderInfo(n, _present(states[n][0]), states[n][1] or None) for n in names]
    finally:
        ctx.close()


def _match(names: list[str], wanted: str | None) -> list[str]:
    if wanted is None:
        return names
    exact = [n for n in names if n == wanted]
    return exact or [n for n in names if wanted.lower() in n.lower()]


class PcscTransport:
    """A connected card in a PC/SC reader. Build it with ``PcscTransport.connect``."""

    def __init__(
        self,
        ctx: _Context,
        reader: str,
        card_handle: int,
        protocol: int,
        atr: bytes,
        apdu_timeout_s: float,
    ) -> None:
        self._ctx = ctx
        self.reader = reader
        self._card = card_handle
        self._protocol = protocol
        self.atr = atr
        self.apdu_timeout_s = apdu_timeout_s
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pcsc")
        self._stuck = False
        self._closed = False
        self._exchanged = False  # a first exchange succeeded: no reconnect after that
        self.reconnects = 0

    @staticmethod
    def _connect_handle(ctx: _Context, name: str) -> tuple[int, int, int]:
        """SCardConnect shared, T=0 or T=1: (hresult, handle, protocol)."""
        answer: tuple[int, int, int] = _call(
            _scard.SCardConnect,
            ctx.handle,
            name,
            _scard.SCARD_SHARE_SHARED,
            _scard.SCARD_PROTOCOL_T0 | _scard.SCARD_PROTOCOL_T1,
        )
        return answer

    @classmethod
    def connect(
        cls, reader: str | None = None, *, wait_s: float = 30.0, apdu_timeout_s: float = 10.0
    ) -> PcscTransport:
        """Wait up to ``wait_s`` for a card in ``reader`` (exact name or a part of it; any reader
        when None), then connect to it."""
        ctx = _Context()
        try:
            name, atr = cls._wait_for_card(ctx, reader, wait_s)
            hresult, handle, protocol = cls._connect_handle(ctx, name)
            if hresult in _REMOVED:
                raise CardRemovedError(step="connect")
            if hresult in _NO_READER:
                raise NoReaderError(step="connect")
            if hresult != _scard.SCARD_S_SUCCESS:
                raise CardError(
                    f"The card could not be connected ({_scard.SCardGetErrorMessage(hresult)}).",
                    step="connect",
                )
            return cls(ctx, name, handle, protocol, atr, apdu_timeout_s)
        except BaseException:
            ctx.close()
            raise

    @staticmethod
    def _wait_for_card(ctx: _Context, reader: str | None, wait_s: float) -> tuple[str, bytes]:
        deadline = monotonic() + max(wait_s, 0.0)
        known: dict[str, int] = {}
        while True:
            names = _match(ctx.readers(), reader)
            if not names:
                if reader is None:
                    raise NoReaderError()
                raise NoReaderError(f"No card reader named {reader!r} is connected.")
            remaining = deadline - monotonic()
            states = ctx.states(names, _wait_ms(remaining), known)
            for name in names:
                state, atr = states[name]
                known[name] = state
                if _present(state):
                    if not atr:  # a timed-out wait returns no ATR: ask once more
                        atr = ctx.states([name])[name][1]
                    return name, atr
            if monotonic() >= deadline:
                raise NoCardError(step="connect")

    def transmit(self, apdu: bytes) -> bytes:
        if self._closed:
            raise CardError("The card connection is closed.")
        if self._stuck:
            raise CardTimeoutError()
        try:
            response = self._exchange(apdu)
        except CardRemovedError:
            if self._exchanged or self.reconnects or not self._reconnect():
                raise
            response = self._exchange(apdu)
        self._exchanged = True
        return response

    def _exchange(self, apdu: bytes) -> bytes:
        future = self._pool.submit(
            _call, _scard.SCardTransmit, self._card, self._protocol, list(apdu)
        )
        try:
            hresult, response = future.result(timeout=self.apdu_timeout_s)
        except concurrent.futures.TimeoutError:
            # The call cannot be cancelled; the worker stays blocked until pcscd gives up.
            self._stuck = True
            raise CardTimeoutError() from None
        if hresult == _scard.SCARD_S_SUCCESS:
            if len(response) < 2 and not self.card_present():
                # vpcd (and some readers) report an empty answer when the card leaves mid-command.
                raise CardRemovedError()
            return bytes(response)
        raise self._error_for(hresult)

    def _reconnect(self) -> bool:
        """Drop the stale handle and connect to the card now in the reader (the next person's).

        pcscd may still report the old card for a moment (vpcd is polled every 400 ms), so a
        connect answered "no card"/"removed" is retried until ``RECONNECT_WAIT_S`` runs out.
        """
        self.reconnects += 1
        try:
            self._pool.submit(_scard.SCardDisconnect, self._card, _scard.SCARD_LEAVE_CARD).result(
                timeout=self.apdu_timeout_s
            )
        except Exception:  # the old handle is stale by definition; dropping it must not raise
            pass
        deadline = monotonic() + RECONNECT_WAIT_S
        known: dict[str, int] = {}
        while monotonic() < deadline:
            state, atr = self._ctx.states([self.reader], _wait_ms(deadline - monotonic()), known)[
                self.reader
            ]
            known[self.reader] = state
            if not _present(state):
                continue
            hresult, handle, protocol = self._connect_handle(self._ctx, self.reader)
            if hresult == _scard.SCARD_S_SUCCESS:
                self._card, self._protocol = handle, protocol
                self.atr = atr or self._ctx.states([self.reader])[self.reader][1] or self.atr
                return True
            if hresult not in _REMOVED:
                return False
        return False

    def _error_for(self, hresult: int) -> CardError:
        if hresult in _REMOVED:
            return CardRemovedError()
        if hresult in _NO_READER:
            return NoReaderError("The card reader was disconnected.")
        if hresult in _AMBIGUOUS and not self.card_present():
            return CardRemovedError()
        return CardError(
            f"The reader could not exchange data with the card "
            f"({_scard.SCardGetErrorMessage(hresult)})."
        )

    def card_present(self, settle_s: float | None = None) -> bool:
        """Is a card still in the reader? pcscd polls some readers (vpcd: every 400 ms), so a
        failed exchange is given ``settle_s`` for the reader to report the slot empty."""
        deadline = monotonic() + (REMOVAL_SETTLE_S if settle_s is None else settle_s)
        try:
            state, _ = self._ctx.states([self.reader], 0)[self.reader]
            while _present(state):
                remaining = deadline - monotonic()
                if remaining <= 0:
                    return True
                state, _ = self._ctx.states(
                    [self.reader], _wait_ms(remaining), {self.reader: state}
                )[self.reader]
            return False
        except CardError:
            return False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._stuck:
            try:
                # Reset: the chip forgets its session keys, so the next read starts clean.
                self._pool.submit(
                    _scard.SCardDisconnect, self._card, _scard.SCARD_RESET_CARD
                ).result(timeout=self.apdu_timeout_s)
            except Exception:  # the card may already be gone; closing must not raise
                pass
        self._pool.shutdown(wait=False)
        self._ctx.close()

    def __enter__(self) -> PcscTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
