"""End to end against the virtual CCCD of ``simulators`` (written independently of cardreader).

The card's PACE, BAC, secure messaging, CA and AA are its own code; these tests
show the terminal side interoperates with it, and that its faults map to the
typed errors the reader expects.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from cardreader import activeauth, bac, chipauth, pace
from cardreader.accesskey import CanKey, MrzKey
from cardreader.apdu import CommandAPDU
from cardreader.errors import AccessDeniedError, SecureMessagingError
from cardreader.session import Session
from cardreader.transport.inprocess import InProcessTransport
from crypto import curves
from simulators.card.cardos import VirtualCCCD
from simulators.dataset import build_dataset

AID = bytes.fromhex("A0000002471001")
CCCD_PACE = ("0.4.0.127.0.7.2.2.4.2.2", 13)


def _session(dataset, faults=None) -> Session:
    return Session(InProcessTransport(VirtualCCCD(dataset, faults=faults)))


def _read_com_header(s: Session) -> bytes:
    assert s.transmit(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID)).sw == 0x9000
    assert s.transmit(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, bytes.fromhex("011E"))).sw == 0x9000
    resp = s.transmit(CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=4))
    assert resp.sw == 0x9000
    return resp.data


@pytest.fixture(scope="module")
def cccd():
    return build_dataset(0)


def test_pace_can_then_protected_reads(cccd):
    s = _session(cccd)
    result = pace.run_with_fallback(s, CanKey(cccd.can), *CCCD_PACE)
    assert result.access_protocol == "PACE-CAN" and s.secure_messaging is result.sm
    assert _read_com_header(s)[0] == 0x60
    assert all(e.wrapped is not None for e in s.log[-3:])


def test_pace_mrz(cccd):
    s = _session(cccd)
    key = MrzKey.from_mrz_lines(list(cccd.mrz_lines))
    assert pace.run(s, key, *CCCD_PACE).access_protocol == "PACE-MRZ"
    assert _read_com_header(s)[0] == 0x60


@pytest.mark.parametrize(
    "oid,pid",
    [
        ("0.4.0.127.0.7.2.2.4.2.1", 12),
        ("0.4.0.127.0.7.2.2.4.2.4", 15),
        ("0.4.0.127.0.7.2.2.4.2.3", 9),
        ("0.4.0.127.0.7.2.2.4.1.2", 0),
        ("0.4.0.127.0.7.2.2.4.1.1", 2),
    ],
)
def test_pace_variants(oid, pid):
    data = build_dataset(1, pace=[(oid, pid)])
    s = _session(data)
    pace.run(s, CanKey(data.can), oid, pid)
    assert _read_com_header(s)[0] == 0x60


@pytest.mark.parametrize("fault,first", [("tag84-required", False), ("tag84-rejected", True)])
def test_tag84_fallback_against_the_card(cccd, fault, first):
    s = _session(cccd, [fault])
    result = pace.run_with_fallback(s, CanKey(cccd.can), *CCCD_PACE, first_use_tag84=first)
    assert result.used_tag84 == (not first)
    assert _read_com_header(s)[0] == 0x60


def test_wrong_can_is_access_denied(cccd):
    wrong = "000000" if cccd.can != "000000" else "111111"
    s = _session(cccd)
    with pytest.raises(AccessDeniedError):
        pace.run(s, CanKey(wrong), *CCCD_PACE)
    assert s.secure_messaging is None


def test_bac_then_reads_and_wrong_mrz(cccd):
    key = MrzKey(cccd.document_number, cccd.birth_date, cccd.expiry_date)
    s = _session(cccd)
    s.transmit(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID))
    bac.run(s, key)
    assert _read_com_header(s)[0] == 0x60
    s = _session(cccd)
    s.transmit(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID))
    with pytest.raises(AccessDeniedError):
        bac.run(s, MrzKey(cccd.document_number, cccd.birth_date, "991231"))


def test_bad_response_mac_ends_the_session(cccd):
    s = _session(cccd, ["bad-response-mac:2"])
    pace.run(s, CanKey(cccd.can), *CCCD_PACE)
    s.transmit(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID))
    with pytest.raises(SecureMessagingError):
        s.transmit(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, bytes.fromhex("011E")))
    assert s.secure_messaging is None


def _ca_key(dataset) -> bytes:
    return dataset.ca_private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def test_chip_authentication_then_read_and_active_authentication(cccd):
    s = _session(cccd)
    pace.run(s, CanKey(cccd.can), *CCCD_PACE)
    _read_com_header(s)
    res = chipauth.run(
        s,
        "0.4.0.127.0.7.2.2.3.2.2",
        _ca_key(cccd),
        curves.by_name("brainpoolP256r1"),
        cccd.ca_key_id,
    )
    assert s.secure_messaging is res.sm and res.sm.ssc == bytes(16)
    assert _read_com_header(s)[0] == 0x60  # the card answers under the CA keys
    aa = activeauth.run(s)
    assert aa.performed and len(aa.challenge) == 8 and len(aa.signature) == 128  # RSA-1024


def test_ca_fail_fault_is_caught_by_the_proving_read(cccd):
    s = _session(cccd, ["ca-fail"])
    pace.run(s, CanKey(cccd.can), *CCCD_PACE)
    chipauth.run(
        s,
        "0.4.0.127.0.7.2.2.3.2.2",
        _ca_key(cccd),
        curves.by_name("brainpoolP256r1"),
        cccd.ca_key_id,
    )
    with pytest.raises(SecureMessagingError):
        _read_com_header(s)
