"""Demo mode: the virtual CCCD as the card and the simulator's test CSCA as the trust.

Demo mode is ``reader = "simulator"``. This module is the only place the
service reaches into ``simulators``, and the service imports it only when
demo mode is on (``edge.api.reader_access``, ``edge.api.components``,
``edge.screen``), so a production kiosk with a real reader never loads the
card side. The CLI's demo commands (``cccd-edge simulate``, ``cccd-edge read
--simulator``) use it too.

The demo card's chip photo is a real, detectable face, so a walk-up demo can
succeed: the person's own photo, taken on the kiosk's "take my photo first"
step (held in memory only, never written, dropped on reset or after
``PHOTO_TTL``), or else a public-domain portrait shipped in an installed
package (``simulators.demo_face``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from cardreader.transport.inprocess import InProcessTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.demo_face import demo_photo
from simulators.pki import default_pki
from simulators.portrait import PortraitError, portrait_from_photo

DEMO_READER = "simulator"  # the ``reader`` setting that turns demo mode on
PHOTO_TTL = 300.0  # seconds a person's demo photo may stay in memory without a reset


def is_demo(reader: str) -> bool:
    return reader == DEMO_READER


@lru_cache(maxsize=8)
def demo_dataset(citizen: int) -> Any:
    """Citizen ``citizen``'s virtual card with the public-domain demo portrait (built once per
    process: signing takes a while)."""
    return build_dataset(citizen, photo=demo_photo())


def demo_transport(
    citizen: int, faults: Sequence[str] = (), photo: bytes | None = None
) -> InProcessTransport:
    """A fresh virtual card in this process (its own session state), as a reader transport.

    ``photo``: the person's own picture as the chip photo (signed by the demo PKI, not cached).
    """
    if photo is not None:
        dataset = build_dataset(citizen, photo=photo, keep_photo=False)
    elif faults:
        dataset = build_dataset(citizen, photo=demo_photo())
    else:
        dataset = demo_dataset(citizen)
    return InProcessTransport(VirtualCCCD(dataset, faults=list(faults)))


def demo_trust_store(store_cls: Any) -> Any:
    """An in-memory store that trusts the simulator's published test CSCA, so the demo card
    verifies. Never persisted, never mixed into an operator's store."""
    store = store_cls()
    store.import_bytes(default_pki("ecdsa")[0].der, source="simulator test PKI (demo)")
    return store


def portrait_of(photo: bytes) -> bytes | None:
    """The person's photo as the demo card would carry it; None when it is not an image."""
    try:
        return bytes(portrait_from_photo(photo))
    except PortraitError:
        return None


class DemoPhoto:
    """The person's own photo for the next demo card: one at a time, in memory only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
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
