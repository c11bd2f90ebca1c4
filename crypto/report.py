"""The verification report: one model for the CLI, the API, the screen and the audit log.

Each check has a status, a stable reason code and a plain sentence. Verdicts
are recorded, never thrown. ``unknown`` (for example a CSCA that is not in
the trust store) is its own status and is never shown as valid or invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"
    NOT_PERFORMED = "not_performed"

    def __str__(self) -> str:  # print as the bare word in CLI output
        return self.value


@dataclass(frozen=True)
class Check:
    """One verification step's outcome.

    ``name`` is a stable dotted identifier (``sod.signature``, ``dg_hash.DG2``,
    ``dsc.chain``, ``crl``, ``active_authentication`` ...); ``code`` is a stable
    reason code (``ok``, ``csca_unknown``, ``dg_hash_mismatch`` ...); ``message``
    a plain sentence for a person; ``details`` non-personal facts (algorithms,
    dates, subject names of certificates) for operators.
    """

    name: str
    status: Status
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "code": self.code,
            "message": self.message,
            "details": self.details,
        }


def combine(statuses: list[Status]) -> Status:
    """Overall verdict of several required verdicts; the rule lives in ``crypto.verdicts``."""
    from crypto.verdicts import combine as rule  # crypto.verdicts imports this module

    return rule(statuses)


@dataclass
class VerificationReport:
    """Every check made on one document, plus the overall verdicts (rules: ``crypto.verdicts``).

    ``document_currency`` ("current" | "expired" | "unknown") is apart from authenticity: a
    genuine expired document is ``passive_authentication`` valid and ``expired``.
    """

    checks: list[Check] = field(default_factory=list)
    passive_authentication: Status = Status.NOT_PERFORMED
    chip_authenticity: Status = Status.NOT_PERFORMED
    document_currency: str = "unknown"

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def get(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def reason_codes(self) -> list[str]:
        """Codes of every check that is not valid: what the audit log keeps."""
        return [c.code for c in self.checks if c.status is not Status.VALID]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passive_authentication": self.passive_authentication.value,
            "chip_authenticity": self.chip_authenticity.value,
            "document_currency": str(self.document_currency),
            "checks": [c.to_dict() for c in self.checks],
        }
