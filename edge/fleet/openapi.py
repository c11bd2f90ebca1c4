"""The fleet API's OpenAPI 3.1 document, served at ``/v1/fleet/openapi.json``.

Built here rather than kept as a hand-written JSON file: the error answers, the limits and the
row shapes are written once and reused by every operation. The tests check the service's real
answers against this document (``tests/fleet/test_fleet_openapi.py``), so it cannot drift.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from edge.fleet.protocol import AUTH_SCHEME, KIOSK_HEADER, MAX_BATCH_EVENTS, MAX_BODY_BYTES

REPORTS = ("per_day", "per_hour", "failures", "steps", "per_facility", "per_kiosk")
MAX_DAYS = 366
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: list[str], properties: dict[str, Schema], **extra: Any) -> Schema:
    """A closed object: an answer gaining a field must gain it here too."""
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


def _nullable(kind: str | list[str], **extra: Any) -> Schema:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {"type": [*kinds, "null"], **extra}


COUNT: Schema = {"type": "integer", "minimum": 0}
RATE: Schema = _nullable("number", minimum=0, maximum=1)
TIME: Schema = {"type": "string", "format": "date-time"}
TEXT: Schema = {"type": "string"}

ERROR_CODES = {
    "400": (
        "The request is malformed: not JSON, a field missing, a bad `days`, a malformed event "
        "(`bad_event`: the whole batch is refused, nothing half-stored).",
        ["bad_json", "bad_request", "bad_event", "bad_days"],
    ),
    "401": (
        "Not authenticated: an unsigned, forged, altered or too-skewed kiosk request "
        "(`clock_skew` carries `server_time`), or a missing or wrong operator key.",
        [
            "unsigned",
            "not_enrolled",
            "bad_signature",
            "tampered",
            "clock_skew",
            "operator_key_required",
        ],
    ),
    "403": (
        "Refused: an enrolment token that is wrong or already used, or no operator key is "
        "configured on the service (`CCCD_EDGE_FLEET_OPERATOR_KEY`).",
        ["bad_token", "token_used", "no_operator_key"],
    ),
    "409": (
        "A conflict: the signed request was already received (`replayed`; send it again with a "
        "new nonce), the kiosk id is enrolled with another key, or a concurrent trust import.",
        ["replayed", "kiosk_exists", "conflict"],
    ),
    "413": (
        f"Too large: more than {MAX_BATCH_EVENTS} events or {MAX_BODY_BYTES} bytes in a "
        "request, or a heartbeat over 8000 characters; send smaller batches.",
        ["too_large"],
    ),
    "503": (
        "The fleet database cannot be reached; nothing was stored. Kiosks keep their outbox "
        "and retry after `Retry-After` seconds.",
        ["database_unavailable"],
    ),
}


def _error_response(status: str) -> Schema:
    description, codes = ERROR_CODES[status]
    schema = {
        "allOf": [_ref("Error")],
        "properties": {"error": {"enum": codes}},
    }
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if status == "503":
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return response


def _errors(*statuses: str) -> dict[str, Schema]:
    return {s: {"$ref": f"#/components/responses/E{s}"} for s in statuses}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


KIOSK_AUTH: list[dict[str, list[str]]] = [{"kioskSignature": []}]
OPERATOR_AUTH: list[dict[str, list[str]]] = [{"operatorKey": []}]
DAYS_PARAM: Schema = {
    "name": "days",
    "in": "query",
    "required": False,
    "description": "How many days back, today included (local time of the province).",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": 30},
}
KIOSK_PARAM: Schema = {
    "name": KIOSK_HEADER,
    "in": "header",
    "required": True,
    "description": "The sending kiosk's id (the one in the signed payload).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
}


def _schemas() -> dict[str, Schema]:
    rate_row = {"verifications": COUNT, "succeeded": COUNT, "success_rate": RATE}
    return {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "A stable code."},
                "message": {"type": "string", "description": "A plain sentence."},
                "server_time": {
                    "type": "integer",
                    "description": "`clock_skew` only: the fleet's Unix time.",
                },
            },
            "additionalProperties": False,
        },
        "Jwk": {
            "type": "object",
            "required": ["kty", "crv", "x", "y"],
            "properties": {
                "kty": {"const": "EC"},
                "crv": {"const": "P-256"},
                "x": TEXT,
                "y": TEXT,
                "kid": TEXT,
                "use": TEXT,
                "alg": TEXT,
            },
        },
        "Jwks": _object(["keys"], {"keys": {"type": "array", "items": _ref("Jwk")}}),
        "Health": _object(
            ["status", "database"],
            {"status": {"const": "ok"}, "database": {"enum": ["postgresql", "sqlite"]}},
        ),
        "EnrolmentRequest": {
            "type": "object",
            "required": ["kiosk_id", "token", "jwk"],
            "properties": {
                "kiosk_id": {"type": "string", "minLength": 1, "maxLength": 64},
                "token": {"type": "string", "description": "The one-time enrolment token."},
                "jwk": _ref("Jwk"),
                "facility": {"type": "string", "maxLength": 200},
            },
        },
        "EnrolmentAnswer": _object(
            ["kiosk_id", "already_enrolled", "fleet_key"],
            {
                "kiosk_id": TEXT,
                "already_enrolled": {"type": "boolean"},
                "fleet_key": _ref("Jwk"),
            },
        ),
        "AuditEvent": {
            "type": "object",
            "description": (
                "One audit row as the kiosk keeps it (`edge.audit`), minus `id_hmac`; further "
                "columns are accepted and stored. Personal fields are dropped by name."
            ),
            "required": ["id", "at"],
            "maxProperties": 64,
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 80},
                "at": {**TIME, "description": "ISO 8601; within 400 days back, 1 day ahead."},
                "kiosk_id": TEXT,
                "outcome": {"type": "string", "description": "`done` or `failed`."},
                "overall": _nullable("string"),
                "passive_authentication": _nullable("string"),
                "chip_authenticity": _nullable("string"),
                "face": _nullable("string"),
                "reason_codes": {
                    "description": "A list of codes, or that list as JSON text.",
                    "oneOf": [{"type": "array", "items": TEXT}, TEXT],
                },
                "durations": {
                    "description": "Milliseconds per step, or that object as JSON text.",
                    "oneOf": [
                        {"type": "object", "additionalProperties": {"type": "number"}},
                        TEXT,
                    ],
                },
                "total_ms": _nullable("number"),
                "liveness": _nullable("string"),
                "insurance_status": _nullable("string"),
            },
        },
        "EventBatch": {
            "type": "object",
            "required": ["events"],
            "properties": {
                "events": {
                    "type": "array",
                    "maxItems": MAX_BATCH_EVENTS,
                    "items": _ref("AuditEvent"),
                }
            },
        },
        "BatchAnswer": _object(
            ["received", "accepted", "duplicates"],
            {
                "received": COUNT,
                "accepted": {**COUNT, "description": "New events, each counted once."},
                "duplicates": {
                    **COUNT,
                    "description": "Events already held (same kiosk and event id, any time).",
                },
            },
        ),
        "Heartbeat": {
            "type": "object",
            "description": "The kiosk's health; at most 8000 characters of JSON.",
            "properties": {
                "software_version": TEXT,
                "reader": {"type": "object"},
                "trust_store": {"type": "object"},
                "queue_length": COUNT,
                "queue_oldest_age_s": _nullable("number"),
                "dropped": COUNT,
                "rejected": COUNT,
                "last_error": _nullable("string"),
                "trust_bundle_version": _nullable("integer"),
            },
        },
        "HeartbeatAnswer": _object(
            ["status", "server_time"], {"status": {"const": "ok"}, "server_time": COUNT}
        ),
        "TrustBundle": _object(
            ["version", "jws"],
            {
                "version": {**COUNT, "description": "0: nothing published yet."},
                "jws": _nullable("string", description="ES256 JWS signed by the fleet key."),
            },
        ),
        "TrustImportAnswer": _object(
            ["version", "added", "imports"],
            {
                "version": {"type": "integer", "minimum": 1},
                "added": COUNT,
                "imports": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["source", "kind"],
                        "properties": {
                            "source": TEXT,
                            "kind": {"enum": ["certificate", "master_list", "crl"]},
                            "added": COUNT,
                            "already_present": COUNT,
                            "skipped": COUNT,
                        },
                    },
                },
            },
        ),
        "Outcomes": {
            "type": "object",
            "description": "Verifications by overall verdict; `failed` when they did not finish.",
            "additionalProperties": COUNT,
        },
        "Summary": _object(
            ["days", "since", "kiosks", "totals"],
            {
                "days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                "since": {"type": "string", "format": "date"},
                "kiosks": {
                    "type": "array",
                    "items": _object(
                        ["kiosk_id", "facility", "verifications", "outcomes", "last_seen"],
                        {
                            "kiosk_id": TEXT,
                            "facility": TEXT,
                            "verifications": COUNT,
                            "outcomes": _ref("Outcomes"),
                            "last_seen": _nullable("string", format="date-time"),
                        },
                    ),
                },
                "totals": _object(
                    ["kiosks", "verifications", "outcomes"],
                    {"kiosks": COUNT, "verifications": COUNT, "outcomes": _ref("Outcomes")},
                ),
            },
        ),
        "DayRow": _object(
            ["day", *rate_row], {"day": {"type": "string", "format": "date"}, **rate_row}
        ),
        "HourRow": _object(
            ["hour", *rate_row],
            {"hour": {"type": "integer", "minimum": 0, "maximum": 23}, **rate_row},
        ),
        "CauseRow": _object(
            ["first_cause", "failures"],
            {
                "first_cause": {
                    "type": "string",
                    "description": "The first real cause (`edge.causes`), never a notice.",
                },
                "failures": COUNT,
            },
        ),
        "StepRow": _object(
            ["step", "count", "median_ms", "p90_ms"],
            {
                "step": TEXT,
                "count": COUNT,
                "median_ms": _nullable("number", description="Within 10 % (log histogram)."),
                "p90_ms": _nullable("number"),
            },
        ),
        "FacilityRow": _object(
            ["facility", "kiosks", *rate_row], {"facility": TEXT, "kiosks": COUNT, **rate_row}
        ),
        "KioskRow": _object(
            [
                "kiosk_id",
                "facility",
                "last_seen",
                "silent",
                "unhealthy",
                "problems",
                *rate_row,
            ],
            {
                "kiosk_id": TEXT,
                "facility": TEXT,
                "enrolled_at": _nullable("string", format="date-time"),
                "last_event_at": _nullable("string", format="date-time"),
                "last_heartbeat_at": _nullable("string", format="date-time"),
                "last_seen": _nullable("string", format="date-time"),
                "health": _nullable("object"),
                "events_total": COUNT,
                "silent": {"type": "boolean"},
                "seconds_since_seen": _nullable("integer"),
                "problems": {"type": "array", "items": TEXT},
                "unhealthy": {"type": "boolean"},
                **rate_row,
            },
        ),
        "Dashboard": _object(
            ["days", "generated_at", "verifications", "succeeded", "success_rate", *REPORTS],
            {
                "days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
                "generated_at": TIME,
                "verifications": COUNT,
                "succeeded": COUNT,
                "success_rate": RATE,
                "per_day": {"type": "array", "items": _ref("DayRow")},
                "per_hour": {"type": "array", "items": _ref("HourRow"), "maxItems": 24},
                "failures": {"type": "array", "items": _ref("CauseRow")},
                "steps": {"type": "array", "items": _ref("StepRow")},
                "per_facility": {"type": "array", "items": _ref("FacilityRow")},
                "per_kiosk": {"type": "array", "items": _ref("KioskRow")},
            },
        ),
    }


def _paths() -> dict[str, Schema]:
    kiosk_errors = _errors("400", "401", "409", "413", "503")
    operator_errors = _errors("400", "401", "403", "503")
    return {
        "/v1/fleet/openapi.json": {
            "get": {
                "summary": "This document.",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
            }
        },
        "/v1/fleet/health": {
            "get": {
                "summary": "Whether the service reaches its database.",
                "security": [],
                "responses": {"200": _json(_ref("Health"), "Ready."), **_errors("503")},
            }
        },
        "/v1/fleet/key": {
            "get": {
                "summary": "The fleet's public signing key (pinned by kiosks at enrolment).",
                "security": [],
                "responses": {"200": _json(_ref("Jwks"), "The key set.")},
            }
        },
        "/v1/fleet/enroll": {
            "post": {
                "summary": "Enrol a kiosk with a one-time token and its public key.",
                "description": (
                    f"Signed (`Authorization: {AUTH_SCHEME} <JWS>`) by the key being "
                    "registered: proof of possession. Repeating an enrolment whose answer was "
                    "lost is accepted (`already_enrolled`)."
                ),
                "security": KIOSK_AUTH,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("EnrolmentRequest")}},
                },
                "responses": {
                    "200": _json(_ref("EnrolmentAnswer"), "Enrolled; carries the fleet key."),
                    **_errors("400", "401", "403", "409", "413", "503"),
                },
            }
        },
        "/v1/fleet/events": {
            "post": {
                "summary": "A signed batch of audit events.",
                "description": (
                    "Idempotent by (kiosk id, event id), whatever the event's time: a batch "
                    "sent again stores nothing new."
                ),
                "security": KIOSK_AUTH,
                "parameters": [KIOSK_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("EventBatch")}},
                },
                "responses": {"200": _json(_ref("BatchAnswer"), "Stored."), **kiosk_errors},
            }
        },
        "/v1/fleet/heartbeat": {
            "post": {
                "summary": "The kiosk's health.",
                "security": KIOSK_AUTH,
                "parameters": [KIOSK_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Heartbeat")}},
                },
                "responses": {"200": _json(_ref("HeartbeatAnswer"), "Noted."), **kiosk_errors},
            }
        },
        "/v1/fleet/trust/bundle": {
            "get": {
                "summary": "The latest signed trust bundle (CSCAs, CRLs).",
                "security": KIOSK_AUTH,
                "parameters": [KIOSK_PARAM],
                "responses": {
                    "200": _json(_ref("TrustBundle"), "The bundle, or version 0."),
                    **_errors("401", "409", "503"),
                },
            }
        },
        "/v1/fleet/trust": {
            "post": {
                "summary": "Import certificates, CRLs and master lists; publish a new bundle.",
                "security": OPERATOR_AUTH,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                    "root": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("TrustImportAnswer"), "Published."),
                    "422": {
                        "description": "A file the trust store refuses; nothing is published.",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                    **_errors("400", "401", "403", "409", "413", "503"),
                },
            }
        },
        "/v1/fleet/summary": {
            "get": {
                "summary": "Per kiosk: verifications, outcome counts, last seen; totals.",
                "security": OPERATOR_AUTH,
                "parameters": [DAYS_PARAM],
                "responses": {"200": _json(_ref("Summary"), "The summary."), **operator_errors},
            }
        },
        "/v1/fleet/dashboard": {
            "get": {
                "summary": "Everything the dashboard page shows.",
                "security": OPERATOR_AUTH,
                "parameters": [DAYS_PARAM],
                "responses": {
                    "200": _json(_ref("Dashboard"), "The figures."),
                    **operator_errors,
                },
            }
        },
        "/v1/fleet/report/{name}.csv": {
            "get": {
                "summary": "One dashboard table as CSV (UTF-8 with a byte-order mark).",
                "security": OPERATOR_AUTH,
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": list(REPORTS)},
                    },
                    DAYS_PARAM,
                ],
                "responses": {
                    "200": {
                        "description": "The table.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "404": {
                        "description": "No such report.",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                    **operator_errors,
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus text: events ingested, lag per kiosk, kiosks silent.",
                "security": OPERATOR_AUTH,
                "responses": {
                    "200": {
                        "description": "Prometheus exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors("401", "403", "503"),
                },
            }
        },
        "/fleet": {
            "get": {
                "summary": "The dashboard page (Vietnamese; `?lang=en` for English).",
                "security": [],
                "parameters": [{"name": "lang", "in": "query", "schema": {"enum": ["vi", "en"]}}],
                "responses": {
                    "200": {
                        "description": "HTML.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "cccd-edge fleet",
            "version": "1.0.0",
            "description": (
                "Kiosks ship their personal-data-free audit events and health here, signed with "
                "their enrolled key; operators read statistics with the operator key; kiosks "
                'pull the signed trust bundle. Errors are JSON {"error", "message"}.'
            ),
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": {f"E{s}": _error_response(s) for s in ERROR_CODES},
            "securitySchemes": {
                "kioskSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        f"`{AUTH_SCHEME} <JWS>`: ES256 by the kiosk's enrolled key over "
                        "{kiosk_id, method, path, ts, nonce, body_sha256}, with the "
                        f"`{KIOSK_HEADER}` header."
                    ),
                },
                "operatorKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`CCCD_EDGE_FLEET_OPERATOR_KEY`.",
                },
            },
        },
    }
