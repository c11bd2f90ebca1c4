"""Demo mode: the virtual CCCD as the card and the simulator's test CSCA as the trust.

Demo mode is ``reader = "simulator"``. This module is the only place the
service reaches into ``simulators``, and the service imports it only when
demo mode is on (``edge.api.reader_access``, ``edge.api.components``), so a
production kiosk with a real reader never loads the card side. The CLI's
demo commands (``cccd-edge simulate``, ``cccd-edge read --simulator``) use
it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cardreader.transport.inprocess import InProcessTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.pki import default_pki

DEMO_READER = "simulator"  # the ``reader`` setting that turns demo mode on


def is_demo(reader: str) -> bool:
    return reader == DEMO_READER


@lru_cache(maxsize=8)
def demo_dataset(citizen: int) -> Any:
    """The synthetic citizen's card data (built once per process: signing takes a while)."""
    return build_dataset(citizen)


def demo_transport(citizen: int, faults: Sequence[str] = ()) -> InProcessTransport:
    """A fresh virtual card in this process (its own session state), as a reader transport."""
    dataset = build_dataset(citizen) if faults else demo_dataset(citizen)
    return InProcessTransport(VirtualCCCD(dataset, faults=list(faults)))


def demo_trust_store(store_cls: Any) -> Any:
    """An in-memory store that trusts the simulator's published test CSCA, so the demo card
    verifies. Never persisted, never mixed into an operator's store."""
    store = store_cls()
    store.import_bytes(default_pki("ecdsa")[0].der, source="simulator test PKI (demo)")
    return store
