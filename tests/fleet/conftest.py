"""Fixtures: a private PostgreSQL (initdb/pg_ctl), the fleet service under gunicorn, kiosks."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge.fleet.protocol import sign_request
from edge.signing import KioskKey
from tests.support.pcscd import stop_process
from tests.support.postgres import PostgresError, PrivatePostgres, free_port

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_KEY = "fleet-operator-key-0123456789"
TOKENS = [f"enrol-token-{i:02d}-abcdef" for i in range(20)]
_db_names = itertools.count()
BASE_TIME = time.time() - 3600  # events of the tests happened within the last hour


# Answers are (status, the JSON body or the text).
def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 20.0,
) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw, status, kind = resp.read(), resp.status, resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        raw, status, kind = err.read(), err.code, err.headers.get("Content-Type", "")
    text = raw.decode("utf-8")
    return status, json.loads(text) if "json" in kind else text


@pytest.fixture(scope="session")
def postgres():
    try:
        server = PrivatePostgres().start()
    except PostgresError as exc:
        pytest.fail(str(exc))
    yield server
    server.remove()


class FleetServer:
    """``cccd-edge fleet serve`` (gunicorn) on a free port; ``stop()``/``start()`` by process id."""

    def __init__(self, tmp: Path, database_url: str, **env: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CCCD_EDGE_FLEET_DATABASE_URL": database_url,
            "CCCD_EDGE_FLEET_ENROLL_TOKEN": ",".join(TOKENS),
            "CCCD_EDGE_FLEET_OPERATOR_KEY": OPERATOR_KEY,
            "CCCD_EDGE_FLEET_DIR": str(tmp / "fleet"),
            "CCCD_EDGE_FLEET_WORKERS": "2",
            "CCCD_EDGE_FLEET_THREADS": "4",
            **env,
        }
        self.proc: subprocess.Popen | None = None
        self.log = tmp / "fleet.log"

    def start(self) -> FleetServer:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "edge.cli",
                    "fleet",
                    "serve",
                    "--listen",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = http("GET", self.base + "/v1/fleet/key", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                stop_process(self.proc)
                pytest.fail(f"the fleet service did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.proc, timeout=15)
        self.proc = None

    def operator(self, path: str) -> tuple[int, Any]:
        return http("GET", self.base + path, headers={"Authorization": f"Bearer {OPERATOR_KEY}"})


@pytest.fixture
def fleet_db(postgres) -> str:
    return postgres.create_database(f"fleet_{os.getpid()}_{next(_db_names)}")


@pytest.fixture
def fleet(tmp_path, fleet_db):
    server = FleetServer(tmp_path, fleet_db).start()
    yield server
    server.stop()


class TestKiosk:
    """A kiosk's key and id, sending hand-made signed requests (the protocol, byte by byte)."""

    __test__ = False

    def __init__(self, base: str, kiosk_id: str, key: KioskKey | None = None):
        self.base, self.kiosk_id = base, kiosk_id
        self.key = key or KioskKey.generate()

    def signed(self, method: str, path: str, body: bytes = b"", **kw) -> tuple[int, Any]:
        headers = sign_request(self.key, self.kiosk_id, method, path, body, **kw)
        headers["Content-Type"] = "application/json"
        return http(method, self.base + path, body if method == "POST" else None, headers)

    def enrol(self, token: str, facility: str = "") -> tuple[int, Any]:
        body = json.dumps(
            {"kiosk_id": self.kiosk_id, "token": token, "jwk": self.key.jwk, "facility": facility}
        ).encode()
        return self.signed("POST", "/v1/fleet/enroll", body)

    def send(self, events: list[dict], **kw) -> tuple[int, Any]:
        return self.signed(
            "POST", "/v1/fleet/events", json.dumps({"events": events}).encode(), **kw
        )


def audit_event(n: int, kiosk_id: str, *, ok: bool = True, at: str = "") -> dict:
    """An audit row as the kiosk ships it (columns of edge.audit, id_hmac dropped)."""
    # A given event always has the same time, as a kiosk's audit row does when it is re-sent.
    at = at or datetime.fromtimestamp(BASE_TIME + n, UTC).isoformat(timespec="seconds")
    return {
        "id": f"{kiosk_id}-ev-{n}",
        "at": at,
        "day": at[:10],
        "kiosk_id": kiosk_id,
        "relying_party": "hospital-rp",
        "kind": "card",
        "outcome": "done" if ok else "failed",
        "overall": "valid" if ok else None,
        "passive_authentication": "valid" if ok else None,
        "chip_authenticity": "valid" if ok else None,
        "face": None,
        "access_protocol": "PACE",
        "reason_codes": "[]" if ok else '["card_removed"]',
        "durations": '{"read": 850.5, "passive_authentication": 12.25}',
        "total_ms": 900.0,
        "liveness": None,
        "face_decision": None,
    }
