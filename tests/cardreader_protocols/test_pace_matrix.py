"""Terminal-side PACE against the virtual CCCD over every standardized domain and cipher.

ICAO Doc 9303-11 §9.5.1: parameter ids 0-2 are the RFC 5114 DH groups, 8-18 the
NIST and Brainpool curves; the protocol OID's last arc picks the cipher (1 3DES,
2 AES-128, 3 AES-192, 4 AES-256). Each case is a whole in-process read (PACE,
secure messaging, every file, CA, AA): the full cross product stays ~2 s.
"""

from __future__ import annotations

import pytest

from cardreader import pace
from cardreader.accesskey import CanKey
from cardreader.errors import AccessControlError
from cardreader.reader import Reader
from cardreader.session import Session
from cardreader.transport.inprocess import InProcessTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset

CIPHERS = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}
ECDH_GM, DH_GM = "0.4.0.127.0.7.2.2.4.2", "0.4.0.127.0.7.2.2.4.1"
CASES = [(f"{ECDH_GM}.{c}", pid) for pid in range(8, 19) for c in CIPHERS] + [
    (f"{DH_GM}.{c}", pid) for pid in range(0, 3) for c in CIPHERS
]


def _read(ds, faults=()):
    reader = Reader(
        InProcessTransport(VirtualCCCD(ds, faults=list(faults))), CanKey(ds.can), keep_log=True
    )
    return reader, reader.read()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "oid,pid", CASES, ids=[f"{o.rsplit('.', 2)[1]}.{CIPHERS[int(o[-1])]}-id{p}" for o, p in CASES]
)
def test_read_over_every_pace_domain_and_cipher(oid, pid):
    ds = build_dataset(1, pace=[(oid, pid)])
    reader, res = _read(ds)
    assert res.error is None and res.complete
    assert (res.access_protocol, res.pace_oid, res.pace_parameter_id) == ("PACE-CAN", oid, pid)
    for name, fid in (
        ("EF.COM", 0x011E),
        ("EF.SOD", 0x011D),
        ("DG1", 0x0101),
        ("DG2", 0x0102),
        ("DG13", 0x010D),
    ):
        assert res.files[name] == ds.files[fid]
    assert res.chip_auth.established and res.active_auth.signature
    # The PACE keys' cipher: SELECT application's 7-byte AID is padded to one block in DO'87'.
    select = next(
        e for e in reader.session.log if e.description == "SELECT eMRTD application" and e.wrapped
    )
    wire = select.wrapped.command
    assert wire[5] == 0x87 and wire[6] == 1 + (8 if oid.endswith(".1") else 16)


def _chained(log):
    return [e for e in log if e.command[1] == 0x86 and "chained part" in e.description]


@pytest.mark.parametrize("pid", [1, 2])
def test_dh_pace_without_extended_length_chains_long_commands(pid):
    ds = build_dataset(1, pace=[(f"{DH_GM}.2", pid)])
    reader, res = _read(ds, ["no-extended-length"])
    assert res.complete and res.error is None and not res.extended_length
    parts = _chained(reader.session.log)
    # map nonce and key agreement: 128 or 256-byte public keys, two pieces each
    assert len(parts) == 4
    assert all(len(e.command) <= 5 + 255 + 1 for e in parts)  # all short APDUs
    assert [e.command[0] for e in parts] == [0x10, 0x10, 0x10, 0x10]  # chained, and more GA follow
    firsts = [e for e in parts if "part 1/" in e.description]
    assert all(len(e.command) == 5 + 255 for e in firsts)  # a full piece, no Le


def test_pace_chaining_splits_and_keeps_the_last_cla():
    cmd = pace.build_general_authenticate(0x85, bytes(300), last=True)
    pieces = pace.chain_command(cmd)
    assert [p.cla for p in pieces] == [0x10, 0x00]
    assert b"".join(p.data for p in pieces) == cmd.data
    assert [len(p.data) for p in pieces] == [255, len(cmd.data) - 255]
    assert pieces[0].ne is None and pieces[1].ne == 256 and not any(p.is_extended for p in pieces)
    assert pace.chain_command(pace.build_general_authenticate(0x85, bytes(8))) == [
        pace.build_general_authenticate(0x85, bytes(8))
    ]


def test_dh_pace_with_extended_apdus_fails_on_a_card_without_extended_length():
    """What the chaining is for: the same PACE in one extended APDU gets 6700 at map nonce."""
    ds = build_dataset(1, pace=[(f"{DH_GM}.2", 2)])
    session = Session(InProcessTransport(VirtualCCCD(ds, faults=["no-extended-length"])))
    with pytest.raises(AccessControlError) as err:
        pace.run(session, CanKey(ds.can), f"{DH_GM}.2", 2, extended_length=True)
    assert err.value.step == "map_nonce" and err.value.sw == 0x6700
    session = Session(InProcessTransport(VirtualCCCD(ds, faults=["no-extended-length"])))
    assert (
        pace.run(session, CanKey(ds.can), f"{DH_GM}.2", 2, extended_length=False).access_protocol
        == "PACE-CAN"
    )
