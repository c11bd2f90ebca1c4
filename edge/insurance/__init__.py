"""The BHYT (health-insurance) eligibility check, from a verified chip to the signed result.

``InsuranceCheck`` is what the service holds: ``claims(report, profile)`` gives the extra claims
of a profile that gets the check (``insurance`` and, when a card is named, ``fhir_coverage``),
or ``{}`` when the check is off or the profile does not get it.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from edge.insurance.check import insurance_result
from edge.insurance.coverage import coverage_from_insurance
from edge.insurance.gateway import GatewayClient
from edge.insurance.settings import InsuranceSettings


class InsuranceCheck:
    def __init__(self, settings: InsuranceSettings) -> None:
        self.settings = settings
        self.client = GatewayClient(settings) if settings.enabled else None

    def applies_to(self, profile_name: str) -> bool:
        return self.client is not None and self.settings.applies_to(profile_name)

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
        person = _person(report)
        pa = getattr(report.verification, "passive_authentication", None)
        pa_text = str(getattr(pa, "value", pa) or "")
        today = date.fromtimestamp(time.time() if now is None else now)
        insurance = insurance_result(self.client, person, pa_text, today)
        insurance["correction"] = (
            f"/v1/verifications/{verification_id}/insurance-correction"
            if verification_id and insurance["status"] == "record_mismatch"
            else None
        )
        out: dict[str, Any] = {"insurance": insurance}
        coverage = coverage_from_insurance(insurance, person.get("id_number"))
        if coverage is not None:
            out["fhir_coverage"] = coverage
        return out

    def close(self) -> None:
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


__all__ = ["InsuranceCheck", "InsuranceSettings", "audit_fields"]
