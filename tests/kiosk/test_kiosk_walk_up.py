"""A walk-up without typing, in real Chromium with a fake camera video made at test time:

- demo mode (the virtual CCCD, the demo PKI): "take my photo first" makes the demo card with the
  person's own face, and the whole walk-up ends verified (face matched);
- the QR code on the card's front, read by the camera (a QR generated with segno), starts the
  chip read at once; a USB scanner typing the QR does the same;
- bad input: a QR that is not a CCCD's, a CCCD QR of another card, a camera that is denied, a
  page reloaded mid-session, a camera that sees no face: a plain message and a working kiosk.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from edge.app import create_app
from tests.kiosk.conftest import (
    LiveServer,
    camera_frame,
    face_files,
    kiosk_server,
    launch,
    write_y4m,
)
from tests.kiosk.test_kiosk_flow import api, open_kiosk, snapshot, type_on_keypad, wait_screen

pytestmark = [pytest.mark.browser, pytest.mark.face, pytest.mark.timeout(300)]

DENY_CAMERA = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""


def cccd_qr_text(citizen, *, id_number: str | None = None, name: str | None = None) -> str:
    """The text of a CCCD front QR: ID|old ID|name|birth ddmmyyyy|sex|address|issue ddmmyyyy."""
    return "|".join(
        (
            id_number or citizen.id_number,
            citizen.old_id_number,
            name or citizen.full_name,
            citizen.birth_date.strftime("%d%m%Y"),
            citizen.sex,
            citizen.residence,
            citizen.issue_date.strftime("%d%m%Y"),
        )
    )


def card_front_frame(text: str, size=(640, 480)) -> Image.Image:
    """A camera picture of a card front held up: a white card with the QR code on a wall."""
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=5, border=4)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    wall = Image.new("RGB", size, (150, 160, 170))
    card = Image.new("RGB", (min(size[0] - 40, qr.width + 160), min(size[1] - 20, qr.height + 40)))
    card.paste((250, 250, 250), (0, 0, card.width, card.height))
    card.paste(qr, (card.width - qr.width - 20, (card.height - qr.height) // 2))
    wall.paste(card, ((size[0] - card.width) // 2, (size[1] - card.height) // 2))
    return wall


def _context(browser, *, deny_camera=False):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="vi-VN", bypass_csp=True
    )
    if deny_camera:
        context.add_init_script(DENY_CAMERA)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return context, page


def _result(page, timeout=60000):
    wait_screen(page, "result", timeout=timeout)
    page.wait_for_selector("#reset-countdown:not(:empty)")


# --- the QR code -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qr_server(tmp_path_factory, dataset):
    live = kiosk_server(tmp_path_factory, "kiosk-qr", dataset, face_timeout=4)
    live.app.config["KIOSK_UI"]["walk_up_face"] = False
    yield live
    live.close()


@pytest.fixture(scope="module")
def qr_browser(playwright_instance, tmp_path_factory, dataset):
    frame = card_front_frame(cccd_qr_text(dataset.citizen))
    video = write_y4m(tmp_path_factory.mktemp("qr") / "card-front.y4m", [frame] * 10)
    b = launch(playwright_instance, video)
    yield b
    b.close()


def test_qr_on_the_card_front_starts_the_read_without_typing(qr_browser, qr_server, artifacts):
    context, page = _context(qr_browser)
    try:
        open_kiosk(page, qr_server)
        page.click("#start")
        wait_screen(page, "key")
        # Nothing typed: the camera reads the QR and the chip read starts at once.
        _result(page)
        assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
        assert page.locator("#stage-card").get_attribute("data-ok") == "true"
        assert page.locator("#result-notice").is_hidden()  # same name and birth date as the chip
        snap = snapshot(page)
        assert snap["usedQr"] and not snap["qrHeld"] and not snap["qrScanning"]
        assert snap["keyLength"] == 0
        page.screenshot(path=str(artifacts / "walkup-qr-verified.png"))
        page.click('[data-action="finish"]')
        wait_screen(page, "idle")
        assert not snapshot(page)["usedQr"]
    finally:
        context.close()
    assert not page.js_errors


def test_usb_scanner_typing_the_qr_and_its_bad_inputs(qr_browser, qr_server, dataset, artifacts):
    # The camera is denied here: the keypad screen says so plainly, and the scanner still works.
    context, page = _context(qr_browser, deny_camera=True)
    citizen = dataset.citizen
    try:
        open_kiosk(page, qr_server)
        page.click("#start")
        wait_screen(page, "key")
        page.wait_for_function(
            "document.getElementById('qr-help').dataset.i18n === 'camera_denied'"
        )
        assert "bàn phím" in page.locator("#qr-help").inner_text()

        # A QR that is not a CCCD's: a plain message, nothing sent, the keypad still works.
        page.keyboard.type("ABC|DEF|GHI")
        page.keyboard.press("Enter")
        assert "không phải mã của thẻ căn cước" in page.locator("#key-error").inner_text()
        assert snapshot(page)["screen"] == "key" and snapshot(page)["keyLength"] == 0

        # A CCCD QR of this card whose name differs from the chip's: verified, with a warning.
        page.keyboard.type(cccd_qr_text(citizen, name="NGUYEN VAN KHAC"))
        page.keyboard.press("Enter")
        _result(page)
        assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
        assert "khác với trong chip" in page.locator("#result-notice").inner_text()
        page.click('[data-action="finish"]')
        wait_screen(page, "idle")

        # A CCCD QR of another card: its CAN opens no chip; the screen says whose QR it is.
        other = citizen.id_number[:6] + "".join(
            str((int(c) + 3) % 10) for c in citizen.id_number[6:]
        )
        page.click("#start")
        wait_screen(page, "key")
        page.keyboard.type(cccd_qr_text(citizen, id_number=other))
        page.keyboard.press("Enter")
        _result(page)
        assert page.locator("#verdict").get_attribute("data-verdict") == "not_verified"
        assert "thẻ khác" in page.locator("#reason-primary").inner_text()
        assert page.locator("#try-again").is_visible()
        page.screenshot(path=str(artifacts / "walkup-qr-other-card.png"))
        page.click("#try-again")  # a working kiosk: straight back to the key screen
        wait_screen(page, "key")
        type_on_keypad(page, dataset.can)
        page.click("#key-ok")
        _result(page)
        assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    finally:
        context.close()
    assert not page.js_errors


def test_desk_started_failure_sends_the_person_to_the_staff(qr_browser, qr_server, dataset):
    context, page = _context(qr_browser, deny_camera=True)
    try:
        open_kiosk(page, qr_server)
        api(qr_server, "POST", "/v1/verifications", {"ask_on_kiosk": True}, profile="school")
        wait_screen(page, "key")
        type_on_keypad(page, "".join(str((int(c) + 1) % 10) for c in dataset.can))
        page.click("#key-ok")
        _result(page)
        assert page.locator("#try-again").is_hidden()  # the desk starts the next one
        reason = page.locator("#reason-primary").inner_text()
        assert reason.endswith("Vui lòng hỏi nhân viên.") and "Thử lại" not in reason
        assert page.locator("#reason-secondary").inner_text().endswith("ask a member of staff.")
    finally:
        context.close()
    assert not page.js_errors


def test_page_reloaded_mid_session_starts_at_idle_and_frees_the_reader(qr_browser, qr_server):
    context, page = _context(qr_browser, deny_camera=True)
    try:
        open_kiosk(page, qr_server)
        page.click("#start")
        wait_screen(page, "key")
        page.reload()
        page.wait_for_selector("#screen-idle", state="visible")
        assert snapshot(page)["screen"] == "idle"
        page.wait_for_selector("#idle-notice:not([hidden])")
        assert "Bấm “Bắt đầu”" in page.locator("#idle-notice").inner_text()
        page.click("#start")  # the reader was freed: a new walk-up starts
        wait_screen(page, "key")
        assert page.locator("#idle-error").is_hidden()
    finally:
        context.close()
    assert not page.js_errors


def test_camera_without_a_face_keeps_the_card_genuine(qr_browser, qr_server, dataset, artifacts):
    qr_server.app.config["KIOSK_UI"]["walk_up_face"] = True
    context, page = _context(qr_browser)
    try:
        open_kiosk(page, qr_server)
        page.click("#start")
        wait_screen(page, "key")
        _result(page)  # the QR starts the read; the camera then sees a card, not a face
        assert page.locator("#stage-card").get_attribute("data-ok") == "true"
        assert page.locator("#stage-face").get_attribute("data-ok") == "false"
        assert "camera không thấy khuôn mặt" in page.locator("#reason-primary").inner_text()
        assert "Thử lại" in page.locator("#reason-primary").inner_text()
        assert page.locator("#try-again").is_visible()
        page.screenshot(path=str(artifacts / "walkup-no-face.png"))
    finally:
        qr_server.app.config["KIOSK_UI"]["walk_up_face"] = False
        context.close()
    assert not page.js_errors


def test_chip_photo_without_a_face_is_not_a_card_failure(qr_browser, tmp_path_factory, artifacts):
    from simulators.dataset import build_dataset

    drawn = build_dataset(0)  # the drawn synthetic portrait: no face the matcher can find
    live = kiosk_server(tmp_path_factory, "kiosk-drawn-photo", drawn)
    context, page = _context(qr_browser)
    try:
        open_kiosk(page, live)
        page.click("#start")
        wait_screen(page, "key")
        _result(page)  # the QR starts the read; the face step cannot use the chip photo
        assert page.locator("#stage-card").get_attribute("data-ok") == "true"
        assert page.locator("#stage-face").get_attribute("data-ok") == "false"
        assert "ảnh trong chip không đủ rõ" in page.locator("#reason-primary").inner_text()
        assert "hỏi nhân viên" in page.locator("#reason-primary").inner_text()
        assert snapshot(page)["view"] == {"verified": False, "reason": "face_chip_photo"}
        page.screenshot(path=str(artifacts / "walkup-chip-photo-unusable.png"))
    finally:
        context.close()
        live.close()
    assert not page.js_errors


# --- demo mode: the person's own face ------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kiosk-demo")
    app = create_app(
        {
            "instance_dir": str(tmp / "instance"),
            "kiosk_id": "kiosk-demo",
            "reader": "simulator",  # demo mode: the virtual CCCD and the demo trust store
            "card_timeout": 20,
            "face_timeout": 30,
            "liveness": False,
        }
    )
    app.config["KIOSK_UI"]["reset_seconds"] = 60
    live = LiveServer(app)
    yield live
    live.close()


@pytest.fixture(scope="module")
def face_browser(playwright_instance, tmp_path_factory, shared_dir):
    files = face_files(shared_dir)
    frames = [camera_frame(files[i % 3 + 1], face_side=300) for i in range(15)]
    video = write_y4m(tmp_path_factory.mktemp("face") / "person.y4m", frames)
    b = launch(playwright_instance, video)
    yield b
    b.close()


def test_demo_walk_up_with_my_own_face_ends_verified(face_browser, demo_server, artifacts):
    from simulators.dataset import build_dataset

    can = build_dataset(demo_server.service.config.simulator_citizen).can
    context, page = _context(face_browser)
    try:
        open_kiosk(page, demo_server)
        page.click("#demo-photo")
        wait_screen(page, "demo")
        page.wait_for_selector("#demo-capture:not([disabled])")
        page.screenshot(path=str(artifacts / "walkup-demo-photo.png"))
        page.click("#demo-capture")
        wait_screen(page, "key")  # the demo card now carries this face; the walk-up started
        assert demo_server.service.demo_photo().get() is not None
        type_on_keypad(page, can)
        page.click("#key-ok")
        _result(page, timeout=90000)
        assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
        assert page.locator("#stage-card").get_attribute("data-ok") == "true"
        assert page.locator("#stage-face").get_attribute("data-ok") == "true"
        assert snapshot(page)["view"]["verified"] is True
        page.screenshot(path=str(artifacts / "walkup-demo-verified.png"))
        page.click('[data-action="finish"]')
        wait_screen(page, "idle")
        page.wait_for_function("true")
        # Reset drops the person's photo from the service's memory.
        deadline = 50
        while demo_server.service.demo_photo().get() is not None and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert demo_server.service.demo_photo().get() is None
    finally:
        context.close()
    assert not page.js_errors
