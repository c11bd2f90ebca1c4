"""The insurance check through the API (Flask app, the virtual CCCD in process, the simulator
in its own process): signed claims, FHIR Coverage, the correction request, the audit columns."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from edge.app import create_app
from edge.signing import verify_jws
from simulators.dataset import build_dataset
from tests.edge.conftest import KEYS, auth, rp_config
from tests.edge.openapi_check import check

DS = build_dataset(0)
PERSON = DS.citizen


def _trust(tmp_path):
    from crypto.truststore import TrustStore
    from simulators.pki import default_pki

    store = TrustStore(tmp_path / "trust.sqlite")
    store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    store.close()


@pytest.fixture
def app(tmp_path, sim):
    _trust(tmp_path)
    app = create_app(
        rp_config(
            tmp_path,
            insurance=sim.settings(timeout=1.0, breaker_seconds=30),
            log_file=str(tmp_path / "app.log"),
        )
    )
    yield app
    app.extensions["cccd_edge"].close()


def verify(client, profile="hospital") -> dict:
    r = client.post("/v1/verifications", json={"can": DS.can}, headers=auth(profile))
    assert r.status_code == 202, r.get_json()
    created = r.get_json()
    r = client.get(created["links"]["self"] + "?wait=20", headers=auth(profile))
    body = check(r, "/v1/verifications/{session_id}")  # the OpenAPI document covers insurance
    assert body["state"] == "done", body
    return body


def test_eligible_in_signed_claims_with_fhir_coverage(app, sim):
    client = app.test_client()
    body = verify(client)
    claims = body["result"]["claims"]
    assert verify_jws(body["result"]["jws"], client.get("/v1/keys").get_json()) == claims
    insurance = claims["insurance"]
    assert (insurance["status"], insurance["code"], insurance["reason"]) == (
        "eligible",
        "000",
        "card_valid",
    )
    assert insurance["card_number"].startswith("GD4") and insurance["mismatches"] == []
    assert insurance["correction"] is None
    coverage = claims["fhir_coverage"]
    assert coverage["status"] == "active"
    assert coverage["identifier"][0]["value"] == insurance["card_number"]
    assert coverage["beneficiary"]["identifier"] == {
        "system": "urn:vn:cccd",
        "value": PERSON.id_number,
    }
    assert coverage["period"] == {"start": insurance["valid_from"], "end": insurance["valid_to"]}
    assert coverage["class"][0]["value"] == "4"
    # What the gateway received: the chip's data.
    received = sim.state()["last_request"]["body"]
    assert received["maThe"] == PERSON.id_number and received["hoTen"] == PERSON.full_name
    assert received["ngaySinh"] == PERSON.birth_date.strftime("%d/%m/%Y")


def test_fhir_resources_validate_as_r4(app):
    import fhir.resources
    from fhir.resources.coverage import Coverage
    from fhir.resources.patient import Patient
    from pydantic import ValidationError

    assert fhir.resources.__fhir_version__ == "4.0.1"  # R4, not R4B or R5
    claims = verify(app.test_client())["result"]["claims"]
    coverage: Any = Coverage.parse_obj(claims["fhir_coverage"])  # pydantic v1 fields: untyped
    assert coverage.status == "active" and coverage.beneficiary.identifier.value == PERSON.id_number
    assert str(coverage.period.end) == claims["insurance"]["valid_to"]
    Patient.parse_obj(claims["fhir_patient"])
    broken = {k: v for k, v in claims["fhir_coverage"].items() if k != "beneficiary"}
    with pytest.raises(ValidationError):
        Coverage.parse_obj(broken)  # the library really checks the structure
    with pytest.raises(ValidationError):
        Coverage.parse_obj({**claims["fhir_coverage"], "period": {"end": "31/12/2026"}})


def test_expired_card_is_a_cancelled_coverage(app, sim):
    from fhir.resources.coverage import Coverage

    sim.set_mode("expired")
    claims = verify(app.test_client())["result"]["claims"]
    assert claims["insurance"]["status"] == "not_eligible"
    assert claims["insurance"]["reason"] == "card_expired"
    assert Coverage.parse_obj(claims["fhir_coverage"]).status == "cancelled"


def test_profiles_without_the_check_carry_no_insurance(app, sim):
    before = sim.state()["check_calls"]
    claims = verify(app.test_client(), "school")["result"]["claims"]
    assert "insurance" not in claims and "fhir_coverage" not in claims
    assert sim.state()["check_calls"] == before


def test_record_mismatch_and_the_correction_request(app, sim):
    sim.set_mode("wrong_birth_date")
    client = app.test_client()
    body = verify(client)
    insurance = body["result"]["claims"]["insurance"]
    assert insurance["status"] == "record_mismatch" and insurance["code"] == "070"
    assert insurance["mismatches"] == [
        {
            "field": "birth_date",
            "chip": PERSON.birth_date.isoformat(),
            "insurance": "01/05/1993",
            "how": "day_month_swapped",
        }
    ]
    assert "fhir_coverage" not in body["result"]["claims"]
    path = f"/v1/verifications/{body['id']}/insurance-correction"
    assert insurance["correction"] == path  # reachable from the result itself
    r = client.get(path, headers=auth("hospital"))
    doc = check(r, "/v1/verifications/{session_id}/insurance-correction")
    assert verify_jws(doc["jws"], client.get("/v1/keys").get_json()) == doc["document"]
    document = doc["document"]
    assert document["kiosk_id"] == "kiosk-test" and document["verification_id"] == body["id"]
    assert document["fields"][0]["field"] == "birth_date"
    assert document["fields"][0]["chip"] == PERSON.birth_date.isoformat()
    assert document["holder"]["id_number"] == PERSON.id_number
    # The printable page: A4, Vietnamese, the chip's value, the signature.
    for url, headers in (
        (path + ".html", auth("hospital")),
        (path, {**auth("hospital"), "Accept": "text/html,*/*;q=0.8"}),
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.mimetype == "text/html"
        page = r.get_data(as_text=True)
        assert 'lang="vi"' in page and "size: A4" in page
        assert "PHIẾU ĐỀ NGHỊ ĐIỀU CHỈNH" in page and "05/01/1993" in page
        assert "đảo ngày và tháng" in page
        assert re.search(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", page)
    # Only for whoever may read the result: another relying party sees nothing.
    assert client.get(path, headers=auth("airport")).status_code == 404
    assert client.get(path).status_code == 401
    svc = app.extensions["cccd_edge"]
    r = client.get(path + ".html", headers={"X-Kiosk-Token": svc.kiosk_token})
    assert r.status_code == 200
    # Never stored: gone with the result.
    svc.sessions.discard(body["id"])
    assert client.get(path, headers=auth("hospital")).status_code == 404


def test_no_correction_without_a_mismatch(app):
    client = app.test_client()
    body = verify(client)
    r = client.get(f"/v1/verifications/{body['id']}/insurance-correction", headers=auth("hospital"))
    assert r.status_code == 409
    check(r, "/v1/verifications/{session_id}/insurance-correction")


def test_gateway_down_identity_still_done(app, sim):
    sim.set_mode("stall", delay=3.0)
    client = app.test_client()
    body = verify(client)
    claims = body["result"]["claims"]
    assert claims["verdicts"]["overall"] == "valid"
    assert claims["insurance"]["status"] == "unavailable"
    assert claims["insurance"]["reason"] == "gateway_timeout"
    body = verify(client)  # the breaker: not asked again for a while, and said so
    assert body["result"]["claims"]["insurance"]["reason"] == "gateway_skipped"


def test_upload_path_gets_the_check_and_a_forged_chip_is_not_checked(app, sim):
    from simulators.carddata import FID_COM, FID_SOD, fid_of_dg

    files = {"EF_SOD": DS.files[FID_SOD], "EF_COM": DS.files[FID_COM]}
    for n in (1, 2, 13):
        files[f"DG{n}"] = DS.files[fid_of_dg(n)]
    client = app.test_client()

    def upload(fs):
        r = client.post(
            "/v1/documents/verify",
            headers=auth("hospital"),
            json={"files": {k: base64.b64encode(v).decode() for k, v in fs.items()}},
        )
        return check(r, "/v1/documents/verify", "post")["result"]["claims"]

    assert upload(files)["insurance"]["status"] == "eligible"
    sim.set_mode("wrong_name")
    held_nowhere = upload(files)["insurance"]
    assert held_nowhere["status"] == "record_mismatch" and held_nowhere["correction"] is None
    forged = bytearray(files["DG13"])
    forged[-1] ^= 0x01
    before = sim.state()["check_calls"]
    claims = upload({**files, "DG13": bytes(forged)})
    assert claims["verdicts"]["passive_authentication"] == "invalid"
    assert claims["insurance"]["status"] == "not_checked"
    assert sim.state()["check_calls"] == before  # a forged chip looks nobody up


def test_audit_columns_without_card_number_or_name(app, sim, tmp_path):
    client = app.test_client()
    ids = []
    for mode in ("correct", "wrong_name", "expired"):
        sim.set_mode(mode)
        ids.append(verify(client)["id"])
    audit = app.extensions["cccd_edge"].audit
    rows = {row["id"]: row for row in audit.rows()}
    assert [(rows[i]["insurance_status"], rows[i]["insurance_code"]) for i in ids] == [
        ("eligible", "000"),
        ("record_mismatch", "060"),
        ("not_eligible", "010"),
    ]
    audit.flush()
    raw = (tmp_path / "instance" / "audit.sqlite").read_bytes()
    for wal in (tmp_path / "instance").glob("audit.sqlite-wal"):
        raw += wal.read_bytes()
    card = "GD4" + PERSON.id_number[1:3]
    for secret in (card, PERSON.full_name, "Nguyen Van An", PERSON.id_number):
        assert secret.encode() not in raw
    log = (tmp_path / "app.log").read_text(encoding="utf-8")
    for secret in (card, PERSON.full_name, PERSON.id_number, sim.url, KEYS["hospital"]):
        assert secret not in log
    assert json.loads(log.splitlines()[0])  # JSON lines


def test_old_audit_file_gets_the_new_columns(tmp_path):
    import sqlite3

    from edge.audit import AuditLog

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE verifications (id TEXT PRIMARY KEY, at TEXT NOT NULL, day TEXT NOT NULL, "
        "kiosk_id TEXT NOT NULL, relying_party TEXT NOT NULL, kind TEXT NOT NULL, "
        "outcome TEXT NOT NULL, overall TEXT, passive_authentication TEXT, "
        "chip_authenticity TEXT, face TEXT, access_protocol TEXT, reason_codes TEXT NOT NULL, "
        "durations TEXT NOT NULL, total_ms REAL, id_hmac TEXT)"
    )
    db.commit()
    db.close()
    log = AuditLog(path, b"k" * 32, kiosk_id="k")
    log.record(
        verification_id="v1",
        relying_party="rp",
        kind="card",
        outcome="done",
        insurance_status="unavailable",
        insurance_code="gateway_timeout",
    )
    row = log.row("v1")
    log.close()
    assert (row["insurance_status"], row["insurance_code"]) == ("unavailable", "gateway_timeout")


@pytest.mark.parametrize(
    "mode, reason",
    [
        ("non_json", "answer_not_json"),
        ("huge", "answer_too_large"),
        ("unknown_code", "unknown_result_code"),
        ("odd_dates", "answer_bad_date"),
        ("missing_fields", "answer_incomplete"),
        ("http_error", "gateway_http_error"),
        ("bad_credentials", "gateway_auth_failed"),
    ],
)
def test_bad_gateway_answers_are_unavailable_never_500(app, sim, mode, reason):
    sim.set_mode(mode)
    body = verify(app.test_client())  # 200, done, and valid against the OpenAPI document
    claims = body["result"]["claims"]
    assert claims["verdicts"]["overall"] == "valid"
    assert (claims["insurance"]["status"], claims["insurance"]["reason"]) == ("unavailable", reason)
    assert "fhir_coverage" not in claims
