"""The fleet service: Flask app factory (``create_app``), served by gunicorn.

Kiosk endpoints authenticate each request by its signature (``edge.fleet.protocol``); operator
endpoints by ``Authorization: Bearer <CCCD_EDGE_FLEET_OPERATOR_KEY>``. Errors are JSON
``{"error": code, "message": sentence}``; a database that cannot be reached is a 503 with
``Retry-After`` (kiosks keep their outbox and retry).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from edge.audit import setup_json_logging
from edge.fleet import trustbundle
from edge.fleet.db import Database, DatabaseDown
from edge.fleet.openapi import MAX_DAYS, REPORTS, openapi_document
from edge.fleet.protocol import (
    AUTH_SCHEME,
    KIOSK_HEADER,
    MAX_BATCH_EVENTS,
    MAX_BODY_BYTES,
    MAX_SKEW_S,
    body_digest,
)
from edge.fleet.settings import FleetSettings, load_settings
from edge.fleet.store import FleetInputError, FleetStore, normalise_event
from edge.fleet.strings import STRINGS
from edge.metrics import CONTENT_TYPE
from edge.signing import KioskKey, SignatureError, key_from_jwk, verify_jws

log = logging.getLogger("cccd_edge.fleet")
HERE = Path(__file__).resolve().parent


class FleetService:
    def __init__(self, settings: FleetSettings, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        instance = settings.instance_path
        instance.mkdir(parents=True, exist_ok=True)
        self.key = KioskKey.load_or_create(instance / "fleet-signing-key.pem")
        self.db = Database(
            settings.database_url or None,
            sqlite_path=instance / "fleet.sqlite",
            pool_max=settings.threads + 2,
        )
        self.store = FleetStore(self.db, timezone=settings.timezone)
        self._bundle_lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def create_app(
    settings: FleetSettings | None = None, *, clock: Callable[[], float] = time.time
) -> Flask:
    settings = settings or load_settings()
    app = Flask(
        "edge.fleet",
        root_path=str(HERE),
        template_folder="templates",
        static_folder="static",
        static_url_path="/fleet/static",
    )
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider
    app.json.sort_keys = False  # type: ignore[attr-defined]
    setup_json_logging()
    service = FleetService(settings, clock)
    app.extensions["cccd_fleet"] = service
    _register_errors(app)
    _register_kiosk_routes(app, service)
    _register_operator_routes(app, service)
    return app


def _error(code: str, message: str, status: int, **extra: Any) -> Response:
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def _register_errors(app: Flask) -> None:
    @app.errorhandler(FleetInputError)
    def _input(exc: FleetInputError) -> Response:
        return _error(exc.code, exc.message, exc.status, **getattr(exc, "extra", {}))

    @app.errorhandler(DatabaseDown)
    def _down(exc: DatabaseDown) -> Response:
        response = _error("database_unavailable", exc.message, 503)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(413)
    def _too_large(_exc: Exception) -> Response:
        return _error(
            "too_large",
            f"The request is larger than {MAX_BODY_BYTES} bytes; send smaller batches.",
            413,
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return _error(
            exc.name.lower().replace(" ", "_"), exc.description or exc.name, exc.code or 500
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.error("unexpected error", extra={"code": type(exc).__name__})
        return _error("internal_error", "The fleet service failed on this request.", 500)

    @app.after_request
    def _no_store(response: Response) -> Response:
        response.headers.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            # The page loads only its own script and style; its data come from this origin.
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' blob:; object-src 'none'; "
                "frame-ancestors 'none'; base-uri 'none'",
            )
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


# --- kiosk side ---------------------------------------------------------------------------------
def _authenticate(service: FleetService) -> tuple[str, str]:
    """Check the request's signature; return (kiosk id, nonce). Raises ``FleetInputError``."""
    kiosk_id = request.headers.get(KIOSK_HEADER, "")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != AUTH_SCHEME or not token or not kiosk_id:
        raise FleetInputError(
            "unsigned", "Fleet requests must be signed by an enrolled kiosk.", 401
        )
    jwk = service.store.kiosk_jwk(kiosk_id)
    if jwk is None:
        raise FleetInputError("not_enrolled", f"Kiosk {kiosk_id} is not enrolled.", 401)
    try:
        claims = verify_jws(token, {"keys": [jwk]})
    except SignatureError as exc:
        raise FleetInputError(
            "bad_signature", f"The request signature is refused: {exc.message}", 401
        ) from None
    _check_claims(service, claims, kiosk_id)
    return kiosk_id, str(claims["nonce"])


def _check_claims(service: FleetService, claims: dict, kiosk_id: str) -> None:
    body = request.get_data(cache=True)
    if (
        claims.get("kiosk_id") != kiosk_id
        or claims.get("method") != request.method
        or claims.get("path") != request.path
        or claims.get("body_sha256") != body_digest(body)
    ):
        raise FleetInputError(
            "tampered", "The request does not match its signature (changed in transit?).", 401
        )
    ts, nonce = claims.get("ts"), claims.get("nonce")
    if not isinstance(ts, int) or not isinstance(nonce, str) or not 8 <= len(nonce) <= 64:
        raise FleetInputError("bad_signature", "The signed request has no time or nonce.", 401)
    skew = ts - service.clock()
    if abs(skew) > MAX_SKEW_S:
        err = FleetInputError(
            "clock_skew",
            f"The kiosk's clock is {abs(skew):.0f} s off the fleet's (at most {MAX_SKEW_S} s "
            "is accepted); set the kiosk's time (NTP).",
            401,
        )
        err.extra = {"server_time": int(service.clock())}  # type: ignore[attr-defined]
        raise err


def _json_body() -> Any:
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise FleetInputError("bad_json", "The request body is not JSON.") from None


def _register_kiosk_routes(app: Flask, service: FleetService) -> None:
    @app.get("/v1/fleet/health")
    def health() -> Response:
        with service.db.transaction() as tx:  # DatabaseDown: 503 with Retry-After
            tx.one("SELECT 1")
        return jsonify({"status": "ok", "database": service.db.dialect})

    @app.get("/v1/fleet/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document())

    @app.get("/v1/fleet/key")
    def fleet_key() -> Response:
        return jsonify({"keys": [service.key.jwk]})

    @app.post("/v1/fleet/enroll")
    def enroll() -> Response:
        body = _json_body()
        if not isinstance(body, dict):
            raise FleetInputError("bad_request", "Enrolment needs kiosk_id, token and jwk.")
        kiosk_id, token, jwk = body.get("kiosk_id"), body.get("token"), body.get("jwk")
        if not isinstance(kiosk_id, str) or not 1 <= len(kiosk_id) <= 64:
            raise FleetInputError("bad_request", "Enrolment needs a kiosk_id (1 to 64 characters).")
        if not isinstance(token, str) or not service.settings.enrol_token_ok(token):
            raise FleetInputError("bad_token", "The enrolment token is not valid.", 403)
        if not isinstance(jwk, dict):
            raise FleetInputError("bad_request", "Enrolment needs the kiosk's public key (jwk).")
        try:
            key_from_jwk(jwk)
            # Proof of possession: the request is signed by the key being registered.
            scheme, _, signed = request.headers.get("Authorization", "").partition(" ")
            if scheme != AUTH_SCHEME:
                raise SignatureError("Enrolment must be signed with the kiosk's key.")
            claims = verify_jws(signed, {"keys": [jwk]})
        except SignatureError as exc:
            raise FleetInputError("bad_signature", exc.message, 401) from None
        except (KeyError, TypeError, ValueError):
            raise FleetInputError(
                "bad_request", "The kiosk's public key is not a usable JWK."
            ) from None
        _check_claims(service, claims, kiosk_id)
        facility = str(body.get("facility") or "")
        result = service.store.enrol(kiosk_id, jwk, token, facility, service.now())
        log.info("kiosk enrolled", extra={"code": kiosk_id})
        return jsonify({**result, "fleet_key": service.key.jwk})

    @app.post("/v1/fleet/events")
    def events() -> Response:
        kiosk_id, nonce = _authenticate(service)
        body = _json_body()
        items = body.get("events") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise FleetInputError("bad_request", 'A batch is {"events": [...]}.')
        if len(items) > MAX_BATCH_EVENTS:
            raise FleetInputError(
                "too_large", f"A batch holds at most {MAX_BATCH_EVENTS} events.", 413
            )
        now = service.now()
        events = [normalise_event(item, kiosk_id, now) for item in items]
        unique = list({e.event_id: e for e in events}.values())
        accepted = service.store.ingest(kiosk_id, unique, nonce=nonce, now=now)
        return jsonify(
            {"received": len(items), "accepted": accepted, "duplicates": len(items) - accepted}
        )

    @app.post("/v1/fleet/heartbeat")
    def heartbeat() -> Response:
        kiosk_id, nonce = _authenticate(service)
        body = _json_body()
        if not isinstance(body, dict):
            raise FleetInputError("bad_request", "A heartbeat is a JSON object.")
        service.store.heartbeat(kiosk_id, body, nonce=nonce, now=service.now())
        return jsonify({"status": "ok", "server_time": int(service.clock())})

    @app.get("/v1/fleet/trust/bundle")
    def bundle() -> Response:
        _authenticate(service)
        latest = service.store.latest_bundle()
        if latest is None:
            return jsonify({"version": 0, "jws": None})
        return jsonify({"version": latest[0], "jws": latest[1]})


# --- operators ----------------------------------------------------------------------------------
def _require_operator(service: FleetService) -> None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if not service.settings.operator_key_digest:
        raise FleetInputError(
            "no_operator_key", "No operator key is configured (CCCD_EDGE_FLEET_OPERATOR_KEY).", 403
        )
    if scheme.lower() != "bearer" or not service.settings.operator_key_ok(key.strip()):
        raise FleetInputError(
            "operator_key_required", "This needs the operator key (Authorization: Bearer).", 401
        )


def _days() -> int:
    text = request.args.get("days", "30")
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise FleetInputError("bad_days", f"days must be a whole number from 1 to {MAX_DAYS}.")
    return int(text)


def kiosk_flags(kiosk: dict[str, Any], now: datetime, silent_after_s: int) -> dict[str, Any]:
    """Silent (nothing heard for ``silent_after_s``) and unhealthy (what its heartbeat says)."""
    seen = kiosk.get("last_seen")
    age = (now - datetime.fromisoformat(seen)).total_seconds() if seen else None
    health = kiosk.get("health") or {}
    problems = []
    if health.get("last_error"):
        problems.append(str(health["last_error"])[:120])
    trust = health.get("trust_store") or {}
    if trust.get("crl_overdue"):
        problems.append("crl_overdue")
    if health.get("dropped"):
        problems.append("events_dropped")
    return {
        "silent": age is None or age > silent_after_s,
        "seconds_since_seen": None if age is None else round(age),
        "problems": problems,
        "unhealthy": bool(problems),
    }


def dashboard_data(service: FleetService, days: int) -> dict[str, Any]:
    now = service.now()
    store = service.store
    kiosks = store.per_kiosk(days, now)
    for k in kiosks:
        k.update(kiosk_flags(k, now, service.settings.silent_after_s))
    per_day = store.per_day(days, now)
    total = sum(d["verifications"] for d in per_day)
    ok = sum(d["succeeded"] for d in per_day)
    return {
        "days": days,
        "generated_at": now.isoformat(timespec="seconds"),
        "verifications": total,
        "succeeded": ok,
        "success_rate": round(ok / total, 4) if total else None,
        "per_day": per_day,
        "per_hour": store.per_hour(days, now),
        "failures": store.failures(days, now),
        "steps": store.steps(days, now),
        "per_facility": store.per_facility(days, now),
        "per_kiosk": kiosks,
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    flat = [
        {
            k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
            for k, v in r.items()
        }
        for r in rows
    ]
    out = io.StringIO()
    columns = list(dict.fromkeys(k for r in flat for k in r))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def _register_operator_routes(app: Flask, service: FleetService) -> None:
    @app.get("/v1/fleet/summary")
    def summary() -> Response:
        _require_operator(service)
        return jsonify(service.store.summary(_days(), service.now()))

    @app.get("/v1/fleet/dashboard")
    def dashboard() -> Response:
        _require_operator(service)
        return jsonify(dashboard_data(service, _days()))

    @app.get("/v1/fleet/report/<name>.csv")
    def report(name: str) -> Response:
        _require_operator(service)
        if name not in REPORTS:
            raise FleetInputError("unknown_report", f"Reports: {', '.join(REPORTS)}.", 404)
        days = _days()
        rows = dashboard_data(service, days)[name]
        return Response(
            "\ufeff" + _csv(rows),  # BOM: spreadsheet programs then read Vietnamese as UTF-8
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="fleet-{name}-{days}d.csv"'},
        )

    @app.post("/v1/fleet/trust")
    def trust_import() -> Response:
        _require_operator(service)
        files = [(f.filename or "file", f.read()) for f in request.files.getlist("file")]
        roots = [f.read() for f in request.files.getlist("root")]
        if not files:
            raise FleetInputError(
                "bad_request", "Send certificates, CRLs or master lists as 'file'."
            )
        from crypto.errors import CryptoError

        with service._bundle_lock:
            held = service.store.trust_items()
            try:
                new, results = trustbundle.import_files(held, files, roots)
            except CryptoError as exc:
                raise FleetInputError(
                    getattr(exc, "code", None) or "trust_refused", exc.message, 422
                ) from None
            now = service.now()
            service.store.add_trust_items(new, now)
            version = service.store.next_bundle_version()
            jws = trustbundle.build_bundle(service.key, version, held + new, now)
            service.store.save_bundle(version, jws, now)
        return jsonify({"version": version, "added": len(new), "imports": results})

    @app.get("/fleet")
    def page() -> str:
        lang = "en" if request.args.get("lang") == "en" else "vi"
        return render_template(
            "fleet.html",
            t=STRINGS[lang],
            lang=lang,
            strings_json=json.dumps(STRINGS[lang], ensure_ascii=False),
        )

    @app.get("/metrics")
    def metrics() -> Response:
        _require_operator(service)
        now = service.now()
        lines = [
            "# HELP cccd_fleet_events_ingested_total Audit events stored (each counted once).",
            "# TYPE cccd_fleet_events_ingested_total counter",
            f"cccd_fleet_events_ingested_total {service.store.events_ingested()}",
            "# HELP cccd_fleet_kiosk_lag_seconds Age of the oldest event a kiosk still holds.",
            "# TYPE cccd_fleet_kiosk_lag_seconds gauge",
        ]
        kiosks = service.store.kiosks()
        silent = 0
        for k in kiosks:
            flags = kiosk_flags(k, now, service.settings.silent_after_s)
            silent += flags["silent"]
            health = k.get("health") or {}
            lag = float(health.get("queue_oldest_age_s") or 0)
            if lag and k.get("last_heartbeat_at"):
                lag += (now - datetime.fromisoformat(k["last_heartbeat_at"])).total_seconds()
            kid = k["kiosk_id"].replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'cccd_fleet_kiosk_lag_seconds{{kiosk_id="{kid}"}} {round(lag, 1)}')
        lines += [
            "# HELP cccd_fleet_kiosks Kiosks enrolled.",
            "# TYPE cccd_fleet_kiosks gauge",
            f"cccd_fleet_kiosks {len(kiosks)}",
            "# HELP cccd_fleet_kiosks_silent Kiosks with no event nor heartbeat lately.",
            "# TYPE cccd_fleet_kiosks_silent gauge",
            f"cccd_fleet_kiosks_silent {silent}",
        ]
        return Response(
            "\n".join(lines) + "\n", mimetype=CONTENT_TYPE.split(";")[0], content_type=CONTENT_TYPE
        )
