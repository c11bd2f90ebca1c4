"""The fleet service under gunicorn on a private PostgreSQL: enrolment, signed batches, refusals."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import psycopg

from edge.signing import KioskKey
from tests.fleet.conftest import OPERATOR_KEY, TOKENS, TestKiosk, audit_event, http


def _count_events(url: str, kiosk_id: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM events WHERE kiosk_id = %s", (kiosk_id,)
        ).fetchone()[0]


def _days_ago(days: float) -> str:
    return datetime.fromtimestamp(time.time() - days * 86400, UTC).isoformat(timespec="seconds")


def _summary(fleet, days: int = 7) -> dict:
    status, body = fleet.operator(f"/v1/fleet/summary?days={days}")
    assert status == 200, body
    return body


def test_enrolment_with_one_time_tokens(fleet):
    a = TestKiosk(fleet.base, "kiosk-a")
    status, body = a.enrol(TOKENS[0], facility="BV Đa khoa A")
    assert status == 200, body
    assert body["kiosk_id"] == "kiosk-a" and body["already_enrolled"] is False
    assert body["fleet_key"] == http("GET", fleet.base + "/v1/fleet/key")[1]["keys"][0]
    # The same kiosk, key and token again (its answer was lost): accepted, nothing new.
    assert a.enrol(TOKENS[0])[1]["already_enrolled"] is True
    # The token is spent: another kiosk cannot use it.
    status, body = TestKiosk(fleet.base, "kiosk-b").enrol(TOKENS[0])
    assert (status, body["error"]) == (403, "token_used")
    status, body = TestKiosk(fleet.base, "kiosk-c").enrol("not-a-token")
    assert (status, body["error"]) == (403, "bad_token")
    # Another key claiming an enrolled kiosk id.
    status, body = TestKiosk(fleet.base, "kiosk-a").enrol(TOKENS[1])
    assert (status, body["error"]) == (409, "kiosk_exists")
    # Enrolment must be signed by the key it registers (proof of possession).
    impostor = TestKiosk(fleet.base, "kiosk-d")
    body = json.dumps(
        {"kiosk_id": "kiosk-d", "token": TOKENS[2], "jwk": KioskKey.generate().jwk}
    ).encode()
    status, answer = impostor.signed("POST", "/v1/fleet/enroll", body)
    assert (status, answer["error"]) == (401, "bad_signature")


def test_signed_batches_counted_once_and_forgeries_refused(fleet, fleet_db):
    kiosk = TestKiosk(fleet.base, "kiosk-a")
    assert kiosk.enrol(TOKENS[0])[0] == 200
    events = [audit_event(i, "kiosk-a", ok=i != 2) for i in range(4)]
    status, body = kiosk.send(events)
    assert (status, body["accepted"], body["duplicates"]) == (200, 4, 0)
    # The same batch again (a retry after a lost answer): nothing counts twice.
    status, body = kiosk.send(events)
    assert (status, body["accepted"], body["duplicates"]) == (200, 0, 4)
    # A repeat inside one batch counts once too.
    assert kiosk.send([audit_event(9, "kiosk-a")] * 3)[1]["accepted"] == 1
    # A resend whose time changed (a clock corrected, another month, hence another partition)
    # is still the same event: counted once, the first delivery's time kept.
    moved = [
        audit_event(n, "kiosk-a", at=at)
        for n, at in ((0, _days_ago(40)), (9, _days_ago(1)), (3, _days_ago(0.5)))
    ]
    status, body = kiosk.send(moved)
    assert (status, body["accepted"], body["duplicates"]) == (200, 0, 3)
    assert _count_events(fleet_db, "kiosk-a") == 5

    forger = TestKiosk(fleet.base, "kiosk-a", key=KioskKey.generate())
    status, body = forger.send([audit_event(20, "kiosk-a")])
    assert (status, body["error"]) == (401, "bad_signature")
    status, body = TestKiosk(fleet.base, "kiosk-unknown").send([audit_event(21, "x")])
    assert (status, body["error"]) == (401, "not_enrolled")
    status, body = http(
        "POST",
        fleet.base + "/v1/fleet/events",
        json.dumps({"events": []}).encode(),
        {"Content-Type": "application/json"},
    )
    assert (status, body["error"]) == (401, "unsigned")

    # Tampered: signed over one body, another sent.
    from edge.fleet.protocol import sign_request

    good = json.dumps({"events": [audit_event(22, "kiosk-a")]}).encode()
    bad = json.dumps({"events": [audit_event(22, "kiosk-a", ok=False)]}).encode()
    headers = {
        **sign_request(kiosk.key, "kiosk-a", "POST", "/v1/fleet/events", good),
        "Content-Type": "application/json",
    }
    status, body = http("POST", fleet.base + "/v1/fleet/events", bad, headers)
    assert (status, body["error"]) == (401, "tampered")
    # Replayed: the very same signed request twice.
    assert http("POST", fleet.base + "/v1/fleet/events", good, headers)[0] == 200
    status, body = http("POST", fleet.base + "/v1/fleet/events", good, headers)
    assert (status, body["error"]) == (409, "replayed")
    # Clock skew: a kiosk 20 minutes behind.
    status, body = kiosk.send([audit_event(23, "kiosk-a")], now=time.time() - 1200)
    assert (status, body["error"]) == (401, "clock_skew")
    assert "NTP" in body["message"] and abs(body["server_time"] - time.time()) < 60
    # Oversized: too many events, then too many bytes.
    status, body = kiosk.send([audit_event(100 + i, "kiosk-a") for i in range(1001)])
    assert (status, body["error"]) == (413, "too_large")
    huge = json.dumps({"events": [], "pad": "x" * (3 * 1024 * 1024)}).encode()
    status, body = kiosk.signed("POST", "/v1/fleet/events", huge)
    assert (status, body["error"]) == (413, "too_large")
    # A malformed event: a clear 400, the batch not half-stored.
    status, body = kiosk.send([audit_event(30, "kiosk-a"), {"id": "no-time"}])
    assert (status, body["error"]) == (400, "bad_event")
    status, body = kiosk.send([audit_event(32, "kiosk-a", at="9999-01-01T00:00:00+00:00")])
    assert (status, body["error"]) == (400, "bad_event") and "out of range" in body["message"]
    status, body = kiosk.signed(
        "POST", "/v1/fleet/heartbeat", json.dumps({"last_error": "x" * 9000}).encode()
    )
    assert (status, body["error"]) == (413, "too_large")
    # Personal fields are never stored even if a kiosk sent them.
    leaky = {**audit_event(31, "kiosk-a"), "id_hmac": "ab" * 32, "full_name": "Nguyễn Văn A"}
    assert kiosk.send([leaky])[1]["accepted"] == 1

    with psycopg.connect(fleet_db) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM events WHERE data ? 'id_hmac' OR data ? 'full_name'"
        ).fetchone()[0]
    assert stored == 0
    summary = _summary(fleet)
    row = summary["kiosks"][0]
    # Events 0-3, 9, 22 (the untampered one) and 31: each once, nothing from a refused request.
    assert row["verifications"] == 7 == _count_events(fleet_db, "kiosk-a")
    assert row["outcomes"] == {"failed": 1, "valid": 6}


def test_two_kiosks_counted_separately_and_operator_key_required(fleet):
    a, b = TestKiosk(fleet.base, "kiosk-a"), TestKiosk(fleet.base, "kiosk-b")
    assert a.enrol(TOKENS[0], "BV A")[0] == 200 and b.enrol(TOKENS[1], "BV B")[0] == 200
    assert a.send([audit_event(i, "kiosk-a") for i in range(3)])[1]["accepted"] == 3
    assert b.send([audit_event(i, "kiosk-b", ok=False) for i in range(2)])[1]["accepted"] == 2
    # The same event id from two kiosks is two events.
    assert b.send([audit_event(0, "kiosk-b") | {"id": "kiosk-a-ev-0"}])[1]["accepted"] == 1
    summary = _summary(fleet)
    kiosks = {k["kiosk_id"]: k for k in summary["kiosks"]}
    assert kiosks["kiosk-a"]["verifications"] == 3
    assert kiosks["kiosk-a"]["outcomes"] == {"valid": 3}
    assert kiosks["kiosk-b"]["verifications"] == 3
    assert kiosks["kiosk-b"]["outcomes"] == {"failed": 2, "valid": 1}
    assert kiosks["kiosk-a"]["last_seen"] and kiosks["kiosk-b"]["last_seen"]
    assert summary["totals"] == {
        "kiosks": 2,
        "verifications": 6,
        "outcomes": {"failed": 2, "valid": 4},
    }

    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": OPERATOR_KEY}):
        status, body = http("GET", fleet.base + "/v1/fleet/summary?days=7", headers=headers)
        assert (status, body["error"]) == (401, "operator_key_required")
    status, body = http("GET", fleet.base + "/metrics")
    assert status == 401
    status, body = fleet.operator("/v1/fleet/summary?days=0")
    assert (status, body["error"]) == (400, "bad_days")

    status, text = fleet.operator("/metrics")
    assert status == 200
    assert "cccd_fleet_events_ingested_total 6" in text
    assert 'cccd_fleet_kiosk_lag_seconds{kiosk_id="kiosk-a"}' in text
    assert "cccd_fleet_kiosks 2" in text

    status, dash = fleet.operator("/v1/fleet/dashboard?days=7")
    assert status == 200 and dash["verifications"] == 6 and dash["succeeded"] == 4
    assert {f["facility"]: f["verifications"] for f in dash["per_facility"]} == {
        "BV A": 3,
        "BV B": 3,
    }
    assert dash["failures"] == [{"first_cause": "card_removed", "failures": 2}]
    steps = {s["step"]: s for s in dash["steps"]}
    # 850.5 ms lies in the bucket (1.1^70, 1.1^71] = (789.7, 868.7]: median reported as 868.7.
    assert steps["read"]["count"] == 6 and 850 <= steps["read"]["median_ms"] <= 870
    assert sum(h["verifications"] for h in dash["per_hour"]) == 6
    status, csv_text = fleet.operator("/v1/fleet/report/per_kiosk.csv?days=7")
    assert (
        status == 200
        and "kiosk-a" in csv_text
        and csv_text.splitlines()[0].startswith("\ufeffkiosk_id")
    )


def test_database_down_is_503_and_nothing_is_lost(fleet, fleet_db, postgres):
    kiosk = TestKiosk(fleet.base, "kiosk-a")
    assert kiosk.enrol(TOKENS[0])[0] == 200
    assert kiosk.send([audit_event(0, "kiosk-a")])[1]["accepted"] == 1
    postgres.stop()
    try:
        status, body = kiosk.send([audit_event(1, "kiosk-a")])
        assert (status, body["error"]) == (503, "database_unavailable")
        status, body = fleet.operator("/v1/fleet/summary?days=7")
        assert status == 503
        assert http("GET", fleet.base + "/v1/fleet/health")[0] == 503
    finally:
        postgres.start()
    deadline = time.monotonic() + 20
    while True:  # the pool reconnects on its own
        status, body = kiosk.send([audit_event(1, "kiosk-a"), audit_event(0, "kiosk-a")])
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (status, body["accepted"], body["duplicates"]) == (200, 1, 1)
    assert _count_events(fleet_db, "kiosk-a") == 2
