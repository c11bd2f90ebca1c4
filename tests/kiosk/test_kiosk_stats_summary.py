"""The manager's statistics on a known audit log: one outcome per verification, first real cause."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.audit import AuditLog
from edge.screen import AuditView
from kiosk_ui.stats_summary import summarise

# 2026-12-04 10:30 in Hà Nội (UTC+7) = 03:30 UTC.
NOW = datetime(2026, 12, 4, 3, 30, tzinfo=UTC).timestamp()
HANOI = 7 * 60


class Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def audit(tmp_path):
    clock = Clock(NOW)
    log = AuditLog(tmp_path / "audit.sqlite", b"k" * 32, kiosk_id="kiosk-1", clock=clock)

    def rec(at_offset_h: float, **row):
        clock.t = NOW + at_offset_h * 3600
        row.setdefault("relying_party", "rp")
        row.setdefault("kind", "card")
        log.record(verification_id=f"v{len(log.rows(1000))}", **row)

    ok = {"passive_authentication": "valid", "chip_authenticity": "valid"}
    # Verified, with a non-failure code (no CRL to consult): not a failure, not a cause.
    rec(0, outcome="done", overall="valid", reason_codes=["crl_absent"], **ok)
    rec(-1, outcome="done", overall="valid", face="valid", liveness="passed", **ok)
    # A forged card: four PA codes and a CA code, yet one verification and one cause.
    rec(
        -2,
        outcome="done",
        overall="invalid",
        passive_authentication="invalid",
        chip_authenticity="unknown",
        reason_codes=["dg_hash_mismatch", "ca_key_not_authenticated", "crl_absent"],
    )
    # Genuine card, face did not match: the cause is the face, not the card.
    rec(
        -3,
        outcome="done",
        overall="invalid",
        face="invalid",
        face_decision="no_match",
        reason_codes=["face_no_match", "crl_absent"],
        **ok,
    )
    # A wrong CAN (a read failure) and a walk-away (abandoned, counted apart).
    rec(-4, outcome="failed", reason_codes=["access_key_rejected"])
    rec(-5, outcome="failed", reason_codes=["cancelled"])
    # Yesterday evening local time (2026-12-03 20:30 +07): outside "today", inside 7 days.
    rec(-14, outcome="done", overall="valid", **ok)
    # What the statistics page reads: the host's view of the log, first causes ranked by the
    # service (edge.causes).
    yield AuditView(log), clock
    log.close()


def test_one_outcome_per_verification_and_first_causes(audit):
    log, clock = audit
    clock.t = NOW
    s = summarise(log, "7", tz_minutes=HANOI, now=NOW)
    assert s["verifications"] == 7
    assert s["outcomes"] == {"verified": 3, "failed": 3, "abandoned": 1}
    assert s["success_rate"] == 0.5  # abandoned sessions are apart
    assert s["first_causes"] == {
        "why_document_invalid": 1,
        "why_face_no_match": 1,
        "why_wrong_key": 1,
    }
    assert "crl_absent" not in str(s["first_causes"])
    assert s["per_day"] == [
        {"day": "2026-12-03", "verified": 1, "failed": 0, "abandoned": 0},
        {"day": "2026-12-04", "verified": 2, "failed": 3, "abandoned": 1},
    ]
    hours = {h["hour"]: h for h in s["per_hour"] if h["verified"] + h["failed"] + h["abandoned"]}
    assert sorted(hours) == [5, 6, 7, 8, 9, 10, 20]  # local hours
    assert hours[10]["verified"] == 1 and hours[6]["failed"] == 1 and hours[5]["abandoned"] == 1
    assert s["per_kiosk"] == [{"kiosk": "kiosk-1", "verified": 3, "failed": 3, "abandoned": 1}]


def test_today_is_the_local_day(audit):
    log, _ = audit
    s = summarise(log, "today", tz_minutes=HANOI, now=NOW)
    assert s["since"] == "2026-12-04" and s["verifications"] == 6


def test_insurance_chart_counts_the_audit_columns_when_present(audit):
    log, _ = audit
    raw = log._audit  # the log behind the view, to set the insurance columns
    with raw._lock:  # the insurance check's audit columns (edge.audit's migration)
        for vid, status in (("v0", "eligible"), ("v1", "not_eligible"), ("v2", "record_mismatch")):
            raw._db.execute(
                "UPDATE verifications SET insurance_status = ? WHERE id = ?", (status, vid)
            )
        raw._db.execute("UPDATE verifications SET insurance_status = 'timeout' WHERE id = 'v3'")
        raw._db.commit()
    s = summarise(log, "30", now=NOW)
    assert s["insurance_recorded"] is True
    assert s["insurance"] == {
        "eligible": 1,
        "not_eligible": 1,
        "record_mismatch": 1,
        "unavailable": 1,
    }


def test_stats_data_endpoint_refuses_a_bad_period(tmp_path):
    from edge.app import create_app
    from tests.edge.conftest import rp_config

    app = create_app(rp_config(tmp_path))
    try:
        client = app.test_client()
        assert client.get("/stats/data?period=365").status_code == 400
        body = client.get("/stats/data?period=today&tz=420").get_json()
        assert body["verifications"] == 0 and body["outcomes"]["abandoned"] == 0
        remote = client.get("/stats/data", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert remote.status_code in (401, 403)
    finally:
        app.extensions["cccd_edge"].close()
