"""One card verification, as the reader's owner thread runs it.

Wait for the access key (typed on the kiosk) and the card, read, verify,
match the face, sign the result; every failure becomes a failed session with
its typed code and plain sentence, and every run ends with one audit row.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from edge.api.accounting import RunOutcome, account_card
from edge.api.face_step import run_face_stage
from edge.api.results import report_view, status_of
from edge.profiles import Profile
from edge.sessions import SessionEnded, State, VerificationSession

log = logging.getLogger("cccd_edge.service")


def run_card_verification(service: Any, session: VerificationSession, profile: Profile) -> None:
    """The owner thread's job: never raises; the session and the audit say how it ended."""
    started = time.perf_counter()
    service.current_session_id = session.id
    outcome = RunOutcome()
    try:
        _run(service, session, profile, outcome)
    except SessionEnded:
        # Cancelled from the kiosk while the job ran: the session already says so.
        outcome.code = (session.error or {}).get("code", "cancelled")
    except ImportError:
        session.fail("component_unavailable", "A component of the service is not installed.")
        outcome.code = "component_unavailable"
    except Exception as exc:  # typed errors become a failed session with their sentence
        code = getattr(exc, "code", None)
        code = code if isinstance(code, str) else "internal_error"
        message = getattr(exc, "message", None) or "The verification failed unexpectedly."
        if code == "internal_error":
            log.error(
                "verification job failed",
                extra={"verification_id": session.id, "code": type(exc).__name__},
            )
        session.fail(code, message, getattr(exc, "step", None))
        outcome.code = code
    finally:
        service.current_session_id = None
        account_card(service, session, outcome, (time.perf_counter() - started) * 1000)


def _ms_since(t: float) -> float:
    return (time.perf_counter() - t) * 1000


def _run(service: Any, session: VerificationSession, profile: Profile, outcome: RunOutcome) -> None:
    from cardreader.reader import read_document
    from edge.pipeline import report_from_read

    durations = outcome.durations
    key = session.access_key
    if key is None and session.options.get("ask_on_kiosk"):
        session.emit("step", step="waiting_for_access_key")
        t = time.perf_counter()
        key = session.wait_for_access_key(service.config.access_key_timeout)
        durations["access_key_entry"] = _ms_since(t)
        if key is None:
            if not session.state.final:
                session.fail(
                    "access_key_timeout", "No access key was entered on the kiosk in time."
                )
            # Cancelled on the kiosk meanwhile: the audit says so, not a timeout.
            outcome.code = (session.error or {}).get("code", "access_key_timeout")
            return
    t = time.perf_counter()
    transport = service.open_transport()
    durations["wait_for_card"] = _ms_since(t)
    session.move(State.READING)

    def progress(phase: Any, *args: Any, **kwargs: Any) -> None:
        name = getattr(phase, "value", str(phase))
        # The reader's "done" ends the read only; verification steps follow it.
        session.emit("step", step="read_done" if name == "done" else name)

    t = time.perf_counter()
    try:
        result = read_document(transport, key, rng=service.rng, progress=progress)
    finally:
        session.access_key = None  # the key is not needed after the read
        transport.close()
    durations["read"] = _ms_since(t)
    for name, timing in (getattr(result.stats, "phases", None) or {}).items():
        durations[f"read.{name}"] = timing.wall_ms
    outcome.protocol = result.access_protocol
    if result.error is not None or not result.complete:
        err = result.error
        code = getattr(err, "code", "read_incomplete")
        session.fail(
            code,
            getattr(err, "message", "The card could not be read completely."),
            getattr(err, "step", None),
        )
        outcome.code = code
        return
    session.move(State.VERIFYING)
    t = time.perf_counter()
    report = report_from_read(
        result,
        service.trust_store(),
        reader=getattr(transport, "reader", None),
        atr=getattr(transport, "atr", b"") or b"",
    )
    durations["verify"] = _ms_since(t)
    session.emit(
        "step",
        step="passive_authentication",
        status=status_of(report.verification.passive_authentication).value,
    )
    outcome.report = report
    if session.options.get("face_match_required"):
        service.insurance.start(report, profile.name)  # the gateway's wait overlaps the face's
    if session.options.get("ask_on_kiosk"):
        # For the kiosk screen only (kiosk_ui hands it over once, then drops it): the chip photo
        # beside the live picture. Never part of a relying party's result, never written.
        session.kiosk_photo = report.photo_bytes()
    # For the kiosk screen (no personal data): a genuine but expired card reads as such.
    session.document_currency = str(report.verification.document_currency)
    if session.options.get("face_match_required"):
        t = time.perf_counter()
        # A face problem gives the face verdict its own reason; the card's verdict stands.
        report.face, report.liveness = run_face_stage(service, session, report)
        durations["face"] = _ms_since(t)
    service.complete_report(report, profile, "card")
    t = time.perf_counter()
    body = service.result(
        report,
        profile,
        session.relying_party,
        session.id,
        nonce=session.options.get("nonce"),
        kind="card",
        face_required=bool(session.options.get("face_match_required")),
        record=session.record,
    )
    durations["sign"] = _ms_since(t)
    session.report = report_view(report, profile)
    session.finish(body)
