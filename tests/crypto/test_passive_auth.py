"""Passive authentication: real documents through the German master list, and one negative
case per reason code built with the deterministic test PKI."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crypto import passive_auth
from crypto.certs import Certificate
from crypto.report import Status
from crypto.truststore import TrustStore
from simulators import pki
from simulators.carddata import FID_SOD, fid_of_dg
from simulators.dataset import build_dataset

from .conftest import DOCUMENTS, dg_files

UTC = UTC
AT = datetime(2024, 1, 1, tzinfo=UTC)
LATER = datetime(2026, 1, 1, tzinfo=UTC)
BSI_AT = datetime(2014, 6, 1, tzinfo=UTC)  # the BSI set's DSC expired in December 2014
# One letter per verdict (I for INVALID) keeps the verdict tables below readable.
V, I, U, N = Status.VALID, Status.INVALID, Status.UNKNOWN, Status.NOT_PERFORMED  # noqa: E741


def _status(res, name):
    c = res.get(name)
    return (c.status, c.code) if c else None


@pytest.mark.parametrize("country", DOCUMENTS)
def test_real_documents_chain_through_the_german_master_list(pki_dir, de_store, country):
    folder = pki_dir / "documents" / country
    dgs = dg_files(folder)
    res = passive_auth.verify(folder.joinpath("EF_SOD.bin").read_bytes(), dgs, de_store, at=AT)
    assert res.status is V, [c.to_dict() for c in res.checks if c.status is not V]
    assert _status(res, "sod.signature") == (V, "ok")
    assert _status(res, "dsc.chain") == (V, "ok")
    assert res.csca.country == country
    for n in dgs:
        assert _status(res, f"dg_hash.DG{n}") == (V, "ok")
    # DGs listed in the SOD but absent from the folder are reported, not failed
    assert _status(res, "dg_hash.DG1") == (N, "dg_not_read")


def test_link_certificate_path_is_named(pki_dir, de_store):
    folder = pki_dir / "documents" / "AT"
    res = passive_auth.verify(folder.joinpath("EF_SOD.bin").read_bytes(), {}, de_store, at=AT)
    assert res.get("dsc.chain").details["csca_role"] in ("csca", "link")


def test_bsi_reference_set_hashes_verify_and_csca_is_unknown(pki_dir, de_store):
    folder = pki_dir / "bsi-tr03105-5"
    dgs = {n: v for n, v in dg_files(folder).items() if n != 15}  # DG15 is not in this SOD
    res = passive_auth.verify(folder.joinpath("EF_SOD.bin").read_bytes(), dgs, de_store, at=BSI_AT)
    assert _status(res, "dsc_expiry") == (V, "ok")
    assert _status(res, "sod.signature") == (V, "ok")
    assert sorted(dgs) == [1, 2, 3, 4, 14]
    assert all(_status(res, f"dg_hash.DG{n}") == (V, "ok") for n in dgs)
    assert _status(res, "dsc.chain") == (U, "csca_unknown")
    assert res.status is U  # never valid, never invalid


def test_bsi_dg15_is_not_in_its_sod(pki_dir):
    folder = pki_dir / "bsi-tr03105-5"
    res = passive_auth.verify(
        folder.joinpath("EF_SOD.bin").read_bytes(),
        dg_files(folder),
        TrustStore(),
        at=datetime(2014, 6, 1, tzinfo=UTC),
    )  # within its DSC's validity
    # The genuine reference set with an extra, unlisted file: not vouched for, yet no tampering.
    assert _status(res, "dg_hash.DG15") == (U, "dg_not_in_sod")
    assert res.status is U


# --- the test PKI --------------------------------------------------------------------


def _store(*certs, crls=()) -> TrustStore:
    store = TrustStore()
    for c in certs:
        store.add_certificate(Certificate.from_bytes(c.der))
    for crl in crls:
        store.import_bytes(crl, "test.crl")
    return store


def _files(ds) -> tuple[bytes, dict[int, bytes]]:
    return ds.files[FID_SOD], {n: ds.files[fid_of_dg(n)] for n in (1, 2, 13, 14, 15)}


def test_virtual_cccd_valid_with_its_csca_and_unknown_without():
    csca, _ = pki.default_pki("ecdsa")
    sod, dgs = _files(build_dataset(0))
    ok = passive_auth.verify(sod, dgs, _store(csca), at=LATER, issuing_state="VNM")
    assert ok.status is V and _status(ok, "country") == (V, "ok")
    unknown = passive_auth.verify(sod, dgs, TrustStore(), at=LATER)
    assert unknown.status is U and _status(unknown, "dsc.chain") == (U, "csca_unknown")
    assert _status(unknown, "sod.signature") == (V, "ok")  # "unknown CSCA" is not "bad signature"


@pytest.mark.parametrize("signer", ["rsa", "rsa-pss"])
def test_virtual_cccd_rsa_signers(signer):
    csca, _ = pki.default_pki(signer)
    sod, dgs = _files(build_dataset(1, signer=signer))
    assert passive_auth.verify(sod, dgs, _store(csca), at=LATER).status is V


def test_flipped_signature_byte():
    from simulators.datafaults import apply_data_fault

    csca, _ = pki.default_pki("ecdsa")
    sod, dgs = _files(apply_data_fault(build_dataset(0), "bad-sod-signature"))
    res = passive_auth.verify(sod, dgs, _store(csca), at=LATER)
    assert _status(res, "sod.signature") == (I, "signature_invalid")
    assert res.status is I and not res.signature_valid


def test_wrong_dg_hash():
    csca, _ = pki.default_pki("ecdsa")
    sod, dgs = _files(build_dataset(0))
    dgs[13] = dgs[13][:-1] + bytes([dgs[13][-1] ^ 1])
    res = passive_auth.verify(sod, dgs, _store(csca), at=LATER)
    assert _status(res, "dg_hash.DG13") == (I, "dg_hash_mismatch")
    assert _status(res, "dg_hash.DG1") == (V, "ok")
    assert res.status is I


def _sod(dsc, dgs=None, **kw) -> tuple[bytes, dict[int, bytes]]:
    dgs = dgs or {1: b"\x61\x05\x5f\x1f\x02AB", 2: b"\x75\x02\x00\x01"}
    return pki.sign_sod(dsc, dgs, **kw), dgs


def test_dsc_signed_by_another_csca_of_the_same_name():
    """The DSC names CSCA A (AKI and issuer) but was signed with another key."""
    a = pki.issue_csca("pa-csca-a")
    b = pki.issue_csca("pa-csca-b")
    forged_issuer = replace(a, key=b.key)  # A's certificate, B's key
    dsc = pki.issue_dsc(forged_issuer, "pa-dsc-forged")
    sod, dgs = _sod(dsc)
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert _status(res, "sod.signature") == (V, "ok")
    assert _status(res, "dsc.chain") == (I, "dsc_signature_invalid")
    assert res.status is I


def test_dsc_from_a_csca_not_in_the_store_is_unknown():
    a = pki.issue_csca("pa-csca-a")
    c = pki.issue_csca("pa-csca-c", common_name="Another Test CSCA")
    sod, dgs = _sod(pki.issue_dsc(c, "pa-dsc-c"))
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert _status(res, "dsc.chain") == (U, "csca_unknown")
    assert res.status is U


def test_expired_and_not_yet_valid_dsc():
    a = pki.issue_csca("pa-csca-a")
    dsc = pki.issue_dsc(
        a,
        "pa-dsc-short",
        not_before=datetime(2024, 1, 1, tzinfo=UTC),
        not_after=datetime(2025, 1, 1, tzinfo=UTC),
    )
    sod, dgs = _sod(dsc)
    expired = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    # Genuine, signed while the DSC was valid, expired since: authentic and expired, apart.
    assert _status(expired, "dsc_expiry") == (I, "dsc_expired_now")
    assert _status(expired, "dsc.validity_at_signing") == (V, "ok")  # both reported
    assert expired.status is V and expired.currency == "expired"
    # Before the DSC's start the signing time (2024-06-01) lies in the future: judged now.
    early = passive_auth.verify(sod, dgs, _store(a), at=datetime(2023, 6, 1, tzinfo=UTC))
    assert _status(early, "dsc.validity_at_signing") == (I, "dsc_not_yet_valid")
    assert _status(early, "dsc_expiry") == (U, "dsc_not_yet_valid_now")
    assert early.status is I


def test_signed_outside_the_dsc_validity():
    a = pki.issue_csca("pa-csca-a")
    dsc = pki.issue_dsc(a, "pa-dsc-late", not_before=datetime(2025, 1, 1, tzinfo=UTC))
    sod, dgs = _sod(dsc)  # signingTime 2024-06-01
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert _status(res, "dsc.validity_at_signing") == (I, "dsc_invalid_at_signing")
    assert _status(res, "dsc_expiry") == (V, "ok")
    assert res.status is I


def test_revoked_dsc_and_not_revoked_dsc():
    a = pki.issue_csca("pa-csca-a")
    dsc = pki.issue_dsc(a, "pa-dsc-revoked")
    sod, dgs = _sod(dsc)
    revoked = passive_auth.verify(
        sod, dgs, _store(a, crls=[pki.issue_crl(a, [dsc.serial])]), at=LATER
    )
    assert _status(revoked, "crl") == (I, "dsc_revoked") and revoked.status is I
    clean = passive_auth.verify(
        sod, dgs, _store(a, crls=[pki.issue_crl(a, [dsc.serial + 1])]), at=LATER
    )
    assert _status(clean, "crl") == (V, "not_revoked") and clean.status is V


def test_stale_crl_is_neither_revoked_nor_valid():
    a = pki.issue_csca("pa-csca-a")
    dsc = pki.issue_dsc(a, "pa-dsc-revoked")
    stale = pki.issue_crl(a, [dsc.serial], next_update=datetime(2025, 1, 1, tzinfo=UTC))
    sod, dgs = _sod(dsc)
    res = passive_auth.verify(sod, dgs, _store(a, crls=[stale]), at=LATER)
    assert _status(res, "crl") == (U, "crl_stale")
    assert res.status is U


def test_crl_signed_by_someone_else_is_not_used():
    a = pki.issue_csca("pa-csca-a")
    dsc = pki.issue_dsc(a, "pa-dsc-revoked")
    forged = pki.issue_crl(replace(a, key=pki.issue_csca("pa-csca-b").key), [dsc.serial])
    sod, dgs = _sod(dsc)
    res = passive_auth.verify(sod, dgs, _store(a, crls=[forged]), at=LATER)
    assert _status(res, "crl") == (U, "crl_signature_invalid")


def test_country_mismatch():
    a = pki.issue_csca("pa-csca-a", "VN")
    sod, dgs = _sod(pki.issue_dsc(a, "pa-dsc-vn"))
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER, issuing_state="LAO")
    assert _status(res, "country") == (I, "country_mismatch")
    assert res.get("country").details == {"DG1": "LA", "DSC": "VN", "CSCA": "VN"}
    sod2, dgs2 = _sod(pki.issue_dsc(a, "pa-dsc-la", country="LA"))
    res2 = passive_auth.verify(sod2, dgs2, _store(a), at=LATER, issuing_state="VNM")
    assert _status(res2, "country") == (I, "country_mismatch") and res2.status is I


def test_dsc_supplied_separately():
    a = pki.issue_csca("pa-csca-a")
    dsc = pki.issue_dsc(a, "pa-dsc-apart")
    sod, dgs = _sod(dsc, include_certificate=False)
    missing = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert _status(missing, "sod.signature") == (N, "dsc_missing") and missing.status is U
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER, dsc=dsc.der)
    assert res.status is V


def test_link_certificate_bridges_to_the_old_csca():
    old = pki.issue_csca("pa-csca-old")
    new = pki.issue_csca("pa-csca-new", common_name="Test CSCA CCCD 2")
    link = Certificate.from_bytes(pki.issue_link_certificate(old, new).der)
    sod, dgs = _sod(pki.issue_dsc(new, "pa-dsc-new"))
    assert passive_auth.verify(sod, dgs, _store(old), at=LATER).status is U
    res = passive_auth.verify(sod, dgs, _store(old), at=LATER, extra_certs=[link])
    assert res.status is V and res.csca.subject_text.endswith("CN=Test CSCA CCCD")
    assert res.get("dsc.chain").details["via"] == [link.subject_text]


def test_id_data_content_type_is_accepted_with_a_warning():
    a = pki.issue_csca("pa-csca-a")
    sod, dgs = _sod(pki.issue_dsc(a, "pa-dsc-vn"), econtent_type="1.2.840.113549.1.7.1")
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert _status(res, "sod.parse") == (V, "ok_with_warnings") and res.status is V


@pytest.mark.parametrize("hash_alg", ["sha1", "sha224", "sha384", "sha512"])
def test_sod_hash_algorithms(hash_alg):
    a = pki.issue_csca("pa-csca-a")
    sod, dgs = _sod(pki.issue_dsc(a, "pa-dsc-vn"), hash_alg=hash_alg)
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert res.status is V and res.get("sod.parse").details["hash_algorithm"] == hash_alg


def test_dg_read_but_not_listed_and_not_read_reason():
    a = pki.issue_csca("pa-csca-a")
    sod, dgs = _sod(pki.issue_dsc(a, "pa-dsc-vn"))
    res = passive_auth.verify(
        sod, {1: dgs[1], 11: b"\x6b\x00"}, _store(a), at=LATER, not_read={2: "file_access_denied"}
    )
    assert _status(res, "dg_hash.DG11") == (U, "dg_not_in_sod")
    assert res.status is U
    assert res.get("dg_hash.DG2").details["reason"] == "file_access_denied"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x77\x03\x30\x01\x00",
        b"\x30\x03\x02\x01\x00",
        b"\x77\x82\xff\xff\x30",
        bytes(range(256)) * 4,
    ],
)
def test_malformed_sod_is_a_check_not_an_exception(raw):
    res = passive_auth.verify(raw, {1: b"x"}, TrustStore(), at=LATER)
    assert _status(res, "sod.parse") == (I, "sod_malformed")
    assert res.status is I
    assert _status(res, "dg_hash.DG1") == (N, "sod_unavailable")


def test_ten_megabytes_of_garbage_rejected_in_bounded_memory():
    # Speed is measured in benchmarks/; here: refused by its size before parsing, so the
    # parser allocates almost nothing beyond the input (pytest-timeout guards against a hang).
    import tracemalloc

    garbage = b"\x77\x84\x00\xa0\x00\x00" + bytes(range(256)) * (10 * 4096)
    tracemalloc.start()
    try:
        res = passive_auth.verify(garbage, {}, TrustStore(), at=LATER)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(garbage)
    assert _status(res, "sod.parse") == (I, "sod_malformed")
    assert "too large" in res.get("sod.parse").details["error"]


def test_missing_sod():
    res = passive_auth.verify(None, {1: b"x"}, TrustStore())
    assert _status(res, "sod.parse") == (N, "sod_missing") and res.status is N


def test_dsc_matched_by_name_only_whose_signature_fails_is_unknown():
    """No AKI in the DSC: a same-named CSCA with another key may simply be missing from the
    store."""
    a = pki.issue_csca("pa-csca-a")
    b = pki.issue_csca("pa-csca-b")  # same default name as A, other key
    dsc = pki.issue_dsc(b, "pa-dsc-no-aki", include_aki=False)
    sod, dgs = _sod(dsc)
    res = passive_auth.verify(sod, dgs, _store(a), at=LATER)
    assert _status(res, "dsc.chain") == (U, "csca_key_unknown")
    assert res.status is U
