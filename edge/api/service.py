"""The service object behind the API: one ``EdgeService`` per app (``app.extensions["cccd_edge"]``).

A thin facade over modules named after their jobs; its public names stay here
so the API, ``kiosk_ui``'s host and other modules find them in one place:

- ``edge.api.components``: the trust store and the face models, loaded on first use
  (a missing part is a 503 that says which, not a pretence);
- ``edge.api.reader_access``: the reader's transport (the demo card only in demo mode);
- ``edge.api.card_run``: one card verification on the reader's owner thread;
- ``edge.api.face_step``: the face match and the liveness challenge;
- ``edge.api.results``: the signed result and the verdict rule;
- ``edge.api.accounting``: the audit row and the metrics;
- ``edge.api.access_key``: the access key from a request, checked before the card is touched.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from cardreader.mrz import yymmdd_problem  # the one YYMMDD check, under its old import path
from edge.api.access_key import decode_access_key
from edge.api.accounting import account_upload, unique
from edge.api.card_run import run_card_verification
from edge.api.components import Components
from edge.api.errors import Busy, ReaderInUse, Unavailable
from edge.api.face_step import FACE_ROUNDS, LIVENESS_GRACE, liveness_verdict, spread
from edge.api.reader_access import open_transport
from edge.api.results import build_result, report_view
from edge.audit import AuditLog, load_or_create_secret
from edge.config import Config, RelyingParty
from edge.insurance import InsuranceCheck
from edge.metrics import ServiceMetrics
from edge.profiles import Profile, get_profile
from edge.reader_owner import ReaderBusy, ReaderOwner
from edge.sessions import SessionStore, VerificationSession
from edge.signing import KioskKey

__all__ = [
    "FACE_ROUNDS",
    "LIVENESS_GRACE",
    "READ_BUDGET",
    "EdgeService",
    "decode_access_key",
    "liveness_verdict",
    "unique",
    "yymmdd_problem",
]

# Seconds a read and its verification may take once the card is there (a slow contactless link).
READ_BUDGET = 20.0
_spread = spread  # the old private name, still imported by tests


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
        self.components = Components(config, trust_store=trust_store, face_models=face_models)
        self._demo_lock = threading.Lock()
        self._demo_photo: Any = None
        self.insurance = InsuranceCheck(config.insurance)  # off without a gateway URL
        self._open_transport = open_transport
        self.current_session_id: str | None = None
        # Steps that add a part to a verified report before it is signed (the insurance check):
        # each is called as hook(report, profile, kind) and fills its own slot of the report.
        self.report_hooks: list[Callable[[Any, Profile, str], None]] = []
        # SSE streams and long polls each hold a gunicorn thread for up to minutes: at most
        # threads - 2 of them at once, so /v1/health and short API calls always find a thread.
        self.max_waiters = max(1, config.threads - 2)
        self.waiters = threading.BoundedSemaphore(self.max_waiters)

    # --- components, loaded on first use -----------------------------------------------------
    def trust_store(self) -> Any:
        return self.components.trust_store()

    def face_models(self) -> Any:
        return self.components.face_models()

    def open_transport(self) -> Any:
        """The reader's transport for one read; waits for a card up to ``card_timeout``."""
        if self._open_transport is not None:
            return self._open_transport()
        return open_transport(self.config, demo_photo=self.demo_photo())

    def demo_photo(self) -> Any:
        """Demo mode only: the person's own photo for the next demo card (``edge.demo.DemoPhoto``,
        in memory); None on a kiosk with a real reader."""
        if self.config.reader != "simulator":
            return None
        with self._demo_lock:
            if self._demo_photo is None:
                from edge.demo import DemoPhoto  # demo mode only

                self._demo_photo = DemoPhoto()
            return self._demo_photo

    def require(self, *modules: str) -> None:
        self.components.require(*modules)

    def health(self) -> dict:
        face = self.components.face_status()
        components = dict(self.components.installed())
        components["face"] = components.get("face", False) and face["available"]
        return {
            "status": "ok",
            "kiosk_id": self.config.kiosk_id,
            "reader": {
                "mode": {"simulator": "simulator", "none": "none"}.get(self.config.reader, "pcsc"),
                **self.reader.status(),
            },
            "components": components,
            "face_model": face,
            "sessions": len(self.sessions),
        }

    # --- card verifications ------------------------------------------------------------------
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
        if face_required:
            face = self.components.face_status()
            if not face["available"]:  # 503 with the reason now, not a session that fails later
                raise Unavailable(face["reason"])
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
            headers = {"Retry-After": str(busy.retry_after)}
            if busy.status == 503:
                raise Unavailable(busy.message, headers=headers) from None
            cls = ReaderInUse if busy.status == 409 else Busy
            raise cls(busy.message, headers=headers) from None
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
        run_card_verification(self, session, profile)

    def complete_report(self, report: Any, profile: Profile, kind: str) -> None:
        """Run the report hooks (card reads and uploads): after verification, before signing."""
        for hook in self.report_hooks:
            hook(report, profile, kind)

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
        self.complete_report(report, profile, "upload")
        body = self.result(
            report,
            profile,
            rp.id,
            verification_id,
            nonce=nonce,
            kind="upload",
            face_required=False,
            record=record,
        )
        total = (time.perf_counter() - started) * 1000
        account_upload(
            self, rp.id, verification_id, report, durations, total, body["claims"], profile
        )
        return {"id": verification_id, "result": body, "report": report_view(report, profile)}

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
        face: Any = None,
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
            extra_claims=self.insurance.claims(
                report,
                profile.name,
                now=self.clock(),
                verification_id=verification_id if kind == "card" else None,
            ),
        )

    def close(self) -> None:
        self.sessions.stop_reaper()
        self.reader.stop()
        self.insurance.close()
        self.audit.close()
