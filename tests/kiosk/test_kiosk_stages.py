"""Each failure at its own stage: the signed card result stays intact beside the face verdict.

Real service (app factory), real virtual CCCD in process, the real dlib matcher; no browser.
"""

from __future__ import annotations

import time

import pytest

from cardreader.transport.inprocess import InProcessTransport
from edge.app import create_app
from edge.signing import verify_jws
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.faults import FaultConfig
from tests.edge.conftest import auth, rp_config
from tests.kiosk.conftest import face_files

pytestmark = [pytest.mark.face, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def models():
    from edge.face import FaceModels

    return FaceModels.load()


def _app(tmp_path, models, dataset, faults=(), **overrides):
    from crypto.truststore import TrustStore
    from simulators.pki import default_pki

    store = TrustStore(tmp_path / "trust.sqlite")
    store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    store.close()
    config = rp_config(tmp_path, face_timeout=3, liveness=False, **overrides)
    config["relying_parties"]["airport-rp"]["display_name"] = "Cảng hàng không Nội Bài"
    return create_app(
        config,
        face_models=models,
        open_transport=lambda: InProcessTransport(
            VirtualCCCD(dataset, faults=FaultConfig.from_specs(list(faults)))
        ),
    )


def _verify(app, dataset) -> tuple[dict, dict]:
    """An airport verification with face match; returns (API body, kiosk view)."""
    client = app.test_client()
    r = client.post(
        "/v1/verifications",
        json={"can": dataset.can, "face_match_required": True},
        headers=auth("airport"),
    )
    assert r.status_code == 202, r.get_json()
    created = r.get_json()
    body = client.get(created["links"]["self"] + "?wait=30", headers=auth("airport")).get_json()
    deadline = time.time() + 30
    while body["state"] not in ("done", "failed") and time.time() < deadline:
        body = client.get(created["links"]["self"] + "?wait=5", headers=auth("airport")).get_json()
    client.get("/")  # the kiosk cookie, as the kiosk's own browser gets it
    view = client.get(f"/kiosk/api/sessions/{created['id']}").get_json()
    return body, view


def test_chip_photo_without_a_face_keeps_the_card_verified(tmp_path, models):
    dataset = build_dataset(0)  # the drawn synthetic portrait: no face the matcher can find
    app = _app(tmp_path, models, dataset)
    try:
        body, view = _verify(app, dataset)
        assert body["state"] == "done", body  # not "failed": the card result is returned
        claims = verify_jws(body["result"]["jws"], app.extensions["cccd_edge"].key.jwks())
        assert claims["verdicts"]["passive_authentication"] == "valid"
        assert claims["verdicts"]["chip_authenticity"] == "valid"
        assert claims["verdicts"]["face"] == "unknown"
        assert claims["face"]["reason_codes"] == ["chip_photo_unusable"]
        assert view["card"] == "genuine" and view["card_verified"] is True
        assert view["reason"] == "face_chip_photo" and view["verified"] is False
        assert view["relying_party_name"] == "Cảng hàng không Nội Bài"
        audit = app.extensions["cccd_edge"].audit.rows(1)[0]
        assert audit["passive_authentication"] == "valid" and audit["outcome"] == "done"
    finally:
        app.extensions["cccd_edge"].close()


def test_camera_without_a_face_is_a_face_reason_not_a_card_reason(tmp_path, models, shared_dir):
    dataset = build_dataset(0, photo=face_files(shared_dir)[0].read_bytes())
    app = _app(tmp_path, models, dataset)
    try:
        body, view = _verify(app, dataset)  # no frame is ever sent: nobody at the camera
        assert body["state"] == "done", body
        verdicts = body["result"]["claims"]["verdicts"]
        assert verdicts["passive_authentication"] == "valid" and verdicts["face"] == "unknown"
        assert view["card_verified"] is True
        assert view["reason"] == "face_not_seen", view
    finally:
        app.extensions["cccd_edge"].close()


def test_face_step_is_skipped_when_the_card_failed(tmp_path, models, shared_dir):
    dataset = build_dataset(0, photo=face_files(shared_dir)[0].read_bytes())
    app = _app(tmp_path, models, dataset, faults=["tampered-dg"])
    try:
        body, view = _verify(app, dataset)
        assert body["state"] == "done", body
        verdicts = body["result"]["claims"]["verdicts"]
        assert verdicts["passive_authentication"] == "invalid"
        session = app.extensions["cccd_edge"].sessions.get(body["id"])
        steps = [e.data.get("step") for e in session.events if e.name == "step"]
        assert "face_skipped" in steps and "waiting_for_face" not in steps
        assert view["reason"] == "document_invalid"  # the card's own reason comes first
        assert body["result"]["claims"]["face"]["reason_codes"] == ["card_not_verified"]
        assert view["face_reason"] == "face_skipped_card"
        assert view["card"] == "not_genuine" and view["card_verified"] is False
    finally:
        app.extensions["cccd_edge"].close()


def test_expired_genuine_card_is_said_apart_from_not_genuine():
    from kiosk_ui.outcome import card_status

    valid = {"passive_authentication": "valid", "chip_authenticity": "valid"}
    assert card_status(valid, "expired") == "expired"
    assert card_status(valid, None) == "genuine"  # the field absent (issue 9 not merged)
    assert card_status({**valid, "passive_authentication": "invalid"}, "expired") == "not_genuine"


def test_expired_card_reason_and_notice_follow_the_profile():
    from types import SimpleNamespace

    from kiosk_ui.outcome import stage_view

    session = SimpleNamespace(document_currency="expired", face_outcome=None)
    valid = {"passive_authentication": "valid", "chip_authenticity": "valid"}
    refused = stage_view(session, {"verdicts": {**valid, "overall": "invalid"}}, SimpleNamespace())
    assert refused["card"] == "expired" and refused["reason"] == "card_expired"
    accepting = SimpleNamespace(accept_expired_document=True)
    accepted = stage_view(session, {"verdicts": {**valid, "overall": "valid"}}, accepting)
    assert accepted["notice"] == "card_expired_accepted" and "reason" not in accepted


def test_cli_simulator_read_writes_a_photo_with_a_face(tmp_path, models, capsys):
    """The demo card's chip photo is a real face (a public-domain portrait from an installed
    package, simulators/demo_face.py), so a newcomer's demo can match faces at all."""
    from edge.cli import main
    from edge.face.matcher import reference_from_photo
    from simulators.demo_face import demo_photo_path

    assert demo_photo_path() is not None, "matplotlib (the demo extra) is not installed"
    out = tmp_path / "card"
    assert main(["read", "--simulator", "--can", "047064", "--out", str(out)]) == 0
    capsys.readouterr()
    reference = reference_from_photo(models, (out / "photo.jpg").read_bytes())
    assert reference.confidence > 0


def test_demo_photo_exists_only_in_demo_mode(tmp_path, models, shared_dir):
    real = create_app(rp_config(tmp_path / "real", reader="ACS ACR1252 01 00"))
    try:
        client = real.test_client()
        page = client.get("/").get_data(as_text=True)
        assert 'id="demo-photo"' not in page and 'id="demo-can"' not in page
        jpeg = face_files(shared_dir)[0].read_bytes()
        r = client.post("/kiosk/api/demo/photo", data=jpeg, content_type="image/jpeg")
        assert r.status_code == 404
    finally:
        real.extensions["cccd_edge"].close()
    demo = create_app(rp_config(tmp_path / "demo", reader="simulator"), face_models=models)
    try:
        client = demo.test_client()
        page = client.get("/").get_data(as_text=True)
        assert 'id="demo-photo"' in page and "047064" in page
        service = demo.extensions["cccd_edge"]
        r = client.post(
            "/kiosk/api/demo/photo", data=b"\xff\xd8 not a photo", content_type="image/jpeg"
        )
        assert r.status_code in (400, 422) and service.demo_photo().get() is None
        r = client.post("/kiosk/api/demo/photo", data=jpeg, content_type="image/jpeg")
        assert r.status_code == 200 and service.demo_photo().get() == jpeg
        assert client.delete("/kiosk/api/demo/photo").status_code == 204
        assert service.demo_photo().get() is None
    finally:
        demo.extensions["cccd_edge"].close()


def test_qr_check_compares_and_refuses_bad_input(tmp_path, models, shared_dir):
    from kiosk_ui.qr_check import compare

    chip = {"id_number": "001093047064", "full_name": "Nguyễn Văn An", "birth_date": "1993-01-05"}
    same = {"id_number": "001093047064", "full_name": "NGUYỄN  VĂN AN", "birth_date": "05011993"}
    assert compare(same, chip) == {"id_matches": True, "name_matches": True, "birth_matches": True}
    other = {"id_number": "001093047065", "full_name": "Nguyễn Văn Án", "birth_date": "06011993"}
    assert compare(other, chip) == {
        "id_matches": False,
        "name_matches": False,
        "birth_matches": False,
    }
    assert compare(same, {})["id_matches"] is None  # not among this profile's attributes

    dataset = build_dataset(0, photo=face_files(shared_dir)[0].read_bytes())
    app = _app(tmp_path, models, dataset)
    try:
        body, _ = _verify(app, dataset)
        client = app.test_client()
        client.get("/")
        url = f"/kiosk/api/sessions/{body['id']}/qr-check"
        assert client.post(url, data="not json", content_type="text/plain").status_code == 400
        assert client.post(url, json={"id_number": 5}).status_code == 400
        assert client.post("/kiosk/api/sessions/nope/qr-check", json=same).status_code == 404
        r = client.post(url, json={**same, "full_name": dataset.citizen.full_name})
        assert r.status_code == 200 and r.get_json()["id_matches"] is (
            dataset.citizen.id_number == same["id_number"]
        )
    finally:
        app.extensions["cccd_edge"].close()
