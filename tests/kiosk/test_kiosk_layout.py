"""Every kiosk screen at 1080x1920 (portrait), 1280x800 and 800x480 (landscape), in real Chromium:
no sideways overflow, no page scroll, every button in view, touch targets >= 64 px, text >= 26 px
on the portrait screen, and no serious or critical axe-core violation. Screenshots of each go to
tests/artifacts/kiosk/layout-<size>-<screen>.png."""

from __future__ import annotations

import pytest

from tests.kiosk.layout import SIZES, check_layout
from tests.kiosk.test_kiosk_flow import open_kiosk, type_on_keypad, wait_screen

pytestmark = [pytest.mark.browser, pytest.mark.face, pytest.mark.timeout(400)]

FACE_POSTS = "**/v1/verifications/*/face"


def _walk_up(page, can: str):
    page.click("#start")
    wait_screen(page, "key")
    type_on_keypad(page, can)
    page.click("#key-ok")


def _result(page, timeout=60000):
    wait_screen(page, "result", timeout=timeout)
    page.wait_for_selector("#reset-countdown:not(:empty)")


@pytest.mark.parametrize("size", list(SIZES))
def test_every_screen_fits(browser, server, dataset, artifacts, size):
    context = browser.new_context(viewport=SIZES[size], locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        open_kiosk(page, server)
        check_layout(page, size, "idle", artifacts)

        page.click("#start")
        wait_screen(page, "key")
        check_layout(page, size, "keypad", artifacts)
        page.click("#toggle-mrz")
        check_layout(page, size, "mrz", artifacts)
        page.click("#toggle-mrz")
        page.click('#screen-key [data-action="cancel"]')
        wait_screen(page, "idle")

        # A wrong key: the "try again" kind of result.
        _walk_up(page, "".join(str((int(c) + 1) % 10) for c in dataset.can))
        _result(page)
        assert page.locator("#try-again").is_visible()
        check_layout(page, size, "result-wrong-key", artifacts)
        page.click('[data-action="finish"]')
        wait_screen(page, "idle")

        # Place the card / progress (a slow card), then the camera (face posts held back), then
        # the verified result.
        server.card_faults[:] = ["slow:40"]
        try:
            _walk_up(page, dataset.can)
            page.wait_for_selector('.step[data-step="read_files"][data-status="active"]')
            check_layout(page, size, "progress", artifacts)
        finally:
            server.card_faults.clear()
        page.route(FACE_POSTS, lambda route: route.abort())
        wait_screen(page, "camera", timeout=60000)
        page.wait_for_function("document.getElementById('camera-video').videoWidth > 0")
        check_layout(page, size, "camera", artifacts)
        page.unroute(FACE_POSTS)
        _result(page)
        assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
        check_layout(page, size, "result-verified", artifacts)
        page.click('[data-action="finish"]')
        wait_screen(page, "idle")

        # A card that is not genuine: the face step is skipped and the screen says so.
        server.card_faults[:] = ["tampered-dg"]
        try:
            _walk_up(page, dataset.can)
            _result(page)
        finally:
            server.card_faults.clear()
        assert page.locator("#stage-card").get_attribute("data-ok") == "false"
        assert page.locator("#stage-face").get_attribute("data-ok") == "skipped"
        assert "Không kiểm tra khuôn mặt" in page.locator("#result-notice").inner_text()
        check_layout(page, size, "result-not-genuine", artifacts)
        page.click('[data-action="finish"]')
        wait_screen(page, "idle")
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
