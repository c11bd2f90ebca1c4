"""The verdict rules: how checks combine into the report's overall verdicts (one module).

``passive_authentication`` - is the document's data genuine? Judged at the
signing time, so an old genuine document stays ``valid``:
  the SOD signature and the DSC -> CSCA chain must both be ``valid``, else the
  verdict is at best ``unknown``; among the other performed checks any
  ``invalid`` makes it ``invalid``, else any ``unknown`` makes it ``unknown``;
  ``not_performed`` checks (no CRL published, a DG not read) do not count, and
  the currency checks below never count. A read that stopped early (the card
  was taken away: ``complete`` False) is never ``valid``, at best ``unknown``.

``chip_authenticity`` - is this the chip the SOD was issued for (not a copy)?
  Of ``active_authentication`` and ``chip_authentication``, those performed
  decide: any ``invalid`` -> invalid; else any ``valid`` -> valid; else any
  ``unknown`` -> unknown; none performed -> not_performed.

``document_currency`` - is the document still current today? Apart from
authenticity, from the checks ``document_expiry`` (the date in DG1/DG13),
``dsc_expiry`` and ``csca_expiry`` (today against the certificates):
  any of them ``invalid`` (expired) -> ``expired``; else ``document_expiry``
  ``valid`` -> ``current``; else ``unknown`` (no expiry date was read). An
  expired signer means an expired document: ICAO sizes a document signer's
  validity to cover the documents it signs.

``combine`` - the overall verdict of several required verdicts (the API's
``overall``): any invalid -> invalid; all valid -> valid; all not performed ->
not_performed; otherwise unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from crypto.report import Check, Status

CURRENCY_CHECKS = ("document_expiry", "dsc_expiry", "csca_expiry")
# Without these two, nothing vouches for the document, whatever the other checks say.
REQUIRED_FOR_AUTHENTICITY = ("sod.signature", "dsc.chain")
READ_INCOMPLETE = "read_incomplete"


class Currency(StrEnum):
    CURRENT = "current"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def _by_name(checks: Iterable[Check]) -> dict[str, Check]:
    out: dict[str, Check] = {}
    for check in checks:
        out.setdefault(check.name, check)
    return out


def passive_authentication(checks: Iterable[Check], *, read_complete: bool = True) -> Status:
    checks = list(checks)
    named = _by_name(checks)
    if "sod.parse" in named and named["sod.parse"].status is Status.NOT_PERFORMED:
        return Status.NOT_PERFORMED  # no EF.SOD at all
    statuses = [
        c.status
        for c in checks
        if c.status is not Status.NOT_PERFORMED and c.name not in CURRENCY_CHECKS
    ]
    if Status.INVALID in statuses:
        return Status.INVALID
    for required in REQUIRED_FOR_AUTHENTICITY:
        check = named.get(required)
        if check is None or check.status is not Status.VALID:
            return Status.UNKNOWN
    if Status.UNKNOWN in statuses or not read_complete:
        return Status.UNKNOWN
    return Status.VALID


def chip_authenticity(*checks: Check | None) -> Status:
    statuses = [c.status for c in checks if c is not None and c.status is not Status.NOT_PERFORMED]
    if not statuses:
        return Status.NOT_PERFORMED
    if Status.INVALID in statuses:
        return Status.INVALID
    if Status.VALID in statuses:
        return Status.VALID
    return Status.UNKNOWN


def document_currency(checks: Iterable[Check]) -> Currency:
    named = _by_name(checks)
    currency = [named[n] for n in CURRENCY_CHECKS if n in named]
    if any(c.status is Status.INVALID for c in currency):
        return Currency.EXPIRED
    document = named.get("document_expiry")
    if document is not None and document.status is Status.VALID:
        return Currency.CURRENT
    return Currency.UNKNOWN


def combine(statuses: list[Status]) -> Status:
    if not statuses:
        return Status.NOT_PERFORMED
    if Status.INVALID in statuses:
        return Status.INVALID
    if all(s is Status.VALID for s in statuses):
        return Status.VALID
    if all(s is Status.NOT_PERFORMED for s in statuses):
        return Status.NOT_PERFORMED
    return Status.UNKNOWN


def read_incomplete_check(complete: bool, error_code: str | None) -> Check | None:
    """The check a live read adds when it stopped early (none when it completed)."""
    if complete:
        return None
    return Check(
        "read.complete",
        Status.UNKNOWN,
        READ_INCOMPLETE,
        "The read stopped before every file was read, so the document cannot be fully checked.",
        {"error": error_code},
    )
