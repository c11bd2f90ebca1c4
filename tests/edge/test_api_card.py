"""Card verifications through the API, reading the real virtual CCCD in process."""

from __future__ import annotations

import base64
import io
import json
import time

import pytest

from cardreader.transport.inprocess import InProcessTransport
from edge.app import create_app
from edge.signing import verify_jws
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from tests.edge.conftest import auth, rp_config
from tests.edge.openapi_check import check

DS = build_dataset(0)
PERSON = DS.citizen


def _trust(tmp_path):
    """The operator's trust store holding the test PKI's CSCA (what `cccd-edge trust import`
    does)."""
    from crypto.truststore import TrustStore
    from simulators.pki import default_pki

    store = TrustStore(tmp_path / "trust.sqlite")
    store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    store.close()


class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def wait_for_event(app, session_id: str, predicate, timeout: float = 20.0) -> bool:
    """Block on the session's own condition until an event matches (bounded; no clock read)."""
    session = app.extensions["cccd_edge"].sessions.get(session_id)
    seq, rounds = 0, 0
    while rounds < 100:
        new = session.events_after(seq, timeout / 100)
        if any(predicate(e) for e in session.events[: seq + len(new)]):
            return True
        seq += len(new)
        rounds += 1
    return False


def _make(tmp_path, faults=None, dataset=DS, trusted=True, **overrides):
    if trusted:
        _trust(tmp_path)

    def open_card():
        # The real virtual CCCD, with the fault asked for, behind the real in-process transport.
        return InProcessTransport(VirtualCCCD(dataset, faults=faults))

    custom = faults is not None or dataset is not DS
    return create_app(
        rp_config(tmp_path, **overrides), open_transport=open_card if custom else None
    )


@pytest.fixture
def card_app(tmp_path):
    app = _make(tmp_path, log_file=str(tmp_path / "app.log"))
    yield app
    app.extensions["cccd_edge"].close()


def start(client, profile="hospital", **body):
    body = {k: v for k, v in body.items() if v is not None}
    if not {"mrz", "document_number", "ask_on_kiosk"} & set(body):
        body.setdefault("can", DS.can)
    r = client.post("/v1/verifications", json=body, headers=auth(profile))
    assert r.status_code == 202, r.get_json()
    created = check(r, "/v1/verifications", "post")
    assert r.headers["Location"] == created["links"]["self"]
    return created


def finish(client, created, profile="hospital"):
    r = client.get(created["links"]["self"] + "?wait=20", headers=auth(profile))
    body = check(r, "/v1/verifications/{session_id}")
    assert body["state"] in ("done", "failed"), body
    return body


def test_hospital_verification_signed_minimised_fhir_and_compared(card_app):
    client = card_app.test_client()
    record = {
        "full_name": "NGUYEN VAN AN",
        "birth_date": "05/01/1993",
        "id_number": PERSON.id_number,
        "residence": "Hà Nội",
    }
    body = finish(client, start(client, nonce="n-42", record=record))
    assert body["state"] == "done"
    claims = body["result"]["claims"]
    jwks = check(client.get("/v1/keys"), "/v1/keys")
    assert verify_jws(body["result"]["jws"], jwks) == claims
    assert (
        claims["nonce"] == "n-42"
        and claims["iss"] == "kiosk-test"
        and claims["aud"] == "hospital-rp"
    )
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["verdicts"] == {
        "overall": "valid",
        "passive_authentication": "valid",
        "chip_authenticity": "valid",
        "face": "not_performed",
        "document_currency": "current",
    }
    assert set(claims["attributes"]) == {"id_number", "full_name", "birth_date", "sex", "residence"}
    assert claims["attributes"]["full_name"] == PERSON.full_name
    assert claims["attributes"]["id_number"] == PERSON.id_number
    text = json.dumps(body, ensure_ascii=False)
    for outside in (
        PERSON.father_name,
        PERSON.mother_name,
        PERSON.religion,
        PERSON.old_id_number,
        PERSON.place_of_origin,
    ):
        assert outside not in text
    patient = claims["fhir_patient"]
    assert patient["identifier"][0] == {
        **patient["identifier"][0],
        "system": "urn:vn:cccd",
        "value": PERSON.id_number,
    }
    assert patient["birthDate"] == PERSON.birth_date.isoformat() and patient["gender"] == "male"
    comp = claims["comparison"]
    assert comp["full_name"]["how"] == ["case", "diacritics"] and comp["full_name"]["equivalent"]
    assert comp["birth_date"]["how"] == ["format"]
    assert comp["id_number"]["status"] == "same"
    assert comp["residence"]["status"] == "differs"
    assert "read_files" in body["steps"] and "passive_authentication" in body["steps"]


@pytest.mark.parametrize(
    "profile,attributes",
    [
        ("school", {"full_name", "id_number"}),
        ("airport", {"full_name", "id_number", "birth_date", "nationality"}),
    ],
)
def test_other_profiles_see_only_their_attributes(card_app, profile, attributes):
    client = card_app.test_client()
    if profile == "airport":  # PACE with the MRZ, face match switched off by the caller
        created = start(client, profile, face_match_required=False, mrz=list(DS.mrz_lines))
    else:
        created = start(client, profile)
    body = finish(client, created, profile)
    assert body["state"] == "done"
    claims = body["result"]["claims"]
    assert set(claims["attributes"]) == attributes
    assert "fhir_patient" not in claims and "comparison" not in claims
    assert PERSON.residence not in json.dumps(body, ensure_ascii=False)


def test_bac_style_key_fields(card_app):
    client = card_app.test_client()
    r = client.post(
        "/v1/verifications",
        headers=auth("school"),
        json={
            "document_number": DS.document_number,
            "birth_date": DS.birth_date,
            "expiry_date": DS.expiry_date,
        },
    )
    body = finish(client, check(r, "/v1/verifications", "post"), "school")
    assert body["state"] == "done" and body["result"]["claims"]["verdicts"]["overall"] == "valid"


def test_another_relying_party_cannot_see_the_result(card_app):
    client = card_app.test_client()
    created = start(client)
    r = client.get(created["links"]["self"], headers=auth("school"))
    assert r.status_code == 404 and check(r, "/v1/verifications/{session_id}")
    finish(client, created)


def test_wrong_can_fails_with_a_reason_and_service_keeps_serving(card_app):
    client = card_app.test_client()
    wrong = "000000" if DS.can != "000000" else "111111"
    body = finish(client, start(client, can=wrong))
    assert body["state"] == "failed" and body["error"]["code"] == "access_key_rejected"
    assert "result" not in body
    assert finish(client, start(client))["state"] == "done"


def test_card_removed_mid_read_fails_and_service_keeps_serving(tmp_path):
    app = _make(tmp_path, faults=["remove-after:12"])
    try:
        client = app.test_client()
        body = finish(client, start(client))
        assert body["state"] == "failed" and body["error"]["code"] == "card_removed"
        assert check(client.get("/v1/health"), "/v1/health")["status"] == "ok"
        stats = check(client.get("/v1/stats"), "/v1/stats")
        assert stats["failure_reasons"].get("card_removed") == 1
    finally:
        app.extensions["cccd_edge"].close()


def test_forged_card_is_a_successful_response_with_failing_verdicts(tmp_path):
    app = _make(tmp_path, faults=["tampered-dg"])
    try:
        client = app.test_client()
        body = finish(client, start(client, "school"), "school")
        assert body["state"] == "done"
        verdicts = body["result"]["claims"]["verdicts"]
        assert verdicts["passive_authentication"] == "invalid" and verdicts["overall"] == "invalid"
        assert body["result"]["claims"]["reason_codes"]
    finally:
        app.extensions["cccd_edge"].close()


def test_unknown_csca_is_unknown_not_valid(tmp_path):
    app = _make(tmp_path, trusted=False)
    try:
        client = app.test_client()
        verdicts = finish(client, start(client, "school"), "school")["result"]["claims"]["verdicts"]
        assert verdicts["passive_authentication"] == "unknown" and verdicts["overall"] == "unknown"
    finally:
        app.extensions["cccd_edge"].close()


def test_results_are_dropped_after_the_ttl(tmp_path):
    app = _make(tmp_path, result_ttl=1.0)
    try:
        clock = FakeClock()
        app.extensions["cccd_edge"].sessions._clock = clock  # sessions take the store's clock
        client = app.test_client()
        created = start(client, "school")
        assert finish(client, created, "school")["state"] == "done"
        assert client.get(created["links"]["self"], headers=auth("school")).status_code == 200
        clock.t += 1.01
        assert client.get(created["links"]["self"], headers=auth("school")).status_code == 404
    finally:
        app.extensions["cccd_edge"].close()


def test_events_stream_names_the_steps(card_app):
    client = card_app.test_client()
    created = start(client, "school")
    r = client.get(created["links"]["events"], headers=auth("school"))
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    text = r.get_data(as_text=True)  # the stream ends by itself once the session is final
    names = [line[7:] for line in text.splitlines() if line.startswith("event: ")]
    for expected in ("access_control", "read_files", "passive_authentication", "state", "end"):
        assert expected in names
    data = [json.loads(line[6:]) for line in text.splitlines() if line.startswith('data: {"')]
    assert data[-1]["data"]["state"] == "done"


def test_kiosk_screen_follows_events_with_its_cookie(card_app):
    from edge.api.auth import KIOSK_COOKIE, kiosk_token

    client = card_app.test_client()
    created = start(client, "school")
    assert client.get(created["links"]["events"]).status_code == 401
    client.set_cookie(KIOSK_COOKIE, kiosk_token(card_app))
    r = client.get(created["links"]["events"])
    assert r.status_code == 200 and "event: end" in r.get_data(as_text=True)
    # The cookie opens the kiosk's views only, never a relying party's result.
    assert client.get(created["links"]["self"]).status_code == 401


def test_queue_full_gives_429_with_retry_after(tmp_path):
    app = _make(tmp_path, faults=["slow:15"], reader_queue=1)
    try:
        client = app.test_client()
        first = start(client, "school")
        # The owner thread has taken the first job off the queue once its session moves on.
        assert wait_for_event(app, first["id"], lambda e: e.data.get("state") == "reading")
        second = start(client, "school")
        r = client.post("/v1/verifications", json={"can": DS.can}, headers=auth("school"))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert check(r, "/v1/verifications", "post")["error"]["code"] == "reader_busy"
        assert finish(client, first, "school")["state"] == "done"
        assert finish(client, second, "school")["state"] == "done"
    finally:
        app.extensions["cccd_edge"].close()


def test_ask_on_kiosk_flow_and_kiosk_exclusivity(card_app):
    from edge.api.auth import kiosk_token

    client = card_app.test_client()
    created = start(client, "school", ask_on_kiosk=True)
    r = client.post("/v1/verifications", json={"ask_on_kiosk": True}, headers=auth("hospital"))
    assert r.status_code == 409 and "Retry-After" in r.headers
    kiosk = {"X-Kiosk-Token": kiosk_token(card_app)}
    assert wait_for_event(
        card_app, created["id"], lambda e: e.data.get("step") == "waiting_for_access_key"
    )
    cur = check(client.get("/v1/kiosk/current", headers=kiosk), "/v1/kiosk/current")["session"]
    assert cur["needs_access_key"]
    assert cur["id"] == created["id"] and cur["attributes_read"] == ["full_name", "id_number"]
    path = f"/v1/kiosk/verifications/{created['id']}/access-key"
    r = client.post(path, json={"can": "12"}, headers=kiosk)
    assert r.status_code == 400 and check(
        r, "/v1/kiosk/verifications/{session_id}/access-key", "post"
    )
    r = client.post(path, json={"can": DS.can}, headers=kiosk)
    assert r.status_code == 202 and check(
        r, "/v1/kiosk/verifications/{session_id}/access-key", "post"
    )
    assert finish(client, created, "school")["state"] == "done"
    r = client.post(path, json={"can": DS.can}, headers=kiosk)
    assert r.status_code in (404, 409)


def test_face_endpoint_rejects_when_no_face_match(card_app):
    client = card_app.test_client()
    created = start(client, "school")
    r = client.post(
        created["links"]["face"],
        data=b"\xff\xd8\xff\xe0",
        content_type="image/jpeg",
        headers=auth("school"),
    )
    assert r.status_code == 409 and check(r, "/v1/verifications/{session_id}/face", "post")
    r = client.post(
        created["links"]["face"], data=b"GIF89a", content_type="image/gif", headers=auth("school")
    )
    assert r.status_code == 415
    finish(client, created, "school")


def _files(dataset) -> dict[str, bytes]:
    from simulators.carddata import FID_COM, FID_SOD, fid_of_dg

    out = {"EF_SOD": dataset.files[FID_SOD], "EF_COM": dataset.files[FID_COM]}
    for n in (1, 2, 13, 14, 15):
        out[f"DG{n}"] = dataset.files[fid_of_dg(n)]
    return out


def test_documents_verify_multipart_and_json(card_app):
    client = card_app.test_client()
    files = _files(DS)
    r = client.post(
        "/v1/documents/verify",
        content_type="multipart/form-data",
        headers=auth("hospital"),
        data={**{k: (io.BytesIO(v), k + ".bin") for k, v in files.items()}, "nonce": "up-1"},
    )
    body = check(r, "/v1/documents/verify", "post")
    claims = body["result"]["claims"]
    assert claims["kind"] == "upload" and claims["nonce"] == "up-1"
    assert claims["verdicts"]["passive_authentication"] == "valid"
    assert claims["verdicts"]["overall"] == "valid"
    assert verify_jws(body["result"]["jws"], client.get("/v1/keys").get_json()) == claims
    r = client.post(
        "/v1/documents/verify",
        headers=auth("school"),
        json={"files": {k: base64.b64encode(v).decode() for k, v in files.items()}},
    )
    claims = check(r, "/v1/documents/verify", "post")["result"]["claims"]
    assert set(claims["attributes"]) == {"full_name", "id_number"}


def test_documents_verify_tampered_dg_is_200_with_invalid_verdict(card_app):
    client = card_app.test_client()
    files = _files(DS)
    dg13 = bytearray(files["DG13"])
    dg13[-1] ^= 0x01
    files["DG13"] = bytes(dg13)
    r = client.post(
        "/v1/documents/verify",
        headers=auth("school"),
        json={"files": {k: base64.b64encode(v).decode() for k, v in files.items()}},
    )
    assert r.status_code == 200
    claims = check(r, "/v1/documents/verify", "post")["result"]["claims"]
    assert claims["verdicts"]["passive_authentication"] == "invalid"


def test_garbage_upload_is_not_a_500(card_app):
    client = card_app.test_client()
    r = client.post(
        "/v1/documents/verify",
        headers=auth("school"),
        json={
            "files": {
                "EF_SOD": base64.b64encode(b"\x77\x82\xff\xff" + b"\x00" * 64).decode(),
                "DG1": base64.b64encode(b"junk").decode(),
            }
        },
    )
    assert r.status_code == 200
    assert (
        check(r, "/v1/documents/verify", "post")["result"]["claims"]["verdicts"]["overall"]
        != "valid"
    )


def test_no_personal_data_in_audit_db_or_logs(card_app, tmp_path):
    client = card_app.test_client()
    finish(client, start(client, record={"full_name": PERSON.full_name}))
    finish(
        client, start(client, "school", can="999999" if DS.can != "999999" else "888888"), "school"
    )
    client.post(
        "/v1/documents/verify",
        headers=auth("school"),
        json={"files": {k: base64.b64encode(v).decode() for k, v in _files(DS).items()}},
    )
    svc = card_app.extensions["cccd_edge"]
    rows = svc.audit.rows()
    assert len(rows) == 3 and {r["outcome"] for r in rows} == {"done", "failed"}
    assert any(r["id_hmac"] for r in rows)
    for handler in __import__("logging").getLogger("cccd_edge").handlers:
        handler.flush()
    db = b"".join(p.read_bytes() for p in (tmp_path / "instance").glob("audit.sqlite*"))
    log = (tmp_path / "app.log").read_bytes()
    assert log.count(b"\n") >= 5
    secrets = [
        PERSON.id_number,
        PERSON.full_name,
        PERSON.id_number[-9:],
        DS.can,
        PERSON.birth_date.strftime("%d/%m/%Y"),
        PERSON.birth_date.isoformat(),
        DS.birth_date,
        PERSON.residence.split(",")[0],
        PERSON.full_name.split()[-1] + '"',
    ]
    for s in secrets:
        for blob, where in ((db, "audit db"), (log, "log")):
            assert s.encode("utf-8") not in blob, f"{s!r} found in the {where}"
    import os

    instance = tmp_path / "instance"
    written = {p.name for p in instance.iterdir()}
    assert written <= {
        "audit.sqlite",
        "audit.sqlite-wal",
        "audit.sqlite-shm",
        "kiosk-signing-key.pem",
        "audit-hmac.key",
    }
    for name in ("kiosk-signing-key.pem", "audit-hmac.key"):
        assert os.stat(instance / name).st_mode & 0o077 == 0
