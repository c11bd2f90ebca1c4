"""The statistics page of a kiosk that has not verified anything yet (its own, fresh service)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


def test_stats_page_without_audit_rows_says_so(page, server, artifacts):
    page.goto(server.url + "/stats?days=7")
    page.wait_for_function("document.body.dataset.loaded === 'true'")
    assert page.locator('[data-period="7"]').get_attribute("aria-pressed") == "true"
    assert page.locator("#tile-total").inner_text() == "0"
    assert page.locator("#tile-rate").inner_text() == "\N{EN DASH}"
    assert page.locator(".chart-body .empty").all_inner_texts() == ["Chưa có dữ liệu."] * 7
    assert page.locator(".chart-body svg").count() == 0
    page.screenshot(path=str(artifacts / "13-stats-empty.png"))


def test_stats_page_reports_a_refused_request(page, server):
    page.goto(server.url + "/stats?days=999")  # the API allows 1..366 days
    page.wait_for_function("document.body.dataset.loaded === 'error'")
    assert page.locator("#stats-error").inner_text() == "Không tải được thống kê."
