"""The real stack: gunicorn on a free port, reading the virtual CCCD through a private pcscd +
vpcd."""

from __future__ import annotations

import pytest

from edge.signing import verify_jws
from tests.edge.conftest import KEYS
from tests.support.gunicorn_stack import http as _http
from tests.support.gunicorn_stack import pcsc_gunicorn_stack

pytestmark = pytest.mark.pcsc


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn")
    with pcsc_gunicorn_stack(tmp, f"hospital-rp:hospital:{KEYS['hospital']}", {}) as running:
        yield running


def test_serve_prints_the_url(stack):
    assert stack["banner"].startswith(
        f"cccd-edge: serving on http://localhost:{stack['base'].rsplit(':', 1)[1]}/"
    )


def test_read_virtual_cccd_through_pcscd_under_gunicorn(stack):
    from simulators.dataset import build_dataset

    ds = build_dataset(0)
    headers = {"X-API-Key": KEYS["hospital"]}
    status, health = _http("GET", stack["base"] + "/v1/health")
    assert health["reader"]["mode"] == "pcsc"
    status, created = _http(
        "POST", stack["base"] + "/v1/verifications", {"can": ds.can, "nonce": "g-1"}, headers
    )
    assert status == 202, created
    status, body = _http(
        "GET", stack["base"] + created["links"]["self"] + "?wait=30", headers=headers
    )
    assert status == 200 and body["state"] == "done", body
    claims = body["result"]["claims"]
    _, jwks = _http("GET", stack["base"] + "/v1/keys")
    assert verify_jws(body["result"]["jws"], jwks) == claims
    assert claims["verdicts"]["overall"] == "valid" and claims["nonce"] == "g-1"
    assert claims["attributes"]["id_number"] == ds.id_number
    # Wrong key: a failed verification with a reason, and the service keeps serving.
    status, created = _http(
        "POST",
        stack["base"] + "/v1/verifications",
        {"can": "000000" if ds.can != "000000" else "111111"},
        headers,
    )
    status, body = _http(
        "GET", stack["base"] + created["links"]["self"] + "?wait=30", headers=headers
    )
    assert body["state"] == "failed" and body["error"]["code"] == "access_key_rejected", body
    assert _http("GET", stack["base"] + "/v1/health")[0] == 200
    log = (stack["tmp"] / "app.log").read_text(encoding="utf-8")
    assert ds.id_number not in log and ds.citizen.full_name not in log and ds.can not in log
