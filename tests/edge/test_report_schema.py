"""One report: ``read --json``, ``verify-dump --json`` and the API's ``report`` share one schema.

The schema is ``DocumentReport`` in the served OpenAPI document, the one the
API's responses reference; every output here is validated against that same
object, so a field renamed in one output (``place_of_residence``) fails here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from jsonschema import Draft202012Validator, ValidationError

from crypto.report import Check, Status, VerificationReport
from edge.api.validation import openapi_document
from edge.cli import main
from edge.face_report import FaceReport, LivenessReport
from edge.report import DocumentReport, Person
from simulators.dataset import build_dataset
from simulators.pki import default_pki
from tests.edge.conftest import auth

DS = build_dataset(0)
REPORT_REF = "#/components/schemas/DocumentReport"


def report_validator() -> Draft202012Validator:
    doc = openapi_document()
    schema = {"$ref": REPORT_REF, "components": doc["components"]}
    return Draft202012Validator(schema)


def assert_report(body: dict) -> None:
    errors = sorted(report_validator().iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_the_api_references_the_report_schema():
    schemas = openapi_document()["components"]["schemas"]
    assert schemas["Verification"]["properties"]["report"] == {"$ref": REPORT_REF}
    assert schemas["DocumentResult"]["properties"]["report"] == {"$ref": REPORT_REF}
    Draft202012Validator.check_schema(schemas["DocumentReport"])


@pytest.fixture()
def trust_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CCCD_EDGE_TRUST_STORE", str(tmp_path / "trust.sqlite"))
    csca = tmp_path / "csca.cer"
    csca.write_bytes(default_pki("ecdsa")[0].der)
    return csca


def test_read_json_from_the_simulator_is_the_report(capsys, tmp_path, trust_file):
    out_dir = tmp_path / "dump"
    code = main(
        [
            "read",
            "--simulator",
            "--can",
            DS.can,
            "--trust-file",
            str(trust_file),
            "--json",
            "--out",
            str(out_dir),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    body = json.loads(captured.out)
    assert_report(body)
    # The report model's names, not the CLI's own: residence, not place_of_residence.
    assert body["person"]["residence"] == DS.citizen.residence
    assert "place_of_residence" not in captured.out
    assert body["verification"]["passive_authentication"] == "valid"
    assert body["read"]["complete"] and body["read"]["access_protocol"] == "PACE-CAN"
    assert body["photo"]["size"] > 0 and body["face"] is None and body["liveness"] is None
    assert "Written: " in captured.err and (out_dir / "EF_SOD.bin").exists()

    # The saved files, verified offline: the same schema, the same person and verdict.
    code = main(["verify-dump", str(out_dir), "--trust-file", str(trust_file), "--json"])
    dumped = json.loads(capsys.readouterr().out)
    assert code == 0
    assert_report(dumped)
    assert dumped["read"] is None
    assert dumped["person"] == body["person"] and dumped["document"] == body["document"]
    assert dumped["verification"]["passive_authentication"] == "valid"


def test_the_api_report_has_the_same_schema_and_no_personal_data(client):
    files = {
        "EF_SOD": base64.b64encode(DS.files[0x011D]).decode(),
        "DG1": base64.b64encode(DS.files[0x0101]).decode(),
        "DG13": base64.b64encode(DS.files[0x010D]).decode(),
    }
    r = client.post("/v1/documents/verify", json={"files": files}, headers=auth("hospital"))
    assert r.status_code == 200, r.get_json()
    report = r.get_json()["report"]
    assert_report(report)
    assert "person" not in report and "photo" not in report
    assert "document_number" not in report["document"]
    text = json.dumps(report, ensure_ascii=False)
    for personal in (DS.citizen.full_name, DS.citizen.id_number, DS.citizen.residence):
        assert personal not in text
    claims = r.get_json()["result"]["claims"]
    assert (
        report["verification"]["passive_authentication"]
        == (claims["verdicts"]["passive_authentication"])
    )


def test_the_schema_refuses_the_old_cli_shape():
    report = DocumentReport(person=Person(source="DG13", residence="Hà Nội")).to_dict()
    assert_report(report)
    report["person"]["place_of_residence"] = report["person"].pop("residence")
    with pytest.raises(ValidationError):
        report_validator().validate(report)


@dataclass
class _Insurance:
    status: str

    def to_dict(self) -> dict:
        return {"status": self.status, "code": "000"}


def test_insurance_slot_and_extra_verification_verdicts_serialise():
    verification = VerificationReport(
        checks=[Check("sod_signature", Status.VALID, "ok", "The signature holds.")],
        passive_authentication=Status.VALID,
    )
    report = DocumentReport(verification=verification, insurance=_Insurance("eligible"))
    body = report.to_dict()
    assert body["insurance"] == {"status": "eligible", "code": "000"}
    # Whatever VerificationReport.to_dict() adds (a currency verdict) passes through.
    body["verification"]["document_currency"] = "expired"
    assert_report(body)
    assert "insurance" not in DocumentReport().to_dict()
    # The holder's insurance data stays out of the report a relying party sees.
    assert "insurance" not in report.to_dict(include_personal=False)


def test_face_and_liveness_are_typed_from_whatever_the_matcher_returns():
    from edge.face.errors import BlurredError
    from edge.face.liveness import LivenessReason, LivenessResult
    from edge.face.matcher import FrameResult, MatchResult

    blurred = BlurredError("Hold still.")
    match = MatchResult(
        decision="no_match",
        distance=0.71234,
        threshold=0.6,
        frames=[FrameResult(0, True, [], 0.71234), FrameResult(1, False, [blurred])],
        message="The face does not match.",
    )
    face = FaceReport.from_result(match)
    assert (face.decision, face.distance, face.threshold) == ("no_match", 0.7123, 0.6)
    assert (face.frames_used, face.frames_total) == (1, 2)
    assert face.frame_quality[1].reason_codes == ["blurred"]
    assert face.reason_codes == ["blurred"]  # why, from the frames that failed

    # A newer matcher's dict: extra evidence is read, unknown keys ignored, missing ones None.
    newer = FaceReport.from_result(
        {
            "decision": "match",
            "reason_code": "ok",
            "model": {"name": "arcface-r100", "version": "2"},
            "threshold": "0.4",
            "frames_used": 3,
            "something_new": [1, 2],
        }
    )
    assert (newer.model_name, newer.model_version, newer.threshold) == ("arcface-r100", "2", 0.4)
    assert newer.reason_codes == ["ok"] and newer.distance is None and newer.frames_used == 3
    assert FaceReport.from_result({"decision": "maybe"}).decision == "undetermined"

    live = LivenessReport.from_result(
        LivenessResult(
            False, [LivenessReason("wrong_direction", "Turned the other way.")], ["left"]
        ),
        ("left", "right"),
    )
    assert (live.verdict, live.passed, live.challenge) == ("failed", False, ["left", "right"])
    assert live.reason_codes == ["wrong_direction"] and live.reason == "Turned the other way."
    body = DocumentReport(face=face, liveness=live).to_dict()
    assert_report(body)
    assert body["liveness"]["reason_codes"] == ["wrong_direction"]


def test_report_hooks_fill_their_part_before_the_result_is_signed(app, client):
    seen = []

    def insurance_hook(report, profile, kind):
        seen.append((report.verification.passive_authentication.value, profile.name, kind))
        report.insurance = _Insurance("eligible")

    app.extensions["cccd_edge"].report_hooks.append(insurance_hook)
    files = {"EF_SOD": base64.b64encode(DS.files[0x011D]).decode()}
    files["DG1"] = base64.b64encode(DS.files[0x0101]).decode()
    r = client.post("/v1/documents/verify", json={"files": files}, headers=auth("hospital"))
    assert r.status_code == 200
    assert seen == [("unknown", "hospital", "upload")]  # the test store trusts no CSCA
    assert "insurance" not in r.get_json()["report"]  # the holder's data: not in this view


def test_a_card_verification_gives_the_report_beside_its_signed_result(tmp_path):
    from tests.edge.test_api_card import _make, finish, start

    app = _make(tmp_path)
    try:
        client = app.test_client()
        body = finish(client, start(client, profile="school"), profile="school")
        assert body["state"] == "done"
        report = body["report"]
        assert_report(report)
        assert report["read"]["complete"] and report["read"]["access_protocol"] == "PACE-CAN"
        assert report["verification"]["chip_authenticity"] == "valid"
        assert "person" not in report and report["face"] is None
        assert DS.citizen.full_name not in json.dumps(report, ensure_ascii=False)
    finally:
        app.extensions["cccd_edge"].close()
