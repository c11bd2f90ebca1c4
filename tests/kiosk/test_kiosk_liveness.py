"""The head-turn challenge on the kiosk screen, with liveness on.

Chromium's fake camera plays a still picture of the card holder: the screen must show the turn
prompts in order with an arrow and a countdown, send the frames, and then say plainly that the
liveness check failed (a still picture cannot turn its head), while the face itself matched.
"""

from __future__ import annotations

import pytest

from tests.kiosk.a11y import assert_on_screen
from tests.kiosk.conftest import kiosk_server
from tests.kiosk.test_kiosk_flow import api, open_kiosk, snapshot, type_on_keypad, wait_screen

pytestmark = pytest.mark.timeout(120)

PROMPTS_VI = {"left": "Quay đầu sang trái", "right": "Quay đầu sang phải"}
PROMPTS_EN = {"left": "Turn your head to the left", "right": "Turn your head to the right"}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, dataset):
    live = kiosk_server(
        tmp_path_factory,
        "kiosk-liveness-test",
        dataset,
        liveness=True,
        liveness_steps=2,
        liveness_window=12,
    )
    yield live
    live.close()


def test_turn_prompts_then_a_still_picture_fails_liveness(page, live_server, dataset, artifacts):
    open_kiosk(page, live_server)
    _, created = api(
        live_server,
        "POST",
        "/v1/verifications",
        {"ask_on_kiosk": True, "face_match_required": True},
    )
    wait_screen(page, "key")
    type_on_keypad(page, dataset.can)
    page.click("#key-ok")
    wait_screen(page, "camera")
    page.wait_for_selector("#liveness", state="visible")
    _, status = api(live_server, "GET", f"/v1/verifications/{created['id']}")
    steps = status["liveness"]["steps"]
    assert len(steps) == 2
    # The first prompt asks to look straight; then each turn, in the order the service drew.
    page.wait_for_selector('#liveness-prompt-box[data-direction="front"]')
    page.wait_for_selector(f'#liveness-prompt-box[data-direction="{steps[0]}"]', timeout=8000)
    assert page.locator("#liveness-prompt").inner_text() == PROMPTS_VI[steps[0]]
    assert page.locator("#liveness-prompt-box .arrow").is_visible()
    assert page.locator("#liveness-step").inner_text() == "Bước 1/2"
    left = int(page.locator("#liveness-countdown").get_attribute("data-n"))
    assert 0 < left <= 12 and page.locator("#liveness-countdown").inner_text() == f"Còn {left} giây"
    page.screenshot(path=str(artifacts / "14-liveness-prompt-vi.png"))
    page.wait_for_selector('#liveness-prompt-box[data-direction="back"]', timeout=8000)
    assert page.locator("#liveness-prompt").inner_text() == "Quay lại nhìn thẳng"
    assert not page.locator("#liveness-prompt-box .arrow").is_visible()
    page.wait_for_selector(f'#liveness-prompt-box[data-direction="{steps[1]}"]', timeout=8000)
    page.click("#lang-switch")
    assert page.locator("#liveness-prompt").inner_text() == PROMPTS_EN[steps[1]]
    # The privacy line counts the challenge's pictures (2 steps in 12 s: 2 a second for 10 s).
    privacy = page.locator('#screen-camera [data-i18n="privacy_face_liveness"]').inner_text()
    assert "takes about 20 pictures of your face" in privacy
    assert page.locator("#liveness-step").inner_text() == "Step 2 of 2"
    page.screenshot(path=str(artifacts / "15-liveness-prompt-en.png"))

    wait_screen(page, "result", timeout=60000)
    assert page.locator("#verdict").get_attribute("data-verdict") == "not_verified"
    assert (
        page.locator("#reason-primary")
        .inner_text()
        .startswith("Your head was not seen turning as asked")
    )
    assert page.locator("#reason-secondary").inner_text().startswith("Không thấy bạn quay đầu")
    assert snapshot(page)["view"] == {"verified": False, "reason": "liveness_failed"}
    page.wait_for_function("document.getElementById('photo-live').naturalWidth > 0")
    page.screenshot(path=str(artifacts / "16-result-liveness-failed.png"))
    # With both photos shown, the countdown and the Finish button still need no scrolling.
    for sel in ("#reset-countdown", '[data-action="finish"]', "#photo-live"):
        assert_on_screen(page, sel, "result with photos")
    # The relying party: the face matched, the liveness check did not pass, so the face is not
    # verified.
    _, body = api(live_server, "GET", f"/v1/verifications/{created['id']}?wait=5")
    claims = body["result"]["claims"]
    assert claims["face"]["decision"] == "match"
    assert claims["face"]["liveness"]["verdict"] == "failed"
    assert claims["verdicts"]["face"] == "invalid" and claims["verdicts"]["overall"] == "invalid"
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")
    assert page.locator("#liveness").is_hidden()
