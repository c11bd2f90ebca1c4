"""The audit row and the metrics of each verification, both derived from the typed report.

The row holds verdicts, reason codes, durations and a keyed hash of the ID
number: never a name, a photo or a date. The verdicts are computed by the
same rule as the signed result's (``edge.api.results.verdicts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from edge.api.results import verdicts
from edge.insurance import audit_fields
from edge.profiles import Profile, get_profile
from edge.report import DocumentReport


def unique(codes: Iterable[str]) -> list[str]:
    """Reason codes once each, in the order first met (several checks may give the same code)."""
    return list(dict.fromkeys(codes))


@dataclass
class RunOutcome:
    """What one verification job produced, for the audit: the failure code or the report."""

    code: str | None = None  # the session's failure code, when it failed
    protocol: str | None = None  # the access protocol the read used
    report: DocumentReport | None = None
    durations: dict[str, float] = field(default_factory=dict)


def reason_codes(report: DocumentReport | None, verdict: dict[str, str], code: str | None) -> list:
    codes = list(report.verification.reason_codes()) if report is not None else []
    if code:
        codes.append(code)
    face = report.face if report is not None else None
    live = report.liveness if report is not None else None
    if face is not None and verdict.get("face") in ("invalid", "unknown"):
        if face.decision != "match":
            codes.append(f"face_{face.decision}")
    if live is not None:
        # The verdict has its own column; the reasons behind it stay reason codes.
        codes.extend(f"liveness_{c}" for c in live.reason_codes)
    return unique(codes)


def account_card(
    service: Any, session: Any, outcome: RunOutcome, total_ms: float, kind: str = "card"
) -> None:
    report = outcome.report
    finished = session.result is not None and report is not None
    verdict = (
        verdicts(
            report,
            kind=kind,
            face_required=bool(session.options.get("face_match_required")),
            profile=get_profile(session.profile),
        )
        if finished
        else {}
    )
    codes = reason_codes(report if finished else None, verdict, outcome.code)
    if not finished and report is not None and report.liveness is not None:
        codes = unique(codes + [f"liveness_{c}" for c in report.liveness.reason_codes])
    person = report.person if report is not None else None
    face = report.face if report is not None else None
    live = report.liveness if report is not None else None
    service.audit.record(
        verification_id=session.id,
        relying_party=session.relying_party,
        kind=kind,
        outcome=session.state.value if session.state.final else "failed",
        overall=verdict.get("overall"),
        passive_authentication=verdict.get("passive_authentication"),
        chip_authenticity=verdict.get("chip_authenticity"),
        face=verdict.get("face"),
        access_protocol=outcome.protocol,
        reason_codes=codes,
        durations=outcome.durations,
        total_ms=total_ms,
        id_number=person.id_number if person is not None else None,
        liveness=live.verdict if live is not None else None,
        face_decision=face.decision if face is not None else None,
        **audit_fields((session.result or {}).get("claims") or {}),
    )
    count(
        service,
        session.relying_party,
        kind,
        session.state.value,
        verdict.get("overall"),
        codes,
        outcome.durations,
    )


def account_upload(
    service: Any,
    rp_id: str,
    verification_id: str,
    report: DocumentReport,
    durations: dict[str, float],
    total_ms: float,
    claims: dict[str, Any] | None = None,
    profile: Profile | None = None,
) -> None:
    verdict = verdicts(report, kind="upload", face_required=False, profile=profile)
    codes = reason_codes(report, verdict, None)
    service.audit.record(
        verification_id=verification_id,
        relying_party=rp_id,
        kind="upload",
        outcome="done",
        overall=verdict["overall"],
        passive_authentication=verdict["passive_authentication"],
        chip_authenticity=verdict["chip_authenticity"],
        reason_codes=codes,
        durations=durations,
        total_ms=total_ms,
        id_number=report.person.id_number if report.person is not None else None,
        **audit_fields(claims or {}),
    )
    count(service, rp_id, "upload", "done", verdict["overall"], codes, durations)


def count(
    service: Any,
    rp_id: str,
    kind: str,
    outcome: str,
    overall: str | None,
    codes: list[str],
    durations: dict[str, float],
) -> None:
    service.metrics.verifications.inc(
        relying_party=rp_id,
        kind=kind,
        outcome=outcome if overall in (None, "valid") else f"{outcome}_{overall}",
    )
    for code in unique(codes):
        service.metrics.failures.inc(code=code)
    for step, ms in durations.items():
        service.metrics.step_seconds.observe(ms / 1000.0, step=step)
