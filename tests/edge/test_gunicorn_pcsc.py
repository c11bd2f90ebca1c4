"""The real stack: gunicorn on a free port, reading the virtual CCCD through a private pcscd +
vpcd."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from edge.signing import verify_jws
from tests.edge.conftest import KEYS
from tests.support.pcscd import HarnessError, PrivatePcscd, stop_process

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.pcsc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(
    method: str,
    url: str,
    body: dict | None = None,
    headers: dict | None = None,
    timeout: float = 40.0,
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn")
    try:
        pcscd = PrivatePcscd().start()
    except HarnessError as exc:
        pytest.fail(f"private pcscd could not start: {exc}")
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": pcscd.socket, "PYTHONPATH": str(ROOT)}
    card = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from simulators.vpcd import run_bridge; from simulators.card import "
            "VirtualCCCD; "
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
        port = _free_port()
        server_env = {
            **env,
            "CCCD_EDGE_READER": pcscd.reader_name,
            "CCCD_EDGE_LISTEN": f"127.0.0.1:{port}",
            "CCCD_EDGE_INSTANCE_DIR": str(tmp / "instance"),
            "CCCD_EDGE_TRUST_STORE": str(tmp / "trust.sqlite"),
            "CCCD_EDGE_LOG_FILE": str(tmp / "app.log"),
            "CCCD_EDGE_API_KEYS": f"hospital-rp:hospital:{KEYS['hospital']}",
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
        yield {"base": base, "banner": first_line, "tmp": tmp, "pcscd": pcscd}
    finally:
        stop_process(server)
        stop_process(card)
        pcscd.stop()


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
