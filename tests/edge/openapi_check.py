"""Check real responses against the served OpenAPI 3.1 document (jsonschema, draft 2020-12)."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from edge.api.validation import openapi_document


def response_schema(
    path: str, method: str, status: int, content_type: str = "application/json"
) -> dict:
    doc = openapi_document()
    op = doc["paths"][path][method.lower()]
    response = op["responses"][str(status)]  # KeyError = an undocumented status: a failure
    return response["content"][content_type]["schema"]


def check(response, path: str, method: str = "get") -> dict:
    """Validate ``response`` (a Flask test response) against the document; return its JSON."""
    schema = response_schema(path, method, response.status_code)
    body = response.get_json()
    assert body is not None, f"{method.upper()} {path} -> {response.status_code} is not JSON"
    Draft202012Validator({**schema, "components": openapi_document()["components"]}).validate(body)
    return body
