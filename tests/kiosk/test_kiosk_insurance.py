"""The kiosk's insurance (BHYT) panel in headless Chromium: the real service, the virtual CCCD,
and the gateway simulator in its own process."""

from __future__ import annotations

import json
import urllib.request
from datetime import date

import pytest

from tests.kiosk.a11y import check_screen
from tests.kiosk.conftest import kiosk_server
from tests.support.bhyt import GatewayProcess

pytestmark = pytest.mark.timeout(120)
HOSPITAL_KEY = "kiosk-test-hospital-key"


@pytest.fixture(scope="module")
def gateway():
    sim = GatewayProcess()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, dataset, gateway):
    live = kiosk_server(
        tmp_path_factory,
        "kiosk-bhyt-test",
        dataset,
        relying_parties={"hospital-desk": {"profile": "hospital", "api_keys": [HOSPITAL_KEY]}},
        insurance=gateway.settings(timeout=3.0, breaker_seconds=30),
    )
    yield live
    live.close()


def api(server, method, path, body=None):
    req = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-API-Key": HOSPITAL_KEY, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=40) as resp:
        return resp.status, json.loads(resp.read())


def verify_at_the_kiosk(page, server, dataset, face=False):
    page.goto(server.url + "/")
    page.wait_for_selector("#screen-idle", state="visible")
    body = {"ask_on_kiosk": True, **({"face_match_required": True} if face else {})}
    _, created = api(server, "POST", "/v1/verifications", body)
    page.wait_for_function("document.body.dataset.screen === 'key'")
    for d in dataset.can:
        page.click(f'#keypad .key[data-digit="{d}"]')
    page.click("#key-ok")
    page.wait_for_function("document.body.dataset.screen === 'result'", timeout=60000)
    page.wait_for_selector("#insurance-panel", state="visible")
    return created


def panel_text(page) -> tuple[str, str, str]:
    panel = page.locator("#insurance-panel")
    return (
        panel.get_attribute("data-status"),
        panel.locator(".insurance-primary").inner_text(),
        panel.locator(".insurance-secondary").inner_text(),
    )


def test_eligible_panel(page, server, dataset, gateway, artifacts):
    gateway.set_mode("correct")
    verify_at_the_kiosk(page, server, dataset)
    status, primary, secondary = panel_text(page)
    year = date.today().year
    assert status == "eligible"
    assert primary == (
        f"Thẻ BHYT còn hạn đến 31/12/{year} — nơi đăng ký KCB ban đầu: "
        "Bệnh viện Thử Nghiệm Hà Nội (01013)"
    )
    assert secondary.startswith(f"Health-insurance card valid until 31/12/{year}")
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    assert page.locator(".insurance-print").count() == 0
    page.screenshot(path=str(artifacts / "bhyt-eligible.png"))
    # The panel follows the language switch, and is gone after the reset.
    page.click("#lang-switch")
    assert panel_text(page)[1].startswith("Health-insurance card valid until")
    page.click("#lang-switch")
    page.click('[data-action="finish"]')
    page.wait_for_function("document.body.dataset.screen === 'idle'")
    assert page.locator("#insurance-panel").is_hidden()
    assert page.locator("#insurance-panel").inner_text() == ""


def test_record_mismatch_panel_prints_the_correction(page, server, dataset, gateway, artifacts):
    gateway.set_mode("wrong_name")
    created = verify_at_the_kiosk(page, server, dataset)
    status, primary, _ = panel_text(page)
    assert status == "record_mismatch"
    assert primary == (
        "Thông tin BHYT của bạn ghi sai họ tên; hãy mang phiếu này đến cơ quan BHXH."
    )
    page.screenshot(path=str(artifacts / "bhyt-record-mismatch.png"))
    check_screen(page, "insurance panel")  # large type, contrast, big touch targets
    page.click(".insurance-print")
    frame = page.frame_locator(".insurance-print-frame")
    assert (
        frame.locator("h1").inner_text() == "PHIẾU ĐỀ NGHỊ ĐIỀU CHỈNH THÔNG TIN THẺ BẢO HIỂM Y TẾ"
    )
    row = frame.locator("table.fields tbody tr").first
    assert row.locator("td.chip").inner_text() == dataset.citizen.full_name
    assert created["id"] in page.locator(".insurance-print-frame").get_attribute("src")


def test_correction_prints_under_the_kiosk_pages_own_csp(browser, server, dataset, gateway):
    """Without Playwright's CSP bypass: the panel's stylesheet and the print frame are allowed by
    the kiosk page's policy, and the page in the frame by its own."""
    gateway.set_mode("wrong_name")
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="vi-VN")
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0
        )
        page.goto(server.url + "/")
        page.wait_for_selector("#screen-idle", state="visible")
        api(server, "POST", "/v1/verifications", {"ask_on_kiosk": True})
        page.wait_for_selector("#screen-key", state="visible")
        for d in dataset.can:
            page.click(f'#keypad .key[data-digit="{d}"]')
        page.click("#key-ok")
        page.wait_for_selector("#insurance-panel .insurance-print", state="visible", timeout=30000)
        border = page.eval_on_selector(
            "#insurance-panel", "e => getComputedStyle(e).borderTopWidth"
        )
        assert border == "2px"  # insurance_panel.css was loaded
        page.click(".insurance-print")
        heading = page.frame_locator(".insurance-print-frame").locator("h1")
        assert heading.inner_text().startswith("PHIẾU ĐỀ NGHỊ ĐIỀU CHỈNH")
        assert not violations, violations
    finally:
        context.close()


def test_expired_card_says_what_to_do(page, server, dataset, gateway):
    gateway.set_mode("expired")
    verify_at_the_kiosk(page, server, dataset)
    status, primary, _ = panel_text(page)
    assert status == "not_eligible" and primary.startswith("Thẻ BHYT đã hết hạn.")


def test_with_the_face_match_the_gateway_is_asked_while_the_face_is_captured(
    page, server, dataset, gateway
):
    gateway.set_mode("slow", delay=0.3)
    before = gateway.state()["check_calls"]
    created = verify_at_the_kiosk(page, server, dataset, face=True)
    status, primary, _ = panel_text(page)
    assert status == "eligible" and primary.startswith("Thẻ BHYT còn hạn đến 31/12/")
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    assert gateway.state()["check_calls"] - before == 1  # asked once, ahead of the result
    _, body = api(server, "GET", f"/v1/verifications/{created['id']}")
    assert body["result"]["claims"]["verdicts"]["face"] == "valid"
    assert body["result"]["claims"]["insurance"]["status"] == "eligible"


def test_gateway_down_panel(page, server, dataset, gateway, artifacts):
    gateway.set_mode("stall", delay=5.0)
    verify_at_the_kiosk(page, server, dataset)
    status, primary, _ = panel_text(page)
    assert status == "unavailable"
    assert primary == "Chưa kiểm tra được BHYT, nhân viên sẽ kiểm tra giúp."
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    page.screenshot(path=str(artifacts / "bhyt-unavailable.png"))
