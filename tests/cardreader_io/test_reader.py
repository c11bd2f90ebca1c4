"""The read orchestration against the virtual CCCD, in process (no PC/SC)."""

from __future__ import annotations

import hashlib

import pytest

from cardreader.accesskey import CanKey, MrzKey
from cardreader.errors import (
    AccessControlError,
    AccessDeniedError,
    CardRemovedError,
    ChipAuthenticationError,
    FileAccessDenied,
)
from cardreader.lds.sod import EFSOD
from cardreader.reader import Reader, read_document
from cardreader.result import Phase
from cardreader.transport.inprocess import InProcessTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(0)


@pytest.fixture(scope="module")
def bac_dataset():
    return build_dataset(2, pace=[])


def counting_rng(seed: int = 1):
    """Deterministic randomness so a read can be replayed."""
    state = {"n": seed}

    def rng(n: int) -> bytes:
        out = hashlib.sha256(state["n"].to_bytes(8, "big")).digest()
        state["n"] += 1
        while len(out) < n:
            out += hashlib.sha256(out).digest()
        return out[:n]

    return rng


def read(ds, key, faults=(), **kw):
    reader = Reader(
        InProcessTransport(VirtualCCCD(ds, faults=list(faults))), key, keep_log=True, **kw
    )
    return reader, reader.read()


def assert_all_files(res, ds):
    sod = EFSOD.from_bytes(res.files["EF.SOD"])
    for number in sod.dg_hashes:
        assert res.files[f"DG{number}"] == ds.files[0x0100 + number]
    assert res.files["EF.COM"] == ds.files[0x011E]
    assert res.files["EF.SOD"] == ds.files[0x011D]


def test_pace_can_reads_every_file_with_ca_and_aa(dataset):
    phases: list[Phase] = []
    reader, res = read(dataset, CanKey(dataset.can), progress=phases.append)
    assert res.error is None and res.complete
    assert res.access_protocol == "PACE-CAN" and res.pace_parameter_id == 13
    assert res.files["EF.CardAccess"] == dataset.files[0x011C]
    assert_all_files(res, dataset)
    assert isinstance(res.file_errors["DG3"], FileAccessDenied)  # EF.COM lists it; 6982
    assert res.chip_auth.performed and res.chip_auth.established and res.chip_auth.error is None
    assert (
        res.active_auth.performed
        and len(res.active_auth.challenge) == 8
        and res.active_auth.signature
    )
    assert phases == [
        Phase.CONNECT,
        Phase.ACCESS_CONTROL,
        Phase.READ_FILES,
        Phase.CHIP_AUTHENTICATION,
        Phase.ACTIVE_AUTHENTICATION,
        Phase.DONE,
    ]
    assert res.extended_length
    assert res.stats.apdus == len(reader.session.log)
    # EF.CardAccess (SELECT, READ), MSE:Set AT, 4 GENERAL AUTHENTICATE, SELECT application
    assert res.stats.phases["access_control"].apdus == 8


def test_pace_mrz(dataset):
    _, res = read(dataset, MrzKey.from_mrz_lines(dataset.mrz_lines))
    assert res.complete and res.access_protocol == "PACE-MRZ"
    assert_all_files(res, dataset)


def test_bac_when_card_has_no_pace(bac_dataset):
    key = MrzKey(bac_dataset.document_number, bac_dataset.birth_date, bac_dataset.expiry_date)
    _, res = read(bac_dataset, key)
    assert res.complete and res.access_protocol == "BAC" and res.pace_oid is None
    assert_all_files(res, bac_dataset)
    assert res.chip_auth.established


def test_bac_only_card_with_can_says_mrz_is_needed(bac_dataset):
    _, res = read(bac_dataset, CanKey(bac_dataset.can))
    assert isinstance(res.error, AccessControlError) and not res.complete
    assert "MRZ" in res.error.message


@pytest.mark.parametrize(
    "make_key",
    [
        lambda ds: CanKey("000000" if ds.can != "000000" else "111111"),
        lambda ds: MrzKey(ds.document_number, "010101", ds.expiry_date),
    ],
)
def test_wrong_key_is_rejected_once(dataset, make_key):
    reader, res = read(dataset, make_key(dataset))
    assert isinstance(res.error, AccessDeniedError) and not res.complete
    assert "Access key rejected" in res.error.message
    # No retry loop: exactly one MSE:Set AT.
    assert sum(1 for e in reader.session.log if e.command[1] == 0x22) == 1
    assert "EF.COM" not in res.files


def test_removed_card_ends_incomplete(dataset):
    phases: list[Phase] = []
    _, res = read(dataset, CanKey(dataset.can), faults=["remove-after:14"], progress=phases.append)
    assert isinstance(res.error, CardRemovedError) and res.complete is False
    assert Phase.DONE not in phases
    assert "DG15" not in res.files


@pytest.mark.parametrize("fault", ["tag84-required", "tag84-rejected"])
def test_pace_tries_tag84_both_ways(dataset, fault):
    _, res = read(dataset, CanKey(dataset.can), faults=[fault])
    assert res.complete and res.access_protocol == "PACE-CAN"


def test_short_reads_without_extended_length(dataset):
    reader, res = read(dataset, CanKey(dataset.can), faults=["no-extended-length"])
    assert res.complete and not res.extended_length
    assert_all_files(res, dataset)
    reads = [e for e in reader.session.log if e.command[1] == 0xB0 and e.wrapped]
    assert reads and all(len(e.response) - 2 <= 223 for e in reads)


def test_extended_length_refused_falls_back(dataset):
    _reader, res = read(dataset, CanKey(dataset.can), faults=["extended-refused"])
    assert res.complete and not res.extended_length
    assert_all_files(res, dataset)


def test_bad_response_mac_reopens_the_channel(dataset):
    _, res = read(dataset, CanKey(dataset.can), faults=["bad-response-mac:4"])
    assert res.complete and res.error is None
    assert_all_files(res, dataset)


def test_ca_failure_is_recorded_and_aa_still_runs(dataset):
    _, res = read(dataset, CanKey(dataset.can), faults=["ca-fail"])
    assert res.complete
    assert res.chip_auth.performed and not res.chip_auth.established
    assert isinstance(res.chip_auth.error, ChipAuthenticationError)
    assert res.active_auth.performed and res.active_auth.signature


def test_ca_and_aa_can_be_skipped(dataset):
    reader, res = read(dataset, CanKey(dataset.can), want_chip_auth=False, want_active_auth=False)
    assert res.complete and not res.chip_auth.performed and not res.active_auth.performed
    assert all(e.command[1] not in (0x86, 0x88) for e in reader.session.log[7:])


def test_read_replays_byte_for_byte_with_the_same_randomness(dataset):
    runs = []
    for _ in range(2):
        card = VirtualCCCD(dataset, rng=counting_rng(7))
        reader = Reader(
            InProcessTransport(card), CanKey(dataset.can), rng=counting_rng(3), keep_log=True
        )
        reader.read()
        runs.append(reader.session.wire_trace())
    assert runs[0] == runs[1]


def test_read_document_entry_point(dataset):
    res = read_document(
        InProcessTransport(VirtualCCCD(dataset)), CanKey(dataset.can), want_active_auth=False
    )
    assert res.complete and "DG13" in res.files and not res.active_auth.performed


def test_unparsable_file_does_not_stop_the_others(dataset):
    ds = build_dataset(0)
    ds.files[0x010E] = b"\x6e\x03\x01\x02\x03"  # DG14 that is not SecurityInfos
    _, res = read(ds, CanKey(ds.can))
    assert res.complete
    assert "DG14" in res.file_errors and res.files["DG15"] == ds.files[0x010F]
    assert not res.chip_auth.performed and res.active_auth.performed


def test_unsupported_pace_variant_falls_back_to_bac_with_mrz():
    ds = build_dataset(0, pace=[("0.4.0.127.0.7.2.2.4.3.2", 2)])  # DH integrated mapping
    _, res = read(ds, MrzKey.from_mrz_lines(ds.mrz_lines))
    assert res.complete and res.access_protocol == "BAC"
    _, res = read(ds, CanKey(ds.can))
    assert isinstance(res.error, AccessControlError) and "not supported" in res.error.message


def test_card_without_ef_cardaccess_uses_bac():
    ds = build_dataset(2)
    del ds.files[0x011C]
    reader, res = read(ds, MrzKey(ds.document_number, ds.birth_date, ds.expiry_date))
    assert res.complete and res.access_protocol == "BAC"
    assert "EF.CardAccess" not in res.files and "EF.CardAccess" not in res.file_errors
    assert reader.session.log[0].description == "SELECT EF.CardAccess"
    assert reader.session.log[0].command == bytes.fromhex(
        "00A4020C02011C"
    )  # direct file-id selection


class PlainRefusalCard(VirtualCCCD):
    """Advertises extended length, then answers an extended protected READ BINARY with a plain
    6700 and drops its session keys (what some chips do)."""

    def process_apdu(self, apdu: bytes) -> bytes:
        if apdu[1] == 0xB0 and apdu[0] & 0x0C and len(apdu) > 5 and apdu[4] == 0:
            self._end_sm()
            return b"\x67\x00"
        return super().process_apdu(apdu)


def test_plain_6700_to_extended_read_reopens_and_reads_short(dataset):
    reader = Reader(
        InProcessTransport(PlainRefusalCard(dataset)), CanKey(dataset.can), keep_log=True
    )
    res = reader.read()
    assert res.complete and not res.extended_length
    assert_all_files(res, dataset)
    assert [e.command[1] for e in reader.session.log].count(0x22) == 3  # PACE twice, CA once
    assert res.chip_auth.established
