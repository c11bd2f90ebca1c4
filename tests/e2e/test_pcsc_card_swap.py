"""A card swapped between connect and the first APDU, through pyscard -> pcscd -> vpcd.

A kiosk connects while one person leaves and the next arrives: the handle then points at a card
that was removed (or reset) before anything was sent. The transport reconnects once and reads
the new card; a card that leaves in the middle of a read still ends as removed.
"""

from __future__ import annotations

import pytest

from cardreader.accesskey import CanKey
from cardreader.errors import CardRemovedError
from cardreader.reader import Reader
from cardreader.transport.pcsc import PcscTransport
from simulators.dataset import build_dataset
from tests.support.vicc import VirtualCardProcess

pytestmark = pytest.mark.pcsc

SELECT_EMRTD = bytes.fromhex("00A4040C07A0000002471001")


def swap_card(pcscd, card: VirtualCardProcess, **kw) -> VirtualCardProcess:
    """Restart the virtual card process: the old card leaves, a new one arrives."""
    card.stop()
    pcscd.wait_card(False)
    return VirtualCardProcess(pcscd, **kw).start()


def test_card_swapped_before_the_first_apdu_is_reconnected_and_read(pcscd, insert_card):
    ds = build_dataset(1)
    card = insert_card(citizen=0)
    transport = PcscTransport.connect(pcscd.reader_name, wait_s=5, apdu_timeout_s=5)
    new_card = swap_card(pcscd, card, citizen=1)
    try:
        result = Reader(transport, CanKey(ds.can)).read()
        assert result.complete, result.error
        assert transport.reconnects == 1
        assert result.files["DG1"] == ds.files[0x0101]  # the new card's data, not the old one's
    finally:
        transport.close()
        new_card.stop()


def test_a_plain_apdu_after_the_swap_is_answered(pcscd, insert_card):
    card = insert_card(citizen=0)
    transport = PcscTransport.connect(pcscd.reader_name, wait_s=5, apdu_timeout_s=5)
    new_card = swap_card(pcscd, card, citizen=0)
    try:
        assert transport.transmit(SELECT_EMRTD)[-2:] == b"\x90\x00"
        assert transport.reconnects == 1
    finally:
        transport.close()
        new_card.stop()


def test_card_gone_before_the_first_apdu_is_removed(pcscd, insert_card):
    card = insert_card(citizen=0)
    transport = PcscTransport.connect(pcscd.reader_name, wait_s=5, apdu_timeout_s=5)
    card.stop()
    pcscd.wait_card(False)
    try:
        with pytest.raises(CardRemovedError):
            transport.transmit(SELECT_EMRTD)
    finally:
        transport.close()


def test_card_swapped_mid_read_is_removed_not_retried(pcscd, insert_card):
    card = insert_card(citizen=0)
    transport = PcscTransport.connect(pcscd.reader_name, wait_s=5, apdu_timeout_s=5)
    try:
        assert transport.transmit(SELECT_EMRTD)[-2:] == b"\x90\x00"
        new_card = swap_card(pcscd, card, citizen=0)
        try:
            with pytest.raises(CardRemovedError):
                transport.transmit(SELECT_EMRTD)
            assert transport.reconnects == 0
        finally:
            new_card.stop()
    finally:
        transport.close()
