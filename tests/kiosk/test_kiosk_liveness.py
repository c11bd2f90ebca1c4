"""The head-turn challenge on the kiosk screen, with liveness on.

Chromium's fake camera plays a still picture of the card holder: the first turn is asked for and
the prompt never moves on by itself (no timer); the service then says plainly that the liveness
check failed (a still picture cannot turn its head), while the card and the face matched. With
the head pose of a cooperative person scripted into the guidance answers, the prompts advance
as each turn is seen and the challenge ends at once.
"""

from __future__ import annotations

import pytest

from tests.kiosk.a11y import assert_on_screen
from tests.kiosk.conftest import VIEWPORT, kiosk_server
from tests.kiosk.layout import SIZES, check_layout
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
        liveness_window=20,
    )
    yield live
    live.close()


def _start(page, live_server, dataset):
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
    return created, status["liveness"]["steps"]


def test_a_still_picture_never_advances_the_prompts_and_fails(
    page, live_server, dataset, artifacts
):
    created, steps = _start(page, live_server, dataset)
    assert len(steps) == 2
    # Looking straight: the first turn is asked for, and then nothing moves on by itself.
    page.wait_for_selector(f'#liveness-prompt-box[data-direction="{steps[0]}"]', timeout=8000)
    assert page.locator("#liveness-prompt").inner_text() == PROMPTS_VI[steps[0]]
    assert page.locator("#liveness-prompt-box .arrow").is_visible()
    assert page.locator("#liveness-step").inner_text() == "Bước 1/2"
    left = int(page.locator("#liveness-countdown").get_attribute("data-n"))
    assert 0 < left <= 20 and page.locator("#liveness-countdown").inner_text() == f"Còn {left} giây"
    page.screenshot(path=str(artifacts / "14-liveness-prompt-vi.png"))
    page.wait_for_timeout(4000)  # a timer would have moved on by now; a still head does not
    assert page.locator("#liveness-prompt-box").get_attribute("data-direction") == steps[0]
    assert snapshot(page)["prompts"] == ["front", steps[0]]
    page.click("#lang-switch")
    assert page.locator("#liveness-prompt").inner_text() == PROMPTS_EN[steps[0]]
    assert page.locator("#liveness-step").inner_text() == "Step 1 of 2"
    page.screenshot(path=str(artifacts / "15-liveness-prompt-en.png"))
    # The prompt screen holds still here (nothing turns): it must fit every kiosk size too.
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        check_layout(page, size, "camera-liveness", artifacts)
    page.set_viewport_size(VIEWPORT)

    wait_screen(page, "result", timeout=60000)
    assert page.locator("#verdict").get_attribute("data-verdict") == "not_verified"
    assert page.locator("#stage-card").get_attribute("data-ok") == "true"  # the card stands
    assert (
        page.locator("#reason-primary")
        .inner_text()
        .startswith("The card is genuine, but your head was not seen turning as asked")
    )
    assert snapshot(page)["view"] == {"verified": False, "reason": "liveness_failed"}
    page.wait_for_function("document.getElementById('photo-live').naturalWidth > 0")
    page.screenshot(path=str(artifacts / "16-result-liveness-failed.png"))
    for sel in ("#reset-countdown", '[data-action="finish"]', "#photo-live"):
        assert_on_screen(page, sel, "result with photos")
    # The relying party: the face matched, the liveness check did not pass.
    _, body = api(live_server, "GET", f"/v1/verifications/{created['id']}?wait=5")
    claims = body["result"]["claims"]
    assert claims["face"]["decision"] == "match"
    assert claims["face"]["liveness"]["verdict"] == "failed"
    assert claims["verdicts"]["passive_authentication"] == "valid"
    assert claims["verdicts"]["face"] == "invalid" and claims["verdicts"]["overall"] == "invalid"
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")
    assert page.locator("#liveness").is_hidden()


def test_prompts_advance_as_each_turn_is_seen_and_end_at_once(page, live_server, dataset):
    """The head pose the guidance endpoint reports drives the prompts. Here the poses of a
    cooperative person are scripted into the endpoint's answers (a still camera cannot turn);
    the service still judges the real frames, so the verdict stays "liveness failed"."""
    script: list[float] = []

    def scripted_pose(route):
        response = route.fetch()
        body = response.json()
        body["yaw"] = script.pop(0) if script else 0.0
        route.fulfill(response=response, json=body)

    page.route("**/face-check", scripted_pose)
    created, steps = _start(page, live_server, dataset)
    yaw = {"left": 0.25, "right": -0.25}
    script.extend([0.0, 0.0, yaw[steps[0]], yaw[steps[0]], 0.0, 0.0, yaw[steps[1]], yaw[steps[1]]])
    wait_screen(page, "result", timeout=60000)
    prompts = snapshot(page)["prompts"]
    assert prompts == ["front", steps[0], "back", steps[1], "back"], prompts
    # Ended as soon as both turns were seen, not when the 20 s window ran out.
    assert snapshot(page)["secondsLeft"] > 0, snapshot(page)
    _, body = api(live_server, "GET", f"/v1/verifications/{created['id']}?wait=5")
    assert body["result"]["claims"]["face"]["liveness"]["verdict"] == "failed"
