"""The fleet API's OpenAPI 3.1 document: served, complete, and true of the real answers.

The service runs in-process (Flask's test client) on the private PostgreSQL, on a database that
is down (503), and without an operator key (403); every answer is checked against the document.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from edge.fleet.app import create_app
from edge.fleet.openapi import openapi_document
from edge.fleet.protocol import sign_request
from edge.fleet.settings import load_settings
from edge.signing import KioskKey
from simulators.pki import default_pki
from tests.fleet.conftest import OPERATOR_KEY, TOKENS, audit_event
from tests.support.postgres import free_port

DOC = openapi_document()
AUTH = {"Authorization": f"Bearer {OPERATOR_KEY}"}
ERROR_STATUSES = {"400", "401", "403", "409", "413", "503"}


@pytest.fixture(autouse=True)
def _close_pools():
    """Close every app's database pool (a pool on a closed port would go on retrying)."""
    yield
    while _opened:
        _opened.pop().extensions["cccd_fleet"].db.close()


_opened: list[Flask] = []


def _app(tmp_path, url: str = "", operator: str = OPERATOR_KEY) -> Flask:
    env = {
        "CCCD_EDGE_FLEET_DIR": str(tmp_path / "fleet"),
        "CCCD_EDGE_FLEET_ENROLL_TOKEN": ",".join(TOKENS),
        "CCCD_EDGE_FLEET_OPERATOR_KEY": operator,
        "CCCD_EDGE_FLEET_DATABASE_URL": url,
    }
    app = create_app(load_settings(env))
    _opened.append(app)
    return app


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        node = DOC
        for part in parts:
            node = node[part]
    return node


def check(response: Any, path: str, method: str = "get") -> Any:
    """Validate a real answer against the document's entry for its status and content type."""
    operation = DOC["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path}: {status} is not documented"
    documented = _resolve(operation["responses"][status])
    kind = response.mimetype
    assert kind in documented["content"], f"{method} {path} {status}: {kind} is not documented"
    schema = documented["content"][kind]["schema"]
    if kind == "application/json":
        body = response.get_json()
        validator = Draft202012Validator(
            {**schema, "components": DOC["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (method, path, status, errors)
    else:
        body = response.get_data(as_text=True)
    for header in documented.get("headers", {}):
        assert header in response.headers, (path, status, header)
    return body


def _signed(client, key: KioskKey, kiosk: str, method: str, path: str, payload: Any = None):
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = sign_request(key, kiosk, method, path, body)
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, data=body, headers=headers, content_type="application/json")


def test_document_is_openapi_31_and_covers_every_route(tmp_path):
    app = _app(tmp_path)
    client = app.test_client()
    served = check(client.get("/v1/fleet/openapi.json"), "/v1/fleet/openapi.json")
    assert served == json.loads(json.dumps(DOC)) and served["openapi"] == "3.1.0"
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(p, m) for p, ops in DOC["paths"].items() for m in ops}
    assert routes == documented
    for schema in DOC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    statuses = {s for ops in DOC["paths"].values() for op in ops.values() for s in op["responses"]}
    assert ERROR_STATUSES <= statuses
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            assert "200" in op["responses"] and op["summary"], (path, method)
            for ref in op["responses"].values():
                assert "description" in _resolve(ref)


def test_real_answers_match_the_document(tmp_path, fleet_db):
    client = _app(tmp_path, fleet_db).test_client()
    check(client.get("/v1/fleet/health"), "/v1/fleet/health")
    check(client.get("/v1/fleet/key"), "/v1/fleet/key")
    check(client.get("/fleet"), "/fleet")

    key, kiosk = KioskKey.generate(), "kiosk-a"
    enrol = {"kiosk_id": kiosk, "token": TOKENS[0], "jwk": key.jwk, "facility": "BV A"}
    answer = check(
        _signed(client, key, kiosk, "POST", "/v1/fleet/enroll", enrol), "/v1/fleet/enroll", "post"
    )
    assert answer["already_enrolled"] is False
    bad = {**enrol, "token": "wrong"}
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/enroll", bad)
    assert check(r, "/v1/fleet/enroll", "post")["error"] == "bad_token"
    other = KioskKey.generate()
    r = _signed(
        client,
        other,
        kiosk,
        "POST",
        "/v1/fleet/enroll",
        {**enrol, "jwk": other.jwk, "token": TOKENS[1]},
    )
    assert check(r, "/v1/fleet/enroll", "post")["error"] == "kiosk_exists"
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/enroll", {"kiosk_id": kiosk})
    assert check(r, "/v1/fleet/enroll", "post")["error"] == "bad_token"
    r = _signed(client, key, "", "POST", "/v1/fleet/enroll", {**enrol, "kiosk_id": ""})
    assert check(r, "/v1/fleet/enroll", "post")["error"] == "bad_request"

    events = [audit_event(i, kiosk, ok=i % 3 != 0) for i in range(6)]
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/events", {"events": events})
    assert check(r, "/v1/fleet/events", "post")["accepted"] == 6
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/events", {"events": [{"id": "x"}]})
    assert check(r, "/v1/fleet/events", "post")["error"] == "bad_event"
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/events", {"events": [events[0]] * 1001})
    assert check(r, "/v1/fleet/events", "post")["error"] == "too_large"
    r = client.post("/v1/fleet/events", data=b"{}", content_type="application/json")
    assert check(r, "/v1/fleet/events", "post")["error"] == "unsigned"
    body = json.dumps({"events": []}).encode()
    headers = sign_request(key, kiosk, "POST", "/v1/fleet/events", body)
    for expected in (200, 409):  # the very same signed request twice: a replay
        r = client.post(
            "/v1/fleet/events", data=body, headers=headers, content_type="application/json"
        )
        assert r.status_code == expected
        check(r, "/v1/fleet/events", "post")
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/events", None)
    assert check(r, "/v1/fleet/events", "post")["error"] == "bad_request"
    headers = sign_request(key, kiosk, "POST", "/v1/fleet/events", body, now=0)
    r = client.post("/v1/fleet/events", data=body, headers=headers, content_type="application/json")
    assert check(r, "/v1/fleet/events", "post")["error"] == "clock_skew"

    health = {"software_version": "0.1.0", "queue_length": 0, "last_error": None}
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/heartbeat", health)
    check(r, "/v1/fleet/heartbeat", "post")
    r = _signed(client, key, kiosk, "POST", "/v1/fleet/heartbeat", {"last_error": "x" * 9000})
    assert check(r, "/v1/fleet/heartbeat", "post")["error"] == "too_large"
    r = _signed(client, key, kiosk, "GET", "/v1/fleet/trust/bundle")
    assert check(r, "/v1/fleet/trust/bundle") == {"version": 0, "jws": None}

    der = default_pki("ecdsa")[0].der
    r = client.post("/v1/fleet/trust", headers=AUTH, data={"file": (io.BytesIO(der), "csca.cer")})
    assert check(r, "/v1/fleet/trust", "post")["version"] == 1
    r = client.post("/v1/fleet/trust", headers=AUTH, data={"file": (io.BytesIO(b"junk"), "x.cer")})
    assert r.status_code == 422 and check(r, "/v1/fleet/trust", "post")["message"]
    r = client.post("/v1/fleet/trust", headers=AUTH)
    assert check(r, "/v1/fleet/trust", "post")["error"] == "bad_request"
    r = _signed(client, key, kiosk, "GET", "/v1/fleet/trust/bundle")
    assert check(r, "/v1/fleet/trust/bundle")["version"] == 1

    summary = check(client.get("/v1/fleet/summary?days=7", headers=AUTH), "/v1/fleet/summary")
    assert summary["totals"]["verifications"] == 6
    assert (
        check(client.get("/v1/fleet/summary?days=0", headers=AUTH), "/v1/fleet/summary")["error"]
        == "bad_days"
    )
    assert (
        check(client.get("/v1/fleet/summary"), "/v1/fleet/summary")["error"]
        == "operator_key_required"
    )
    dash = check(client.get("/v1/fleet/dashboard?days=7", headers=AUTH), "/v1/fleet/dashboard")
    assert dash["failures"] == [{"first_cause": "card_removed", "failures": 2}]
    assert dash["steps"] and dash["per_kiosk"][0]["kiosk_id"] == kiosk
    for name in ("per_day", "steps", "per_kiosk"):
        path = "/v1/fleet/report/{name}.csv"
        text = check(client.get(f"/v1/fleet/report/{name}.csv?days=7", headers=AUTH), path)
        assert text.startswith("\ufeff")
    r = client.get("/v1/fleet/report/nothing.csv", headers=AUTH)
    assert check(r, "/v1/fleet/report/{name}.csv")["error"] == "unknown_report"
    assert "cccd_fleet_kiosks 1" in check(client.get("/metrics", headers=AUTH), "/metrics")
    check(client.get("/metrics"), "/metrics")


def test_database_down_and_no_operator_key_match_the_document(tmp_path):
    # Nothing listens on this port: every request that needs the database is a 503.
    down = _app(
        tmp_path / "down", f"postgresql://fleet@127.0.0.1:{free_port()}/fleet"
    ).test_client()
    r = down.get("/v1/fleet/health")
    assert r.status_code == 503 and check(r, "/v1/fleet/health")["error"] == "database_unavailable"
    key = KioskKey.generate()
    r = _signed(down, key, "kiosk-a", "POST", "/v1/fleet/events", {"events": []})
    assert check(r, "/v1/fleet/events", "post")["error"] == "database_unavailable"
    assert r.headers["Retry-After"] == "5"
    r = down.get("/v1/fleet/summary?days=7", headers=AUTH)
    assert check(r, "/v1/fleet/summary")["error"] == "database_unavailable"

    open_app = _app(tmp_path / "nokey", operator="").test_client()
    r = open_app.get("/v1/fleet/dashboard", headers=AUTH)
    assert check(r, "/v1/fleet/dashboard")["error"] == "no_operator_key"
    r = open_app.get("/metrics", headers=AUTH)
    assert r.status_code == 403 and check(r, "/metrics")["error"] == "no_operator_key"
