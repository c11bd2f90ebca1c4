"""Demo mode only (``reader = "simulator"``): the virtual CCCD the kiosk reads.

Its chip photo is a real, detectable face, so the walk-up demo can succeed:
either the person's own photo, taken on the kiosk's "take my photo first" step
(held in memory only, never written, dropped on reset or after ``PHOTO_TTL``),
or else a public-domain portrait shipped in an installed package
(``simulators.demo_face``). The card is signed by the simulator's test PKI, which
only the demo trust store trusts. Never imported outside demo mode.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any

PHOTO_TTL = 300.0  # seconds a person's demo photo may stay in memory without a reset


@lru_cache(maxsize=8)
def demo_dataset(index: int) -> Any:
    """Citizen ``index``'s virtual card, with the public-domain demo portrait when installed."""
    from simulators.dataset import build_dataset
    from simulators.demo_face import demo_photo

    return build_dataset(index, photo=demo_photo())


class DemoPhoto:
    """The person's own photo for the next demo card: one at a time, in memory only."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._photo: bytes | None = None
        self._at = 0.0
        self._clock = clock

    def set(self, photo: bytes) -> None:
        with self._lock:
            self._photo, self._at = photo, self._clock()

    def clear(self) -> None:
        with self._lock:
            self._photo = None

    def get(self) -> bytes | None:
        with self._lock:
            if self._photo is not None and self._clock() - self._at > PHOTO_TTL:
                self._photo = None
            return self._photo


def demo_transport(service: Any) -> Any:
    """The in-process transport to the demo card: the person's photo on it when one was taken."""
    from cardreader.transport.inprocess import InProcessTransport
    from simulators.card import VirtualCCCD
    from simulators.dataset import build_dataset

    index = service.config.simulator_citizen
    photo = demo_photo_store(service).get()
    dataset = build_dataset(index, photo=photo, keep_photo=False) if photo else demo_dataset(index)
    return InProcessTransport(VirtualCCCD(dataset))


def demo_photo_store(service: Any) -> DemoPhoto:
    store = getattr(service, "demo_photo", None)
    if store is None:
        store = service.demo_photo = DemoPhoto()
    return store
