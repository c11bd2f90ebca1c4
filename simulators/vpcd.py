"""Bridge a virtual card to vsmartcard's vpcd (the virtual reader loaded by pcscd).

vpcd listens (default localhost:35963); the card side connects as a client.
Every message is a 2-byte big-endian length and a payload. A 1-byte payload is
a control: 0 power off, 1 power on, 2 reset, 4 get ATR (answered with the ATR);
anything longer is a command APDU, answered with the response APDU.

When the card leaves the field (``ConnectionResetError`` from ``process_apdu``)
the socket is closed so pcscd sees the card removed; the loop then reconnects
with backoff, which pcscd sees as the card presented again.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.card import VirtualCCCD

log = logging.getLogger("simulators.vpcd")

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 35963
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
POLL_SECONDS = 0.2  # how often a blocked receive looks at the stop event


@dataclass
class BridgeStats:
    connections: int = 0
    apdus: int = 0
    controls: int = 0
    removals: int = 0


class _Closed(Exception):
    """vpcd closed the connection, or we were asked to stop."""


def _quickack(sock: socket.socket) -> None:
    # Linux clears TCP_QUICKACK after use: re-arm it after every receive, or each
    # answer waits for the peer's delayed ACK (about 40-50 ms per APDU).
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


def _recv_exact(sock: socket.socket, n: int, stop: threading.Event, quickack: bool = True) -> bytes:
    buf = b""
    while len(buf) < n:
        if stop.is_set():
            raise _Closed("stop requested")
        try:
            chunk = sock.recv(n - len(buf))
        except TimeoutError:
            continue
        if not chunk:
            raise _Closed("vpcd closed the connection")
        if quickack:
            _quickack(sock)
        buf += chunk
    return buf


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


def serve_connection(
    card: VirtualCCCD,
    sock: socket.socket,
    stop: threading.Event,
    stats: BridgeStats,
    *,
    quickack: bool = True,
) -> bool:
    """Serve one vpcd connection; returns True when the card was removed."""
    while True:
        size = int.from_bytes(_recv_exact(sock, 2, stop, quickack), "big")
        payload = _recv_exact(sock, size, stop, quickack) if size else b""
        if len(payload) == 1:
            stats.controls += 1
            control = payload[0]
            if control == CTRL_OFF:
                card.power_off()
            elif control == CTRL_ON:
                card.power_on()
            elif control == CTRL_RESET:
                card.reset()
            elif control == CTRL_ATR:
                _send(sock, card.atr)
            else:
                log.warning("unknown vpcd control byte %02X ignored", control)
            continue
        stats.apdus += 1
        try:
            response = card.process_apdu(payload)
        except ConnectionResetError:
            stats.removals += 1
            log.info("card left the field: closing the vpcd connection")
            return True
        _send(sock, response)


def run_bridge(
    card: VirtualCCCD,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    stop_event: threading.Event | None = None,
    *,
    connect_timeout: float = 3.0,
    max_backoff: float = 5.0,
    max_connections: int | None = None,
    removal_pause: float = 1.0,
    quickack: bool = True,
) -> BridgeStats:
    """Keep ``card`` attached to vpcd at host:port until ``stop_event`` is set
    (or SIGTERM/SIGINT when called from the main thread without an event).
    ``quickack=False`` leaves delayed ACKs on (only to measure what re-arming saves)."""
    stats = BridgeStats()
    stop = stop_event or threading.Event()
    restore = {}
    if stop_event is None and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            restore[sig] = signal.signal(sig, lambda *_: stop.set())
    backoff = 0.1
    try:
        while not stop.is_set():
            if max_connections is not None and stats.connections >= max_connections:
                break
            try:
                sock = socket.create_connection((host, port), timeout=connect_timeout)
            except OSError as exc:
                log.info(
                    "vpcd at %s:%s not reachable (%s); retrying in %.1f s", host, port, exc, backoff
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff)
                continue
            stats.connections += 1
            backoff = 0.1
            removed = False
            with sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if quickack:
                    _quickack(sock)
                sock.settimeout(POLL_SECONDS)
                try:
                    removed = serve_connection(card, sock, stop, stats, quickack=quickack)
                except _Closed as exc:
                    log.info("vpcd connection ended: %s", exc)
                except OSError as exc:
                    log.info("vpcd connection lost: %s", exc)
            # A removed card stays out of the field for a moment; a dropped connection
            # is retried after a short pause so a flapping vpcd cannot spin us.
            stop.wait(removal_pause if removed else 0.1)
    finally:
        for sig, handler in restore.items():
            signal.signal(sig, handler)
    return stats
