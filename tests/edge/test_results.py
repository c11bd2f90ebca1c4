"""The verdict rules of a result, on real report objects (edge.report / crypto.report)."""

import pytest

from crypto.report import Check, Status, VerificationReport
from edge.api.results import build_result
from edge.profiles import get_profile
from edge.report import DocumentReport, Person
from edge.signing import KioskKey, verify_jws

KEY = KioskKey.generate()


def _report(pa: Status, chip: Status) -> DocumentReport:
    v = VerificationReport(passive_authentication=pa, chip_authenticity=chip)
    v.add(Check("sod.signature", pa, "ok" if pa is Status.VALID else "sod_signature_invalid", "x"))
    return DocumentReport(
        person=Person(
            source="DG13",
            id_number="001093047064",
            full_name="Nguyễn Văn An",
            birth_date="1993-01-05",
            sex="M",
            nationality="Việt Nam",
            religion="Không",
            father_name="Nguyễn Văn Bình",
        ),
        verification=v,
    )


def _build(report, profile="airport", kind="card", face=None, face_required=False, record=None):
    return build_result(
        report,
        get_profile(profile),
        key=KEY,
        kiosk_id="k",
        rp_id="rp",
        verification_id="v1",
        nonce="n",
        kind=kind,
        face=face,
        face_required=face_required,
        record=record,
        now=1_800_000_000,
    )


@pytest.mark.parametrize(
    "pa,chip,kind,face,required,overall",
    [
        (Status.VALID, Status.VALID, "card", None, False, "valid"),
        (Status.VALID, Status.UNKNOWN, "card", None, False, "unknown"),
        (
            Status.VALID,
            Status.NOT_PERFORMED,
            "upload",
            None,
            False,
            "valid",
        ),  # an upload proves no chip
        (Status.INVALID, Status.VALID, "card", None, False, "invalid"),
        (Status.UNKNOWN, Status.VALID, "card", None, False, "unknown"),
        (Status.VALID, Status.VALID, "card", {"decision": "match"}, True, "valid"),
        (Status.VALID, Status.VALID, "card", {"decision": "no_match"}, True, "invalid"),
        (Status.VALID, Status.VALID, "card", {"decision": "undetermined"}, True, "unknown"),
        (
            Status.VALID,
            Status.VALID,
            "card",
            {"decision": "no_match"},
            False,
            "valid",
        ),  # not asked for
    ],
)
def test_overall_verdict(pa, chip, kind, face, required, overall):
    claims = _build(_report(pa, chip), kind=kind, face=face, face_required=required)["claims"]
    assert claims["verdicts"]["overall"] == overall
    assert (
        claims["verdicts"]["face"]
        == {
            None: "not_performed",
            "match": "valid",
            "no_match": "invalid",
            "undetermined": "unknown",
        }[(face or {}).get("decision")]
    )


def test_signed_claims_hold_only_profile_fields():
    out = _build(_report(Status.VALID, Status.VALID), "school")
    claims = verify_jws(out["jws"], KEY.jwks())
    assert claims == out["claims"] and claims["iat"] == 1_800_000_000 and claims["nonce"] == "n"
    assert claims["attributes"] == {"full_name": "Nguyễn Văn An", "id_number": "001093047064"}
    assert "Bình" not in out["jws"] and "Không" not in str(claims)


def test_hospital_adds_fhir_and_comparison_only_when_a_record_is_given():
    r = _report(Status.VALID, Status.VALID)
    claims = _build(r, "hospital")["claims"]
    assert claims["fhir_patient"]["meta"]["lastUpdated"] == "2027-01-15T08:00:00Z"
    assert "comparison" not in claims
    claims = _build(r, "hospital", record={"full_name": "Nguyen Van An"})["claims"]
    assert claims["comparison"]["full_name"]["how"] == ["diacritics"]
    assert set(claims["comparison"]) <= set(get_profile("hospital").attributes)


@pytest.mark.parametrize(
    "decision,liveness,face",
    [
        ("match", "passed", "valid"),
        ("match", "failed", "invalid"),  # the right face, but not alive
        ("match", "not_performed", "unknown"),
        ("no_match", "passed", "invalid"),
        ("no_match", "failed", "invalid"),
        ("undetermined", "passed", "unknown"),
        ("undetermined", "failed", "invalid"),
    ],
)
def test_face_verdict_is_match_and_liveness(decision, liveness, face):
    live = {
        "verdict": liveness,
        "reason_codes": [] if liveness == "passed" else ["steps_not_seen"],
        "steps_seen": ["left"],
        "frames_in_window": 4,
        "frames_ignored": 1,
    }
    claims = _build(
        _report(Status.VALID, Status.VALID),
        face={"decision": decision, "liveness": live},
        face_required=True,
    )["claims"]
    assert claims["verdicts"]["face"] == face
    assert claims["verdicts"]["overall"] == ("valid" if face == "valid" else face)
    # Verdict and codes only: nothing about the frames goes into the signed result.
    assert claims["face"]["liveness"] == {"verdict": liveness, "reason_codes": live["reason_codes"]}


def test_profiles_without_the_face_verdict_get_no_liveness_detail():
    live = {"verdict": "failed", "reason_codes": ["wrong_direction"]}
    claims = _build(
        _report(Status.VALID, Status.VALID),
        profile="school",
        face={"decision": "match", "liveness": live},
        face_required=True,
    )["claims"]
    assert "face" not in claims and claims["verdicts"]["face"] == "invalid"
