"""Whole reads through pcscd + vpcd with the virtual CCCD (card side timing).

Starts a private pcscd (tests/support/pcscd.py), attaches the virtual card with
``simulators.vpcd.run_bridge`` in a thread, and reads it with the PC/SC
transport: once with TCP_QUICKACK re-armed after every receive (the default),
once without, to show what the delayed-ACK stall costs. Prints figures only.

Run: PYTHONPATH=. .venv/bin/python benchmarks/simcard_pcsc_bench.py
"""

from __future__ import annotations

import statistics
import threading
import time

from cardreader.accesskey import CanKey
from cardreader.reader import read_document
from cardreader.transport.pcsc import PcscTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.vpcd import run_bridge
from tests.support.pcscd import PrivatePcscd


def measure(pcscd: PrivatePcscd, quickack: bool, runs: int = 3) -> None:
    ds = build_dataset(0)
    card = VirtualCCCD(ds)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_bridge,
        args=(card, "127.0.0.1", pcscd.port, stop),
        kwargs={"quickack": quickack},
        daemon=True,
    )
    thread.start()
    pcscd.wait_card(True, 20)
    times, apdus = [], 0
    for _ in range(runs):
        transport = PcscTransport.connect(pcscd.reader_name, wait_s=10)
        before = card.apdu_count
        t = time.perf_counter()
        result = read_document(transport, CanKey(ds.can))
        times.append(time.perf_counter() - t)
        apdus = card.apdu_count - before
        transport.close()
        assert result.complete, result.error
    stop.set()
    thread.join(5)
    pcscd.wait_card(False, 20)
    best = min(times)
    print(
        f"  quickack={'on ' if quickack else 'off'}  read median "
        f"{statistics.median(times) * 1000:7.1f} ms, "
        f"best {best * 1000:.1f} ms, {apdus} APDUs, {best / apdus * 1000:.2f} ms per APDU (best "
        "run)"
    )


if __name__ == "__main__":
    print("Whole read (PACE-CAN, all files, CA, AA) through pcscd + vpcd:")
    with PrivatePcscd() as pcscd:
        measure(pcscd, True)
        measure(pcscd, False)
