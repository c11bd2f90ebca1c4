"""The head-turn challenge through the API: issued at face_capture, answered with timestamped
frames.

Turned heads are synthesised as in tests/face/synth.py (one side of the face squeezed, the other
stretched about the nose); the service's clock is injected, so capture times are chosen exactly.
"""

from __future__ import annotations

import io
import json
import random
import time
from typing import Any

import pytest

from cardreader.transport.inprocess import InProcessTransport
from edge.app import create_app
from edge.signing import verify_jws
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from tests.edge.conftest import auth, rp_config
from tests.edge.openapi_check import check
from tests.face.synth import hinge_turn, jpeg, load_rgb, padded

pytestmark = pytest.mark.face

T0 = 1_800_000_000.0


class Clock:
    """The service's wall clock, moved by the test."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def models():
    from edge.face import FaceModels

    return FaceModels.shared()


@pytest.fixture(scope="module")
def person(shared_dir):
    root = shared_dir / "faces" / "johns"
    return sorted(next(p for p in sorted(root.iterdir()) if p.is_dir()).glob("*.jpg"))


@pytest.fixture(scope="module")
def poses(models, person):
    """JPEG frames: frontal, turned to the person's own left, and to their right."""
    from edge.face.detect import analyse_frame

    frontal = padded(load_rgb(person[0]))
    nose_x = analyse_frame(models, frontal, need_frontal=False).face.landmarks.nose[0]
    return {
        "F": jpeg(frontal),
        "left": jpeg(hinge_turn(frontal, nose_x, 1.3, 0.5)),
        "right": jpeg(hinge_turn(frontal, nose_x, 0.5, 1.3)),
    }


@pytest.fixture
def live_app(tmp_path, models, person):
    from crypto.truststore import TrustStore
    from simulators.pki import default_pki

    store = TrustStore(tmp_path / "trust.sqlite")
    store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    store.close()
    dataset = build_dataset(0, photo=person[0].read_bytes())  # the chip photo: a real face
    clock = Clock(T0)
    app = create_app(
        rp_config(tmp_path, face_timeout=20),
        face_models=models,
        clock=clock,
        rng=random.Random(7).randbytes,
        open_transport=lambda: InProcessTransport(VirtualCCCD(dataset)),
    )
    app.clock, app.dataset = clock, dataset  # type: ignore[attr-defined]  # for the tests
    yield app
    app.extensions["cccd_edge"].close()


def start(client, app) -> tuple[dict, dict]:
    """A verification with face match, followed until the challenge is out."""
    created = check(
        client.post("/v1/verifications", json={"can": app.dataset.can}, headers=auth("airport")),
        "/v1/verifications",
        "post",
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        body = check(
            client.get(created["links"]["self"], headers=auth("airport")),
            "/v1/verifications/{session_id}",
        )
        if body["state"] in ("face_capture", "failed", "done"):
            assert body["state"] == "face_capture", body
            return created, body
        time.sleep(0.02)
    pytest.fail("never reached face_capture")


def performed(steps) -> list[str]:
    keys = ["F"]
    for s in steps:
        keys += [s, "F"]
    return keys


def send(client, created, frames, times=None, *, final=True):
    data: dict[str, Any] = {"frame": [(io.BytesIO(f), f"f{i}.jpg") for i, f in enumerate(frames)]}
    if times is not None:
        data["captured_at"] = [repr(t) for t in times]
    r = client.post(
        created["links"]["face"] + ("?final=true" if final else ""),
        data=data,
        content_type="multipart/form-data",
        headers=auth("airport"),
    )
    assert r.status_code == 202, r.get_json()
    check(r, "/v1/verifications/{session_id}/face", "post")
    return r.get_json()


def outcome(client, created) -> dict:
    body = check(
        client.get(created["links"]["self"] + "?wait=30", headers=auth("airport")),
        "/v1/verifications/{session_id}",
    )
    assert body["state"] == "done", body
    return body


def audit_codes(app, verification_id) -> list[str]:
    return json.loads(app.extensions["cccd_edge"].audit.row(verification_id)["reason_codes"])


def test_the_asked_turns_in_order_pass(live_app, poses):
    client = live_app.test_client()
    created, body = start(client, live_app)
    challenge = body["liveness"]
    assert challenge["issued_at"] == T0 and challenge["deadline"] == T0 + 15
    assert len(challenge["steps"]) == 3 and set(challenge["steps"]) <= {"left", "right"}
    assert "liveness_challenge" in body["steps"]
    keys = performed(challenge["steps"])
    # A turn the wrong way *before* the challenge started does not count against it.
    wrong = "right" if challenge["steps"][0] == "left" else "left"
    frames = [poses[wrong]] + [poses[k] for k in keys]
    times = [T0 - 2] + [T0 + 0.5 + 0.4 * i for i in range(len(keys))]
    assert send(client, created, frames, times)["accepted_frames"] == len(frames)
    body = outcome(client, created)
    claims = body["result"]["claims"]
    assert verify_jws(body["result"]["jws"], client.get("/v1/keys").get_json()) == claims
    assert claims["face"]["decision"] == "match"
    assert claims["face"]["liveness"] == {"verdict": "passed", "reason_codes": []}
    assert claims["verdicts"]["face"] == "valid" and claims["verdicts"]["overall"] == "valid"
    # The verdicts have their own columns; a passed challenge is no reason code, nor a failure
    # reason.
    row = live_app.extensions["cccd_edge"].audit.row(created["id"])
    assert row["liveness"] == "passed" and row["face_decision"] == "match"
    assert not any(c.startswith("liveness") for c in audit_codes(live_app, created["id"]))
    assert "liveness_passed" not in client.get("/v1/stats").get_json()["failure_reasons"]


def test_a_static_photo_fails_liveness_though_the_face_matches(live_app, poses):
    client = live_app.test_client()
    created, _body = start(client, live_app)
    send(client, created, [poses["F"]] * 6, [T0 + 1 + 0.5 * i for i in range(6)])
    claims = outcome(client, created)["result"]["claims"]
    assert claims["face"]["decision"] == "match"  # the right face, but not alive
    assert claims["face"]["liveness"] == {"verdict": "failed", "reason_codes": ["steps_not_seen"]}
    # Verified face = match AND liveness passed.
    assert claims["verdicts"]["face"] == "invalid" and claims["verdicts"]["overall"] == "invalid"
    codes = audit_codes(live_app, created["id"])
    assert "liveness_steps_not_seen" in codes and "face_match" not in codes
    assert "liveness_failed" not in codes  # the verdict is a column, not a code
    row = live_app.extensions["cccd_edge"].audit.row(created["id"])
    assert (
        row["face"] == "invalid" and row["liveness"] == "failed" and row["face_decision"] == "match"
    )
    assert client.get("/v1/stats").get_json()["failure_reasons"].get("liveness_failed") == 1
    # The kiosk screen says plainly that the liveness check failed.
    from kiosk_ui.reasons import kiosk_view

    view = kiosk_view(live_app.extensions["cccd_edge"].sessions.get(created["id"]))
    assert view["verified"] is False and view["reason"] == "liveness_failed"
    assert view["liveness_verdict"] == {"verdict": "failed", "reason_codes": ["steps_not_seen"]}


def test_turns_outside_the_window_are_ignored(live_app, poses):
    client = live_app.test_client()
    created, body = start(client, live_app)
    steps = body["liveness"]["steps"]
    # The kiosk screen sees the same challenge (documented shape).
    from edge.api.auth import kiosk_token

    current = check(
        client.get("/v1/kiosk/current", headers={"X-Kiosk-Token": kiosk_token(live_app)}),
        "/v1/kiosk/current",
    )
    assert current["session"]["face_capture"] and current["session"]["liveness"]["steps"] == steps
    keys = performed(steps)
    # The frontal start inside the window; every turn captured after the deadline.
    times = [T0 + 1 if k == "F" and i == 0 else T0 + 16 + i for i, k in enumerate(keys)]
    send(client, created, [poses[k] for k in keys], times)
    claims = outcome(client, created)["result"]["claims"]
    assert claims["face"]["liveness"] == {"verdict": "failed", "reason_codes": ["steps_not_seen"]}
    assert claims["verdicts"]["face"] == "invalid"


def test_frames_without_a_capture_time_get_the_time_they_arrive(live_app, poses):
    client = live_app.test_client()
    created, body = start(client, live_app)
    steps = body["liveness"]["steps"]
    live_app.clock.now = T0 + 60  # received long after the deadline
    send(client, created, [poses[k] for k in performed(steps)])
    claims = outcome(client, created)["result"]["claims"]
    assert claims["face"]["liveness"] == {
        "verdict": "failed",
        "reason_codes": ["no_frames_in_window"],
    }
    assert claims["face"]["decision"] == "undetermined" and claims["verdicts"]["face"] == "invalid"


def test_bad_capture_times_are_400(live_app, poses):
    client = live_app.test_client()
    created, _ = start(client, live_app)
    r = client.post(
        created["links"]["face"],
        data=poses["F"],
        content_type="image/jpeg",
        headers={**auth("airport"), "X-Capture-Time": "nan"},
    )
    assert r.status_code == 400 and check(r, "/v1/verifications/{session_id}/face", "post")
    r = client.post(
        created["links"]["face"],
        content_type="multipart/form-data",
        headers=auth("airport"),
        data={"frame": [(io.BytesIO(poses["F"]), "a.jpg")], "captured_at": ["1", "2"]},
    )
    assert r.status_code == 400
    # A single JPEG with its time in the header is taken.
    r = client.post(
        created["links"]["face"] + "?final=1",
        data=poses["F"],
        content_type="image/jpeg",
        headers={**auth("airport"), "X-Capture-Time": str(T0 + 1)},
    )
    assert r.status_code == 202
    claims = outcome(client, created)["result"]["claims"]
    assert claims["face"]["liveness"]["verdict"] == "failed"


def test_identity_frames_are_spread_over_the_window():
    from edge.api.service import _spread

    assert _spread(list(range(28)), 10) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert _spread([1, 2], 10) == [1, 2]
