"""Request bodies are checked against the schemas of the served OpenAPI document.

One source of truth: the document clients read is the one that judges their
requests. Messages name the field, never echo its value (it may be personal).
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

from edge.api.errors import InvalidRequest

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


@cache
def validator(schema_name: str) -> Draft202012Validator:
    doc = openapi_document()
    # The schema itself as root, carrying the components so nested "#/components/..." refs resolve.
    return Draft202012Validator(
        {**doc["components"]["schemas"][schema_name], "components": doc["components"]}
    )


def _where(error) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return path or "(body)"


def validate_body(schema_name: str, body) -> dict:
    errors = sorted(validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = [{"field": _where(e), "problem": e.validator} for e in errors[:10]]
        first = errors[0]
        if first.validator == "oneOf" and not first.absolute_path:
            message = (
                "Give exactly one access key: can, mrz, document_number with birth_date and "
                "expiry_date, or ask_on_kiosk: true."
            )
        elif first.validator == "additionalProperties":
            message = f"Unknown field in {_where(first)}."
        else:
            message = f"Field {_where(first)} is not valid ({first.validator})."
        raise InvalidRequest(message, details=details)
    return body


# The access-key alternatives of VerificationRequest: fields of one only. The schema's oneOf
# accepts a body that completes one alternative and carries a stray field of another (it fails
# that other alternative's "required"); such a body is ambiguous, so it is refused here.
ACCESS_KEY_FIELDS = (
    frozenset({"can"}),
    frozenset({"mrz"}),
    frozenset({"document_number", "birth_date", "expiry_date"}),
    frozenset({"ask_on_kiosk"}),
)


def check_one_access_key(body: dict) -> dict:
    """Raise ``InvalidRequest`` (400) unless the access-key fields belong to one alternative."""
    given = {k for k in body if not (k == "ask_on_kiosk" and body[k] is False)}
    used = [group for group in ACCESS_KEY_FIELDS if group & given]
    if len(used) > 1:
        fields = sorted(name for group in used for name in group & given)
        raise InvalidRequest(
            "Give exactly one access key: can, mrz, document_number with birth_date and "
            "expiry_date, or ask_on_kiosk: true.",
            details=[{"field": name, "problem": "oneOf"} for name in fields],
        )
    return body
