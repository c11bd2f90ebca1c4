"""Health, keys (JWKS), the OpenAPI document, statistics and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from edge.api.auth import require_operator
from edge.api.errors import InvalidRequest
from edge.api.validation import openapi_document
from edge.metrics import CONTENT_TYPE

bp = Blueprint("meta", __name__)


def _service():
    return current_app.extensions["cccd_edge"]


@bp.get("/v1/health")
def health():
    return jsonify(_service().health())


@bp.get("/v1/keys")
def keys():
    resp = jsonify(_service().key.jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get("/v1/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/v1/stats")
def stats():
    require_operator()
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        raise InvalidRequest("days must be a whole number.") from None
    if not 1 <= days <= 366:
        raise InvalidRequest("days must be between 1 and 366.")
    return jsonify(_service().audit.stats(days))


@bp.get("/metrics")
def metrics():
    require_operator()
    return Response(_service().metrics.render(), content_type=CONTENT_TYPE)
