"""A forged card at the kiosk: the chip reads, but its data fails passive authentication.

The virtual CCCD carries ``tampered-dg`` (one byte of the DG2 photo changed after the SOD was
signed): access control and the read succeed, the hash of DG2 no longer matches the SOD. The
screen must say plainly that the card is not genuine, in both languages, with no "try again".
"""

from __future__ import annotations

import pytest

from simulators.carddata import fid_of_dg
from simulators.datafaults import apply_data_fault
from tests.kiosk.conftest import kiosk_server
from tests.kiosk.test_kiosk_flow import (
    api,
    open_kiosk,
    snapshot,
    step_statuses,
    type_on_keypad,
    wait_screen,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def forged_server(tmp_path_factory, dataset):
    forged = apply_data_fault(dataset, "tampered-dg")
    assert forged.files[fid_of_dg(2)] != dataset.files[fid_of_dg(2)] and forged.can == dataset.can
    live = kiosk_server(tmp_path_factory, "kiosk-forged-test", forged)
    yield live
    live.close()


def test_a_forged_card_is_said_plainly_not_to_be_genuine(page, forged_server, dataset, artifacts):
    open_kiosk(page, forged_server)
    _, created = api(
        forged_server, "POST", "/v1/verifications", {"ask_on_kiosk": True}, profile="school"
    )
    wait_screen(page, "key")
    type_on_keypad(page, dataset.can)
    page.click("#key-ok")
    wait_screen(page, "result")
    assert page.locator("#verdict").get_attribute("data-verdict") == "not_verified"
    assert page.locator("#verdict-title").inner_text() == "Chưa xác thực được"
    assert page.locator("#reason-primary").inner_text().startswith("Thẻ này không xác thực được")
    assert (
        page.locator("#reason-secondary").inner_text().startswith("This card could not be verified")
    )
    assert snapshot(page)["view"] == {"verified": False, "reason": "document_invalid"}
    # The card was read (the CAN was right): the step that failed is the check of the data.
    statuses = step_statuses(page)
    assert statuses["read_files"] == "done" and statuses["verifying"] == "failed"
    # Nothing the person can fix by trying again; no photo of a forged chip is shown.
    assert page.locator("#try-again").is_hidden()
    assert page.locator("#photo-chip").get_attribute("src") is None
    page.screenshot(path=str(artifacts / "18-result-forged-card-vi.png"))
    _, body = api(
        forged_server, "GET", f"/v1/verifications/{created['id']}?wait=5", profile="school"
    )
    verdicts = body["result"]["claims"]["verdicts"]
    assert verdicts["passive_authentication"] == "invalid" and verdicts["overall"] == "invalid"
    page.click('[data-action="finish"]')
    wait_screen(page, "idle")
