"""Authenticity apart from currency: genuine expired documents are valid and expired.

Documents are built with the test PKI at chosen dates (CSCA, DSC, signing time,
MRZ expiry), then checked "today" (``AT``); the real documents of ../shared/pki
are checked at fixed dates through the German and Dutch master lists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crypto import passive_auth, verdicts
from crypto.certs import Certificate
from crypto.report import Check, Status
from crypto.truststore import TrustStore
from edge.api.results import build_result
from edge.pipeline import report_from_files
from edge.profiles import get_profile
from edge.signing import KioskKey
from simulators import pki
from simulators.carddata import FID_SOD, fid_of_dg
from simulators.dataset import build_dataset

from .conftest import DOCUMENTS

V, INV, U, N = Status.VALID, Status.INVALID, Status.UNKNOWN, Status.NOT_PERFORMED
AT = datetime(2026, 12, 4, tzinfo=UTC)  # "today" for these cases
KEY = KioskKey.generate()


def _status(res, name):
    c = res.get(name)
    return (c.status, c.code) if c else None


def _old_pki(label: str, *, csca_until: int = 2035):
    """A CSCA from 2010 and a DSC that signed in 2016 and expired at the end of 2021."""
    csca = pki.issue_csca(
        f"cur-csca-{label}",
        not_before=datetime(2010, 1, 1, tzinfo=UTC),
        not_after=datetime(csca_until, 1, 1, tzinfo=UTC),
    )
    dsc = pki.issue_dsc(
        csca,
        f"cur-dsc-{label}",
        not_before=datetime(2016, 1, 1, tzinfo=UTC),
        not_after=datetime(2021, 12, 31, tzinfo=UTC),
    )
    return csca, dsc


def _files(dsc, *, mrz_expiry: str = "210601", signing_time=datetime(2016, 6, 1, tzinfo=UTC)):
    ds = build_dataset(0, dsc=dsc, signing_time=signing_time, mrz_expiry=mrz_expiry)
    files = {"EF.SOD": ds.files[FID_SOD]}
    files.update({f"DG{n}": ds.files[fid_of_dg(n)] for n in (1, 2, 13, 14, 15)})
    return files


def _store(*certs) -> TrustStore:
    store = TrustStore()
    for c in certs:
        store.add_certificate(Certificate.from_bytes(c.der))
    return store


def test_expired_but_genuine_is_valid_and_expired():
    csca, dsc = _old_pki("genuine")
    report = report_from_files(_files(dsc), _store(csca), at=AT)
    v = report.verification
    assert v.passive_authentication is V, [c.to_dict() for c in v.checks if c.status is not V]
    assert v.document_currency == "expired"
    assert v.to_dict()["document_currency"] == "expired"
    assert _status(v, "document_expiry") == (INV, "document_expired")
    assert _status(v, "dsc_expiry") == (INV, "dsc_expired_now")
    assert _status(v, "csca_expiry") == (V, "ok")
    assert _status(v, "dsc.validity_at_signing") == (V, "ok")
    assert v.get("dsc.validity_at_signing").details["judged_at"].startswith("2016-06-01")
    assert "document_expired" in v.reason_codes()


def test_expired_and_unknown_csca_is_unknown():
    _, dsc = _old_pki("orphan")
    stranger = pki.issue_csca("cur-csca-stranger", common_name="Another Test CSCA")
    for store in (_store(stranger), TrustStore()):
        v = report_from_files(_files(dsc), store, at=AT).verification
        assert v.passive_authentication is U
        assert _status(v, "dsc.chain")[1] == "csca_unknown"
        assert v.document_currency == "expired"
        assert _status(v, "csca_expiry") == (N, "csca_unknown")


def test_forged_expired_document_is_invalid():
    csca, dsc = _old_pki("forged")
    files = _files(dsc)
    dg2 = bytearray(files["DG2"])
    dg2[-1] ^= 0x01
    files["DG2"] = bytes(dg2)
    v = report_from_files(files, _store(csca), at=AT).verification
    assert v.passive_authentication is INV
    assert _status(v, "dg_hash.DG2") == (INV, "dg_hash_mismatch")
    assert v.document_currency == "expired"  # currency is reported, apart, even for a forgery


def test_a_current_document_is_current():
    csca, _ = _old_pki("current")
    dsc_now = pki.issue_dsc(
        csca,
        "cur-dsc-now",
        not_before=datetime(2025, 1, 1, tzinfo=UTC),
        not_after=datetime(2036, 1, 1, tzinfo=UTC),
    )
    files = _files(dsc_now, mrz_expiry="350101", signing_time=datetime(2025, 3, 1, tzinfo=UTC))
    v = report_from_files(files, _store(csca), at=AT).verification
    assert v.passive_authentication is V
    assert v.document_currency == "current"
    assert _status(v, "document_expiry") == (V, "ok")


def test_a_document_without_expiry_is_current():
    csca, _ = _old_pki("noexp")
    dsc_now = pki.issue_dsc(
        csca,
        "cur-dsc-noexp",
        not_before=datetime(2025, 1, 1, tzinfo=UTC),
        not_after=datetime(2036, 1, 1, tzinfo=UTC),
    )
    files = _files(dsc_now, mrz_expiry="<<<<<<", signing_time=datetime(2025, 3, 1, tzinfo=UTC))
    v = report_from_files(files, _store(csca), at=AT).verification
    assert _status(v, "document_expiry") == (V, "no_expiry")
    assert v.document_currency == "current"


def test_csca_expired_since_signing_is_still_valid():
    csca, dsc = _old_pki("oldcsca", csca_until=2022)
    v = report_from_files(_files(dsc), _store(csca), at=AT).verification
    assert v.passive_authentication is V
    assert _status(v, "csca.validity") == (V, "ok")  # at the signing time
    assert _status(v, "csca_expiry") == (INV, "csca_expired_now")
    assert v.document_currency == "expired"


def test_signed_after_the_csca_expired_is_invalid():
    csca, dsc = _old_pki("late", csca_until=2016)  # the CSCA ended before the 2016-06-01 signing
    v = report_from_files(_files(dsc), _store(csca), at=AT).verification
    assert _status(v, "csca.validity") == (INV, "csca_expired")
    assert v.passive_authentication is INV


def test_without_signing_time_judged_at_the_dsc_start():
    csca, dsc = _old_pki("nost")
    v = report_from_files(_files(dsc, signing_time=None), _store(csca), at=AT).verification
    assert v.passive_authentication is V
    check = v.get("dsc.validity_at_signing")
    assert (check.status, check.code) == (N, "no_signing_time")
    assert check.details["judged_at"].startswith("2016-01-01")


def test_signing_time_in_the_future_is_judged_now():
    """A SOD claiming to be signed after today is judged today: its DSC is not valid yet."""
    csca = pki.issue_csca("cur-csca-future", not_before=datetime(2010, 1, 1, tzinfo=UTC))
    dsc = pki.issue_dsc(
        csca,
        "cur-dsc-future",
        not_before=datetime(2030, 1, 1, tzinfo=UTC),
        not_after=datetime(2040, 1, 1, tzinfo=UTC),
    )
    files = _files(dsc, mrz_expiry="390101", signing_time=datetime(2031, 1, 1, tzinfo=UTC))
    v = report_from_files(files, _store(csca), at=AT).verification
    assert _status(v, "dsc.validity_at_signing") == (INV, "dsc_not_yet_valid")
    assert v.passive_authentication is INV


def _result(profile: str, currency: str):
    v_report = report_from_files({}, None, at=AT)
    v_report.verification.passive_authentication = V
    v_report.verification.document_currency = currency
    return build_result(
        v_report,
        get_profile(profile),
        key=KEY,
        kiosk_id="k",
        rp_id="rp",
        verification_id="v1",
        nonce=None,
        kind="upload",
        face=None,
        face_required=False,
        record=None,
        now=1_800_000_000,
    )["claims"]


@pytest.mark.parametrize(
    "profile,accepted", [("hospital", True), ("school", True), ("airport", False)]
)
def test_profiles_decide_on_expired_documents(profile, accepted):
    assert get_profile(profile).accept_expired_document is accepted
    claims = _result(profile, "expired")
    assert claims["verdicts"]["document_currency"] == "expired"
    if accepted:
        assert claims["verdicts"]["overall"] == "valid"
        assert claims["notices"][0]["code"] == "document_expired"
        assert "document_expired" not in claims["reason_codes"]
    else:
        assert claims["verdicts"]["overall"] == "invalid"
        assert claims["reason_codes"][0] == "document_expired"
        assert "notices" not in claims
    current = _result(profile, "current")
    assert current["verdicts"]["overall"] == "valid" and "notices" not in current


def test_currency_rule():
    def c(name, status):
        return Check(name, status, "x", "x")

    rule = verdicts.document_currency
    assert rule([c("document_expiry", V), c("dsc_expiry", V), c("csca_expiry", V)]) == "current"
    assert rule([c("document_expiry", V), c("dsc_expiry", INV)]) == "expired"
    assert rule([c("document_expiry", N), c("dsc_expiry", V)]) == "unknown"
    assert rule([c("document_expiry", INV)]) == "expired"
    # currency checks never decide authenticity
    pa = [c("sod.signature", V), c("dsc.chain", V), c("dsc_expiry", INV), c("document_expiry", INV)]
    assert verdicts.passive_authentication(pa) is V
    assert verdicts.passive_authentication(pa, read_complete=False) is U


# -- the real documents of ../shared/pki ------------------------------------------------------

# Document signer certificates whose validity has ended on 2026-12-04 (checked by hand from the
# DSCs: AT 2033-05, AU 2028-11, DE 2033-07, FR 2027-10, MY 2028-08, NZ 2028-02, BSI 2014-12).
EXPIRED_DSC_ON_2026_12_04 = {"bsi-tr03105-5"}
EXPIRED_DSC_ON_2029_01_01 = {"AU", "FR", "MY", "NZ", "bsi-tr03105-5"}
# No CSCA for them in the German or the Dutch master list.
NO_CSCA_IN_MASTER_LISTS = {"bsi-tr03105-5"}


@pytest.fixture(scope="module")
def nl_store(nl_ml_path, pki_dir) -> TrustStore:
    root = Certificate.from_bytes((pki_dir / "master-lists" / "NL_ROOT_CA.cer").read_bytes())
    store = TrustStore()
    store.import_master_list(nl_ml_path.read_bytes(), roots=[root])
    return store


def _folder(pki_dir: Path, name: str) -> Path:
    return pki_dir / name if name.startswith("bsi") else pki_dir / "documents" / name


@pytest.mark.parametrize(
    "when", [datetime(2026, 12, 4, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)]
)
@pytest.mark.parametrize("name", [*DOCUMENTS, "bsi-tr03105-5"])
def test_real_documents_authentic_whatever_the_date(pki_dir, de_store, nl_store, name, when):
    raw = (_folder(pki_dir, name) / "EF_SOD.bin").read_bytes()
    expired = EXPIRED_DSC_ON_2026_12_04 if when.year == 2026 else EXPIRED_DSC_ON_2029_01_01
    for store in (de_store, nl_store):
        res = passive_auth.verify(raw, {}, store, at=when)
        if name in NO_CSCA_IN_MASTER_LISTS:
            assert res.status is U and _status(res, "dsc.chain") == (U, "csca_unknown")
        else:
            assert res.status is V, [c.to_dict() for c in res.checks if c.status is INV]
        dsc_expiry = res.get("dsc_expiry")
        assert (dsc_expiry.code == "dsc_expired_now") is (name in expired), name
        if name in expired:
            assert res.currency == "expired"
