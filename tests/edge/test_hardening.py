"""Review findings on the service ("The edge service"): one test per finding."""

from __future__ import annotations

import threading
from datetime import UTC
from typing import ClassVar

import pytest

from edge.sessions import SessionStore, State


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def _done(store: SessionStore):
    s = store.create("rp", "school")
    s.move(State.READING)
    s.move(State.VERIFYING)
    s.finish({"claims": {"attributes": {"full_name": "NGUYEN VAN AN"}}})
    return s


def test_reaper_drops_results_on_an_idle_store():
    clock = Clock()
    store = SessionStore(ttl=30, clock=clock)
    s = _done(store)
    store.start_reaper(interval=0.01)
    try:
        assert not store.purged.wait(0.05) and s.result is not None  # not yet expired
        clock.t += 31  # no get/create from here on: only the timer can purge
        assert store.purged.wait(5), "the reaper never purged"
        assert s.result is None
        with store._lock:
            assert s.id not in store._sessions
    finally:
        store.stop_reaper()


def test_len_purges_expired_results():
    clock = Clock()
    store = SessionStore(ttl=30, clock=clock)
    s = _done(store)
    clock.t += 31
    assert len(store) == 0 and s.result is None


def test_health_purges_expired_results(app):
    svc = app.extensions["cccd_edge"]
    clock = Clock()
    svc.sessions._clock = clock
    s = _done(svc.sessions)
    s._clock = clock
    clock.t += svc.config.result_ttl + 1
    body = app.test_client().get("/v1/health").get_json()
    assert body["sessions"] == 0 and s.result is None


# --- audit: writer thread, liveness columns, migration ------------------------------------


def test_audit_rows_are_written_by_the_writer_and_read_back_after_flush(tmp_path):
    from edge.audit import AuditLog

    log = AuditLog(tmp_path / "a.sqlite", b"k" * 32, kiosk_id="k", clock=lambda: 1.7e9)
    try:
        for i in range(300):
            log.record(
                verification_id=f"v{i}",
                relying_party="rp",
                kind="upload",
                outcome="done",
                overall="valid",
                reason_codes=["b", "a", "b"],
            )
        assert log.flush(5)
        assert len(log.rows(limit=1000)) == 300
        assert log.row("v7")["reason_codes"] == '["a", "b"]'
    finally:
        log.close()
    # close() drains the queue: a fresh connection sees every row
    import sqlite3

    assert (
        sqlite3.connect(tmp_path / "a.sqlite")
        .execute("SELECT count(*) FROM verifications")
        .fetchone()[0]
        == 300
    )


def test_audit_schema_migrates_in_place_and_stats_skip_old_verdict_codes(tmp_path):
    import json
    import sqlite3

    from edge.audit import AuditLog

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    # The first release's table: no liveness / face_decision columns, the verdict in the codes.
    db.execute(
        "CREATE TABLE verifications (id TEXT PRIMARY KEY, at TEXT NOT NULL, day TEXT NOT NULL, "
        "kiosk_id TEXT NOT NULL, relying_party TEXT NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT "
        "NULL, "
        "overall TEXT, passive_authentication TEXT, chip_authenticity TEXT, face TEXT, "
        "access_protocol TEXT, reason_codes TEXT NOT NULL, durations TEXT NOT NULL, total_ms REAL, "
        "id_hmac TEXT)"
    )
    db.execute(
        "INSERT INTO verifications VALUES ('old', '2026-11-22T10:00:00+00:00', '2026-11-22', 'k', "
        "'rp', "
        "'card', 'done', 'unknown', 'unknown', 'valid', 'valid', 'PACE', ?, '{}', 1.0, NULL)",
        (json.dumps(["crl_absent", "liveness_passed"]),),
    )
    db.commit()
    db.close()
    from datetime import datetime

    now = datetime(2026, 11, 22, 12, tzinfo=UTC).timestamp()
    log = AuditLog(path, b"k" * 32, kiosk_id="k", clock=lambda: now)
    try:
        log.record(
            verification_id="new",
            relying_party="rp",
            kind="card",
            outcome="done",
            overall="invalid",
            face="invalid",
            reason_codes=["liveness_steps_not_seen"],
            liveness="failed",
            face_decision="match",
        )
        assert log.row("old")["liveness"] is None
        assert log.row("new")["liveness"] == "failed" and log.row("new")["face_decision"] == "match"
        stats = log.stats(7)
        assert "liveness_passed" not in stats["failure_reasons"]
        assert (
            stats["failure_reasons"]["liveness_failed"] == 1
            and stats["failure_reasons"]["crl_absent"] == 1
        )
        assert stats["liveness"] == {"failed": 1}
    finally:
        log.close()


def test_secret_files_are_0600_and_the_first_writer_wins(tmp_path):
    import os
    import stat

    from edge.audit import load_or_create_secret
    from edge.secretfile import create_once
    from edge.signing import KioskKey

    path = tmp_path / "dir" / "secret"
    first = create_once(path, lambda: b"one")
    assert first == b"one" and create_once(path, lambda: b"two") == b"one"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secret(tmp_path / "h.key", lambda n: b"\x01" * n) == b"\x01" * 32
    key = KioskKey.load_or_create(tmp_path / "k.pem")
    assert KioskKey.load_or_create(tmp_path / "k.pem").kid == key.kid
    assert stat.S_IMODE(os.stat(tmp_path / "k.pem").st_mode) == 0o600
    assert not [p for p in tmp_path.rglob(".*.tmp")]


# --- reason codes once each -----------------------------------------------------------------


def test_duplicate_reason_codes_leave_signed_claims_once_each_in_order():
    from crypto.report import Check, Status, VerificationReport
    from edge.api.results import build_result
    from edge.profiles import get_profile
    from edge.signing import KioskKey

    class Report:
        person: ClassVar[dict[str, str]] = {
            "full_name": "NGUYEN VAN AN",
            "id_number": "001093000001",
        }
        verification = VerificationReport(
            checks=[
                Check("sod_signature", Status.UNKNOWN, "sod_malformed", "x"),
                Check("sod_parse", Status.UNKNOWN, "sod_unavailable", "x"),
                Check("active_authentication", Status.NOT_PERFORMED, "offline_dump", "x"),
                Check("chip_authentication", Status.NOT_PERFORMED, "offline_dump", "x"),
            ],
            passive_authentication=Status.UNKNOWN,
        )

    body = build_result(
        Report(),
        get_profile("school"),
        key=KioskKey.generate(),
        kiosk_id="k",
        rp_id="rp",
        verification_id="v",
        nonce=None,
        kind="upload",
        face=None,
        face_required=False,
        record=None,
        now=1,
    )
    codes = body["claims"]["reason_codes"]
    assert len(codes) == len(set(codes)) and codes.count("offline_dump") == 1
    assert (
        codes.index("sod_malformed") < codes.index("sod_unavailable") < codes.index("offline_dump")
    )


# --- logging: one JSON format for every logger ----------------------------------------------


def test_library_warnings_are_json_lines_without_numbers(tmp_path):
    import json
    import logging

    from edge.audit import setup_json_logging

    path = tmp_path / "app.log"
    setup_json_logging(path=str(path))
    try:
        logging.getLogger("cardreader.session").warning("card 001093000001 answered 6982")
        logging.getLogger("cccd_edge").info("request")
        for h in logging.getLogger().handlers:
            h.flush()
        lines = [json.loads(x) for x in path.read_text().splitlines()]
        assert [x["logger"] for x in lines] == ["cardreader.session", "cccd_edge"]
        assert "001093000001" not in lines[0]["msg"] and lines[0]["level"] == "warning"
    finally:
        root = logging.getLogger()
        for h in [h for h in root.handlers if getattr(h, "_cccd_edge", False)]:
            root.removeHandler(h)
            h.close()


# --- long waits are capped so the API stays reachable ----------------------------------------


def test_streams_and_long_polls_past_the_cap_get_429_and_health_stays_up(tmp_path):
    from edge.app import create_app
    from tests.edge.conftest import auth, rp_config

    app = create_app(rp_config(tmp_path, threads=4))  # cap = threads - 2 = 2
    svc = app.extensions["cccd_edge"]
    try:
        client = app.test_client()
        session = svc.sessions.create("school-rp", "school")  # waits for a card: never ends here
        events = f"/v1/verifications/{session.id}/events"
        first = client.get(events, headers=auth("school"))
        second = client.get(events, headers=auth("school"))
        assert first.status_code == second.status_code == 200
        third = client.get(events, headers=auth("school"))
        assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
        assert third.get_json()["error"]["code"] == "reader_busy"
        poll = client.get(f"/v1/verifications/{session.id}?wait=20", headers=auth("school"))
        assert poll.status_code == 429 and "Retry-After" in poll.headers
        # Short calls are not capped: health, a poll without wait.
        assert client.get("/v1/health").status_code == 200
        assert (
            client.get(f"/v1/verifications/{session.id}", headers=auth("school")).status_code == 200
        )
        # The client goes away: its slot is free again. (Closed last-opened first: the test client
        # runs every stream in this one thread, so their request contexts nest.)
        second.close()
        again = client.get(events, headers=auth("school"))
        assert again.status_code == 200
        again.close()
        first.close()
        session.fail("cancelled", "test over")
        # With free slots, a long poll on a finished session answers at once.
        assert (
            client.get(
                f"/v1/verifications/{session.id}?wait=20", headers=auth("school")
            ).status_code
            == 200
        )
        assert svc.waiters.acquire(blocking=False) and svc.waiters.acquire(blocking=False)
        svc.waiters.release()
        svc.waiters.release()
    finally:
        svc.close()


# --- Retry-After on 409 follows the running job's deadline -----------------------------------


def test_409_retry_after_counts_down_to_the_running_kiosk_jobs_deadline():
    from edge.reader_owner import ReaderBusy, ReaderOwner

    clock = Clock()
    owner = ReaderOwner("r", clock=clock, default_job_seconds=1.0)
    started, release = threading.Event(), threading.Event()

    def kiosk_job():
        started.set()
        release.wait(10)

    try:
        owner.submit(kiosk_job, exclusive=True, budget=90.0)
        assert started.wait(5)
        try:
            owner.submit(lambda: None, exclusive=True, budget=90.0)
            raise AssertionError("a second kiosk job was accepted")
        except ReaderBusy as busy:
            assert busy.status == 409 and busy.retry_after == 90  # not the 1 s mean job time
        clock.t += 75
        try:
            owner.submit(lambda: None, exclusive=True)
        except ReaderBusy as busy:
            assert busy.status == 409 and busy.retry_after == 15
    finally:
        release.set()
        owner.stop()


def test_service_gives_kiosk_jobs_their_timeouts_as_budget(app):
    svc = app.extensions["cccd_edge"]
    c = svc.config
    assert svc.job_budget(True, True) >= c.access_key_timeout + c.card_timeout + c.face_timeout
    assert svc.job_budget(False, False) < svc.job_budget(True, False)


# --- access keys are checked before the reader is touched ------------------------------------


def _mrz_td1(doc: str, birth: str, expiry: str) -> list[str]:
    from cardreader.mrz import check_digit

    line1 = f"IDVNM{doc}{check_digit(doc)}" + "<" * 15
    line1 = line1[:30]
    line2 = f"{birth}{check_digit(birth)}M{expiry}{check_digit(expiry)}VNM" + "<" * 11
    line2 = line2[:29] + check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return [line1, line2, "NGUYEN<<VAN<AN" + "<" * 16]


@pytest.mark.parametrize(
    "body",
    [
        {"document_number": "093000001", "birth_date": "999999", "expiry_date": "330105"},
        {"document_number": "093000001", "birth_date": "930230", "expiry_date": "330105"},
        {"document_number": "093000001", "birth_date": "930105", "expiry_date": "331301"},
        {"mrz": _mrz_td1("093000001", "999999", "330105")},  # check digits right, date impossible
        {
            "mrz": [
                "IDVNM0930000011" + "<" * 15,
                "9301052M3301059VNM<<<<<<<<<<<0",
                "NGUYEN<<VAN<AN" + "<" * 16,
            ]
        },
        {"can": "12345"},
    ],
)
def test_impossible_access_keys_are_400_before_the_reader(app, body):
    from tests.edge.conftest import auth
    from tests.edge.openapi_check import check

    svc = app.extensions["cccd_edge"]
    submitted = []
    svc.reader.submit = lambda *a, **k: submitted.append(a)  # the reader must not be asked
    r = app.test_client().post("/v1/verifications", json=body, headers=auth("school"))
    assert r.status_code == 400, r.get_json()
    assert check(r, "/v1/verifications", "post")["error"]["message"].endswith(".")
    assert submitted == [] and len(svc.sessions) == 0


def test_real_dates_and_no_expiry_are_accepted(app):
    from tests.edge.conftest import auth

    svc = app.extensions["cccd_edge"]
    submitted = []
    svc.reader.submit = lambda job, **k: submitted.append(k)
    client = app.test_client()
    for body in (
        {"document_number": "093000001", "birth_date": "000229", "expiry_date": "<<<<<<"},
        {"mrz": _mrz_td1("093000001", "930105", "330105")},
    ):
        r = client.post("/v1/verifications", json=body, headers=auth("school"))
        assert r.status_code == 202, r.get_json()
    assert len(submitted) == 2


# --- one worker per reader; verify-only boxes may scale -------------------------------------


def test_workers_above_one_need_the_verify_only_mode(tmp_path):
    from edge.config import ConfigError, load_config

    with pytest.raises(ConfigError, match='reader = "none"'):
        load_config(env={"CCCD_EDGE_WORKERS": "2"})
    assert load_config(env={"CCCD_EDGE_WORKERS": "2", "CCCD_EDGE_READER": "none"}).workers == 2


def test_verify_only_mode_refuses_card_verifications_with_a_sentence(tmp_path):
    from edge.app import create_app
    from tests.edge.conftest import auth, rp_config
    from tests.edge.openapi_check import check

    app = create_app(rp_config(tmp_path, reader="none", workers=2))
    try:
        client = app.test_client()
        r = client.post("/v1/verifications", json={"can": "123456"}, headers=auth("school"))
        assert (
            r.status_code == 503
            and "documents/verify" in check(r, "/v1/verifications", "post")["error"]["message"]
        )
        assert check(client.get("/v1/health"), "/v1/health")["reader"]["mode"] == "none"
    finally:
        app.extensions["cccd_edge"].close()


# --- OpenAPI: the statuses the service really answers are documented -------------------------


def test_405_413_and_500_are_documented_and_match_the_schema(app, monkeypatch):
    from edge.api.validation import openapi_document
    from tests.edge.conftest import auth
    from tests.edge.openapi_check import check

    client = app.test_client()
    doc = openapi_document()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert {"405", "500"} <= set(op["responses"]), (method, path)
            if "requestBody" in op:
                assert "413" in op["responses"], (method, path)
    r = client.delete("/v1/verifications", headers=auth("school"))
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    assert check(r, "/v1/verifications", "post")["error"]["code"] == "method_not_allowed"
    big = b"{" + b" " * (5 * 1024 * 1024 + 10) + b"}"
    r = client.post(
        "/v1/documents/verify", data=big, content_type="application/json", headers=auth("school")
    )
    assert r.status_code == 413
    assert check(r, "/v1/documents/verify", "post")["error"]["code"] == "payload_too_large"
    svc = app.extensions["cccd_edge"]
    monkeypatch.setattr(svc, "health", lambda: 1 / 0)
    r = client.get("/v1/health")
    assert r.status_code == 500 and check(r, "/v1/health")["error"]["code"] == "internal_error"


# --- operators' views: key or loopback ------------------------------------------------------


def test_stats_and_metrics_are_loopback_only_without_an_operator_key(app):
    from tests.edge.openapi_check import check

    client = app.test_client()
    assert check(client.get("/v1/stats"), "/v1/stats")["verifications"] == 0  # 127.0.0.1
    assert client.get("/metrics").status_code == 200
    remote = {"REMOTE_ADDR": "192.0.2.7"}
    r = client.get("/v1/stats", environ_base=remote)
    assert r.status_code == 403 and check(r, "/v1/stats")["error"]["code"] == "forbidden"
    assert client.get("/metrics", environ_base=remote).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_with_an_operator_key_every_caller_needs_it(tmp_path, monkeypatch):
    import base64

    from edge.app import create_app
    from tests.edge.conftest import rp_config
    from tests.edge.openapi_check import check

    monkeypatch.setenv("CCCD_EDGE_OPERATOR_KEY", "op-key-0123456789")
    app = create_app(rp_config(tmp_path))
    try:
        client = app.test_client()
        r = client.get("/v1/stats")  # loopback is not enough any more
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
        assert check(r, "/v1/stats")["error"]["code"] == "operator_unauthorized"
        assert client.get("/v1/stats", headers={"X-Operator-Key": "wrong"}).status_code == 401
        remote = {"REMOTE_ADDR": "192.0.2.7"}
        assert (
            client.get(
                "/v1/stats", headers={"X-Operator-Key": "op-key-0123456789"}, environ_base=remote
            ).status_code
            == 200
        )
        assert (
            client.get(
                "/metrics",
                headers={"Authorization": "Bearer op-key-0123456789"},
                environ_base=remote,
            ).status_code
            == 200
        )
        # The statistics page asks the browser for the key; with it (Basic), page and data load.
        assert client.get("/stats").status_code == 401
        basic = {
            "Authorization": "Basic " + base64.b64encode(b"operator:op-key-0123456789").decode()
        }
        assert client.get("/stats", headers=basic).status_code == 200
        assert client.get("/v1/stats", headers=basic).status_code == 200
        assert app.extensions["cccd_edge"].config.operator_key_sha256 != "op-key-0123456789"
    finally:
        app.extensions["cccd_edge"].close()


# --- kiosk token behind Docker / a proxy -----------------------------------------------------


def test_kiosk_addresses_accept_cidrs_and_the_proxy_is_believed_only_when_configured(tmp_path):
    from edge.api.auth import KIOSK_COOKIE, AddressSet
    from edge.app import create_app
    from tests.edge.conftest import rp_config

    allowed = AddressSet(("127.0.0.1", "172.17.0.0/16"))
    assert "172.17.0.1" in allowed and "::ffff:172.17.3.4" in allowed
    assert "10.0.0.1" not in allowed and "not-an-ip" not in allowed
    app = create_app(rp_config(tmp_path, kiosk_addresses=["172.17.0.0/16"], trusted_proxies=1))
    try:
        client = app.test_client()
        assert "172.17.0.9" in app.config["KIOSK_UI"]["allowed_addresses"]
        r = client.get("/", environ_base={"REMOTE_ADDR": "172.17.0.1"})
        assert r.status_code == 200 and r.headers["Set-Cookie"].startswith(KIOSK_COOKIE)
        # Through the one trusted proxy: the client named in X-Forwarded-For decides.
        r = client.get(
            "/",
            headers={"X-Forwarded-For": "198.51.100.4"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        assert r.status_code == 403
    finally:
        app.extensions["cccd_edge"].close()
    plain = create_app(rp_config(tmp_path / "b"))
    try:
        # No trusted proxy: a forged X-Forwarded-For changes nothing.
        r = plain.test_client().get(
            "/",
            headers={"X-Forwarded-For": "127.0.0.1"},
            environ_base={"REMOTE_ADDR": "198.51.100.4"},
        )
        assert r.status_code == 403
    finally:
        plain.extensions["cccd_edge"].close()


# --- the upload fast path never accepts what the schema refuses ------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"files": {"EF_SOD": "AA=="}},
        {"files": {"EF.SOD": "AA==", "DG1": "x"}, "nonce": "n"},
        {"files": {}},
        {"files": {"DG17": "x"}},
        {"files": {"DG1": 1}},
        {"files": {"DG1": "x"}, "nonce": ""},
        {"files": {"DG1": "x"}, "nonce": "a" * 257},
        {"files": {"DG1": "x"}, "extra": 1},
        {"files": {"DG1": "x"}, "nonce": None},
        {"files": {f"DG{i}": "x" for i in range(1, 22)}},
        {"files": {"DG1\n": "x"}},
        [],
        {"files": {"DG1": "x"}, "record": {"full_name": "A"}},
    ],
)
def test_upload_fast_path_agrees_with_the_schema(body):
    from edge.api.documents import _plain_upload
    from edge.api.validation import validator

    if _plain_upload(body):
        assert validator("DocumentUpload").is_valid(body)
    if body in (
        {"files": {"EF_SOD": "AA=="}},
        {"files": {"EF.SOD": "AA==", "DG1": "x"}, "nonce": "n"},
    ):
        assert _plain_upload(body)  # the common case does take the fast path
