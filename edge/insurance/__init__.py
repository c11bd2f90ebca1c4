"""The BHYT (health-insurance) eligibility check, from a verified chip to the signed result.

``InsuranceCheck`` is what the service holds: ``claims(report, profile)`` gives the extra claims
of a profile that gets the check (``insurance`` and, when a card is named, ``fhir_coverage``),
or ``{}`` when the check is off or the profile does not get it. ``start(report, profile)``,
called as soon as the report exists, asks the gateway in the background so that its latency
overlaps the face capture; ``claims`` then takes that answer instead of asking again.
"""

from __future__ import annotations

import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from edge.insurance.check import insurance_result
from edge.insurance.coverage import coverage_from_insurance
from edge.insurance.gateway import GatewayClient
from edge.insurance.settings import InsuranceSettings

BACKGROUND_CHECKS = 4  # gateway checks running ahead of their results at once


@dataclass(frozen=True)
class InsurancePart:
    """The ``insurance`` object as the report's part (``edge.report.ReportPart``)."""

    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


class InsuranceCheck:
    def __init__(self, settings: InsuranceSettings) -> None:
        self.settings = settings
        self.client = GatewayClient(settings) if settings.enabled else None
        self._pool: ThreadPoolExecutor | None = None
        # id(report) -> (weak reference to the report, the answer on its way)
        self._pending: dict[int, tuple[weakref.ref, Future]] = {}
        self._lock = threading.Lock()

    def applies_to(self, profile_name: str) -> bool:
        return self.client is not None and self.settings.applies_to(profile_name)

    def start(self, report: Any, profile_name: str, *, now: float | None = None) -> None:
        """Ask now, in the background; ``claims`` for the same report takes the answer."""
        if not self.applies_to(profile_name):
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(BACKGROUND_CHECKS, thread_name_prefix="bhyt")
            # Reports whose result was never built (a cancelled session) are dropped here.
            for key in [k for k, (ref, _) in self._pending.items() if ref() is None]:
                del self._pending[key]
            future = self._pool.submit(self._insurance, report, now)
            self._pending[id(report)] = (weakref.ref(report), future)

    def claims(
        self,
        report: Any,
        profile_name: str,
        *,
        now: float | None = None,
        verification_id: str | None = None,
    ) -> dict:
        """``verification_id``: the held result's id (card verifications), for the correction link;
        None for an upload, whose result is not held."""
        if self.client is None or not self.applies_to(profile_name):
            return {}
        with self._lock:
            ref, future = self._pending.pop(id(report), (None, None))
        if future is not None and ref is not None and ref() is report:
            insurance = future.result()  # bounded: the client gives up after its timeout
        else:
            insurance = self._insurance(report, now)
        insurance["correction"] = (
            f"/v1/verifications/{verification_id}/insurance-correction"
            if verification_id and insurance["status"] == "record_mismatch"
            else None
        )
        # The same part in the report (``DocumentReport.insurance``: personal, like the person).
        report.insurance = InsurancePart(insurance)
        out: dict[str, Any] = {"insurance": insurance}
        coverage = coverage_from_insurance(insurance, _person(report).get("id_number"))
        if coverage is not None:
            out["fhir_coverage"] = coverage
        return out

    def _insurance(self, report: Any, now: float | None) -> dict[str, Any]:
        assert self.client is not None
        pa = getattr(report.verification, "passive_authentication", None)
        pa_text = str(getattr(pa, "value", pa) or "")
        today = date.fromtimestamp(time.time() if now is None else now)
        return insurance_result(self.client, _person(report), pa_text, today)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.client is not None:
            self.client.close()


def _person(report: Any) -> dict:
    person = getattr(report, "person", None)
    if person is None:
        return {}
    if isinstance(person, dict):
        return person
    return person.to_dict()


def audit_fields(claims: dict) -> dict[str, str | None]:
    """The audit columns: the status and the gateway's code (or our reason when it gave none)."""
    insurance = claims.get("insurance") if isinstance(claims, dict) else None
    if not insurance:
        return {"insurance_status": None, "insurance_code": None}
    return {
        "insurance_status": insurance.get("status"),
        "insurance_code": insurance.get("code") or insurance.get("reason"),
    }


__all__ = ["InsuranceCheck", "InsurancePart", "InsuranceSettings", "audit_fields"]
