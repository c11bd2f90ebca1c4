"""A document scanner at the kiosk: it types the MRZ lines (letters, digits, "<", Enter after
each)."""

from __future__ import annotations

import pytest

from tests.kiosk.test_kiosk_flow import api, open_kiosk, snapshot, wait_screen

pytestmark = pytest.mark.timeout(120)

UNREADABLE_VI = "Không đọc được dòng mã trên thẻ. Vui lòng quét lại, hoặc nhập bằng bàn phím."


def scan(page, line: str):
    page.keyboard.type(line, delay=2)  # a scanner types fast, one key event per character
    page.keyboard.press("Enter")


def garbled(line2: str) -> str:
    """MRZ line 2 with the birth date's check digit changed, as a misread character would."""
    return line2[:6] + str((int(line2[6]) + 1) % 10) + line2[7:]


def test_scanned_mrz_lines_fill_the_fields_and_send_the_key(page, server, dataset, artifacts):
    line1, line2, line3 = dataset.mrz_lines
    open_kiosk(page, server)
    _, created = api(server, "POST", "/v1/verifications", {"ask_on_kiosk": True}, profile="school")
    wait_screen(page, "key")
    assert page.locator("#can-entry").is_visible()
    # A misread line: said plainly, and its leading digits do not stay in the CAN boxes.
    scan(page, garbled(line2))
    assert page.locator("#key-error").inner_text() == UNREADABLE_VI
    assert page.locator(".can-box.filled").count() == 0 and snapshot(page)["keyLength"] == 0
    # Line 1 scanned on the CAN screen: the screen switches to the MRZ and fills the document
    # number.
    scan(page, line1)
    assert page.locator("#mrz-entry").is_visible() and page.locator("#key-error").is_hidden()
    assert page.locator("#mrz-document_number").inner_text() == dataset.document_number
    assert page.locator(".mrz-field.active").get_attribute("data-field") == "birth_date"
    assert page.locator("#mrz-birth_date").inner_text() == ""
    page.screenshot(path=str(artifacts / "17-mrz-scanned-line-1.png"))
    # Line 2 completes the key with right check digits: it is sent at once; the name line is
    # ignored.
    scan(page, line2)
    scan(page, line3)
    wait_screen(page, "result")
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    assert "progress" in page.evaluate("window.__screens")
    _, body = api(server, "GET", f"/v1/verifications/{created['id']}?wait=5", profile="school")
    assert body["result"]["claims"]["verdicts"]["overall"] == "valid"
    assert snapshot(page)["keyLength"] == 0
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")


def test_a_six_digit_scan_on_the_can_screen_is_the_can(page, server, dataset):
    open_kiosk(page, server)
    _, created = api(server, "POST", "/v1/verifications", {"ask_on_kiosk": True}, profile="school")
    wait_screen(page, "key")
    page.keyboard.type(dataset.can, delay=2)
    assert page.locator(".can-box.filled").count() == 6 and page.locator("#can-entry").is_visible()
    page.keyboard.press("Enter")
    wait_screen(page, "result")
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
    _, body = api(server, "GET", f"/v1/verifications/{created['id']}?wait=5", profile="school")
    assert body["result"]["claims"]["verdicts"]["overall"] == "valid"
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")


def test_a_person_typing_digits_on_the_mrz_screen_still_works(page, server, dataset):
    open_kiosk(page, server)
    page.click("#start")
    wait_screen(page, "key")
    page.click("#toggle-mrz")
    page.keyboard.type(dataset.document_number + dataset.birth_date[:3])
    assert page.locator("#mrz-document_number").inner_text() == dataset.document_number
    assert page.locator("#mrz-birth_date").inner_text() == dataset.birth_date[:3]
    page.keyboard.press("Backspace")
    assert page.locator("#mrz-birth_date").inner_text() == dataset.birth_date[:2]
    page.keyboard.press("Enter")  # incomplete: nothing is sent
    assert page.locator("#key-error").inner_text() == "Vui lòng nhập đủ số."
    page.click('#screen-key [data-action="cancel"]')
    wait_screen(page, "idle")
    assert snapshot(page)["keyLength"] == 0
