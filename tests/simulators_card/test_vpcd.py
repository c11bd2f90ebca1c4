"""The vpcd bridge against a small local TCP server standing in for vpcd (real sockets)."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from simulators.card import VirtualCCCD
from simulators.vpcd import run_bridge

from .helpers import make_dataset

pytestmark = pytest.mark.timeout(20)


def send(conn: socket.socket, payload: bytes) -> None:
    conn.sendall(len(payload).to_bytes(2, "big") + payload)


def recv(conn: socket.socket) -> bytes:
    def exact(n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    return exact(int.from_bytes(exact(2), "big"))


@pytest.fixture
def vpcd_server():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    yield server
    server.close()


def start_bridge(card, server, **options):
    stop = threading.Event()
    result: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: result.update(
            stats=run_bridge(card, "127.0.0.1", server.getsockname()[1], stop, **options)
        ),
        daemon=True,
    )
    thread.start()
    return stop, thread, result


def test_controls_apdus_and_removal(vpcd_server):
    card = VirtualCCCD(make_dataset(card_access=b"\x31\x00"), faults=["remove-after:2"])
    stop, thread, result = start_bridge(card, vpcd_server, removal_pause=0.05)
    conn, _ = vpcd_server.accept()
    conn.settimeout(5)
    with conn:
        send(conn, b"\x01")  # power on: no answer
        send(conn, b"\x04")  # get ATR
        assert recv(conn) == card.atr
        send(conn, bytes.fromhex("00A4000C023F00"))
        assert recv(conn) == bytes.fromhex("6D00")
        send(conn, bytes.fromhex("00A4020C02011C"))
        assert recv(conn) == bytes.fromhex("9000")
        send(conn, bytes.fromhex("00B0000002"))  # third APDU: the card leaves
        with pytest.raises(EOFError):
            recv(conn)
    # The bridge comes back: the card is presented again after power on.
    conn2, _ = vpcd_server.accept()
    conn2.settimeout(5)
    with conn2:
        send(conn2, b"\x01")
        send(conn2, b"\x04")
        assert recv(conn2) == card.atr
        send(conn2, bytes.fromhex("00A4020C02011C"))
        assert recv(conn2) == bytes.fromhex("9000")
        send(conn2, bytes.fromhex("00A4040C07A0000002471001"))
        assert recv(conn2) == bytes.fromhex("9000")
        send(conn2, b"\x02")  # reset: no answer, state gone
        send(conn2, b"\x00")  # power off: no answer
        send(conn2, b"\x04")
        assert recv(conn2) == card.atr
        assert not card.fs.app_selected
        stop.set()
    thread.join(5)
    assert not thread.is_alive()
    stats = result["stats"]
    assert stats.connections == 2 and stats.removals == 1
    assert stats.apdus == 5 and stats.controls == 7


def test_bridge_reconnects_when_vpcd_closes(vpcd_server):
    card = VirtualCCCD(make_dataset())
    stop, thread, result = start_bridge(card, vpcd_server)
    conn, _peer = vpcd_server.accept()
    conn.close()  # vpcd went away
    conn2, _ = vpcd_server.accept()
    with conn2:
        conn2.settimeout(5)
        send(conn2, b"\x04")
        assert recv(conn2) == card.atr
        stop.set()
    thread.join(5)
    assert not thread.is_alive() and result["stats"].connections == 2


def test_bridge_retries_until_vpcd_listens_and_stops_on_request():
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port now
    card = VirtualCCCD(make_dataset())
    stop = threading.Event()
    thread = threading.Thread(target=run_bridge, args=(card, "127.0.0.1", port, stop), daemon=True)
    thread.start()
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(10)
    with server:
        conn, _ = server.accept()  # the retry loop found us
        with conn:
            conn.settimeout(5)
            send(conn, b"\x04")
            assert recv(conn) == card.atr
            stop.set()
    thread.join(5)
    assert not thread.is_alive()
