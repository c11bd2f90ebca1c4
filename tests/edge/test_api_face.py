"""Airport profile: face match of live frames against the chip photo, with the real dlib matcher."""

from __future__ import annotations

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

pytestmark = pytest.mark.face


@pytest.fixture(scope="module")
def models():
    from edge.face import FaceModels

    return FaceModels.load()


@pytest.fixture(scope="module")
def faces(shared_dir):
    root = shared_dir / "faces" / "johns"
    return {p.name: sorted(p.glob("*.jpg")) for p in sorted(root.iterdir()) if p.is_dir()}


@pytest.fixture
def face_app(tmp_path, models, faces):
    from crypto.truststore import TrustStore
    from simulators.pki import default_pki

    store = TrustStore(tmp_path / "trust.sqlite")
    store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    store.close()
    person = next(iter(faces))
    dataset = build_dataset(0, photo=faces[person][0].read_bytes())  # the chip photo: a real face
    # The match alone (liveness off): tests/edge/test_api_liveness.py drives the head-turn
    # challenge.
    app = create_app(
        rp_config(tmp_path, face_timeout=5, liveness=False, log_file=str(tmp_path / "app.log")),
        face_models=models,
        open_transport=lambda: InProcessTransport(VirtualCCCD(dataset)),
    )
    app.person = person  # type: ignore[attr-defined]  # for the tests
    app.dataset = dataset  # type: ignore[attr-defined]
    yield app
    app.extensions["cccd_edge"].close()


def _until_face_capture(client, created):
    deadline = time.time() + 20
    while time.time() < deadline:
        body = client.get(created["links"]["self"], headers=auth("airport")).get_json()
        if body["state"] in ("face_capture", "failed", "done"):
            return body
        time.sleep(0.02)
    pytest.fail("never reached face_capture")


def _run(client, app, frames, as_multipart=False):
    r = client.post(
        "/v1/verifications",
        json={"can": app.dataset.can, "nonce": "gate-7"},
        headers=auth("airport"),
    )
    created = check(r, "/v1/verifications", "post")
    assert _until_face_capture(client, created)["state"] == "face_capture"
    if as_multipart:
        r = client.post(
            created["links"]["face"],
            content_type="multipart/form-data",
            headers=auth("airport"),
            data={"frame": [(io.BytesIO(f), f"f{i}.jpg") for i, f in enumerate(frames)]},
        )
    else:
        r = client.post(
            created["links"]["face"],
            data=frames[0],
            content_type="image/jpeg",
            headers=auth("airport"),
        )
    assert r.status_code == 202, r.get_json()
    check(r, "/v1/verifications/{session_id}/face", "post")
    r = client.get(created["links"]["self"] + "?wait=20", headers=auth("airport"))
    return check(r, "/v1/verifications/{session_id}")


def test_genuine_frames_match(face_app, faces):
    client = face_app.test_client()
    frames = [p.read_bytes() for p in faces[face_app.person][1:3]]
    body = _run(client, face_app, frames, as_multipart=True)
    assert body["state"] == "done", body
    claims = body["result"]["claims"]
    assert verify_jws(body["result"]["jws"], client.get("/v1/keys").get_json()) == claims
    assert (
        claims["face"]["decision"] == "match"
        and claims["face"]["distance"] < claims["face"]["threshold"]
    )
    assert claims["verdicts"]["face"] == "valid" and claims["verdicts"]["overall"] == "valid"
    assert set(claims["attributes"]) == {"full_name", "id_number", "birth_date", "nationality"}
    assert "face_match" in body["steps"]
    # liveness = false: no challenge, no liveness verdict; the match decides as before.
    assert "liveness" not in claims["face"] and "liveness" not in body


def test_impostor_frame_does_not_match(face_app, faces):
    client = face_app.test_client()
    other = next(name for name in faces if name != face_app.person)
    body = _run(client, face_app, [faces[other][1].read_bytes()])
    claims = body["result"]["claims"]
    assert claims["face"]["decision"] == "no_match"
    assert claims["verdicts"]["face"] == "invalid" and claims["verdicts"]["overall"] == "invalid"
    # No frame, photo or embedding leaves in the result.
    assert len(json.dumps(body)) < 20000 and "frames" not in json.dumps(claims)


def test_no_frames_in_time_is_undetermined(tmp_path, models, faces):
    dataset = build_dataset(0, photo=faces[next(iter(faces))][0].read_bytes())
    from crypto.truststore import TrustStore
    from simulators.pki import default_pki

    store = TrustStore(tmp_path / "trust.sqlite")
    store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    store.close()
    app = create_app(
        rp_config(tmp_path, face_timeout=0.3),
        face_models=models,
        open_transport=lambda: InProcessTransport(VirtualCCCD(dataset)),
    )
    try:
        client = app.test_client()
        r = client.post("/v1/verifications", json={"can": dataset.can}, headers=auth("airport"))
        body = client.get(
            r.get_json()["links"]["self"] + "?wait=20", headers=auth("airport")
        ).get_json()
        claims = body["result"]["claims"]
        assert (
            claims["verdicts"]["face"] == "unknown" and claims["verdicts"]["overall"] == "unknown"
        )
        # Liveness is on by default: a challenge nobody answered was not performed.
        assert claims["face"]["liveness"] == {
            "verdict": "not_performed",
            "reason_codes": ["no_frames"],
        }
        stats = client.get("/v1/stats").get_json()
        assert stats["failure_reasons"].get("face_undetermined") == 1
        assert stats["failure_reasons"].get("liveness_not_performed") == 1
    finally:
        app.extensions["cccd_edge"].close()


def test_frames_that_are_not_jpeg_are_400(face_app):
    client = face_app.test_client()
    r = client.post(
        "/v1/verifications", json={"can": face_app.dataset.can}, headers=auth("airport")
    )
    created = r.get_json()
    r = client.post(
        created["links"]["face"],
        data=b"\x89PNG\r\n\x1a\n",
        content_type="image/jpeg",
        headers=auth("airport"),
    )
    assert r.status_code == 400 and check(r, "/v1/verifications/{session_id}/face", "post")
    r = client.post(
        created["links"]["face"],
        content_type="multipart/form-data",
        headers=auth("airport"),
        data={},
    )
    assert r.status_code == 400
