"""A private pcscd (vpcd driver, free port, own socket) per test module, and virtual cards in it."""

from __future__ import annotations

import pytest

from tests.support.pcscd import PrivatePcscd
from tests.support.vicc import VirtualCardProcess


@pytest.fixture(scope="module")
def pcscd():
    daemon = PrivatePcscd().start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def insert_card(pcscd):
    """``insert_card(citizen=0, faults=[...], dataset={...})`` -> a card in
    ``pcscd.reader_name``."""
    started: list[VirtualCardProcess] = []

    def insert(**kw) -> VirtualCardProcess:
        for card in started:  # one card per reader: take the previous one out first
            card.stop()
        if pcscd.card_present():
            pcscd.wait_card(False)
        card = VirtualCardProcess(pcscd, **kw).start()
        started.append(card)
        return card

    yield insert
    for card in started:
        card.stop()
    pcscd.wait_card(False)
