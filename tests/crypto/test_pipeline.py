"""From files (a live read or a dump) to the DocumentReport: the virtual CCCD end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cardreader.errors import FileAccessDenied
from cardreader.result import ActiveAuthOutcome, ChipAuthOutcome, ReadResult
from crypto.certs import Certificate
from crypto.report import Status
from crypto.truststore import TrustStore
from edge.pipeline import report_from_files, report_from_read
from simulators import pki
from simulators.carddata import FID_COM, FID_SOD, fid_of_dg
from simulators.datafaults import apply_data_fault
from simulators.dataset import build_dataset

from .test_active_auth import CHALLENGE, sign_9796_2

AT = datetime(2026, 1, 1, tzinfo=UTC)


def files_of(ds) -> dict[str, bytes]:
    files = {"EF.SOD": ds.files[FID_SOD], "EF.COM": ds.files[FID_COM]}
    files.update({f"DG{n}": ds.files[fid_of_dg(n)] for n in (1, 2, 13, 14, 15)})
    return files


@pytest.fixture(scope="module")
def vn_store() -> TrustStore:
    store = TrustStore()
    store.add_certificate(Certificate.from_bytes(pki.default_pki("ecdsa")[0].der))
    return store


def _read(ds, *, challenge_signed=CHALLENGE, ca_ok=True) -> ReadResult:
    return ReadResult(
        files=files_of(ds),
        access_protocol="PACE-CAN",
        complete=True,
        chip_auth=ChipAuthOutcome(
            performed=True,
            established=ca_ok,
            protocol_oid="0.4.0.127.0.7.2.2.3.2.2",
            key_id=ds.ca_key_id,
        ),
        active_auth=ActiveAuthOutcome(
            performed=True,
            challenge=CHALLENGE,
            signature=sign_9796_2(ds.aa_private_key, challenge_signed, "sha256"),
        ),
    )


def test_dump_of_the_virtual_cccd(vn_store):
    ds = build_dataset(0)
    report = report_from_files(files_of(ds), vn_store, at=AT)
    v = report.verification
    assert v.passive_authentication is Status.VALID
    assert v.chip_authenticity is Status.NOT_PERFORMED  # no chip, no clone check
    assert v.get("active_authentication").code == "offline_dump"
    assert report.read is None
    assert report.document.issuing_state == "VNM" and report.document.type == "ID"
    assert report.person.source == "DG13" and report.person.id_number == ds.id_number
    assert report.photo.format == "jpeg" and report.photo.width > 0
    assert report.photo_bytes()[:3] == b"\xff\xd8\xff"
    unknown = report_from_files(files_of(ds), TrustStore(), at=AT)
    assert unknown.verification.passive_authentication is Status.UNKNOWN
    assert unknown.verification.get("dsc.chain").code == "csca_unknown"


def test_live_read_with_aa_and_ca(vn_store):
    ds = build_dataset(0)
    report = report_from_read(_read(ds), vn_store, at=AT)
    v = report.verification
    assert v.passive_authentication is Status.VALID
    assert (v.get("active_authentication").status, v.get("chip_authentication").status) == (
        Status.VALID,
        Status.VALID,
    )
    assert v.chip_authenticity is Status.VALID
    assert report.read.access_protocol == "PACE-CAN"


def test_aa_signature_over_another_challenge(vn_store):
    ds = build_dataset(0)
    report = report_from_read(_read(ds, challenge_signed=bytes(8)), vn_store, at=AT)
    assert report.verification.get("active_authentication").code == "aa_signature_invalid"
    assert report.verification.chip_authenticity is Status.INVALID


def test_dg15_whose_hash_does_not_match(vn_store):
    ds = apply_data_fault(build_dataset(0), "tampered-dg15")
    report = report_from_read(_read(ds), vn_store, at=AT)
    v = report.verification
    assert v.get("dg_hash.DG15").code == "dg_hash_mismatch"
    assert (v.get("active_authentication").status, v.get("active_authentication").code) == (
        Status.INVALID,
        "aa_key_hash_mismatch",
    )
    assert v.chip_authenticity is Status.INVALID and v.passive_authentication is Status.INVALID


def test_unknown_csca_leaves_chip_authenticity_unknown():
    # A SOD whose signer is not trusted vouches for nothing: a cloner can sign a SOD for
    # its own chip key. The chip's correct AA/CA answers therefore stay "unknown".
    ds = build_dataset(0)
    report = report_from_read(_read(ds), TrustStore(), at=AT)
    v = report.verification
    assert v.passive_authentication is Status.UNKNOWN
    assert (v.get("active_authentication").status, v.get("active_authentication").code) == (
        Status.UNKNOWN,
        "aa_key_not_authenticated",
    )
    assert v.get("chip_authentication").status is Status.UNKNOWN
    assert v.chip_authenticity is Status.UNKNOWN


def test_unreadable_dg_and_parse_errors_are_reported(vn_store):
    ds = build_dataset(0)
    read = _read(ds)
    del read.files["DG2"]
    read.file_errors["DG2"] = FileAccessDenied(file="DG2", sw=0x6982)
    read.files["DG13"] = b"\x6d\x03\x30\x01"  # truncated
    report = report_from_read(read, vn_store, at=AT)
    v = report.verification
    assert v.get("dg_hash.DG2").status is Status.NOT_PERFORMED
    assert v.get("dg_hash.DG2").details["reason"] == "file_access_denied"
    assert v.get("dg_hash.DG13").code == "dg_hash_mismatch"
    assert {e.file for e in report.errors} >= {"DG2", "DG13"}
    assert report.person.source == "DG1" and report.photo is None


def test_no_personal_data_in_audit_or_non_personal_dict(vn_store):
    ds = build_dataset(3)
    report = report_from_read(_read(ds), vn_store, at=AT)
    personal = [
        ds.id_number,
        ds.document_number,
        ds.citizen.full_name,
        report.person.birth_date,
        report.photo.sha256,
        ds.id_number[-6:],
    ]
    for text in (
        json.dumps(report.audit_dict(), ensure_ascii=False),
        json.dumps(report.to_dict(include_personal=False), ensure_ascii=False),
    ):
        for value in personal:
            assert value not in text
    full = json.dumps(report.to_dict(), ensure_ascii=False)
    assert ds.id_number in full and ds.citizen.full_name in full
    assert "photo_bytes" not in full and report.photo.sha256 in full


@pytest.mark.parametrize("name", ["DG14", "DG15", "EF.SOD", "DG1", "DG2"])
@pytest.mark.parametrize("garbage", [b"", b"\x30\x82\xff\xff\x00", bytes(range(256))])
def test_malformed_files_become_report_errors(vn_store, name, garbage):
    ds = build_dataset(0)
    read = _read(ds)
    read.files[name] = garbage
    report = report_from_read(read, vn_store, at=AT)  # never raises
    assert name in {e.file for e in report.errors}
    v = report.verification
    assert v.passive_authentication is Status.INVALID  # a changed file never passes
    json.dumps(report.to_dict(), ensure_ascii=False)
