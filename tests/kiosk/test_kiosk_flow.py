"""The kiosk screen in headless Chromium against the real service reading the virtual CCCD."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.kiosk.a11y import check_screen
from tests.kiosk.conftest import RP_KEYS, VIEWPORT, camera_frame, launch, write_y4m

pytestmark = pytest.mark.timeout(120)

# Records every screen the page shows, so a test can check the order of steps afterwards.
SCREEN_LOG = """
window.__screens = [];
new MutationObserver(() => {
  const s = document.body && document.body.dataset.screen;
  if (s && window.__screens[window.__screens.length - 1] !== s) window.__screens.push(s);
}).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-screen"]});
window.__steps = [];
"""


def api(server, method, path, body=None, profile="airport"):
    req = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-API-Key": RP_KEYS[profile], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=40) as resp:
        return resp.status, json.loads(resp.read())


def open_kiosk(page, server):
    page.add_init_script(SCREEN_LOG)
    page.goto(server.url + "/")
    page.wait_for_selector("#screen-idle", state="visible")
    return page


def type_on_keypad(page, digits: str):
    for d in digits:
        page.click(f'#keypad .key[data-digit="{d}"]')


def wait_screen(page, name: str, timeout=30000):
    page.wait_for_function(f"document.body.dataset.screen === '{name}'", timeout=timeout)


def snapshot(page) -> dict:
    return page.evaluate("window.cccdKiosk.snapshot()")


def step_statuses(page) -> dict:
    return dict(
        page.eval_on_selector_all(
            ".step", "els => els.map(e => [e.dataset.step, e.dataset.status])"
        )
    )


def test_desk_started_verification_with_face_is_verified(page, server, dataset, artifacts):
    open_kiosk(page, server)
    status, created = api(
        server, "POST", "/v1/verifications", {"ask_on_kiosk": True, "face_match_required": True}
    )
    assert status == 202
    wait_screen(page, "key")
    # The privacy notice names the requester and exactly the airport profile's attributes.
    notice = page.locator("#screen-key .privacy")
    assert notice.locator(".privacy-party").inner_text() == "airport-desk"
    assert notice.locator(".privacy-attributes li").all_inner_texts() == [
        "Họ và tên",
        "Số định danh",
        "Ngày sinh",
        "Quốc tịch",
    ]
    assert notice.locator(".privacy-face").is_visible()
    assert page.locator("#key-ok").is_disabled()
    type_on_keypad(page, dataset.can)
    assert page.locator(".can-box.filled").count() == 6
    assert dataset.can not in page.locator("#can-boxes").inner_text()  # shown as dots only
    page.screenshot(path=str(artifacts / "01-keypad-can.png"))
    server.card_faults[:] = ["slow:40"]  # a slow card, so the progress screen can be seen
    try:
        page.click("#key-ok")
        page.wait_for_selector('.step[data-step="read_files"][data-status="active"]')
        page.screenshot(path=str(artifacts / "02-progress.png"))
        assert step_statuses(page)["connect"] == "done"
        assert (
            page.locator("#progress-title").inner_text() == "Đang đọc thẻ, vui lòng không nhấc thẻ"
        )
        wait_screen(page, "camera")
    finally:
        server.card_faults.clear()
    page.wait_for_selector(
        '#camera-hint[data-i18n="hint_ok"], #camera-hint[data-i18n="camera_checking"]'
    )
    page.screenshot(path=str(artifacts / "03-camera.png"))
    wait_screen(page, "result", timeout=60000)
    page.wait_for_function(
        "document.getElementById('photo-chip').complete && "
        "document.getElementById('photo-chip').naturalWidth > 0 && "
        "document.getElementById('photo-live').naturalWidth > 0"
    )
    page.screenshot(path=str(artifacts / "04-result-verified.png"))

    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    assert page.locator("#verdict-title").inner_text() == "Đã xác thực"
    assert page.locator("#reason-secondary").inner_text().startswith("The card is genuine")
    # Every named step of the progress bar was reached and finished, fed by the events.
    assert step_statuses(page) == {
        name: "done"
        for name in (
            "connect",
            "access_control",
            "read_files",
            "chip_authentication",
            "verifying",
            "face",
        )
    }
    screens = page.evaluate("window.__screens")
    assert screens[0] == "idle" and screens[-1] == "result"
    assert (
        screens.index("key")
        < screens.index("progress")
        < screens.index("camera")
        < screens.index("result")
    )
    for img in ("#photo-chip", "#photo-live"):
        assert page.locator(img).get_attribute("src").startswith("blob:")
    assert snapshot(page)["streamActive"] is False  # the camera stops once the result is shown
    # The chip photo went to this screen once: it is gone from the service now.
    again = page.request.get(server.url + f"/kiosk/api/sessions/{created['id']}/chip-photo")
    assert again.status == 404

    # The relying party sees the same verdict, signed, and never a photo.
    _, body = api(server, "GET", f"/v1/verifications/{created['id']}?wait=5")
    claims = body["result"]["claims"]
    assert claims["verdicts"]["overall"] == "valid" and claims["verdicts"]["face"] == "valid"
    assert "photo" not in json.dumps(body).lower()
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")


def test_walk_up_with_wrong_can_says_why_in_both_languages(page, server, dataset, artifacts):
    open_kiosk(page, server)
    assert page.locator("#start").inner_text() == "Bắt đầu"
    page.click("#start")
    wait_screen(page, "key")
    wrong = "".join(str((int(c) + 1) % 10) for c in dataset.can)
    type_on_keypad(page, wrong[:5] + "9")
    page.click('#keypad [data-key="delete"]')  # the delete key takes the last digit back
    assert page.locator(".can-box.filled").count() == 5
    type_on_keypad(page, wrong[5])
    page.click("#key-ok")
    wait_screen(page, "result")
    page.screenshot(path=str(artifacts / "05-result-wrong-can-vi.png"))
    assert page.locator("#verdict").get_attribute("data-verdict") == "not_verified"
    assert page.locator("#verdict-title").inner_text() == "Chưa xác thực được"
    assert (
        page.locator("#reason-primary")
        .inner_text()
        .startswith("6 số vừa nhập không khớp với thẻ này")
    )
    assert (
        page.locator("#reason-secondary")
        .inner_text()
        .startswith("The 6 digits do not match this card")
    )
    # The step that failed is marked on the progress list; nothing after it ran.
    statuses = step_statuses(page)
    assert statuses["access_control"] == "failed" and statuses["read_files"] == "waiting"
    assert page.locator("#photos").is_hidden()  # no chip was read: no photo

    page.click("#lang-switch")
    assert page.locator("#verdict-title").inner_text() == "Not verified"
    assert (
        page.locator("#reason-primary")
        .inner_text()
        .startswith("The 6 digits do not match this card")
    )
    assert page.locator("#reason-secondary").inner_text().startswith("6 số vừa nhập không khớp")
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(artifacts / "06-result-wrong-can-en.png"))
    view = snapshot(page)["view"]
    assert view == {"verified": False, "reason": "wrong_can"}
    first_session = snapshot(page)["sessionId"]
    # A typo is the person's to fix: "Try again" starts a fresh walk-up verification at once.
    assert page.locator("#try-again").inner_text() == "Try again"
    page.click("#try-again")
    wait_screen(page, "key")
    again = snapshot(page)
    assert again["sessionId"] not in (None, first_session) and again["keyLength"] == 0
    assert page.locator(".can-box.filled").count() == 0
    page.click('#screen-key [data-action="cancel"]')
    wait_screen(page, "idle")


def test_language_switch_keeps_what_was_typed(page, server, artifacts):
    open_kiosk(page, server)
    assert page.locator("h1").inner_text() == "Xác thực căn cước công dân"
    page.screenshot(path=str(artifacts / "00-idle-vi.png"))
    page.click("#lang-switch")
    assert page.locator("h1").inner_text() == "Citizen ID card check"
    assert page.locator("#lang-switch").inner_text() == "Tiếng Việt"
    assert page.locator("#screen-idle .privacy h3").inner_text() == "What is read"
    page.click("#start")
    wait_screen(page, "key")
    type_on_keypad(page, "12")
    page.keyboard.press("3")  # a keyboard attached to the kiosk works as well
    page.keyboard.press("Enter")  # incomplete: nothing is sent
    assert page.locator("#key-error").inner_text() == "Please enter all the digits."
    assert page.locator("#can-entry h2").inner_text() == "Enter the last 6 digits of the ID number"
    page.click("#toggle-mrz")
    assert page.locator("#toggle-mrz").inner_text() == "Type the 6 digits on the front"
    type_on_keypad(page, "0123")
    page.screenshot(path=str(artifacts / "07-mrz-entry-en.png"))
    page.click("#lang-switch")
    assert page.locator("#toggle-mrz").inner_text() == "Nhập 6 số ở mặt trước"
    assert page.locator("#mrz-document_number").inner_text() == "0123"
    page.click("#toggle-mrz")
    assert page.locator(".can-box.filled").count() == 3
    assert page.locator("#can-entry h2").inner_text() == "Nhập 6 số cuối của số định danh"
    page.click('#screen-key [data-action="cancel"]')  # frees the reader for the next test
    wait_screen(page, "idle")
    assert snapshot(page)["keyLength"] == 0


def test_auto_reset_clears_screen_state_and_camera(page, server, dataset, artifacts):
    server.app.config["KIOSK_UI"]["reset_seconds"] = 3
    try:
        open_kiosk(page, server)
        api(
            server, "POST", "/v1/verifications", {"ask_on_kiosk": True, "face_match_required": True}
        )
        wait_screen(page, "key")
        page.click("#lang-switch")
        type_on_keypad(page, dataset.can)
        page.click("#key-ok")
        wait_screen(page, "result", timeout=60000)
        page.wait_for_function("document.getElementById('photo-live').naturalWidth > 0")
        before = snapshot(page)
        assert before["objectUrls"] == 2 and before["view"]["verified"] is True
        urls = [page.locator(i).get_attribute("src") for i in ("#photo-chip", "#photo-live")]
        assert page.locator("#reset-countdown").inner_text() in (
            "The screen clears itself in 3 seconds.",
            "The screen clears itself in 2 seconds.",
        )
        wait_screen(page, "idle", timeout=10000)
        page.screenshot(path=str(artifacts / "08-after-reset.png"))
    finally:
        server.app.config["KIOSK_UI"]["reset_seconds"] = 60
    after = snapshot(page)
    assert after["sessionId"] is None and after["view"] is None and after["objectUrls"] == 0
    assert (
        after["streamActive"] is False
        and after["eventSource"] is False
        and after["lastFrame"] is False
    )
    assert after["lang"] == "vi"  # the next person starts in Vietnamese
    assert page.evaluate("document.getElementById('camera-video').srcObject") is None
    assert page.locator("img[src]").count() == 0
    for sel in ("#verdict-title", "#reason-primary", "#reason-secondary", "#reset-countdown"):
        assert page.locator(sel).inner_text() == ""
    assert page.locator(".privacy-attributes li").count() == 0
    assert page.locator(".step[data-status='done']").count() == 0
    # The picture URLs were revoked: the blobs are gone from the page's memory.
    for url in urls:
        assert (
            page.evaluate("url => fetch(url).then(() => 'alive', () => 'revoked')", url)
            == "revoked"
        )
    assert page.locator("h1").inner_text() == "Xác thực căn cước công dân"


def test_mrz_entry_without_face_match(page, server, dataset, artifacts):
    """A school desk: no face match, so no camera and no face step; the MRZ instead of the CAN."""
    open_kiosk(page, server)
    _, created = api(server, "POST", "/v1/verifications", {"ask_on_kiosk": True}, profile="school")
    wait_screen(page, "key")
    assert page.locator('.step[data-step="face"]').is_hidden()
    assert page.locator("#screen-key .privacy-attributes li").all_inner_texts() == [
        "Họ và tên",
        "Số định danh",
    ]
    assert page.locator("#screen-key .privacy-face").is_hidden()
    page.click("#toggle-mrz")
    # A birth date in a 13th month is caught on the screen, before any card read; the person fixes
    # it.
    type_on_keypad(page, dataset.document_number + "931305" + dataset.expiry_date)
    page.click("#key-ok")
    assert (
        page.locator("#key-error").inner_text()
        == "Số đã nhập không hợp lệ, vui lòng kiểm tra và nhập lại."
    )
    assert page.locator(".mrz-field.active").get_attribute("data-field") == "birth_date"
    for _ in range(6):
        page.click('#keypad [data-key="delete"]')
    type_on_keypad(page, dataset.birth_date)
    assert page.locator("#mrz-birth_date").inner_text() == dataset.birth_date
    page.click("#key-ok")
    wait_screen(page, "result")
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    assert "camera" not in page.evaluate("window.__screens")
    page.wait_for_function("document.getElementById('photo-chip').naturalWidth > 0")
    assert page.locator("#photo-live").get_attribute("src") is None  # no live picture was taken
    assert page.locator("#photo-live").is_hidden() and page.locator("#photo-chip").is_visible()
    page.screenshot(path=str(artifacts / "09-result-mrz-no-face.png"))
    _, body = api(server, "GET", f"/v1/verifications/{created['id']}?wait=5", profile="school")
    assert body["result"]["claims"]["verdicts"]["overall"] == "valid"
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")


def test_camera_guidance_asks_to_come_closer(
    playwright_instance, server, faces, tmp_path, artifacts
):
    """A face too small in the picture gets the plain prompt, from the service's own quality
    gates."""
    video = write_y4m(tmp_path / "far.y4m", [camera_frame(faces[3], face_side=80)] * 10)
    browser = launch(playwright_instance, video)
    try:
        page = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
        page.set_default_timeout(20000)
        open_kiosk(page, server)
        _, created = api(
            server, "POST", "/v1/verifications", {"ask_on_kiosk": True, "face_match_required": True}
        )
        wait_screen(page, "key")
        type_on_keypad(page, server.dataset_can)
        page.click("#key-ok")
        wait_screen(page, "camera")
        page.wait_for_selector('#camera-hint[data-i18n="hint_face_too_small"]')
        assert page.locator("#camera-hint").inner_text() == "Lại gần hơn"
        page.click("#lang-switch")
        assert page.locator("#camera-hint").inner_text() == "Come closer"
        page.screenshot(path=str(artifacts / "10-camera-move-closer.png"))
        check_screen(page, "camera")
        assert snapshot(page)["goodFrames"] == 0
        page.click('#screen-camera [data-action="cancel"]')
        wait_screen(page, "idle")
        assert snapshot(page)["streamActive"] is False
        # Cancelling ended the verification, so the reader is free for the next person.
        _, body = api(server, "GET", f"/v1/verifications/{created['id']}?wait=5")
        assert body["state"] == "failed" and body["error"]["code"] == "cancelled"
    finally:
        browser.close()


def test_stats_page_draws_charts_from_audit_rows(page, server, dataset, artifacts):
    # Two more audit rows: one verified, one rejected (wrong CAN), straight through the API.
    wrong = "".join(str((int(c) + 1) % 10) for c in dataset.can)
    for can in (dataset.can, wrong):
        _, created = api(server, "POST", "/v1/verifications", {"can": can}, profile="school")
        api(server, "GET", f"/v1/verifications/{created['id']}?wait=20", profile="school")
    url = server.url + "/stats/data?period=30&tz=0"
    stats = json.loads(urllib.request.urlopen(url, timeout=10).read())
    assert stats["verifications"] >= 2 and stats["first_causes"].get("why_wrong_key", 0) >= 1
    assert sum(stats["outcomes"].values()) == stats["verifications"]  # one outcome each

    page.goto(server.url + "/stats?period=30")
    page.wait_for_function("document.body.dataset.loaded === 'true'")
    page.screenshot(path=str(artifacts / "11-stats-vi.png"), full_page=True)
    assert page.locator("#tile-total").inner_text() == str(stats["verifications"])
    assert page.locator("#tile-abandoned").inner_text() == str(stats["outcomes"]["abandoned"])
    days = page.locator("#chart-per-day svg g.day")
    assert days.count() == 30  # every day of the range, quiet ones too
    causes = page.locator("#chart-causes g.bar")
    assert sorted(causes.evaluate_all("gs => gs.map(g => g.dataset.name)")) == sorted(
        stats["first_causes"]
    )
    wrong_key = page.locator('#chart-causes g.bar[data-name="why_wrong_key"]')
    assert wrong_key.locator("text.bar-label").text_content() == "Sai số CAN hoặc MRZ"
    outcomes = page.locator("#chart-outcomes g.bar").evaluate_all(
        "gs => Object.fromEntries(gs.map(g => [g.dataset.name, Number(g.dataset.value)]))"
    )
    assert outcomes == {k: v for k, v in stats["outcomes"].items() if v}
    kiosks = page.locator("#chart-per-kiosk g.bar").evaluate_all(
        "gs => gs.map(g => g.dataset.name)"
    )
    assert kiosks == [k["kiosk"] for k in stats["per_kiosk"]] == ["kiosk-ui-test"]
    hours = page.locator("#chart-per-hour g.bar").count()
    assert hours == sum(
        1 for h in stats["per_hour"] if h["verified"] + h["failed"] + h["abandoned"]
    )
    # The CSV behind the causes chart: a header and one row per cause.
    with page.expect_download() as info:
        page.click('button.csv[data-chart="causes"]')
    text = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == "cause,label,count" and len(text) == 1 + len(stats["first_causes"])
    assert any(line.startswith("why_wrong_key,Sai số CAN hoặc MRZ,") for line in text)
    # Period selector: today.
    page.click('[data-period="today"]')
    page.wait_for_function("document.body.dataset.loaded === 'true'")
    assert page.locator('[data-period="today"]').get_attribute("aria-pressed") == "true"
    page.click("#lang-switch")
    assert page.locator("figure.chart figcaption span").all_inner_texts() == [
        "Verifications per day",
        "Outcome of each verification",
        "Why verifications failed (first cause)",
        "Verifications per hour",
        "Health insurance",
        "Verifications per kiosk",
        "Average time per step (ms)",
    ]
    assert wrong_key.locator("text.bar-label").text_content() == "Wrong CAN or MRZ"
    page.screenshot(path=str(artifacts / "12-stats-en.png"), full_page=True)
    from tests.kiosk.layout import run_axe

    assert not run_axe(page), "statistics page: serious or critical axe-core violations"


def test_walking_away_mid_entry_clears_the_screen_and_frees_the_reader(page, server):
    server.app.config["KIOSK_UI"]["idle_seconds"] = 2
    try:
        open_kiosk(page, server)  # the page reads its settings when it loads
    finally:
        server.app.config["KIOSK_UI"]["idle_seconds"] = 60
    _, created = api(server, "POST", "/v1/verifications", {"ask_on_kiosk": True}, profile="school")
    wait_screen(page, "key")
    type_on_keypad(page, "12")
    wait_screen(page, "idle", timeout=10000)
    assert snapshot(page)["keyLength"] == 0 and page.locator(".can-box.filled").count() == 0
    _, body = api(server, "GET", f"/v1/verifications/{created['id']}?wait=5", profile="school")
    assert body["state"] == "failed" and body["error"]["code"] == "cancelled"
