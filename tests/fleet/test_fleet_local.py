"""Without PostgreSQL: the SQLite demo engine, the kiosk's outbox and the audit hook."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from edge.audit import AuditLog
from edge.fleet.app import create_app
from edge.fleet.db import Database
from edge.fleet.outbox import Outbox
from edge.fleet.protocol import sign_request
from edge.fleet.settings import FleetSettings, load_settings
from edge.fleet.store import ms_bucket, percentile
from edge.signing import KioskKey, verify_jws
from simulators.pki import default_pki
from tests.fleet.conftest import OPERATOR_KEY, audit_event


def _settings(tmp_path) -> FleetSettings:
    return load_settings(
        {
            "CCCD_EDGE_FLEET_DIR": str(tmp_path / "fleet"),
            "CCCD_EDGE_FLEET_ENROLL_TOKEN": "tok-1, tok-2",
            "CCCD_EDGE_FLEET_OPERATOR_KEY": OPERATOR_KEY,
        }
    )


def _post(client, key: KioskKey, kiosk_id: str, path: str, payload: dict):
    body = json.dumps(payload).encode()
    headers = sign_request(key, kiosk_id, "POST", path, body)
    return client.post(path, data=body, headers=headers, content_type="application/json")


def test_sqlite_demo_engine_end_to_end(tmp_path):
    app = create_app(_settings(tmp_path))
    client = app.test_client()
    key = KioskKey.generate()
    enrol = {"kiosk_id": "demo-1", "token": "tok-2", "jwk": key.jwk, "facility": "Demo"}
    r = _post(client, key, "demo-1", "/v1/fleet/enroll", enrol)
    assert r.status_code == 200, r.get_json()
    events = [audit_event(i, "demo-1", ok=i != 1) for i in range(3)]
    r = _post(client, key, "demo-1", "/v1/fleet/events", {"events": events})
    assert r.get_json() == {"received": 3, "accepted": 3, "duplicates": 0}
    r = _post(client, key, "demo-1", "/v1/fleet/events", {"events": events})
    assert r.get_json()["accepted"] == 0
    # A resend with another time is the same event on this engine too.
    earlier = (datetime.now(UTC) - timedelta(days=40)).isoformat(timespec="seconds")
    moved = [{**e, "at": earlier} for e in events]
    r = _post(client, key, "demo-1", "/v1/fleet/events", {"events": moved})
    assert r.get_json() == {"received": 3, "accepted": 0, "duplicates": 3}
    auth = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    summary = client.get("/v1/fleet/summary?days=3", headers=auth).get_json()
    assert summary["totals"] == {
        "kiosks": 1,
        "verifications": 3,
        "outcomes": {"failed": 1, "valid": 2},
    }
    dash = client.get("/v1/fleet/dashboard?days=3", headers=auth).get_json()
    assert dash["failures"] == [{"first_cause": "card_removed", "failures": 1}]
    assert {s["step"] for s in dash["steps"]} == {"read", "passive_authentication", "total"}
    assert client.get("/v1/fleet/summary?days=3").status_code == 401
    assert client.get("/fleet?lang=en").status_code == 200
    # Trust lists on the demo engine too: import, then the signed bundle for the kiosk.
    der = default_pki("ecdsa")[0].der
    r = client.post("/v1/fleet/trust", headers=auth, data={"file": (io.BytesIO(der), "csca.cer")})
    assert r.get_json()["version"] == 1, r.get_json()
    path = "/v1/fleet/trust/bundle"
    bundle = client.get(path, headers=sign_request(key, "demo-1", "GET", path, b"")).get_json()
    claims = verify_jws(bundle["jws"], client.get("/v1/fleet/key").get_json())
    assert claims["version"] == 1 and len(claims["items"]) == 1
    # Migrations are recorded and applied once.
    db = Database(None, sqlite_path=tmp_path / "fleet" / "fleet.sqlite")
    assert db.migrate() == []
    with db.transaction() as tx:
        assert tx.all("SELECT version, name FROM schema_migrations") == [(1, "0001_init.sql")]
    db.close()


def test_outbox_is_bounded_counts_drops_and_never_holds_the_id_hash(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite", max_events=100)
    rows = [
        {"id": f"e-{i}", "at": "2026-01-01T00:00:00+00:00", "id_hmac": "ab" * 32}
        for i in range(150)
    ]
    for i in range(0, 150, 10):
        box.enqueue(rows[i : i + 10])
    box.enqueue(rows[-5:])  # already queued: not doubled
    assert len(box) == 100 and box.counter("dropped") == 50
    first = box.peek(3)
    assert [json.loads(b)["id"] for _, b in first] == ["e-50", "e-51", "e-52"]
    assert all("id_hmac" not in json.loads(b) for _, b in box.peek(200))
    box.ack([seq for seq, _ in first])
    assert len(box) == 97
    box.close()
    reopened = Outbox(tmp_path / "outbox.sqlite", max_events=100)  # survives a restart
    assert len(reopened) == 97 and reopened.counter("dropped") == 50
    reopened.close()


def test_audit_listener_gets_every_column_after_commit_and_cannot_break_the_log(tmp_path):
    audit = AuditLog(tmp_path / "audit.sqlite", b"s" * 32, kiosk_id="k")
    seen: list[dict] = []

    def broken(rows: list[dict]) -> None:
        raise RuntimeError("listener down")

    audit.listeners += [broken, seen.extend]
    audit.record(
        verification_id="v-1",
        relying_party="rp",
        kind="card",
        outcome="done",
        overall="valid",
        id_number="001099012345",
    )
    audit.flush()
    assert audit.row("v-1") is not None  # the failing listener lost nothing
    assert [r["id"] for r in seen] == ["v-1"]
    assert set(seen[0]) == set(audit.row("v-1"))  # every column, whatever columns exist
    expected = hashlib.sha256(b"001099012345").hexdigest()
    assert seen[0]["id_hmac"] and seen[0]["id_hmac"] != expected
    assert "001099012345" not in json.dumps(seen)
    audit.close()


def test_histogram_buckets_and_percentiles():
    assert ms_bucket(None) == ms_bucket(0.5) == 0
    assert 1.1 ** (ms_bucket(850.5) - 1) < 850.5 <= 1.1 ** ms_bucket(850.5)
    hist = [(ms_bucket(10), 5), (ms_bucket(100), 4), (ms_bucket(1000), 1)]
    assert percentile(hist, 0.5) == round(1.1 ** ms_bucket(10), 1)
    assert percentile(hist, 0.9) == round(1.1 ** ms_bucket(100), 1)
    assert percentile([], 0.5) is None


def test_fleet_command_checks_its_settings(capsys, monkeypatch):
    from edge.cli import main

    monkeypatch.setenv("CCCD_EDGE_FLEET_DATABASE_URL", "mysql://nope")
    assert main(["fleet", "serve", "--listen", "127.0.0.1:8090", "--dry-run"]) == 2
    assert "postgresql://" in capsys.readouterr().err
    monkeypatch.setenv("CCCD_EDGE_FLEET_DATABASE_URL", "postgresql://u@127.0.0.1:1/fleet")
    assert main(["fleet", "serve", "--listen", "nowhere", "--dry-run"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
    assert main(["fleet", "serve", "--listen", "127.0.0.1:8090", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(PostgreSQL)" in out and "edge.fleet.app:create_app()" in out
    assert "-b 127.0.0.1:8090" in out


def test_master_lists_root_checked_crls_and_the_bundle_installed(tmp_path):
    from crypto.truststore import TrustStore
    from edge.fleet.trustbundle import BundleError, install_bundle
    from simulators import pki

    app = create_app(_settings(tmp_path))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    root = pki.issue_csca("fleet-ml-root", "VN")
    signer = pki.issue_dsc(root, "fleet-ml-signer")
    member = pki.issue_csca("fleet-ml-member", "LA", common_name="Test CSCA LA")
    ml = pki.build_master_list(signer.key, signer.cert, [root, member])

    def upload(files: dict) -> tuple[int, dict]:
        data = {k: [(io.BytesIO(v), f"{k}.bin") for v in vs] for k, vs in files.items()}
        r = client.post("/v1/fleet/trust", headers=auth, data=data)
        return r.status_code, r.get_json()

    status, body = upload({"file": [ml]})  # no root given, none held: refused, nothing published
    assert (status, body["error"]) == (422, "masterlist_signer_untrusted")
    status, body = upload({"file": [ml], "root": [root.der]})
    assert (status, body["version"], body["added"]) == (200, 1, 2), body
    status, body = upload({"file": [pki.issue_crl(root)]})
    assert (status, body["version"], body["added"]) == (200, 2, 1), body
    assert body["imports"][0]["kind"] == "crl"

    key = KioskKey.generate()
    enrol = {"kiosk_id": "k", "token": "tok-1", "jwk": key.jwk}
    assert _post(client, key, "k", "/v1/fleet/enroll", enrol).status_code == 200
    path = "/v1/fleet/trust/bundle"
    jws = client.get(path, headers=sign_request(key, "k", "GET", path, b"")).get_json()["jws"]
    fleet_key = client.get("/v1/fleet/key").get_json()["keys"][0]
    target = tmp_path / "kiosk" / "trust.sqlite"
    installed = install_bundle(jws, fleet_key, target, have=0)
    assert (installed.version, installed.certificates, installed.crls) == (2, 2, 1)
    with TrustStore.open(target) as store:
        assert len(store) == 2 and store.crl_count() == 1
        assert {e["country"] for e in store.entries()} == {"VN", "LA"}
    with pytest.raises(BundleError, match="not newer"):
        install_bundle(jws, fleet_key, target, have=2)
