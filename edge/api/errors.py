"""API errors: each carries its HTTP status and a stable code; one handler maps them all.

The body is always ``{"error": {"code", "message"}}`` (plus ``details`` for
validation). A forged document is *not* an API error: it is a successful
response whose verdicts fail. Bad input is never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("cccd_edge.api")


class ApiError(Exception):
    status = 400
    code = "bad_request"
    message = "The request cannot be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[Any] | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.message = message or type(self).message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            err["details"] = self.details
        return {"error": err}


class InvalidRequest(ApiError):
    status, code, message = 400, "invalid_request", "The request body does not match the API."


class MalformedJson(ApiError):
    status, code, message = 400, "malformed_json", "The request body is not valid JSON."


class Unauthorized(ApiError):
    status, code, message = (
        401,
        "unauthorized",
        "A valid API key is required (Authorization: Bearer or X-API-Key).",
    )


class OperatorUnauthorized(ApiError):
    status, code, message = (
        401,
        "operator_unauthorized",
        ("The operator key is required (X-Operator-Key or Authorization: Bearer)."),
    )


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "This caller may not do that."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "No such resource (or it has expired)."


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "This method is not allowed here."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "The resource is not in a state that allows this."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The upload is larger than the 5 MB limit."


class UnsupportedMediaType(ApiError):
    status, code, message = 415, "unsupported_media_type", "This content type is not accepted here."


class Busy(ApiError):
    status, code, message = 429, "reader_busy", "The reader is busy; retry after the given delay."


class ReaderInUse(ApiError):
    status, code, message = 409, "reader_in_use", "The kiosk is serving another person."


class Unavailable(ApiError):
    status, code, message = 503, "unavailable", "A component of the service is not available."


_BY_STATUS = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: Busy,
    503: Unavailable,
}


def _response(err: ApiError):
    resp = jsonify(err.body())
    resp.status_code = err.status
    for k, v in err.headers.items():
        resp.headers[k] = v
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return _response(err)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # Werkzeug's own errors (404 routing, 405, 413 from MAX_CONTENT_LENGTH, bad form data)
        # get the same JSON shape as ours.
        cls = _BY_STATUS.get(exc.code or 500)
        if cls is None:
            err = ApiError(exc.description or "The request failed.")
            err.status, err.code = exc.code or 500, "http_error"
            return _response(err)
        headers = {}
        valid_methods = getattr(exc, "valid_methods", None)  # MethodNotAllowed only
        if exc.code == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        # A sentence given when raised (the kiosk screen raises werkzeug's errors) is kept;
        # werkzeug's stock description gives way to ours.
        given = exc.description if exc.description != type(exc).description else None
        return _response(cls(given, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Only type names in the log: messages may quote personal data.
        log.error("unexpected error", extra={"code": type(exc).__name__})
        err = ApiError("The service met an unexpected error.")
        err.status, err.code = 500, "internal_error"
        return _response(err)
