"""What the reader recovers from is recorded; what it gives up on says where (step, file)."""

from __future__ import annotations

import pytest

from cardreader.accesskey import CanKey, MrzKey
from cardreader.errors import AccessControlError, MalformedResponseError, SecureMessagingError
from cardreader.reader import MAX_REOPEN, Reader
from cardreader.transport.inprocess import InProcessTransport
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset

FID_DG2, FID_DG13 = 0x0102, 0x010D


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(0)


def read(card, key):
    reader = Reader(InProcessTransport(card), key, keep_log=True)
    return reader, reader.read()


class BadMacOn(VirtualCCCD):
    """Corrupts the MAC of every protected READ BINARY answer while ``fid`` is selected."""

    def __init__(self, ds, fid: int, **kw):
        super().__init__(ds, **kw)
        self.bad_fid = fid

    def process_apdu(self, apdu: bytes) -> bytes:
        resp = super().process_apdu(apdu)
        if (
            apdu[1] == 0xB0
            and apdu[0] & 0x0C
            and self.fs.current == self.bad_fid
            and len(resp) > 12
        ):
            resp = resp[:-3] + bytes((resp[-3] ^ 1,)) + resp[-2:]
        return resp


class NoStatusWordOn(VirtualCCCD):
    def __init__(self, ds, fid: int, **kw):
        super().__init__(ds, **kw)
        self.bad_fid = fid

    def process_apdu(self, apdu: bytes) -> bytes:
        resp = super().process_apdu(apdu)
        if apdu[1] == 0xB0 and apdu[0] & 0x0C and self.fs.current == self.bad_fid:
            return b"\x90"
        return resp


def test_reopened_channel_is_recorded_as_an_incident(dataset):
    _, res = read(VirtualCCCD(dataset, faults=["bad-response-mac:4"]), CanKey(dataset.can))
    assert res.complete and res.error is None
    assert len(res.incidents) == 1
    incident = res.incidents[0].to_dict()
    assert set(incident) == {
        "step",
        "file",
        "code",
        "message",
        "sw",
    }  # where and what, no card data
    assert incident["code"] == "secure_messaging_error" and incident["file"] in ("EF.COM", "EF.SOD")
    assert incident["step"]


def test_clean_read_has_no_incidents(dataset):
    _, res = read(VirtualCCCD(dataset), CanKey(dataset.can))
    assert res.complete and res.incidents == []


def test_giving_up_names_the_file_and_step(dataset):
    _, res = read(BadMacOn(dataset, FID_DG2), CanKey(dataset.can))
    assert not res.complete and isinstance(res.error, SecureMessagingError)
    assert res.error.file == "DG2" and res.error.step
    assert "DG2" in res.error.message
    assert len(res.incidents) == MAX_REOPEN and all(i.file == "DG2" for i in res.incidents)
    assert "DG1" in res.files and "DG2" not in res.files


def test_answer_without_status_word_is_typed_and_located(dataset):
    _, res = read(NoStatusWordOn(dataset, FID_DG13), CanKey(dataset.can))
    assert not res.complete and isinstance(res.error, MalformedResponseError)
    assert res.error.file == "DG13" and res.error.step == "read_binary"
    assert res.error.message == "The card sent a malformed answer."


@pytest.fixture(scope="module")
def broken_card_access():
    ds = build_dataset(0)
    ds.files[0x011C] = b"\x31\x05\x30\x03\x06\x01"  # a SET whose content runs past its end
    return ds


def test_malformed_card_access_with_can_says_so(broken_card_access):
    ds = broken_card_access
    _, res = read(VirtualCCCD(ds), CanKey(ds.can))
    assert isinstance(res.error, AccessControlError) and not res.complete
    assert "EF.CardAccess could not be read" in res.error.message
    assert "opens only with its MRZ" not in res.error.message
    assert res.error.file == "EF.CardAccess" and "EF.CardAccess" in res.file_errors


def test_malformed_card_access_with_mrz_falls_back_to_bac(broken_card_access):
    ds = broken_card_access
    _, res = read(VirtualCCCD(ds), MrzKey.from_mrz_lines(ds.mrz_lines))
    assert res.complete and res.access_protocol == "BAC"
