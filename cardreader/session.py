"""The session: APDU codec over a transport, secure messaging, APDU log, counters.

``transmit(CommandAPDU) -> ResponseAPDU`` wraps and unwraps under secure
messaging when it is active. Each log entry holds the plain exchange, with the
wire exchange as its ``wrapped`` child when secure messaging was on. A
``SecureMessagingError`` (or a transport failure) ends secure messaging: the
card has dropped its keys, so going on would only produce more errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cardreader.apdu import CommandAPDU, ResponseAPDU, is_more_data
from cardreader.errors import CardError, CardRemovedError, CardTimeoutError, MalformedResponseError
from cardreader.result import PhaseTiming, ReadStats
from cardreader.sm import SecureMessaging
from cardreader.transport.base import Transport

log = logging.getLogger(__name__)

# 61xx chains longer than this are a broken card, not a long answer.
MAX_GET_RESPONSE = 64


@dataclass
class ApduLogEntry:
    description: str
    command: bytes
    response: bytes | None
    wrapped: ApduLogEntry | None = None
    ms: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "command": self.command.hex().upper(),
            "response": None if self.response is None else self.response.hex().upper(),
            "ms": round(self.ms, 3),
            "error": self.error,
            "wrapped": None if self.wrapped is None else self.wrapped.to_dict(),
        }


class Session:
    def __init__(
        self,
        transport: Transport,
        *,
        stats: ReadStats | None = None,
        keep_log: bool = True,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.process_time,
    ):
        self.transport = transport
        self.stats = stats if stats is not None else ReadStats()
        self.keep_log = keep_log
        self.log: list[ApduLogEntry] = []
        self.io_ms = 0.0  # time spent waiting on the transport
        self._sm: SecureMessaging | None = None
        self._clock = clock
        self._cpu = cpu_clock
        self._depth = 0

    # -- secure messaging -------------------------------------------------
    @property
    def secure_messaging(self) -> SecureMessaging | None:
        """The active secure-messaging session, or None."""
        return self._sm if self._sm is not None and self._sm.active else None

    def start_secure_messaging(self, sm: SecureMessaging) -> None:
        self._sm = sm

    def end_secure_messaging(self) -> None:
        if self._sm is not None:
            self._sm.close()
        self._sm = None

    # -- exchanges ---------------------------------------------------------
    def transmit(self, cmd: CommandAPDU, description: str = "") -> ResponseAPDU:
        description = description or f"INS {cmd.ins:02X}"
        sm = self.secure_messaging
        t0 = self._clock()
        if sm is None:
            try:
                raw = self._exchange(cmd.to_bytes())
            except CardError as exc:
                self._record(
                    ApduLogEntry(description, cmd.to_bytes(), None, ms=self._ms(t0), error=exc.code)
                )
                raise
            self._record(ApduLogEntry(description, cmd.to_bytes(), raw, ms=self._ms(t0)))
            return ResponseAPDU.from_bytes(raw)
        wrapped = sm.wrap(cmd)
        wire = ApduLogEntry(description, wrapped.to_bytes(), None)
        entry = ApduLogEntry(description, cmd.to_bytes(), None, wrapped=wire)
        try:
            raw = self._exchange(wrapped.to_bytes())
            wire.response = raw
            plain = sm.unwrap(ResponseAPDU.from_bytes(raw))
        except CardError as exc:
            # The SSCs no longer agree (or the card dropped its keys): SM is over.
            self.end_secure_messaging()
            entry.error = exc.code
            entry.ms = self._ms(t0)
            self._record(entry)
            log.info("secure messaging ended: %s (INS %02X)", exc.code, cmd.ins)
            raise
        entry.response = plain.to_bytes()
        entry.ms = wire.ms = self._ms(t0)
        self._record(entry)
        return plain

    def _exchange(self, raw: bytes) -> bytes:
        """One command on the wire, with its 61xx GET RESPONSE follow-ups; counted."""
        resp = self._wire(raw)
        data = b""
        for _ in range(MAX_GET_RESPONSE):
            if not is_more_data(int.from_bytes(resp[-2:], "big")):
                return data + resp
            data += resp[:-2]
            resp = self._wire(bytes((0x00, 0xC0, 0x00, 0x00, resp[-1])))
        raise CardError("The card kept announcing more data without end.", step="get_response")

    def _wire(self, raw: bytes) -> bytes:
        t0 = self._clock()
        try:
            resp = self.transport.transmit(raw)
        except CardError:
            raise
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise CardRemovedError() from exc
        except TimeoutError as exc:
            raise CardTimeoutError() from exc
        except OSError as exc:
            raise CardError("Communication with the card reader failed.") from exc
        finally:
            self.io_ms += self._ms(t0)
        self.stats.apdus += 1
        self.stats.bytes_sent += len(raw)
        if resp is None or len(resp) < 2:
            # No status word. The session knows no step or file: the file reader and the reader
            # attach where they were (files.FileReader._transmit, reader._located).
            raise MalformedResponseError()
        self.stats.bytes_received += len(resp)
        log.debug("apdu INS %02X -> SW %s", raw[1], resp[-2:].hex().upper())
        return bytes(resp)

    def _ms(self, t0: float) -> float:
        return (self._clock() - t0) * 1000.0

    def _record(self, entry: ApduLogEntry) -> None:
        if self.keep_log:
            self.log.append(entry)

    def wire_trace(self) -> list[dict[str, Any]]:
        """The exchanges as sent on the wire, in the replay transport's JSON form."""
        out = []
        for e in self.log:
            w = e.wrapped or e
            item: dict[str, Any] = {
                "description": e.description,
                "command": w.command.hex().upper(),
            }
            if w.response is not None:
                item["response"] = w.response.hex().upper()
            else:
                item["error"] = e.error
            out.append(item)
        return out

    # -- phases ------------------------------------------------------------
    @contextmanager
    def phase(self, name: str | Enum) -> Iterator[PhaseTiming]:
        """Accumulate wall time, CPU time and APDUs of a block into ``stats.phases[name]``.

        The wall time of outermost phases is also added to ``stats.wall_ms``.
        """
        key = name.value if isinstance(name, Enum) else str(name)
        timing = self.stats.phases.setdefault(key, PhaseTiming())
        w0, c0, a0 = self._clock(), self._cpu(), self.stats.apdus
        self._depth += 1
        try:
            yield timing
        finally:
            self._depth -= 1
            wall = (self._clock() - w0) * 1000.0
            timing.wall_ms += wall
            timing.cpu_ms += (self._cpu() - c0) * 1000.0
            timing.apdus += self.stats.apdus - a0
            if self._depth == 0:
                self.stats.wall_ms += wall

    def close(self) -> None:
        self.end_secure_messaging()
        self.transport.close()
