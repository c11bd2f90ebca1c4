"""API behaviour that needs no card: auth, validation, errors, keys, health, stats, metrics,
OpenAPI."""

import json

import pytest
from jsonschema import Draft202012Validator

from edge.api.validation import openapi_document
from edge.app import create_app
from tests.edge.conftest import KEYS, auth, rp_config
from tests.edge.openapi_check import check


def test_factory_builds_a_working_app(tmp_path):
    app = create_app(rp_config(tmp_path, kiosk_id="kiosk-factory"))
    try:
        assert app.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
        body = check(app.test_client().get("/v1/health"), "/v1/health")
        assert body["kiosk_id"] == "kiosk-factory" and body["reader"]["mode"] == "simulator"
    finally:
        app.extensions["cccd_edge"].close()


def test_openapi_document_served_and_refs_resolve(client):
    doc = check(client.get("/v1/openapi.json"), "/v1/openapi.json")
    assert doc["openapi"].startswith("3.1")
    text = json.dumps(doc)
    for ref in set(
        json.loads(f"[{r}]")[0] for r in __import__("re").findall(r'"\$ref": ("[^"]+")', text)
    ):
        node = doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
    for _name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented(app):
    documented = set(openapi_document()["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1") or rule.rule == "/metrics":
            path = rule.rule.replace("<session_id>", "{session_id}")
            assert path in documented, f"{rule.rule} missing from openapi.json"


def test_keys_is_a_jwks(client):
    body = check(client.get("/v1/keys"), "/v1/keys")
    assert body["keys"][0]["alg"] == "ES256"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": "Basic " + KEYS["school"]},
    ],
)
def test_unknown_api_key_is_401(client, headers):
    r = client.post("/v1/verifications", json={"can": "123456"}, headers=headers)
    assert r.status_code == 401
    assert check(r, "/v1/verifications", "post")["error"]["code"] == "unauthorized"
    assert "Bearer" in r.headers["WWW-Authenticate"]


def test_x_api_key_header_is_accepted(client):
    r = client.post("/v1/verifications", json={"can": "12"}, headers={"X-API-Key": KEYS["school"]})
    assert r.status_code == 400  # past authentication, stopped by validation


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({}, "exactly one access key"),
        ({"can": "123456", "mrz": ["A" * 30, "B" * 30, "C" * 30]}, "exactly one access key"),
        ({"can": "12345a"}, "can"),
        ({"document_number": "093047064", "birth_date": "930105"}, "exactly one access key"),
        ({"can": "123456", "nonce": ""}, "nonce"),
        ({"can": "123456", "colour": "red"}, "Unknown field"),
        ({"can": "123456", "record": {"religion": "x"}}, "Unknown field in record"),
        ({"ask_on_kiosk": False}, "exactly one access key"),
        ([1, 2], "not valid"),
    ],
)
def test_invalid_bodies_are_400(client, body, fragment):
    r = client.post("/v1/verifications", json=body, headers=auth("hospital"))
    assert r.status_code == 400
    assert fragment in check(r, "/v1/verifications", "post")["error"]["message"]


def test_bad_mrz_check_digit_is_400(client):
    mrz = [
        "IDVNM0930470641001093047064<<2",
        "9301054M3301052VNM<<<<<<<<<<<8",
        "NGUYEN<<VAN<AN".ljust(30, "<"),
    ]
    bad = [mrz[0].replace("0641", "0651"), mrz[1], mrz[2]]
    r = client.post("/v1/verifications", json={"mrz": bad}, headers=auth("airport"))
    assert (
        r.status_code == 400
        and "check digit" in check(r, "/v1/verifications", "post")["error"]["message"]
    )


def test_malformed_json_and_wrong_content_type(client):
    r = client.post(
        "/v1/verifications",
        data="{not json",
        content_type="application/json",
        headers=auth("school"),
    )
    assert (
        r.status_code == 400
        and check(r, "/v1/verifications", "post")["error"]["code"] == "malformed_json"
    )
    r = client.post(
        "/v1/verifications", data="can=123456", content_type="text/plain", headers=auth("school")
    )
    assert (
        r.status_code == 415
        and check(r, "/v1/verifications", "post")["error"]["code"] == "unsupported_media_type"
    )


def test_record_only_for_profiles_that_compare(client):
    r = client.post(
        "/v1/verifications",
        json={"can": "123456", "record": {"full_name": "A"}},
        headers=auth("school"),
    )
    assert r.status_code == 400 and "does not compare" in r.get_json()["error"]["message"]


def test_unknown_ids_are_404_json(client):
    for path in ("/v1/verifications/nope", "/v1/verifications/nope/events"):
        r = client.get(path, headers=auth("school"))
        assert r.status_code == 404
    r = client.get("/v1/verifications/nope", headers=auth("school"))
    check(r, "/v1/verifications/{session_id}")
    r = client.post(
        "/v1/verifications/nope/face",
        data=b"\xff\xd8\xff",
        content_type="image/jpeg",
        headers=auth("airport"),
    )
    assert r.status_code == 404 and check(r, "/v1/verifications/{session_id}/face", "post")
    r = client.get("/no/such/path")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_json(client):
    r = client.delete("/v1/health")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]


def test_upload_over_5mb_is_413(client):
    big = b"\x00" * (5 * 1024 * 1024 + 1)
    r = client.post(
        "/v1/documents/verify",
        data={"EF_SOD": (__import__("io").BytesIO(big), "sod.bin")},
        content_type="multipart/form-data",
        headers=auth("school"),
    )
    assert r.status_code == 413
    assert check(r, "/v1/documents/verify", "post")["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "kwargs,status,fragment",
    [
        ({"json": {"files": {}}}, 400, "files"),
        ({"json": {"files": {"EF_SOD": "***"}}}, 400, "base64"),
        ({"json": {"files": {"DG99": "AA=="}}}, 400, "files"),
        ({"json": {"files": {"DG1": "AA=="}}}, 400, "EF_SOD is required"),
        ({"json": {"files": {"EF_SOD": "AA=="}}}, 400, "at least one data group"),
        ({"data": "x", "content_type": "text/plain"}, 415, "multipart"),
    ],
)
def test_document_upload_validation(client, kwargs, status, fragment):
    r = client.post("/v1/documents/verify", headers=auth("hospital"), **kwargs)
    assert r.status_code == status
    assert fragment in check(r, "/v1/documents/verify", "post")["error"]["message"]


def test_document_upload_unknown_multipart_part(client):
    import io

    r = client.post(
        "/v1/documents/verify",
        data={"EF_SOD": (io.BytesIO(b"x"), "a"), "photo": (io.BytesIO(b"y"), "b")},
        content_type="multipart/form-data",
        headers=auth("hospital"),
    )
    assert r.status_code == 400 and "Unknown file part" in r.get_json()["error"]["message"]


def test_stats_and_metrics(client):
    body = check(client.get("/v1/stats"), "/v1/stats")
    assert body["verifications"] == 0 and body["success_rate"] is None
    r = client.get("/v1/stats?days=abc")
    assert r.status_code == 400 and check(r, "/v1/stats")
    client.get("/v1/health")
    m = client.get("/metrics")
    assert m.status_code == 200 and m.content_type.startswith("text/plain; version=0.0.4")
    assert (
        'cccd_edge_http_requests_total{method="GET",route="/v1/health",status="200"}'
        in m.get_data(as_text=True)
    )


def test_kiosk_endpoints_need_the_kiosk_token(app, client):
    r = client.get("/v1/kiosk/current", headers=auth("hospital"))
    assert r.status_code == 401 and check(r, "/v1/kiosk/current")
    from edge.api.auth import kiosk_token

    r = client.get("/v1/kiosk/current", headers={"X-Kiosk-Token": kiosk_token(app)})
    assert check(r, "/v1/kiosk/current") == {"session": None}
    client.set_cookie("cccd_kiosk", kiosk_token(app))
    assert client.get("/v1/kiosk/current").status_code == 200


@pytest.mark.parametrize("path", ["/v1/verifications", "/v1/documents/verify"])
@pytest.mark.parametrize(
    "data,ctype",
    [
        (b"null", "application/json"),
        (b"[" * 100000, "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b'{"can": "123456", "nonce": "' + b"x" * 300 + b'"}', "application/json"),
        (b'{"files": {"EF_SOD": 5}}', "application/json"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"", "multipart/form-data"),
        (b"", ""),
    ],
)
def test_odd_input_is_4xx_json_never_500(client, path, data, ctype):
    r = client.post(path, data=data, headers={**auth("hospital"), "Content-Type": ctype})
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data()[:200])
    assert set(r.get_json()) == {"error"}


@pytest.mark.parametrize("wait", ["nan", "inf", "-1", "1e308"])
def test_odd_wait_values(client, wait):
    r = client.get(f"/v1/verifications/none?wait={wait}", headers=auth("school"))
    assert r.status_code == 404
