"""Each fault of simulators.faults, seen from the terminal's side of the card."""

from __future__ import annotations

import pytest

from simulators.card import VirtualCCCD
from simulators.card.atr import supports_extended_length
from simulators.faults import FaultConfig, FaultError, parse_fault

from .conftest import pace_card
from .helpers import ScriptedRng, make_dataset

h = bytes.fromhex
SELECT_APP = (0x00, 0xA4, 0x04, 0x0C, h("A0000002471001"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("remove-after:3", ("remove-after", 3)),
        ("slow:250", ("slow", 250)),
        ("bad-response-mac", ("bad-response-mac", None)),
        ("bad-response-mac:4", ("bad-response-mac", 4)),
        (" CA-FAIL ", ("ca-fail", None)),
        ("tampered-dg", ("tampered-dg", None)),
    ],
)
def test_parse_fault(text, expected):
    assert tuple(parse_fault(text)) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("melt", "Unknown fault 'melt'"),
        ("slow", "needs a number"),
        ("slow:fast", "whole number"),
        ("ca-fail:2", "takes no argument"),
        ("bad-response-mac:0", "positive"),
    ],
)
def test_parse_fault_errors(text, message):
    with pytest.raises(FaultError, match=message):
        parse_fault(text)


def test_fault_config_names_round_trip():
    specs = [
        "remove-after:5",
        "slow:10",
        "tag84-required",
        "bad-response-mac:2",
        "aa-wrong",
        "tampered-dg",
    ]
    config = FaultConfig.from_specs(specs)
    assert sorted(config.names) == sorted(specs)
    assert FaultConfig.from_specs(config.names) == config


def test_remove_after_n_apdus():
    card = VirtualCCCD(make_dataset(card_access=b"\x31\x00"), faults=["remove-after:2"])
    card.power_on()
    assert card.process_apdu(h("00A4020C02011C")) == h("9000")
    assert card.process_apdu(h("00B0000002")) == h("3100") + h("9000")
    for _ in range(2):  # gone, and stays gone
        with pytest.raises(ConnectionResetError):
            card.process_apdu(h("00B0000002"))
    card.power_on()  # presented again
    assert card.process_apdu(h("00A4020C02011C")) == h("9000")


def test_slow_sleeps_before_each_answer():
    slept: list[float] = []
    card = VirtualCCCD(make_dataset(), faults=["slow:120"], sleep=slept.append)
    card.process_apdu(h("00A4000C"))
    card.process_apdu(h("00A4000C"))
    assert slept == [0.12, 0.12]


def test_no_extended_length_not_advertised_and_refused_in_sync(icao_vectors):
    card, terminal = pace_card(icao_vectors, faults=["no-extended-length"])
    assert not supports_extended_length(card.atr)
    assert supports_extended_length(VirtualCCCD(make_dataset()).atr)
    terminal.send(*SELECT_APP)
    terminal.send(0x00, 0xA4, 0x02, 0x0C, h("011E"))
    assert terminal.send(0x00, 0xB0, 0x00, 0x00, ne=1000) == (b"", 0x6700)
    # Secure messaging stays in step: a short read right after works.
    assert terminal.send(0x00, 0xB0, 0x00, 0x00, ne=4)[1] == 0x9000
    # Plain extended APDUs are refused too.
    card.power_on()
    assert card.process_apdu(h("00A4020C02011C")) == h("9000")
    assert card.process_apdu(h("00B00000000100")) == h("6700")


def test_extended_refused_is_advertised_but_refuses_extended_reads(icao_vectors):
    card, terminal = pace_card(icao_vectors, faults=["extended-refused"])
    assert supports_extended_length(card.atr)
    terminal.send(*SELECT_APP)
    terminal.send(0x00, 0xA4, 0x02, 0x0C, h("011E"))
    assert terminal.send(0x00, 0xB0, 0x00, 0x00, ne=1000) == (b"", 0x6700)
    assert terminal.send(0x00, 0xB1, 0x00, 0x00, b"\x54\x01\x00", ne=1000) == (b"", 0x6700)
    assert terminal.send(0x00, 0xB0, 0x00, 0x00, ne=0xDF)[1] == 0x6282


G1_MSE = "0022C1A40F800A04007F00070202040202830101"
G1_MSE_84 = "0022C1A412800A04007F0007020204020283010184010D"


@pytest.mark.parametrize(
    "fault, refused, accepted",
    [
        ("tag84-required", G1_MSE, G1_MSE_84),
        ("tag84-rejected", G1_MSE_84, G1_MSE),
    ],
)
def test_tag84_faults(icao_vectors, fault, refused, accepted):
    g1 = icao_vectors["pace_ecdh_gm_G1"]
    card = VirtualCCCD(make_dataset(card_access=h(g1["ef_card_access"])), faults=[fault])
    assert card.process_apdu(h(refused)) == h("6A80")
    assert card.process_apdu(h(accepted)) == h("9000")


def test_bad_response_mac_corrupts_exactly_the_nth_response(icao_vectors):
    _card, terminal = pace_card(icao_vectors, faults=["bad-response-mac:2"])
    assert terminal.send(*SELECT_APP) == (b"", 0x9000)
    with pytest.raises(AssertionError, match="MAC"):
        terminal.send(*SELECT_APP)
    assert terminal.send(*SELECT_APP) == (b"", 0x9000)  # the card itself carries on


def test_data_faults_are_routed_to_datafaults():
    from simulators.dataset import build_dataset

    clean = build_dataset(0)
    card = VirtualCCCD(clean, faults=["tampered-dg"])
    changed = [fid for fid, data in clean.files.items() if card.dataset.files.get(fid) != data]
    assert changed, "tampered-dg changed no file"
    assert VirtualCCCD(clean).dataset.files == clean.files


def test_unknown_fault_in_card_constructor():
    with pytest.raises(FaultError):
        VirtualCCCD(make_dataset(), faults=["nope"])


def test_card_never_raises_on_garbage():
    card = VirtualCCCD(make_dataset(), rng=ScriptedRng())
    for apdu in (
        b"",
        b"\x00",
        b"\x0c\xb0\x00\x00\x02\x8e\x00\x00",
        b"\x00\x86\x00\x00\x02\x7c\x00\x00",
        b"\x00\x22\xc1\xa4\x04\x80\x02\x01\x02",
        bytes(300),
    ):
        response = card.process_apdu(apdu)
        assert len(response) == 2 and response != h("9000")
