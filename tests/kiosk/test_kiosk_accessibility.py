"""Large type, WCAG AA contrast and big touch targets, measured in the rendered page."""

from __future__ import annotations

import pytest

from tests.kiosk.a11y import assert_on_screen, check_screen
from tests.kiosk.test_kiosk_flow import open_kiosk, type_on_keypad, wait_screen

pytestmark = pytest.mark.timeout(120)


def test_kiosk_screens_are_large_and_high_contrast(page, server, dataset):
    open_kiosk(page, server)
    check_screen(page, "idle")
    page.click("#start")
    wait_screen(page, "key")
    assert page.locator("#screen-key .privacy-walk-up").is_visible()
    check_screen(page, "keypad (vi)")
    for sel in ("#screen-key .privacy", '#screen-key [data-action="cancel"]', "#key-ok"):
        assert_on_screen(page, sel, "keypad (vi)")
    page.click("#lang-switch")
    page.click("#toggle-mrz")
    check_screen(page, "MRZ entry (en)")
    for sel in ("#mrz-entry", '#screen-key [data-action="cancel"]', "#screen-key .privacy h3"):
        assert_on_screen(page, sel, "MRZ entry (en)")
    page.click("#toggle-mrz")
    type_on_keypad(page, "".join(str((int(c) + 1) % 10) for c in dataset.can))
    page.click("#key-ok")
    # The card read under a loaded CI box can take a while: wait on the screen, not on a fixed time.
    wait_screen(page, "result", timeout=60000)
    page.wait_for_selector(
        "#reset-countdown:not(:empty)"
    )  # the last thing the result screen fills in
    check_screen(page, "result")
    assert_on_screen(page, '[data-action="finish"]', "result")
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")
