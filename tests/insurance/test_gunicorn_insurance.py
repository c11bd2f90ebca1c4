"""End to end: gunicorn on a free port reading the virtual CCCD through a private pcscd + vpcd,
asking the gateway simulator (its own process) about the chip's holder."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from edge.signing import verify_jws
from tests.edge.conftest import KEYS
from tests.support.bhyt import PASSWORD, GatewayProcess
from tests.support.pcscd import HarnessError, PrivatePcscd, stop_process

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.pcsc
HEADERS = {"X-API-Key": KEYS["hospital"]}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(method, url, body=None, headers=None, timeout=40.0, raw=False):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
            return resp.status, (payload.decode() if raw else json.loads(payload))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn-bhyt")
    gateway = GatewayProcess()
    try:
        pcscd = PrivatePcscd().start()
    except HarnessError as exc:
        gateway.stop()
        pytest.fail(f"private pcscd could not start: {exc}")
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": pcscd.socket, "PYTHONPATH": str(ROOT)}
    card = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from simulators.vpcd import run_bridge; "
            "from simulators.card import VirtualCCCD; "
            "from simulators.dataset import build_dataset; "
            "run_bridge(VirtualCCCD(build_dataset(0)), '127.0.0.1', int(sys.argv[1]))",
            str(pcscd.port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        pcscd.wait_card(True, timeout=15)
        from crypto.truststore import TrustStore
        from simulators.pki import default_pki

        store = TrustStore(tmp / "trust.sqlite")
        store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
        store.close()
        (tmp / "bhyt-password").write_text(PASSWORD)
        (tmp / "edge.toml").write_text("[insurance]\ntimeout = 1.5\nbreaker_seconds = 30\n")
        settings = gateway.settings()
        port = _free_port()
        server_env = {
            **env,
            "CCCD_EDGE_CONFIG": str(tmp / "edge.toml"),
            "CCCD_EDGE_READER": pcscd.reader_name,
            "CCCD_EDGE_LISTEN": f"127.0.0.1:{port}",
            "CCCD_EDGE_INSTANCE_DIR": str(tmp / "instance"),
            "CCCD_EDGE_TRUST_STORE": str(tmp / "trust.sqlite"),
            "CCCD_EDGE_LOG_FILE": str(tmp / "app.log"),
            "CCCD_EDGE_API_KEYS": f"hospital-rp:hospital:{KEYS['hospital']}",
            "CCCD_EDGE_BHYT_URL": settings["url"],
            "CCCD_EDGE_BHYT_USERNAME": settings["username"],
            "CCCD_EDGE_BHYT_PASSWORD_FILE": str(tmp / "bhyt-password"),
            "CCCD_EDGE_BHYT_STAFF_NAME": settings["staff_name"],
            "CCCD_EDGE_BHYT_STAFF_ID": settings["staff_id"],
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "serve"],
            cwd=ROOT,
            env=server_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        first_line = server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if _http("GET", base + "/v1/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not come up: {first_line} {server.stdout.read()}")
            time.sleep(0.1)
        yield {"base": base, "tmp": tmp, "gateway": gateway}
    finally:
        stop_process(server)
        stop_process(card)
        pcscd.stop()
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
