"""The service object behind the API: sessions, the reader's owner, verification, signed results.

One ``EdgeService`` per app (``app.extensions["cccd_edge"]``). The real
parts (reader, verifier, face matcher) are imported when first needed, so
the API starts and answers ``/v1/health`` even when one is missing, and says
which in a 503 rather than pretending.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import date as _date
from functools import lru_cache
from typing import Any

from edge.api.errors import Busy, InvalidRequest, ReaderInUse, Unavailable
from edge.api.results import as_dict, build_result, photo_bytes, status_of
from edge.audit import AuditLog, load_or_create_secret
from edge.config import Config, RelyingParty
from edge.face_stage import note_card, run_face_step
from edge.metrics import ServiceMetrics
from edge.profiles import Profile, get_profile
from edge.reader_owner import ReaderBusy, ReaderOwner
from edge.sessions import (
    MAX_BUFFERED_FRAMES,
    SessionEnded,
    SessionStore,
    State,
    VerificationSession,
)
from edge.signing import KioskKey

log = logging.getLogger("cccd_edge.service")

FACE_ROUNDS = 5  # batches of frames tried before a face match is called undetermined
# Seconds after the challenge's deadline to wait for frames still on their way from the kiosk.
LIVENESS_GRACE = 3.0
# Seconds a read and its verification may take once the card is there (a slow contactless link).
READ_BUDGET = 20.0


@lru_cache(maxsize=8)
def _simulator_dataset(index: int):
    from simulators.dataset import build_dataset  # the demo card; never imported by cardreader

    return build_dataset(index)


class EdgeService:
    def __init__(
        self,
        config: Config,
        *,
        rng: Callable[[int], bytes] = os.urandom,
        clock: Callable[[], float] = time.time,
        trust_store: Any = None,
        face_models: Any = None,
        open_transport: Callable[[], Any] | None = None,
    ):
        self.config = config
        self.rng, self.clock = rng, clock
        instance = config.instance_path
        instance.mkdir(parents=True, exist_ok=True)
        self.key = KioskKey.load_or_create(instance / "kiosk-signing-key.pem")
        self.audit = AuditLog(
            config.audit_path,
            load_or_create_secret(instance / "audit-hmac.key", rng),
            kiosk_id=config.kiosk_id,
            clock=clock,
        )
        self.kiosk_token = base64.urlsafe_b64encode(rng(24)).rstrip(b"=").decode()
        self.sessions = SessionStore(
            config.result_ttl,
            max_age=config.result_ttl
            + config.card_timeout
            + config.access_key_timeout
            + config.face_timeout
            + 120,
            rng=rng,
        )
        self.sessions.start_reaper()  # results expire on an idle kiosk too, not only on traffic
        self.reader = ReaderOwner(config.reader, queue_size=config.reader_queue)
        self.metrics = ServiceMetrics(
            queue_length=lambda: self.reader.queue_length,
            sessions_active=lambda: len(self.sessions),
        )
        self._trust_store = trust_store
        self._face_models = face_models
        self._open_transport = open_transport
        self._lock = threading.Lock()
        self.current_session_id: str | None = None
        # SSE streams and long polls each hold a gunicorn thread for up to minutes: at most
        # threads - 2 of them at once, so /v1/health and short API calls always find a thread.
        self.max_waiters = max(1, config.threads - 2)
        self.waiters = threading.BoundedSemaphore(self.max_waiters)

    # --- components, loaded on first use -----------------------------------------------------
    def trust_store(self):
        with self._lock:
            if self._trust_store is None:
                try:
                    from crypto.truststore import TrustStore

                    if self.config.reader == "simulator" and not self.config.trust_store:
                        store = self._demo_trust_store(TrustStore)
                    else:
                        store = TrustStore.open(self.config.trust_store or None)
                    for path in self.config.trust_files:
                        store.import_path(path)
                except ImportError:
                    raise Unavailable(
                        "The verifier (crypto.truststore) is not installed."
                    ) from None
                except Exception as exc:
                    raise Unavailable(
                        getattr(exc, "message", None) or "The trust store could not be opened."
                    ) from None
                self._trust_store = store
            return self._trust_store

    @staticmethod
    def _demo_trust_store(store_cls):
        """Demo mode only (simulator reader, no trust store configured): an in-memory store that
        trusts the simulator's published test CSCA, so the demo card verifies. Never persisted,
        never mixed into an operator's store."""
        from simulators.pki import default_pki

        store = store_cls()
        store.import_bytes(default_pki("ecdsa")[0].der, source="simulator test PKI (demo)")
        return store

    def face_models(self):
        with self._lock:
            if self._face_models is None:
                try:
                    from edge.face import FaceModels

                    self._face_models = FaceModels.load()
                except ImportError:
                    raise Unavailable("The face matcher (edge.face) is not installed.") from None
                except Exception as exc:
                    raise Unavailable(
                        getattr(exc, "message", None) or "The face models could not be loaded."
                    ) from None
            return self._face_models

    def open_transport(self):
        """The reader's transport for one read; waits for a card up to ``card_timeout``."""
        if self._open_transport is not None:
            return self._open_transport()
        if self.config.reader == "simulator":
            from edge.demo_card import demo_transport  # demo mode: a chip photo with a real face

            return demo_transport(self)
        from cardreader.transport.pcsc import PcscTransport

        return PcscTransport.connect(self.config.reader, wait_s=self.config.card_timeout)

    def _components(self) -> dict:
        """Which real parts are installed; looked up once (find_spec imports parent packages)."""
        if getattr(self, "_component_cache", None) is None:
            import importlib.util

            def available(module: str) -> bool:
                try:
                    return importlib.util.find_spec(module) is not None
                except (ImportError, ValueError):
                    return False

            self._component_cache = {
                "reader": available("cardreader.reader"),
                "verifier": available("edge.pipeline"),
                "face": available("edge.face.matcher"),
            }
        return self._component_cache

    def health(self) -> dict:
        return {
            "status": "ok",
            "kiosk_id": self.config.kiosk_id,
            "reader": {
                "mode": {"simulator": "simulator", "none": "none"}.get(self.config.reader, "pcsc"),
                **self.reader.status(),
            },
            "components": dict(self._components()),
            "sessions": len(self.sessions),
        }

    # --- card verifications ------------------------------------------------------------------
    def require(self, *modules: str) -> None:
        """503 now, rather than a session that fails later, when a real part is not installed."""
        import importlib

        for module in modules:
            try:
                importlib.import_module(module)
            except ImportError:
                raise Unavailable(
                    f"A component of the service is not installed ({module})."
                ) from None

    def start(
        self,
        rp: RelyingParty,
        *,
        access_key: Any,
        ask_on_kiosk: bool,
        face_required: bool,
        nonce: str | None,
        record: dict | None,
    ) -> VerificationSession:
        if not self.config.reader_enabled:
            raise Unavailable(
                'This service has no card reader (reader = "none"): it only verifies uploaded '
                "files (POST /v1/documents/verify)."
            )
        profile = get_profile(rp.profile)
        self.require(
            "cardreader.reader", "edge.pipeline", *(("edge.face",) if face_required else ())
        )
        try:
            session = self.sessions.create(
                rp.id,
                profile.name,
                face_match_required=face_required,
                nonce=nonce,
                ask_on_kiosk=ask_on_kiosk,
            )
        except OverflowError:
            raise Busy(
                "Too many verifications are held; retry shortly.", headers={"Retry-After": "5"}
            ) from None
        session.access_key, session.record = access_key, record
        try:
            self.reader.submit(
                lambda: self.run(session, profile),
                exclusive=ask_on_kiosk or face_required,
                budget=self.job_budget(ask_on_kiosk, face_required),
            )
        except ReaderBusy as busy:
            self.sessions.discard(session.id)
            self.metrics.reader_busy.inc(reason=str(busy.status))
            cls = ReaderInUse if busy.status == 409 else Busy
            err = cls(busy.message, headers={"Retry-After": str(busy.retry_after)})
            if busy.status == 503:
                err = Unavailable(busy.message, headers={"Retry-After": str(busy.retry_after)})
            raise err from None
        return session

    def job_budget(self, ask_on_kiosk: bool, face_required: bool) -> float:
        """The longest one verification may hold the reader: its waits added up, plus the read."""
        c = self.config
        return (
            (c.access_key_timeout if ask_on_kiosk else 0.0)
            + c.card_timeout
            + READ_BUDGET
            + (c.face_timeout if face_required else 0.0)
        )

    def run(self, session: VerificationSession, profile: Profile) -> None:
        """The owner thread's job: wait for the key and card, read, verify, match the face."""
        started = time.perf_counter()
        durations: dict[str, float] = {}
        self.current_session_id = session.id
        outcome = {"code": None, "protocol": None, "report": None, "face": None}
        try:
            self._run(session, profile, durations, outcome)
        except SessionEnded:
            # Cancelled from the kiosk while the job ran: the session already says so.
            outcome["code"] = (session.error or {}).get("code", "cancelled")
        except ImportError:
            session.fail("component_unavailable", "A component of the service is not installed.")
            outcome["code"] = "component_unavailable"
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
            outcome["code"] = code
        finally:
            self.current_session_id = None
            total = (time.perf_counter() - started) * 1000
            self._account(session, "card", durations, total, outcome)

    def _run(
        self, session: VerificationSession, profile: Profile, durations: dict, outcome: dict
    ) -> None:
        from cardreader.reader import read_document
        from edge.pipeline import report_from_read

        key = session.access_key
        if key is None and session.options.get("ask_on_kiosk"):
            session.emit("step", step="waiting_for_access_key")
            t = time.perf_counter()
            key = session.wait_for_access_key(self.config.access_key_timeout)
            durations["access_key_entry"] = (time.perf_counter() - t) * 1000
            if key is None:
                if not session.state.final:
                    session.fail(
                        "access_key_timeout", "No access key was entered on the kiosk in time."
                    )
                # Cancelled on the kiosk meanwhile: the audit says so, not a timeout.
                outcome["code"] = (session.error or {}).get("code", "access_key_timeout")
                return
        t = time.perf_counter()
        transport = self.open_transport()
        durations["wait_for_card"] = (time.perf_counter() - t) * 1000
        session.move(State.READING)

        def progress(phase, *args, **kwargs):
            name = getattr(phase, "value", str(phase))
            # The reader's "done" ends the read only; verification steps follow it.
            session.emit("step", step="read_done" if name == "done" else name)

        t = time.perf_counter()
        try:
            result = read_document(transport, key, rng=self.rng, progress=progress)
        finally:
            session.access_key = None  # the key is not needed after the read
            transport.close()
        durations["read"] = (time.perf_counter() - t) * 1000
        for name, timing in (getattr(result.stats, "phases", None) or {}).items():
            durations[f"read.{name}"] = timing.wall_ms
        outcome["protocol"] = result.access_protocol
        if result.error is not None or not result.complete:
            err = result.error
            code = getattr(err, "code", "read_incomplete")
            session.fail(
                code,
                getattr(err, "message", "The card could not be read completely."),
                getattr(err, "step", None),
            )
            outcome["code"] = code
            return
        session.move(State.VERIFYING)
        t = time.perf_counter()
        report = report_from_read(result, self.trust_store())
        durations["verify"] = (time.perf_counter() - t) * 1000
        session.emit(
            "step",
            step="passive_authentication",
            status=status_of(report.verification.passive_authentication).value,
        )
        outcome["report"] = report
        if session.options.get("ask_on_kiosk"):
            # For the kiosk screen only (kiosk_ui hands it over once, then drops it): the chip photo
            # beside the live picture. Never part of a relying party's result, never written.
            session.kiosk_photo = photo_bytes(report)
        note_card(session, report)
        face = None
        if session.options.get("face_match_required"):
            t = time.perf_counter()
            # A face problem gives the face verdict its own reason; the card's verdict stands.
            face = run_face_step(self, session, report)
            durations["face"] = (time.perf_counter() - t) * 1000
            outcome["face"] = face
        t = time.perf_counter()
        result_body = self.result(
            report,
            profile,
            session.relying_party,
            session.id,
            nonce=session.options.get("nonce"),
            kind="card",
            face=face,
            face_required=bool(session.options.get("face_match_required")),
            record=session.record,
        )
        durations["sign"] = (time.perf_counter() - t) * 1000
        session.finish(result_body)

    def _face(self, session: VerificationSession, report: Any) -> dict:
        """The face decision: identity (``match_frames``), and with ``liveness`` on, the head-turn
        challenge (``evaluate``). The verdict rule (match AND liveness passed) is in results.py."""
        from edge.face import match_frames, reference_from_photo

        photo = photo_bytes(report)
        if not photo:
            session.move(State.FACE_CAPTURE)
            face = {"decision": "undetermined", "reasons": ["no_chip_photo"]}
            if self.config.liveness:
                face["liveness"] = liveness_verdict(None, "no_chip_photo")
            return face
        models = self.face_models()
        reference = reference_from_photo(models, photo)
        if self.config.liveness:
            return self._face_with_liveness(session, models, reference)
        session.move(State.FACE_CAPTURE)
        deadline = time.monotonic() + self.config.face_timeout
        last: dict = {"decision": "undetermined", "reasons": ["no_frames"]}
        threshold = self.config.face_threshold or None
        for _ in range(FACE_ROUNDS):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            session.emit("step", step="waiting_for_face")
            frames = session.take_frames(remaining)
            if not frames:
                break
            kwargs = {"threshold": threshold} if threshold else {}
            match = match_frames(models, reference, frames, **kwargs)
            frames.clear()
            last = as_dict(match)
            session.emit("step", step="face_match", decision=last.get("decision"))
            if last.get("decision") in ("match", "no_match"):
                break
        return last

    def _face_with_liveness(
        self, session: VerificationSession, models: Any, reference: Any
    ) -> dict:
        """One challenge per verification: prompts out, timestamped frames in, then one decision."""
        from edge.face import match_frames
        from edge.face.liveness import LivenessChallenge, evaluate, known_frames

        now = self.clock()
        challenge = LivenessChallenge.new(
            self.rng,
            now=now,
            n_steps=self.config.liveness_steps,
            window_s=self.config.liveness_window,
        )
        # Issued before the state changes, so whoever sees face_capture also sees the prompts.
        session.start_liveness(challenge.to_dict())
        session.move(State.FACE_CAPTURE)
        session.emit(
            "step",
            step="liveness_challenge",
            steps=list(challenge.steps),
            deadline=challenge.deadline,
        )
        session.emit("step", step="waiting_for_face")
        # Wait for the client's last frame, or the deadline (plus frames still in flight), never
        # longer than face_timeout. Time in the service clock, waited for on the monotonic one.
        wait = min(max(challenge.deadline - now, 0.0) + LIVENESS_GRACE, self.config.face_timeout)
        timed = session.take_challenge_frames(wait)
        if session.state.final:
            raise SessionEnded(session.id)
        if not timed:
            face = {
                "decision": "undetermined",
                "reasons": ["no_frames"],
                "liveness": liveness_verdict(None, "no_frames"),
            }
            session.liveness_verdict = face["liveness"]
            session.emit(
                "step", step="face_match", decision="undetermined", liveness="not_performed"
            )
            return face
        threshold = self.config.face_threshold or None
        kwargs = {"threshold": threshold} if threshold else {}
        # Identity on the frames of the challenge window only (at most MAX_BUFFERED_FRAMES, spread
        # over the window: each frame costs ~0.15 s, and evaluate analyses them all again).
        inside = _spread(
            [
                frame
                for ts, frame in sorted(timed, key=lambda item: item[0])
                if challenge.accepts(ts)
            ],
            MAX_BUFFERED_FRAMES,
        )
        known = {}
        if inside:
            match = match_frames(models, reference, inside, **kwargs)
            known = known_frames(inside, match)  # liveness reuses the matcher's per-frame work
            face = as_dict(match)
        else:
            face = {"decision": "undetermined", "reasons": ["no_frames_in_window"]}
        live = evaluate(challenge, timed, reference, models=models, known=known, **kwargs)
        timed.clear()
        inside.clear()
        face["liveness"] = liveness_verdict(live)
        session.liveness_verdict = face["liveness"]
        session.emit(
            "step",
            step="face_match",
            decision=face.get("decision"),
            liveness=face["liveness"]["verdict"],
        )
        return face

    # --- uploaded files ------------------------------------------------------------------------
    def verify_files(
        self, rp: RelyingParty, files: dict[str, bytes], nonce: str | None, record: dict | None
    ) -> dict:
        self.require("edge.pipeline")
        from edge.pipeline import report_from_files

        started = time.perf_counter()
        verification_id = self.sessions.new_id()
        profile = get_profile(rp.profile)
        t = time.perf_counter()
        report = report_from_files(files, self.trust_store())
        durations = {"verify": (time.perf_counter() - t) * 1000}
        body = self.result(
            report,
            profile,
            rp.id,
            verification_id,
            nonce=nonce,
            kind="upload",
            face=None,
            face_required=False,
            record=record,
        )
        total = (time.perf_counter() - started) * 1000
        self._account_upload(rp.id, verification_id, report, durations, total)
        return {"id": verification_id, "result": body}

    # --- the result a relying party receives -------------------------------------------------
    def result(
        self,
        report: Any,
        profile: Profile,
        rp_id: str,
        verification_id: str,
        *,
        nonce: str | None,
        kind: str,
        face: dict | None,
        face_required: bool,
        record: dict | None,
    ) -> dict:
        return build_result(
            report,
            profile,
            key=self.key,
            kiosk_id=self.config.kiosk_id,
            rp_id=rp_id,
            verification_id=verification_id,
            nonce=nonce,
            kind=kind,
            face=face,
            face_required=face_required,
            record=record,
            now=int(self.clock()),
        )

    # --- audit and metrics -------------------------------------------------------------------
    def _account(
        self, session: VerificationSession, kind: str, durations: dict, total: float, outcome: dict
    ) -> None:
        report = outcome.get("report")
        claims = (session.result or {}).get("claims", {})
        verdicts = claims.get("verdicts", {})
        codes = list(claims.get("reason_codes", []))
        if outcome.get("code"):
            codes.append(outcome["code"])
        face = outcome.get("face") or {}
        if (
            verdicts.get("face") in ("invalid", "unknown")
            and face.get("decision", "undetermined") != "match"
        ):
            codes.append(f"face_{face.get('decision', 'undetermined')}")
        live = face.get("liveness")
        if live:
            # The verdict has its own column; the reasons behind it stay reason codes.
            codes.extend(f"liveness_{code}" for code in live.get("reason_codes", []))
        codes = unique(codes)
        person = as_dict(getattr(report, "person", None)) if report is not None else {}
        self.audit.record(
            verification_id=session.id,
            relying_party=session.relying_party,
            kind=kind,
            outcome=session.state.value if session.state.final else "failed",
            overall=verdicts.get("overall"),
            passive_authentication=verdicts.get("passive_authentication"),
            chip_authenticity=verdicts.get("chip_authenticity"),
            face=verdicts.get("face"),
            access_protocol=outcome.get("protocol"),
            reason_codes=codes,
            durations=durations,
            total_ms=total,
            id_number=person.get("id_number"),
            liveness=live.get("verdict") if live else None,
            face_decision=face.get("decision") if face else None,
        )
        self._count(
            session.relying_party,
            kind,
            session.state.value,
            verdicts.get("overall"),
            codes,
            durations,
        )

    def _account_upload(
        self, rp_id: str, verification_id: str, report: Any, durations: dict, total: float
    ) -> None:
        v = report.verification
        pa = status_of(v.passive_authentication).value
        codes = unique(v.reason_codes())
        person = as_dict(getattr(report, "person", None))
        self.audit.record(
            verification_id=verification_id,
            relying_party=rp_id,
            kind="upload",
            outcome="done",
            overall=pa,
            passive_authentication=pa,
            chip_authenticity=status_of(v.chip_authenticity).value,
            reason_codes=codes,
            durations=durations,
            total_ms=total,
            id_number=person.get("id_number"),
        )
        self._count(rp_id, "upload", "done", pa, codes, durations)

    def _count(
        self,
        rp_id: str,
        kind: str,
        outcome: str,
        overall: str | None,
        codes: list[str],
        durations: dict,
    ) -> None:
        self.metrics.verifications.inc(
            relying_party=rp_id,
            kind=kind,
            outcome=outcome if overall in (None, "valid") else f"{outcome}_{overall}",
        )
        for code in unique(codes):
            self.metrics.failures.inc(code=code)
        for step, ms in durations.items():
            self.metrics.step_seconds.observe(ms / 1000.0, step=step)

    def close(self) -> None:
        self.sessions.stop_reaper()
        self.reader.stop()
        self.audit.close()


def unique(codes) -> list[str]:
    """Reason codes once each, in the order first met (several checks may give the same code)."""
    return list(dict.fromkeys(codes))


def _spread(items: list, n: int) -> list:
    """At most ``n`` items, evenly spaced, first and last kept."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def liveness_verdict(result: Any, not_performed: str | None = None) -> dict:
    """``passed | failed | not_performed`` and the stable reason codes (no frames, no distances)."""
    if result is None:
        return {
            "verdict": "not_performed",
            "reason_codes": [not_performed] if not_performed else [],
        }
    return {
        "verdict": "passed" if result.passed else "failed",
        "reason_codes": [r.code for r in result.reasons],
        "steps_seen": list(result.steps_seen),
        "frames_in_window": result.frames_in_window,
        "frames_ignored": result.frames_ignored,
    }


def yymmdd_problem(
    value: str, what: str, *, allow_none: bool = False, allow_unknown: bool = False
) -> str | None:
    """Why ``value`` is not a real calendar date YYMMDD (None when it is one).

    ``allow_none``: ``<<<<<<`` (no expiry); ``allow_unknown``: ``<<`` for an unknown month or day,
    as ICAO 9303-3 writes them in an MRZ's date of birth.
    """
    if allow_none and value == "<<<<<<":
        return None
    if len(value) != 6:
        return f"The {what} must be six characters YYMMDD."
    yy, mm, dd = value[:2], value[2:4], value[4:]
    if not yy.isdigit():
        return f"The {what} must start with a two-digit year (YYMMDD)."
    if allow_unknown and mm == "<<":
        return (
            None
            if dd in ("<<",) or (dd.isdigit() and 1 <= int(dd) <= 31)
            else f"The {what} has an impossible day."
        )
    if not mm.isdigit() or not 1 <= int(mm) <= 12:
        return f"The {what} has an impossible month (YYMMDD)."
    if allow_unknown and dd == "<<":
        return None
    if not dd.isdigit():
        return f"The {what} has an impossible day (YYMMDD)."
    # The century is not written: a day that exists in 19YY or 20YY is accepted (29 Feb of 00).
    for century in (2000, 1900):
        try:
            _date(century + int(yy), int(mm), int(dd))
            return None
        except ValueError:
            continue
    return f"The {what} is not a real calendar date (YYMMDD)."


def decode_access_key(body: dict):
    """The access key from a request body (already schema-checked), or None for ask_on_kiosk.

    Checked before the reader is touched: a CAN of six digits, MRZ lines whose check digits
    hold, dates that exist in the calendar (the expiry may be ``<<<<<<``). A 400 with a sentence
    costs nothing; a wrong key costs a card attempt (and PACE may slow the chip down).
    """
    from cardreader.accesskey import AccessKeyError, CanKey, MrzKey

    try:
        if "can" in body:
            return CanKey(body["can"])
        if "mrz" in body:
            key = MrzKey.from_mrz_lines(body["mrz"])
            from_mrz = True
        elif "document_number" in body:
            key = MrzKey(body["document_number"], body["birth_date"], body["expiry_date"])
            from_mrz = False
        else:
            return None
    except AccessKeyError as exc:
        raise InvalidRequest(exc.message) from None
    problem = yymmdd_problem(
        key.birth_date, "date of birth", allow_unknown=from_mrz
    ) or yymmdd_problem(key.expiry_date, "date of expiry", allow_none=True)
    if problem:
        raise InvalidRequest(problem)
    return key
