"""The fleet dashboard in Debian's Chromium (Playwright): key, charts, tables, CSV, language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fleet.conftest import OPERATOR_KEY, TOKENS, TestKiosk, audit_event

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: scripts/install.sh --test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        yield b
        b.close()


def test_dashboard_in_chromium(fleet, browser, tmp_path):
    a, b = TestKiosk(fleet.base, "kiosk-a"), TestKiosk(fleet.base, "kiosk-b")
    assert a.enrol(TOKENS[0], "BV Đa khoa A")[0] == 200
    assert b.enrol(TOKENS[1], "Trạm y tế B")[0] == 200
    events = [audit_event(i, "kiosk-a", ok=i % 4 != 0) for i in range(8)]
    assert a.send(events)[1]["accepted"] == 8
    health = {"software_version": "0.1.0", "queue_length": 0, "last_error": "reader: no card"}
    assert a.signed("POST", "/v1/fleet/heartbeat", json.dumps(health).encode())[0] == 200

    # bypass_csp: Playwright evaluates its wait conditions as strings, which the page's CSP forbids.
    context = browser.new_context(locale="vi-VN", accept_downloads=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(fleet.base + "/fleet")
    assert page.locator("h1").inner_text() == "Thống kê đội kiosk"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Nhập khoá vận hành" in page.locator("#message").inner_text()

    page.fill("#operator-key", "wrong-key")
    page.click("#load")
    page.wait_for_function("document.getElementById('message').textContent.includes('không đúng')")
    assert page.locator("#reports").is_hidden()

    page.fill("#operator-key", OPERATOR_KEY)
    page.click("#load")
    page.wait_for_selector("body[data-loaded='yes']")
    assert page.locator("#total-verifications").inner_text() == "8"
    assert page.locator("#total-rate").inner_text() == "75.0 %"
    assert page.locator("#chart-per_day rect").count() >= 1
    assert page.locator("#chart-per_hour rect").count() == 24
    assert page.locator("#table-failures tbody tr").count() == 1
    assert "card_removed" in page.locator("#table-failures tbody").inner_text()
    steps = page.locator("#table-steps tbody").inner_text()
    assert "read" in steps and "total" in steps
    # Time per step as a chart too: a median and a p90 bar per step, the legend in Vietnamese.
    chart = page.locator("#chart-steps")
    assert chart.get_attribute("aria-label") == "Thời gian từng bước (trung vị, p90)"
    step_names = page.locator("#table-steps tbody tr td:first-child").all_inner_texts()
    assert sorted(step_names) == ["passive_authentication", "read", "total"]
    assert chart.locator("rect.bar.median").count() == len(step_names)
    assert chart.locator("rect.bar.p90").count() == len(step_names)
    assert "Trung vị" in chart.locator("text.legend").all_text_contents()
    titles = chart.locator("rect.bar title").all_text_contents()
    assert any(t.startswith("read Trung vị: 868.7 ms") for t in titles), titles
    # The bars are drawn to scale: a step's p90 bar is never shorter than its median bar.
    heights = [
        float(h)
        for h in chart.locator("rect.bar").evaluate_all(
            "rects => rects.map(r => r.getAttribute('height'))"
        )
    ]
    assert all(p >= m for m, p in zip(heights[::2], heights[1::2], strict=True))
    assert max(heights) > 100  # the largest p90 (total, 900 ms) fills the chart's height
    rows = page.locator("#table-per_kiosk tbody tr")
    assert rows.count() == 2
    # kiosk-b never sent anything: silent; kiosk-a reports an error: unhealthy.
    assert rows.nth(0).get_attribute("class") == "unhealthy"
    assert "Có lỗi" in rows.nth(0).inner_text()
    assert rows.nth(1).get_attribute("class") == "silent"
    assert "Im lặng" in rows.nth(1).inner_text()
    facilities = page.locator("#table-per_facility tbody").inner_text()
    assert "BV Đa khoa A" in facilities

    with page.expect_download() as info:
        page.click("button.csv[data-report='per_kiosk']")
    saved = tmp_path / "per_kiosk.csv"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("kiosk_id,") and "kiosk-a" in text and "kiosk-b" in text
    with page.expect_download() as info:
        page.click("button.csv[data-report='steps']")
    saved = tmp_path / "steps.csv"
    info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "step,count,median_ms,p90_ms" and len(lines) == 4
    assert any(line.startswith("read,8,868.7,868.7") for line in lines), lines

    page.click("#lang-switch")
    page.wait_for_selector("body[data-loaded='yes']")  # the key is remembered for the tab
    assert page.locator("h1").inner_text() == "Kiosk fleet statistics"
    assert "Silent" in page.locator("#table-per_kiosk tbody").inner_text()
    assert "Median" in page.locator("#chart-steps text.legend").all_text_contents()
    context.close()
    assert not errors, errors
