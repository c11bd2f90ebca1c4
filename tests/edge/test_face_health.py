"""A missing or damaged face model: the service starts, /v1/health says so, face checks get 503."""

from __future__ import annotations

import pytest

from edge.app import create_app
from tests.edge.conftest import auth, rp_config
from tests.edge.openapi_check import check

pytestmark = pytest.mark.face


def _app(tmp_path, monkeypatch, model_dir, model="arcface"):
    monkeypatch.setenv("CCCD_EDGE_FACE_MODEL_DIR", str(model_dir))
    return create_app(rp_config(tmp_path, face_model=model))


@pytest.mark.parametrize(
    ("model", "embedder_file"),
    [("sface", "face_recognition_sface_2021dec.onnx"), ("arcface", "fr_feature.onnx")],
)
def test_damaged_model_reported_by_health_and_face_verifications(
    tmp_path, monkeypatch, model, embedder_file
):
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    (model_dir / embedder_file).write_bytes(b"not an onnx model" * 100)
    (model_dir / "fr_landmark.onnx").write_bytes(b"not an onnx model either" * 100)
    app = _app(tmp_path, monkeypatch, model_dir, model)
    try:
        client = app.test_client()
        body = check(client.get("/v1/health"), "/v1/health")
        assert body["status"] == "ok"
        assert body["components"]["face"] is False
        assert body["face_model"]["available"] is False
        assert "damaged" in body["face_model"]["reason"]
        r = client.post(
            "/v1/verifications",
            json={"can": "123456", "face_match_required": True},
            headers=auth("airport"),
        )
        assert r.status_code == 503
        assert "damaged" in r.get_json()["error"]["message"]
    finally:
        app.extensions["cccd_edge"].close()


def test_installed_model_reported_by_health(tmp_path, monkeypatch):
    from edge.face.arcface import default_model_dir

    # No face_model configured: the default embedder, SFace.
    app = _app(tmp_path, monkeypatch, default_model_dir(), model="")
    try:
        body = check(app.test_client().get("/v1/health"), "/v1/health")
        assert body["components"]["face"] is True
        face = body["face_model"]
        assert face["available"] and face["model"] == "sface"
        assert face["threshold"] > 0 and "sha256:" in face["model_version"]
    finally:
        app.extensions["cccd_edge"].close()
