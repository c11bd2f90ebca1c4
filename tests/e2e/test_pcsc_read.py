"""End to end through the real PC/SC stack: pyscard -> private pcscd -> vpcd -> virtual CCCD
process."""

from __future__ import annotations

import pytest

from cardreader.accesskey import CanKey, MrzKey
from cardreader.errors import (
    AccessDeniedError,
    CardRemovedError,
    FileAccessDenied,
    NoCardError,
    NoReaderError,
)
from cardreader.lds.sod import EFSOD
from cardreader.reader import Reader
from cardreader.result import Phase
from cardreader.transport.pcsc import PcscTransport, list_readers
from simulators.dataset import build_dataset

pytestmark = pytest.mark.pcsc


@pytest.fixture(scope="module")
def citizen0():
    return build_dataset(0)


def read_through_pcsc(pcscd, key, **kw):
    transport = PcscTransport.connect(pcscd.reader_name, wait_s=5, apdu_timeout_s=5)
    try:
        reader = Reader(transport, key, keep_log=True, **kw)
        return reader, reader.read(), transport.atr
    finally:
        transport.close()


def assert_every_file(res, ds):
    sod = EFSOD.from_bytes(res.files["EF.SOD"])
    assert sorted(sod.dg_hashes) == [1, 2, 13, 14, 15]
    for n in sod.dg_hashes:
        assert res.files[f"DG{n}"] == ds.files[0x0100 + n], f"DG{n} differs"
    assert (
        res.files["EF.COM"] == ds.files[0x011E] and res.files["EF.CardAccess"] == ds.files[0x011C]
    )


def test_readers_lists_the_virtual_reader_and_card(pcscd, insert_card):
    insert_card()
    readers = {r.name: r for r in list_readers()}
    assert readers[pcscd.reader_name].card_present
    assert readers[pcscd.reader_name].atr[:1] == b"\x3b"
    assert not readers["cccd-test vpcd 00 01"].card_present


def test_waiting_for_a_card_times_out(pcscd):
    with pytest.raises(NoCardError):
        PcscTransport.connect("cccd-test vpcd 00 01", wait_s=0.5)
    with pytest.raises(NoReaderError):
        PcscTransport.connect("no such reader", wait_s=0.2)


def test_pace_can_with_extended_length_ca_and_aa(pcscd, insert_card, citizen0):
    insert_card(citizen=0)
    phases: list[Phase] = []
    reader, res, _atr = read_through_pcsc(pcscd, CanKey(citizen0.can), progress=phases.append)
    assert res.error is None and res.complete, res.error
    assert res.access_protocol == "PACE-CAN" and res.extended_length
    assert_every_file(res, citizen0)
    assert isinstance(res.file_errors["DG3"], FileAccessDenied)
    assert res.chip_auth.established and res.active_auth.signature
    assert phases[-1] is Phase.DONE
    # DG2 (about 12 kB) came in one extended READ BINARY.
    dg2_reads = [e for e in reader.session.log if e.description.startswith("READ BINARY DG2")]
    assert len(dg2_reads) == 1 and len(res.files["DG2"]) > 5000


def test_pace_mrz_without_extended_length(pcscd, insert_card, citizen0):
    insert_card(citizen=0, faults=["no-extended-length"])
    reader, res, _atr = read_through_pcsc(pcscd, MrzKey.from_mrz_lines(citizen0.mrz_lines))
    assert res.complete and res.access_protocol == "PACE-MRZ" and not res.extended_length
    assert_every_file(res, citizen0)
    reads = [e for e in reader.session.log if e.command[1] == 0xB0 and e.wrapped is not None]
    assert max(len(e.response) - 2 for e in reads) == 223  # AES: 223-byte short reads


def test_extended_length_refused_by_the_card(pcscd, insert_card, citizen0):
    insert_card(citizen=0, faults=["extended-refused"])
    _, res, _ = read_through_pcsc(pcscd, CanKey(citizen0.can))
    assert res.complete and not res.extended_length
    assert_every_file(res, citizen0)


def test_bac_on_a_card_without_pace(pcscd, insert_card):
    ds = build_dataset(3, pace=[])
    insert_card(citizen=3, dataset={"pace": []})
    key = MrzKey(ds.document_number, ds.birth_date, ds.expiry_date)
    _reader, res, _ = read_through_pcsc(pcscd, key)
    assert res.complete and res.access_protocol == "BAC"
    assert_every_file(res, ds)
    assert res.chip_auth.established and res.active_auth.performed


def test_wrong_can_is_rejected_without_retries(pcscd, insert_card, citizen0):
    insert_card(citizen=0)
    wrong = "000000" if citizen0.can != "000000" else "111111"
    reader, res, _ = read_through_pcsc(pcscd, CanKey(wrong))
    assert isinstance(res.error, AccessDeniedError) and not res.complete
    assert res.error.message.startswith("Access key rejected")
    assert [e.command[1] for e in reader.session.log].count(0x22) == 1
    # The card is still usable: the right key works right after.
    _, ok, _ = read_through_pcsc(
        pcscd, CanKey(citizen0.can), want_chip_auth=False, want_active_auth=False
    )
    assert ok.complete


def test_card_removed_mid_read(pcscd, insert_card, citizen0):
    card = insert_card(citizen=0)

    def pull_card(phase):
        if phase is Phase.READ_FILES:
            card.remove()

    _, res, _ = read_through_pcsc(pcscd, CanKey(citizen0.can), progress=pull_card)
    assert isinstance(res.error, CardRemovedError), res.error
    assert res.complete is False
    assert "taken away" in res.error.message
    assert "DG2" not in res.files


def test_card_leaving_the_field_by_fault(pcscd, insert_card, citizen0):
    insert_card(citizen=0, faults=["remove-after:12"])
    _, res, _ = read_through_pcsc(pcscd, CanKey(citizen0.can))
    assert isinstance(res.error, CardRemovedError) and not res.complete


def test_private_pcscd_is_isolated(pcscd):
    import os
    from pathlib import Path

    # Its own mount namespace: its /run is our private directory, never the system's.
    assert os.readlink(f"/proc/{pcscd.proc.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
    assert os.environ["PCSCLITE_CSOCK_NAME"] == pcscd.socket
    assert Path(pcscd.socket).is_socket()
    assert f"/dev/null:{pcscd.port}" in Path(pcscd.conf_path).read_text()
