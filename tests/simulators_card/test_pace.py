"""PACE generic mapping against a test-side terminal: every curve, group and cipher."""

from __future__ import annotations

import hashlib

import pytest

from simulators.card import VirtualCCCD
from simulators.card.keys import mrz_information
from simulators.carddata import FID_COM

from .helpers import make_dataset, run_pace

ECDH_GM = "04007F000702020402"  # + cipher byte: 01 3DES, 02 AES-128, 03 AES-192, 04 AES-256
DH_GM = "04007F000702020401"
SELECT_APP = (0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001"))


def read_com(terminal) -> bytes:
    assert terminal.send(*SELECT_APP) == (b"", 0x9000)
    assert terminal.send(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e") == (b"", 0x9000)
    data, _sw = terminal.send(0x00, 0xB0, 0x00, 0x00, ne=0x20)
    return data


@pytest.mark.parametrize("parameter_id", range(8, 19))
def test_ecdh_gm_on_every_standardized_curve(parameter_id):
    card = VirtualCCCD(make_dataset())
    sw, terminal = run_pace(card, ECDH_GM + "02", b"123456", parameter_id=parameter_id)
    assert sw == 0x9000
    assert read_com(terminal) == card.dataset.files[FID_COM]


@pytest.mark.parametrize("parameter_id", range(0, 3))
def test_dh_gm_on_rfc5114_groups(parameter_id):
    card = VirtualCCCD(make_dataset())
    sw, terminal = run_pace(card, DH_GM + "02", b"123456", parameter_id=parameter_id)
    assert sw == 0x9000
    assert read_com(terminal) == card.dataset.files[FID_COM]


def test_dh_gm_2048_uses_extended_or_chained_apdus_and_fails_without_extended_length():
    card = VirtualCCCD(make_dataset(), faults=["no-extended-length"])
    sw, _ = run_pace(card, DH_GM + "02", b"123456", parameter_id=2)
    assert sw == 0x6700


@pytest.mark.parametrize("cipher", ["01", "02", "03", "04"])
def test_every_cipher(cipher):
    card = VirtualCCCD(make_dataset())
    sw, terminal = run_pace(card, ECDH_GM + cipher, b"123456", parameter_id=13)
    assert sw == 0x9000
    assert terminal.suite.cipher == ("3DES" if cipher == "01" else "AES")
    assert read_com(terminal) == card.dataset.files[FID_COM]


def test_mrz_password():
    card = VirtualCCCD(make_dataset())
    seed = hashlib.sha1(mrz_information("T22000129", "640812", "101031").encode()).digest()
    sw, terminal = run_pace(card, ECDH_GM + "02", seed, password_ref=1, parameter_id=13)
    assert sw == 0x9000 and terminal is not None


def test_wrong_can_gets_6300_and_no_session():
    card = VirtualCCCD(make_dataset(can="123456"))
    sw, terminal = run_pace(card, ECDH_GM + "02", b"654321", parameter_id=13)
    assert (sw, terminal) == (0x6300, None)
    assert not card.authenticated
    # Nothing past access control is readable now.
    card.process_apdu(bytes.fromhex("00A4040C07A0000002471001"))
    card.process_apdu(bytes.fromhex("00A4020C02011E"))
    assert card.process_apdu(bytes.fromhex("00B0000004")) == bytes.fromhex("6982")


def test_data_object_split_by_command_chaining():
    """A '7C' object cut over two chained APDUs is joined before PACE sees it."""
    card = VirtualCCCD(make_dataset())
    assert (
        card.process_apdu(bytes.fromhex("0022C1A412800A04007F0007020204020283010284010D"))
        == b"\x90\x00"
    )
    assert card.process_apdu(bytes.fromhex("10860000017C00")) == b"\x90\x00"  # first half: 7C
    response = card.process_apdu(bytes.fromhex("10860000010000"))  # second half: 00
    assert response[:2] == b"\x7c\x12" and response[-2:] == b"\x90\x00"


@pytest.mark.parametrize(
    "mse, sw",
    [
        ("0022C1A40F800A04007F00070202040202830105", "6A88"),  # unknown password reference
        (
            "0022C1A412800A04007F0007020204030283010284010D",
            "6A80",
        ),  # integrated mapping: not supported
        ("0022C1A403830102", "6A80"),  # no OID
        ("0022C1A412800A04007F00070202040202830102840102", "6A80"),  # DH group id with an ECDH OID
        ("0022C1A413800A04007F0007020204020283010284010D", "6700"),  # Lc does not match
    ],
)
def test_mse_set_at_errors(mse, sw):
    card = VirtualCCCD(make_dataset())
    assert card.process_apdu(bytes.fromhex(mse)) == bytes.fromhex(sw)


def test_general_authenticate_without_mse_is_refused():
    card = VirtualCCCD(make_dataset())
    assert card.process_apdu(bytes.fromhex("10860000027C0000")) == bytes.fromhex("6985")


def test_dh_public_value_encodings_accepted():
    from simulators.card.pace import _encodings

    assert _encodings(0x86, b"\x04\x00\x01") == [b"\x04\x00\x01"]  # EC points: one form
    assert _encodings(0x84, b"\x00\x00\x12\x34") == [b"\x00\x00\x12\x34", b"\x12\x34"]
    assert _encodings(0x84, b"\x12\x34") == [b"\x12\x34"]
