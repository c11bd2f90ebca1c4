"""The kiosk blueprints through the Flask test client: access, headers, strings and plain
reasons."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from edge.api.auth import KIOSK_COOKIE
from edge.app import create_app
from edge.face import errors as face_errors
from edge.profiles import PROFILES
from kiosk_ui.reasons import ERROR_REASONS, REASON_KEYS, reason_for_claims, reason_for_error
from kiosk_ui.strings import LANGUAGES, STRINGS, text
from kiosk_ui.views import STEPS

UI = Path(__file__).resolve().parents[2] / "kiosk_ui"


@pytest.fixture
def app(tmp_path):
    app = create_app({"instance_dir": str(tmp_path / "instance")})
    yield app
    app.extensions["cccd_edge"].close()


def kiosk_client(app):
    client = app.test_client()
    client.get("/")  # the page hands the kiosk cookie to the local browser
    return client


def test_kiosk_page_gives_the_token_only_to_the_local_browser(app):
    local = app.test_client().get("/")
    assert local.status_code == 200
    cookie = local.headers["Set-Cookie"]
    assert cookie.startswith(f"{KIOSK_COOKIE}={app.extensions['cccd_edge'].kiosk_token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "script-src 'self'" in local.headers["Content-Security-Policy"]
    assert "https://" not in local.get_data(as_text=True)  # nothing fetched from outside
    remote = app.test_client().get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert remote.status_code == 403 and "Set-Cookie" not in remote.headers
    # The statistics page holds no token and no personal data: it may be opened from elsewhere.
    assert (
        app.test_client().get("/stats", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code
        == 200
    )


def test_kiosk_page_renders_english_on_request(app):
    body = app.test_client().get("/kiosk?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in body and "Enter the last 6 digits of the ID number" in body
    assert "Nhập 6 số cuối của số định danh" in app.test_client().get("/kiosk").get_data(
        as_text=True
    )


def test_kiosk_api_refuses_callers_without_the_kiosk_token(app):
    client = app.test_client()
    for method, path in (
        ("post", "/kiosk/api/sessions"),
        ("get", "/kiosk/api/sessions/x"),
        ("get", "/kiosk/api/sessions/x/chip-photo"),
        ("post", "/kiosk/api/sessions/x/cancel"),
    ):
        resp = getattr(client, method)(path)
        assert resp.status_code == 401, path
        assert resp.get_json()["error"]["code"] == "unauthorized"


def test_kiosk_api_plain_errors(app):
    client = kiosk_client(app)
    assert client.get("/kiosk/api/sessions/no-such-id").status_code == 404
    assert client.get("/kiosk/api/sessions/no-such-id/chip-photo").status_code == 404
    app.config["KIOSK_UI"]["walk_up_profile"] = ""
    resp = client.post("/kiosk/api/sessions", json={})
    assert resp.status_code == 409 and "service desk" in resp.get_json()["error"]["message"]


def test_walk_up_session_then_cancel_frees_the_reader(app):
    client = kiosk_client(app)
    started = client.post("/kiosk/api/sessions", json={})
    assert started.status_code == 202
    view = started.get_json()
    assert (
        view["relying_party"] == "kiosk-screen"
        and view["face_required"] is True
        and view["final"] is False
    )
    # Not taking pictures yet: a frame check is refused rather than analysed.
    frame = client.post(
        f"/kiosk/api/sessions/{view['id']}/face-check",
        data=b"\xff\xd8\xff",
        content_type="image/jpeg",
    )
    assert frame.status_code == 409
    cancelled = client.post(f"/kiosk/api/sessions/{view['id']}/cancel").get_json()
    assert (
        cancelled["final"] is True
        and cancelled["verified"] is False
        and cancelled["reason"] == "cancelled"
    )
    # The job waiting for the key notices at once and audits a cancellation, not a timeout.
    audit = app.extensions["cccd_edge"].audit
    deadline = time.monotonic() + 10
    while audit.row(view["id"]) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    row = audit.row(view["id"])
    assert (
        row is not None
        and json.loads(row["reason_codes"]) == ["cancelled"]
        and row["outcome"] == "failed"
    )
    # No API key belongs to the kiosk's own relying party: its session is invisible to every caller.
    assert (
        app.test_client()
        .get(f"/v1/verifications/{view['id']}", headers={"X-API-Key": ""})
        .status_code
        == 401
    )


def test_the_access_key_wait_has_its_own_timeout(tmp_path):
    # A short key wait beside a long card wait: the key wait is the one that ends the session.
    app = create_app(
        {"instance_dir": str(tmp_path / "instance"), "access_key_timeout": 0.3, "card_timeout": 30}
    )
    try:
        client = kiosk_client(app)
        view = client.post("/kiosk/api/sessions", json={}).get_json()
        deadline = time.monotonic() + 10
        while not view["final"] and time.monotonic() < deadline:
            time.sleep(0.05)
            view = client.get(f"/kiosk/api/sessions/{view['id']}").get_json()
        assert view["final"] and view["reason"] == "timeout"
        audit = app.extensions["cccd_edge"].audit
        while audit.row(view["id"]) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert json.loads(audit.row(view["id"])["reason_codes"]) == ["access_key_timeout"]
    finally:
        app.extensions["cccd_edge"].close()


def test_every_string_has_both_languages_and_every_key_used_exists():
    for key, entry in STRINGS.items():
        assert set(entry) == set(LANGUAGES) and all(entry[lang].strip() for lang in LANGUAGES), key
    used = set()
    for path in list((UI / "templates").rglob("*.html")) + list((UI / "static").glob("*.js")):
        source = path.read_text()
        used |= set(re.findall(r'data-i18n="([a-z_]+)"', source))
        used |= set(re.findall(r"""\bt\(['"]([a-z_]+)['"]""", source))
    used = {k for k in used if not k.endswith("_")}  # "step_" + name: checked below
    assert used and used <= set(STRINGS), used - set(STRINGS)
    # Keys the script builds: every step and status, every attribute a profile may read.
    for step, _ in STEPS:
        assert f"step_{step}" in STRINGS
    for status in ("done", "active", "waiting"):
        assert f"step_{status}" in STRINGS
    for profile in PROFILES.values():
        for name in profile.attributes:
            assert f"attr_{name}" in STRINGS, name
    for reason in REASON_KEYS:
        assert f"reason_{reason}" in STRINGS, reason
    # Every quality gate of the face matcher has a prompt on the screen.
    for cls in vars(face_errors).values():
        if (
            isinstance(cls, type)
            and issubclass(cls, face_errors.QualityError)
            and cls is not face_errors.QualityError
        ):
            assert f"hint_{cls.code}" in STRINGS, cls.code
    assert text("reset_in", "en", n=5) == "The screen clears itself in 5 seconds."
    assert text("no_such_key") == "no_such_key"


@pytest.mark.parametrize(
    "code, reason",
    [
        ("access_key_rejected", "wrong_can"),
        ("card_removed", "card_removed"),
        ("card_timeout", "no_card"),
        ("access_key_timeout", "timeout"),
        ("parse_error", "read_failed"),
        ("internal_error", "service_problem"),
        ("something_new", "unknown"),
        (None, "unknown"),
    ],
)
def test_reason_for_error(code, reason):
    assert reason_for_error(code) == reason
    assert set(ERROR_REASONS.values()) <= set(REASON_KEYS)


def test_wrong_can_reads_as_wrong_mrz_when_the_mrz_was_typed():
    assert reason_for_error("access_key_rejected", used_mrz=True) == "wrong_mrz"


def _claims(overall="valid", pa="valid", chip="valid", face="not_performed", codes=()):
    return {
        "verdicts": {
            "overall": overall,
            "passive_authentication": pa,
            "chip_authenticity": chip,
            "face": face,
        },
        "reason_codes": list(codes),
    }


@pytest.mark.parametrize(
    "claims, face_required, reason",
    [
        (_claims(), False, None),
        (
            _claims("invalid", pa="invalid", codes=["message_digest_mismatch"]),
            False,
            "document_invalid",
        ),
        (_claims("unknown", pa="unknown", codes=["csca_unknown"]), False, "issuer_unknown"),
        (
            _claims("invalid", chip="invalid", codes=["chip_authentication"]),
            False,
            "chip_not_genuine",
        ),
        (_claims("unknown", chip="unknown"), False, "chip_unchecked"),
        (_claims("invalid", face="invalid"), True, "face_no_match"),
        (_claims("unknown", face="unknown"), True, "face_undetermined"),
        # Verified face = match AND liveness passed: a matching face that did not turn as asked.
        (
            {
                **_claims("invalid", face="invalid"),
                "face": {
                    "decision": "match",
                    "liveness": {"verdict": "failed", "reason_codes": ["steps_not_seen"]},
                },
            },
            True,
            "liveness_failed",
        ),
        (
            {
                **_claims("invalid", face="invalid"),
                "face": {
                    "decision": "no_match",
                    "liveness": {"verdict": "failed", "reason_codes": ["wrong_direction"]},
                },
            },
            True,
            "face_no_match",
        ),
        # The document's own failure is the one a person hears first, even when the face failed too.
        (_claims("invalid", pa="invalid", face="invalid"), True, "document_invalid"),
    ],
)
def test_reason_for_claims(claims, face_required, reason):
    assert reason_for_claims(claims, face_required) == reason


def test_rendered_pages_use_only_known_strings(app):
    client = app.test_client()
    for path in ("/", "/stats", "/?lang=en"):
        html = client.get(path).get_data(as_text=True)
        keys = set(re.findall(r'data-i18n="([^"]+)"', html))
        assert len(keys) > 5 and keys <= set(STRINGS), (path, keys - set(STRINGS))
        assert "{{" not in html and "{%" not in html


def test_chip_photo_goes_to_the_screen_once_as_jpeg(app):
    """A JPEG 2000 chip portrait (as some chips hold) reaches the browser as JPEG, once."""
    import io

    from PIL import Image

    from simulators.portrait import synthetic_portrait

    client = kiosk_client(app)
    view = client.post("/kiosk/api/sessions", json={}).get_json()
    session = app.extensions["cccd_edge"].sessions.get(view["id"])
    jp2 = synthetic_portrait("kiosk-test", "jp2")
    assert jp2[4:8] == b"jP  " or jp2.startswith(b"\xff\x4f\xff\x51")
    session.kiosk_photo = jp2  # what the service sets after passive authentication
    assert client.get(f"/kiosk/api/sessions/{view['id']}").get_json()["chip_photo"] is True
    resp = client.get(f"/kiosk/api/sessions/{view['id']}/chip-photo")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["Cache-Control"] == "no-store"
    with Image.open(io.BytesIO(resp.data)) as im, Image.open(io.BytesIO(jp2)) as original:
        assert im.format == "JPEG" and im.size == original.size
    assert session.kiosk_photo is None
    assert client.get(f"/kiosk/api/sessions/{view['id']}/chip-photo").status_code == 404
    client.post(f"/kiosk/api/sessions/{view['id']}/cancel")


def test_every_failure_code_reads_as_plain_words_in_both_languages():
    from kiosk_ui.reasons import STATS_PREFIX_KEYS, STATS_REASON_KEYS, stats_reason_key

    for key in set(STATS_REASON_KEYS.values()) | set(STATS_PREFIX_KEYS.values()) | {"why_other"}:
        assert set(STRINGS[key]) == set(LANGUAGES), key
    assert stats_reason_key("access_key_rejected") == "why_wrong_key"
    assert stats_reason_key("liveness_wrong_direction") == "why_liveness_wrong_direction"
    assert stats_reason_key("aa_not_run") == "why_chip_unchecked"
    assert stats_reason_key("liveness_something_new") == "why_liveness_failed"
    assert stats_reason_key("made_up") == "why_other"
    # Every error the kiosk maps to a screen reason has plain words on the statistics page too.
    assert all(stats_reason_key(code) != "why_other" for code in ERROR_REASONS)


def test_privacy_sentence_gives_the_number_of_pictures_of_the_challenge(tmp_path):
    from kiosk_ui.views import liveness_pictures

    # camera.js: one picture every 0.3 s, at most for the whole window (it ends once all are seen).
    assert liveness_pictures(3, 15.0) == 50 and liveness_pictures(2, 12.0) == 40
    assert liveness_pictures(8, 15.0) == 50  # the bound is the window, not the steps

    def shown(client, path):  # the page without its script blocks (the strings table is one)
        return re.sub(
            r"<script.*?</script>", "", client.get(path).get_data(as_text=True), flags=re.S
        )

    app = create_app({"instance_dir": str(tmp_path / "on")})
    try:
        vi, en = shown(app.test_client(), "/"), shown(app.test_client(), "/?lang=en")
    finally:
        app.extensions["cccd_edge"].close()
    assert "camera chụp tối đa 50 ảnh khuôn mặt" in vi and "vài ảnh" not in vi
    assert "the camera takes at most 50 pictures of your" in en and "a few pictures" not in en
    app = create_app({"instance_dir": str(tmp_path / "off"), "liveness": False})
    try:
        off = shown(app.test_client(), "/?lang=en")
    finally:
        app.extensions["cccd_edge"].close()
    # Without the challenge the camera sends a batch of 4 (more only when asked): "a few" is true.
    assert "takes a few pictures of your face" in off and "at most 50" not in off
