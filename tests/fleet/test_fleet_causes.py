"""Failures by first cause: a stable priority of causes, not the audit's alphabetical order."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest

from edge.causes import failure_causes, first_cause, first_of, rank
from edge.fleet.db import Database
from edge.fleet.protocol import shippable
from edge.fleet.recount import recount_causes
from edge.fleet.store import FleetStore, normalise_event
from tests.fleet.conftest import ROOT, audit_event


def _row(codes: list[str], **columns) -> dict:
    """An audit row as stored: reason codes sorted, as ``edge.audit`` writes them."""
    row = {
        "outcome": "done",
        "overall": "invalid",
        "kind": "card",
        "passive_authentication": "valid",
        "chip_authenticity": "valid",
        "face": None,
        "liveness": None,
        "insurance_status": None,
        "reason_codes": json.dumps(sorted(codes)),
    }
    row.update(columns)
    return row


# (audit row, the first real cause). In each, the alphabetically first code is not the cause.
CASES = [
    # A forged document whose CRL is missing: the signature, not the notice.
    (
        _row(
            ["aa_not_supported", "crl_absent", "dg_hash_mismatch"],
            passive_authentication="invalid",
            overall="invalid",
        ),
        "dg_hash_mismatch",
    ),
    (
        _row(
            ["ca_failed", "signature_invalid"],
            passive_authentication="invalid",
            chip_authenticity="invalid",
        ),
        "signature_invalid",
    ),
    # Unknown issuer before the face; crl_absent is never a cause.
    (
        _row(
            ["crl_absent", "csca_unknown", "face_no_match"],
            passive_authentication="unknown",
            face="invalid",
            overall="invalid",
        ),
        "csca_unknown",
    ),
    # A chip proven by Chip Authentication still lists aa_not_supported: no cause then.
    (_row(["aa_not_supported", "face_no_match"], face="invalid"), "face_no_match"),
    # The read stopped: the reading problem first, whatever the partial checks said.
    (
        _row(
            ["aa_not_run", "card_removed", "dg_not_read", "read_incomplete"],
            outcome="failed",
            overall=None,
            passive_authentication=None,
            chip_authenticity=None,
        ),
        "card_removed",
    ),
    (
        _row(
            ["access_key_rejected", "aa_not_supported"],
            outcome="failed",
            overall=None,
            passive_authentication=None,
            chip_authenticity=None,
        ),
        "access_key_rejected",
    ),
    # An expired document accepted by the profile, refused for the face: the face.
    (_row(["document_expired", "face_no_match"], face="invalid"), "face_no_match"),
    # Refused for being expired (every authenticity verdict valid): the expiry.
    (_row(["crl_stale", "document_expired"]), "document_expired"),
    # An upload's chip is never proven: ca_not_run is no cause of its refusal.
    (
        _row(["ca_not_run", "document_expired"], kind="upload", chip_authenticity="not_performed"),
        "document_expired",
    ),
    (
        _row(
            ["crl_absent", "document_expired", "offline_dump"],
            kind="upload",
            chip_authenticity="not_performed",
        ),
        "document_expired",
    ),
    # The specific liveness reason before the verdict column's bare "failed".
    (
        _row(["aa_not_supported", "liveness_steps_not_seen"], face="invalid", liveness="failed"),
        "liveness_steps_not_seen",
    ),
    # The chip not proven at all: its codes are the cause.
    (
        _row(
            ["aa_not_supported", "ca_not_supported"],
            chip_authenticity="not_performed",
            overall="unknown",
        ),
        "ca_not_supported",
    ),
    # Insurance comes last: after a document problem, and alone only when nothing else failed.
    (
        _row(
            ["dg_hash_mismatch"], passive_authentication="invalid", insurance_status="not_eligible"
        ),
        "dg_hash_mismatch",
    ),
    (_row([], insurance_status="not_eligible"), "insurance_not_eligible"),
    # Only notices: the verdict that is not valid names the failure, never crl_stale.
    (
        _row(["crl_stale"], passive_authentication="unknown", overall="unknown"),
        "passive_authentication_unknown",
    ),
    # A code this module does not know is still a cause, before the insurance.
    (
        _row(
            ["crl_absent", "zz_new_problem"],
            outcome="failed",
            overall=None,
            insurance_status="unavailable",
        ),
        "zz_new_problem",
    ),
]


@pytest.mark.parametrize(("row", "cause"), CASES)
def test_first_real_cause_not_alphabetical(row, cause):
    codes = json.loads(row["reason_codes"])
    assert codes == sorted(codes)
    assert first_cause(row) == cause
    assert failure_causes(row)[0] == cause


def test_successes_and_notices_are_never_failures():
    ok = _row(["crl_absent", "document_expired", "ok"], overall="valid")
    assert first_cause(ok) is None and failure_causes(ok) == []
    assert first_of(["crl_absent", "crl_stale", "ok", "liveness_passed"]) is None
    assert first_of(["face_no_match", "crl_absent", "card_removed"]) == "card_removed"
    # Stable: the same codes in any order give the same ranking.
    codes = ["zz_b", "face_no_match", "csca_unknown", "zz_a", "no_card", "ca_failed"]
    assert sorted(codes, key=rank) == sorted(reversed(codes), key=rank)
    assert sorted(codes, key=rank) == [
        "no_card",
        "csca_unknown",
        "ca_failed",
        "face_no_match",
        "zz_a",
        "zz_b",
    ]


def test_ingest_keys_the_rollup_by_first_real_cause(fleet_db):
    db = Database(fleet_db)
    store = FleetStore(db)
    now = datetime.now(UTC)
    store.enrol("k1", {"kty": "EC"}, "t1", "", now)
    events = []
    for i, (row, _cause) in enumerate(CASES):
        shipped = {**audit_event(i, "k1", ok=False), **row}
        events.append(normalise_event(shipped, "k1", now))
    assert store.ingest("k1", events, nonce="nonce-causes-1", now=now) == len(CASES)
    expected = Counter(cause for _, cause in CASES)
    got = {f["first_cause"]: f["failures"] for f in store.failures(7, now)}
    assert got == expected
    # Nothing counted under a notice or under the alphabetically first code.
    assert not {"crl_absent", "crl_stale", "aa_not_supported", "ca_failed"} & set(got)
    with db.transaction() as tx:
        stored = dict(tx.all("SELECT event_id, first_cause FROM events"))
    assert stored["k1-ev-0"] == "dg_hash_mismatch"
    db.close()


def test_real_audit_rows_of_the_kiosk_service(tmp_path):
    """Rows written by the kiosk service itself (the virtual CCCD in process, a tampered upload)."""
    from tests.edge.conftest import auth
    from tests.edge.test_api_card import DS, _files, _make, finish, start

    files = _files(DS)
    files["DG13"] = files["DG13"][:-1] + bytes([files["DG13"][-1] ^ 0x01])
    upload = {"files": {k: base64.b64encode(v).decode() for k, v in files.items()}}
    for trusted, card_cause in ((True, None), (False, "csca_unknown")):
        app = _make(tmp_path / str(trusted), trusted=trusted)
        try:
            client = app.test_client()
            r = client.post("/v1/documents/verify", headers=auth("school"), json=upload)
            assert r.status_code == 200
            finish(client, start(client))
            rows = {r["kind"]: r for r in app.extensions["cccd_edge"].audit.rows()}
        finally:
            app.extensions["cccd_edge"].close()
        for kind, cause in (("card", card_cause), ("upload", "dg_hash_mismatch")):
            codes = json.loads(rows[kind]["reason_codes"])
            assert first_cause(rows[kind]) == cause, (kind, codes)
            # What the fleet stores, from the row as the kiosk ships it.
            event = normalise_event(shippable(rows[kind]), rows[kind]["kiosk_id"])
            assert event.first_cause == cause
            if cause is not None:
                # The audit's alphabetical order would have named a notice or a bystander
                # (crl_absent, aa_key_not_authenticated ...).
                assert codes == sorted(codes) and codes[0] != cause


def _old_rule(store: FleetStore, db: Database) -> None:
    """Key the stored failures as the first release did (the audit's first code), rollups too."""
    with db.transaction() as tx:
        rows = tx.all("SELECT kiosk_id, event_id, at, data FROM events WHERE NOT succeeded")
        tx.execute("DELETE FROM rollup_causes")
        for kiosk_id, event_id, at, data in rows:
            data = json.loads(data) if isinstance(data, str) else data
            old = (data["reason_codes"] or ["unspecified"])[0]
            tx.execute(
                "UPDATE events SET first_cause = %s WHERE kiosk_id = %s AND event_id = %s "
                "AND at = %s",
                (old, kiosk_id, event_id, at),
            )
            day = (at if isinstance(at, datetime) else datetime.fromisoformat(at)).astimezone(
                store.zone
            )
            tx.execute(
                "INSERT INTO rollup_causes VALUES (%s, %s, 1) ON CONFLICT (day, first_cause) "
                "DO UPDATE SET n = rollup_causes.n + 1",
                (day.date(), old),
            )


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_recount_gives_old_failures_the_rule(engine, request, tmp_path):
    url = request.getfixturevalue("fleet_db") if engine == "postgresql" else None
    db = Database(url, sqlite_path=tmp_path / "fleet" / "fleet.sqlite")
    store = FleetStore(db)
    now = datetime.now(UTC)
    store.enrol("k1", {"kty": "EC"}, "t1", "", now)
    events = [
        normalise_event({**audit_event(i, "k1", ok=False), **row}, "k1", now)
        for i, (row, _) in enumerate(CASES)
    ]
    ok = [normalise_event(audit_event(100 + i, "k1"), "k1", now) for i in range(3)]
    assert store.ingest("k1", events + ok, nonce="nonce-recount", now=now) == len(CASES) + 3
    expected = Counter(cause for _, cause in CASES)
    _old_rule(store, db)
    wrong = {f["first_cause"]: f["failures"] for f in store.failures(7, now)}
    assert wrong != expected and "aa_not_supported" in wrong

    changed = sum(1 for row, cause in CASES if _first_code(row) != cause)
    if engine == "sqlite":  # through the command, on the demo engine's file
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CCCD_EDGE_FLEET_DIR": str(tmp_path / "fleet"),
        }
        out = subprocess.run(
            [sys.executable, "-m", "edge.cli", "fleet", "recount-causes"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert f"{changed} failures given a new first cause" in out.stdout
    else:
        result = recount_causes(db, store.timezone)
        assert result.events_changed == changed and result.days_recounted >= 1
    assert {f["first_cause"]: f["failures"] for f in store.failures(7, now)} == expected
    # Run again: nothing left to change, the same counts.
    assert recount_causes(db, store.timezone).events_changed == 0
    assert {f["first_cause"]: f["failures"] for f in store.failures(7, now)} == expected
    db.close()


def _first_code(row: dict) -> str:
    return (json.loads(row["reason_codes"]) or ["unspecified"])[0]
