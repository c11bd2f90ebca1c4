"""End to end: gunicorn on a free port reading the virtual CCCD through a private pcscd + vpcd,
asking the gateway simulator (its own process) about the chip's holder."""

from __future__ import annotations

import hashlib
import time

import pytest

from edge.signing import verify_jws
from tests.edge.conftest import KEYS
from tests.support.bhyt import PASSWORD, GatewayProcess
from tests.support.gunicorn_stack import http as _http
from tests.support.gunicorn_stack import pcsc_gunicorn_stack

pytestmark = pytest.mark.pcsc
HEADERS = {"X-API-Key": KEYS["hospital"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn-bhyt")
    gateway = GatewayProcess()
    try:
        (tmp / "bhyt-password").write_text(PASSWORD)
        (tmp / "edge.toml").write_text("[insurance]\ntimeout = 1.5\nbreaker_seconds = 30\n")
        settings = gateway.settings()
        env = {
            "CCCD_EDGE_CONFIG": str(tmp / "edge.toml"),
            "CCCD_EDGE_BHYT_URL": settings["url"],
            "CCCD_EDGE_BHYT_USERNAME": settings["username"],
            "CCCD_EDGE_BHYT_PASSWORD_FILE": str(tmp / "bhyt-password"),
            "CCCD_EDGE_BHYT_STAFF_NAME": settings["staff_name"],
            "CCCD_EDGE_BHYT_STAFF_ID": settings["staff_id"],
        }
        with pcsc_gunicorn_stack(tmp, f"hospital-rp:hospital:{KEYS['hospital']}", env) as running:
            yield {**running, "gateway": gateway}
    finally:
        gateway.stop()


def _verify(stack) -> dict:
    from simulators.dataset import build_dataset

    status, created = _http(
        "POST",
        stack["base"] + "/v1/verifications",
        {"can": build_dataset(0).can},
        HEADERS,
    )
    assert status == 202, created
    status, body = _http(
        "GET", stack["base"] + created["links"]["self"] + "?wait=30", headers=HEADERS
    )
    assert status == 200 and body["state"] == "done", body
    _, jwks = _http("GET", stack["base"] + "/v1/keys")
    assert verify_jws(body["result"]["jws"], jwks) == body["result"]["claims"]
    return body


def test_eligible(stack):
    stack["gateway"].set_mode("correct")
    claims = _verify(stack)["result"]["claims"]
    assert claims["verdicts"]["overall"] == "valid"
    assert claims["insurance"]["status"] == "eligible"
    assert claims["insurance"]["first_contact_facility"]["code"] == "01013"
    assert claims["fhir_coverage"]["status"] == "active"
    from fhir.resources.coverage import Coverage

    Coverage.parse_obj(claims["fhir_coverage"])
    received = stack["gateway"].state()["last_request"]
    assert received["query"]["password"] == hashlib.md5(PASSWORD.encode()).hexdigest()


def test_record_mismatch_and_correction_request(stack):
    stack["gateway"].set_mode("wrong_name")
    body = _verify(stack)
    insurance = body["result"]["claims"]["insurance"]
    assert insurance["status"] == "record_mismatch" and insurance["code"] == "060"
    assert insurance["mismatches"] == [
        {
            "field": "full_name",
            "chip": "Nguyễn Văn An",
            "insurance": "Nguyen Van An",
            "how": "diacritics",
        }
    ]
    url = stack["base"] + f"/v1/verifications/{body['id']}/insurance-correction"
    status, signed = _http("GET", url, headers=HEADERS)
    assert status == 200
    _, jwks = _http("GET", stack["base"] + "/v1/keys")
    assert verify_jws(signed["jws"], jwks) == signed["document"]
    assert signed["document"]["fields"][0]["chip"] == "Nguyễn Văn An"
    status, page = _http("GET", url + ".html", headers=HEADERS, raw=True)
    assert status == 200 and "Nguyễn Văn An" in page and "sai dấu tiếng Việt" in page


def test_gateway_down_identity_done_insurance_unavailable(stack):
    stack["gateway"].set_mode("stall", delay=5.0)
    started = time.monotonic()
    claims = _verify(stack)["result"]["claims"]
    assert claims["verdicts"]["overall"] == "valid"  # the identity result is not held back
    assert claims["attributes"]["full_name"] == "Nguyễn Văn An"
    assert claims["insurance"]["status"] == "unavailable"
    assert claims["insurance"]["reason"] == "gateway_timeout"
    assert time.monotonic() - started < 15
    # Skipped for a while now, and said so, without waiting for the gateway again.
    claims = _verify(stack)["result"]["claims"]
    assert claims["insurance"]["reason"] == "gateway_skipped"
    log = (stack["tmp"] / "app.log").read_text(encoding="utf-8")
    assert "insurance gateway skipped for 30 s" in log
    md5 = hashlib.md5(PASSWORD.encode()).hexdigest()
    for secret in (PASSWORD, md5, "token=", stack["gateway"].url, "Nguyễn Văn An", "GD4"):
        assert secret not in log
