"""The first real cause of a failed verification: one rule for the fleet and the kiosk statistics.

The audit log keeps a verification's reason codes sorted alphabetically, which says nothing about
what went wrong first. Here the codes are ranked by a stable priority of causes, the order in
which they stop a verification:

1. reading and access (no reader, card removed, wrong access key, the service itself),
2. passive authentication (the document's data: SOD, signature, hashes, signer chain, issuer),
3. chip authenticity (Chip/Active Authentication: is this the chip the SOD was issued for),
4. face and liveness,
5. codes this module does not know (a code added later is still a cause),
6. document currency (expired, when the profile refuses expired documents),
7. insurance (the BHYT answer, from its own audit column).

Codes that are not failures are never a cause: notices (``crl_absent``, ``crl_stale``,
``document_expiry_unknown`` ...), checks that passed (``ok``) and checks not needed. A check
group only explains a failure when its verdict column (``passive_authentication``,
``chip_authenticity``, ``face``) is not ``valid``: a chip proven genuine by Chip Authentication
still lists ``aa_not_supported``, which is then no cause.

``failure_causes(row)`` gives every cause of an audit row in that order (the kiosk statistics
can count them all), ``first_cause(row)`` the first one (the fleet's rollup key).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

SUCCESS = "valid"

READING = (
    "no_reader",
    "no_card",
    "card_timeout",
    "card_removed",
    "cancelled",
    "busy",
    "access_key_timeout",
    "access_key_rejected",
    "access_control_failed",
    "secure_messaging_error",
    "unexpected_status",
    "malformed_response",
    "file_not_found",
    "file_access_denied",
    "parse_error",
    "read_incomplete",
    "card_error",
    "component_unavailable",
    "internal_error",
)
PASSIVE_AUTHENTICATION = (
    "sod_missing",
    "sod_unavailable",
    "sod_malformed",
    "content_type_mismatch",
    "unsupported_algorithm",
    "algorithm_mismatch",
    "sod_signature_invalid",
    "signature_invalid",
    "message_digest_mismatch",
    "dg_hash_mismatch",
    "dg_not_in_sod",
    "dsc_revoked",
    "dsc_signature_invalid",
    "dsc_invalid_at_signing",
    "dsc_not_yet_valid",
    "dsc_expired",
    "dsc_key_usage",
    "dsc_missing",
    "certificate_malformed",
    "crl_signature_invalid",
    "crl_malformed",
    "country_mismatch",
    "csca_unknown",
    "csca_key_unknown",
    "csca_expired",
    "csca_not_yet_valid",
    "card_security_malformed",
    "crypto_error",
    "trust_store_error",
    "invalid_key",
)
CHIP_AUTHENTICITY = (
    "chip_authentication_failed",
    "ca_failed",
    "ca_key_hash_mismatch",
    "ca_key_not_authenticated",
    "cam_proof_invalid",
    "cam_key_signature_invalid",
    "cam_key_not_authenticated",
    "cam_key_missing",
    "cam_data_missing",
    "cam_data_malformed",
    "aa_signature_invalid",
    "aa_key_hash_mismatch",
    "aa_key_not_authenticated",
    "aa_key_invalid",
    "aa_key_missing",
    "aa_hash_unknown",
    "aa_no_signature",
    # Neither protocol ran: a cause only when the chip verdict says it was not proven.
    "ca_not_supported",
    "aa_not_supported",
    "ca_not_run",
    "aa_not_run",
    "offline_dump",  # an uploaded dump: no chip to challenge
)
FACE = (
    "face_no_match",
    # The liveness reasons before the bare verdict (``liveness_failed``, from its column).
    "liveness_several_faces",
    "liveness_identity_changed",
    "liveness_identity_not_matched",
    "liveness_wrong_direction",
    "liveness_steps_not_seen",
    "liveness_not_frontal_at_start",
    "liveness_no_frames_in_window",
    "liveness_no_usable_frame",
    "liveness_no_frontal_frame",
    "liveness_failed",
    "liveness_not_performed",
    "liveness_no_frames",
    "liveness_no_chip_photo",
    "face_undetermined",
    "face_error",
    "models_unavailable",
    "no_frames",
    "no_face",
    "several_faces",
    "face_too_small",
    "not_frontal",
    "blurred",
    "too_dark",
    "too_bright",
    "quality",
    "image_error",
    "corrupt_image",
    "unsupported_format",
    "image_too_large",
)
# The currency codes (crypto.verdicts.CURRENCY_CHECKS): a failure only when the profile refused
# an expired document, which the verdicts show as every authenticity verdict valid.
CURRENCY = ("document_expired", "dsc_expired_now", "csca_expired_now", "dsc_not_yet_valid_now")
# The insurance_status column's values that mean the person's insurance was not confirmed.
INSURANCE = ("insurance_not_eligible", "insurance_record_mismatch", "insurance_unavailable")

# Never a cause, whatever the outcome: checks that passed, and notices.
NOT_FAILURES = frozenset(
    {
        "ok",
        "ok_with_warnings",
        "no_expiry",
        "no_match",  # a check's detail, the cause is face_no_match
        "crl_absent",
        "crl_stale",
        "country_not_compared",
        "dg_not_read",
        "document_expiry_unknown",
        "csca_not_yet_valid_now",
        "card_security_missing",
        "ca_replaced_by_cam",
        "cam_not_run",
        "liveness_passed",
        "liveness_ok",
        "face_match",
        "insurance_eligible",
        "insurance_not_checked",
    }
)

# Group, the verdict column that must not be valid for the group to explain a failure, codes.
GROUPS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("reading", None, READING),
    ("passive_authentication", "passive_authentication", PASSIVE_AUTHENTICATION),
    ("chip_authenticity", "chip_authenticity", CHIP_AUTHENTICITY),
    ("face", "face", FACE),
    ("other", None, ()),
    ("currency", None, CURRENCY),
    ("insurance", None, INSURANCE),
)
_GROUP_RANK = {name: i for i, (name, _, _) in enumerate(GROUPS)}
_RANK = {code: (_GROUP_RANK[g], i) for g, _, codes in GROUPS for i, code in enumerate(codes)}
_VERDICT_OF = {g: column for g, column, _ in GROUPS}
# Codes that only come with a not-proven chip verdict: without the verdict (a run that failed
# before the verdicts) they are bystanders, not the cause.
_NEEDS_VERDICT = frozenset(
    {"ca_not_supported", "aa_not_supported", "ca_not_run", "aa_not_run", "offline_dump"}
)
# Prefixes of codes not listed above, for their group.
_PREFIX_GROUPS = (
    ("liveness_", "face"),
    ("face_", "face"),
    ("aa_", "chip_authenticity"),
    ("ca_", "chip_authenticity"),
    ("cam_", "chip_authenticity"),
    ("dsc_", "passive_authentication"),
    ("csca_", "passive_authentication"),
    ("sod_", "passive_authentication"),
    ("insurance_", "insurance"),
)


def group_of(code: str) -> str:
    """The group of causes a reason code belongs to (``other`` when it is unknown)."""
    if code in _RANK:
        return GROUPS[_RANK[code][0]][0]
    return next((g for prefix, g in _PREFIX_GROUPS if code.startswith(prefix)), "other")


def rank(code: str) -> tuple[int, int, str]:
    """The sort key of a code: its group, its place in the group, then its name (stable)."""
    if code in _RANK:
        group, place = _RANK[code]
        return group, place, code
    return _GROUP_RANK[group_of(code)], len(_RANK), code


def is_failure_code(code: str) -> bool:
    return code not in NOT_FAILURES


def _codes(value: Any) -> list[str]:
    """The audit column as stored (a JSON text) or already a list."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return [c for c in value or [] if isinstance(c, str)]


def succeeded(row: Mapping[str, Any]) -> bool:
    return row.get("outcome") == "done" and row.get("overall") == SUCCESS


def failure_causes(row: Mapping[str, Any]) -> list[str]:
    """Every real cause of a failed audit row, most important first; [] for a success.

    ``row`` has the audit columns (``edge.audit.AUDIT_COLUMNS``): ``outcome``, ``overall``, the
    verdict columns, ``reason_codes`` (JSON text or list), ``liveness``, ``insurance_status``.
    When no code explains the failure, the first verdict that is not valid names it
    (``chip_authenticity_not_performed``), else ``unspecified``.
    """
    if succeeded(row):
        return []
    codes = _codes(row.get("reason_codes"))
    live = row.get("liveness")
    if live in ("failed", "not_performed"):
        codes.append(f"liveness_{live}")  # the verdict lives in its own column
    insurance = row.get("insurance_status")
    if insurance:
        codes.append(f"insurance_{insurance}")
    # The currency codes are the cause only of a finished run whose data are genuine.
    authentic = row.get("outcome") == "done" and row.get("passive_authentication") == SUCCESS
    upload = row.get("kind") == "upload"  # an upload's verdict rests on its data alone
    found = []
    for code in dict.fromkeys(codes):
        if not is_failure_code(code):
            continue
        group = group_of(code)
        column = _VERDICT_OF.get(group)
        verdict = row.get(column) if column else None
        if column and verdict == SUCCESS:
            continue  # the group passed: its other codes are bystanders
        if code in _NEEDS_VERDICT and (verdict is None or upload):
            continue
        if group == "currency" and not authentic:
            continue  # a notice: an authenticity verdict or the failed run explains it
        found.append(code)
    found.sort(key=rank)
    if found:
        return found
    # No code explains it: name the first verdict that is not valid. A face not performed is
    # no failure (most profiles need no face); neither is a chip not proven on an upload.
    for column in ("passive_authentication", "chip_authenticity", "face"):
        verdict = row.get(column)
        skip = (column == "face" and verdict == "not_performed") or (
            column == "chip_authenticity" and upload
        )
        if verdict not in (None, SUCCESS) and not skip:
            return [f"{column}_{verdict}"]
    return ["unspecified"]


def first_cause(row: Mapping[str, Any]) -> str | None:
    """The first real cause of a failed audit row; None when it succeeded."""
    causes = failure_causes(row)
    return causes[0] if causes else None


def first_of(codes: Iterable[str]) -> str | None:
    """The highest-ranked failure among bare codes (no verdict columns to go by)."""
    found = sorted((c for c in dict.fromkeys(codes) if is_failure_code(c)), key=rank)
    return found[0] if found else None
