"""Timings of the virtual CCCD (card side): prints figures, asserts nothing.

1. A whole read (cardreader's reader, in process) per PACE domain parameter set.
2. APDU round trips through the vpcd bridge over loopback TCP, against a small
   stand-in for vpcd: mean and p95 per APDU.

Run: .venv/bin/python benchmarks/simcard_bench.py
"""

from __future__ import annotations

import socket
import statistics
import threading
import time

from cardreader.accesskey import CanKey
from cardreader.reader import read_document
from cardreader.transport.inprocess import InProcessTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.vpcd import run_bridge

DOMAINS: list[tuple[str, list[tuple[str, int | None]] | None]] = [
    ("ECDH-GM AES-128 brainpoolP256r1 (CCCD)", None),
    ("ECDH-GM AES-256 brainpoolP512r1", [("0.4.0.127.0.7.2.2.4.2.4", 17)]),
    ("ECDH-GM AES-256 NIST P-521", [("0.4.0.127.0.7.2.2.4.2.4", 18)]),
    ("DH-GM AES-128 RFC 5114 2048/256", [("0.4.0.127.0.7.2.2.4.1.2", 2)]),
    ("ECDH-GM 3DES NIST P-192", [("0.4.0.127.0.7.2.2.4.2.1", 8)]),
]


def bench_reads(runs: int = 5) -> None:
    print("Whole read in process (PACE-CAN, all files, CA, AA):")
    for label, pace in DOMAINS:
        ds = build_dataset(0, pace=pace)
        times = []
        for _ in range(runs):
            card = VirtualCCCD(ds)
            t = time.perf_counter()
            result = read_document(InProcessTransport(card), CanKey(ds.can))
            times.append(time.perf_counter() - t)
            assert result.complete, result.error
        print(
            f"  {label:42s} median {statistics.median(times) * 1000:7.1f} ms  "
            f"(min {min(times) * 1000:.1f}, {card.apdu_count} APDUs)"
        )


def bench_bridge(apdus: int = 500) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    card = VirtualCCCD(build_dataset(0))
    thread = threading.Thread(
        target=run_bridge, args=(card, "127.0.0.1", server.getsockname()[1], stop), daemon=True
    )
    thread.start()
    conn, _ = server.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def exchange(payload: bytes) -> bytes:
        conn.sendall(len(payload).to_bytes(2, "big") + payload)
        head = conn.recv(2, socket.MSG_WAITALL)
        return conn.recv(int.from_bytes(head, "big"), socket.MSG_WAITALL)

    exchange(b"\x04")
    exchange(bytes.fromhex("00A4020C02011C"))
    times = []
    for _ in range(apdus):
        t = time.perf_counter()
        exchange(bytes.fromhex("00B0000010"))
        times.append(time.perf_counter() - t)
    stop.set()
    conn.close()
    server.close()
    thread.join(2)
    times.sort()
    print(
        f"vpcd bridge over loopback, {apdus} READ BINARY round trips: mean "
        f"{statistics.mean(times) * 1000:.3f} ms, p95 {times[int(0.95 * len(times))] * 1000:.3f} ms"
    )


if __name__ == "__main__":
    bench_reads()
    bench_bridge()
