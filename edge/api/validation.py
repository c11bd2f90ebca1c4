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
