"""A real kiosk service (virtual CCCD in process) shipping to the fleet service under gunicorn."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from edge.app import create_app
from edge.fleet.trustbundle import BundleError, install_bundle
from edge.signing import KioskKey
from simulators.dataset import build_dataset
from simulators.pki import default_pki
from tests.edge.conftest import auth, rp_config
from tests.fleet.conftest import OPERATOR_KEY, TOKENS, http

CAN = build_dataset(0).can


def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def verify(client) -> dict:
    r = client.post("/v1/verifications", json={"can": CAN}, headers=auth("hospital"))
    assert r.status_code == 202, r.get_json()
    body = client.get(
        r.get_json()["links"]["self"] + "?wait=30", headers=auth("hospital")
    ).get_json()
    assert body["state"] in ("done", "failed"), body
    return body


@pytest.fixture
def kiosk_factory(tmp_path, monkeypatch, fleet):
    made = []

    def make(kiosk_id: str, token: str):
        monkeypatch.setenv("CCCD_EDGE_FLEET_URL", fleet.base)
        monkeypatch.setenv("CCCD_EDGE_FLEET_TOKEN", token)
        monkeypatch.setenv("CCCD_EDGE_KIOSK_ID", kiosk_id)
        monkeypatch.setenv("CCCD_EDGE_FLEET_HEARTBEAT_SECONDS", "1")
        monkeypatch.setenv("CCCD_EDGE_FLEET_TRUST_SECONDS", "1")
        monkeypatch.setenv("CCCD_EDGE_FLEET_MAX_BACKOFF", "1")
        monkeypatch.setenv("CCCD_EDGE_FLEET_FACILITY", "Bệnh viện thử")
        config = rp_config(tmp_path / kiosk_id)
        config.pop("kiosk_id")  # from CCCD_EDGE_KIOSK_ID
        app = create_app(config)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["cccd_edge"].close()


def _events(url: str, kiosk_id: str) -> list[tuple[str, dict]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT event_id, data FROM events WHERE kiosk_id = %s", (kiosk_id,)
        ).fetchall()


def test_kiosk_ships_every_event_exactly_once_across_a_fleet_restart(
    kiosk_factory, fleet, fleet_db
):
    app = kiosk_factory("kiosk-hn-01", TOKENS[0])
    service = app.extensions["cccd_edge"]
    shipper = service.fleet
    client = app.test_client()
    wait_until(lambda: shipper.enrolled, what="enrolment")
    ids = [verify(client)["id"] for _ in range(2)]
    wait_until(lambda: len(_events(fleet_db, "kiosk-hn-01")) == 2, what="first events")

    fleet.stop()
    ids += [verify(client)["id"] for _ in range(3)]  # the kiosk verifies while the fleet is away
    service.audit.flush()
    wait_until(lambda: len(shipper.outbox) == 3, what="events kept in the outbox")
    wait_until(lambda: (shipper.last_error or "").startswith("fleet_unreachable"), what="error")
    fleet.start()
    wait_until(lambda: len(shipper.outbox) == 0, timeout=40, what="the outbox to drain")

    shipped = _events(fleet_db, "kiosk-hn-01")
    assert sorted(e for e, _ in shipped) == sorted(ids)  # every event, once
    for _, data in shipped:
        assert "id_hmac" not in data and data["kiosk_id"] == "kiosk-hn-01"
        assert {"outcome", "overall", "reason_codes", "durations", "relying_party"} <= set(data)
    status, summary = fleet.operator("/v1/fleet/summary?days=1")
    row = next(k for k in summary["kiosks"] if k["kiosk_id"] == "kiosk-hn-01")
    assert row["verifications"] == 5

    wait_until(lambda: shipper.last_error is None, what="the error to clear")
    time.sleep(1.5)  # one more heartbeat, sent with the outbox empty
    status, dash = fleet.operator("/v1/fleet/dashboard?days=1")
    assert status == 200
    kiosk = next(k for k in dash["per_kiosk"] if k["kiosk_id"] == "kiosk-hn-01")
    health = kiosk["health"]
    assert kiosk["facility"] == "Bệnh viện thử" and kiosk["silent"] is False
    assert health["software_version"] and health["reader"]["mode"] == "simulator"
    assert health["queue_length"] == 0 and health["dropped"] == 0
    assert health["bundle_version"] == 0 and "trust_store" in health
    # What was in the audit log is what the fleet counted, no more.
    assert service.audit.stats(days=1)["verifications"] == 5


def _multipart(fields: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, filename, data in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def _import(fleet, fields) -> tuple[int, Any]:
    body, boundary = _multipart(fields)
    return http(
        "POST",
        fleet.base + "/v1/fleet/trust",
        body,
        {
            "Authorization": f"Bearer {OPERATOR_KEY}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_trust_bundle_pulled_verified_and_tampered_one_refused(kiosk_factory, fleet, fleet_db):
    app = kiosk_factory("kiosk-hn-02", TOKENS[1])
    service = app.extensions["cccd_edge"]
    shipper = service.fleet
    client = app.test_client()
    wait_until(lambda: shipper.enrolled, what="enrolment")
    assert verify(client)["result"]["claims"]["verdicts"]["overall"] == "unknown"

    status, body = _import(fleet, [("file", "junk.cer", b"not a certificate")])
    assert status == 422 and body["error"] == "unrecognised_file"
    status, body = _import(fleet, [("file", "csca.cer", default_pki("ecdsa")[0].der)])
    assert (status, body["version"], body["added"]) == (200, 1, 1), body
    assert http("POST", fleet.base + "/v1/fleet/trust", b"")[0] == 401

    wait_until(lambda: shipper.bundle_version == 1, what="the bundle to be installed")
    target = shipper.trust_target
    assert target.is_file() and not list(target.parent.glob(f".{target.name}.*"))
    # The swapped store is used by the next verification: the test CSCA is now trusted.
    assert verify(client)["result"]["claims"]["verdicts"]["overall"] == "valid"

    # Tampered bundles: one byte of the payload changed, or signed by another key.
    jws = shipper._request("GET", "/v1/fleet/trust/bundle")["jws"]
    head, payload, sig = jws.split(".")
    changed = payload[:-6] + ("A" if payload[-6] != "A" else "B") + payload[-5:]
    before = _digest(target)
    for bad in (f"{head}.{changed}.{sig}", KioskKey.generate().sign({"version": 9, "items": []})):
        with pytest.raises(BundleError):
            install_bundle(bad, shipper.state["fleet_key"], target, have=1)
    assert _digest(target) == before
    # A tampered bundle published as version 2: the kiosk refuses it and keeps version 1.
    with psycopg.connect(fleet_db) as conn:
        conn.execute(
            "INSERT INTO trust_bundles VALUES (2, now(), %s)", (f"{head}.{changed}.{sig}",)
        )
    wait_until(
        lambda: (shipper.last_error or "").startswith("trust_bundle_refused"), what="refusal"
    )
    assert shipper.bundle_version == 1 and _digest(target) == before
    assert verify(client)["result"]["claims"]["verdicts"]["overall"] == "valid"
    time.sleep(1.5)
    status, dash = fleet.operator("/v1/fleet/dashboard?days=1")
    kiosk = next(k for k in dash["per_kiosk"] if k["kiosk_id"] == "kiosk-hn-02")
    assert kiosk["health"]["bundle_version"] == 1 and kiosk["unhealthy"] is True
    assert kiosk["health"]["trust_store"]["certificates"] == 1
    assert json.dumps(kiosk["health"]).count("trust_bundle_refused") == 1


def test_database_down_kiosk_keeps_its_outbox_then_delivers_once(
    kiosk_factory, fleet, fleet_db, postgres
):
    app = kiosk_factory("kiosk-hn-03", TOKENS[2])
    service = app.extensions["cccd_edge"]
    shipper = service.fleet
    client = app.test_client()
    wait_until(lambda: shipper.enrolled, what="enrolment")
    postgres.stop()
    try:
        first = verify(client)["id"]  # verification does not depend on the fleet or its database
        service.audit.flush()
        wait_until(
            lambda: (shipper._errors.get("delivery") or "").startswith("database_unavailable"),
            what="the 503 to be noted",
        )
        assert len(shipper.outbox) == 1
    finally:
        postgres.start()
    wait_until(lambda: len(shipper.outbox) == 0, timeout=40, what="the outbox to drain")
    assert [e for e, _ in _events(fleet_db, "kiosk-hn-03")] == [first]
