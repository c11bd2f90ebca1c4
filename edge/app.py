"""The Flask application factory.

``create_app(config=None)``: ``config`` is a ``Config``, a dict of overrides
on top of the file/environment configuration, or None (file + environment).
Shared services (kiosk key, audit log, sessions, the reader's owner thread)
live on one ``EdgeService`` in ``app.extensions["cccd_edge"]``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from edge.api import register_api
from edge.api.auth import require_operator
from edge.api.service import EdgeService
from edge.audit import setup_json_logging
from edge.config import Config, load_config
from edge.screen import OPERATOR_PAGES, register_screen

MAX_UPLOAD = 5 * 1024 * 1024


def create_app(
    config: Config | dict | None = None,
    *,
    rng: Callable[[int], bytes] = os.urandom,
    clock: Callable[[], float] = time.time,
    trust_store: Any = None,
    face_models: Any = None,
    open_transport: Callable[[], Any] | None = None,
) -> Flask:
    if not isinstance(config, Config):
        config = load_config(overrides=config or None)
    app = Flask(
        "edge",
        root_path=str(Path(__file__).resolve().parent),
        instance_path=str(config.instance_path.resolve()),
    )
    app.config.update(MAX_CONTENT_LENGTH=MAX_UPLOAD, JSON_SORT_KEYS=False, CCCD_EDGE=config)
    json_provider = cast(DefaultJSONProvider, app.json)  # Flask's default provider
    json_provider.ensure_ascii = False  # Vietnamese names stay readable in JSON
    json_provider.sort_keys = False
    logger = setup_json_logging(path=config.log_file or None)
    service = EdgeService(
        config,
        rng=rng,
        clock=clock,
        trust_store=trust_store,
        face_models=face_models,
        open_transport=open_transport,
    )
    app.extensions["cccd_edge"] = service
    from edge.fleet.kiosk import attach_fleet

    attach_fleet(service)  # ships audit events to a fleet service when CCCD_EDGE_FLEET_URL is set
    register_api(app)
    _instrument(app, service, logger)
    # The kiosk screen, through its narrow interface (edge/screen.py): named by configuration.
    register_screen(
        app, service, config.screen, config.kiosk_addresses, walk_up_profile=config.walk_up_profile
    )
    if config.trusted_proxies:
        # Only then are X-Forwarded-For/-Proto/-Host believed, for as many hops as configured.
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def _instrument(app: Flask, service: EdgeService, logger: logging.Logger) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        pages = app.extensions.get(OPERATOR_PAGES, ())
        if request.endpoint in pages and service.config.operator_key_sha256:
            # With an operator key, the page asks for it (HTTP Basic, any user name): the browser
            # then sends it with the page's own fetch of /v1/stats. Without one, the page (an
            # empty shell) loads anywhere and its data, /v1/stats, goes to loopback only.
            require_operator()

    @app.after_request
    def _finish(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        service.metrics.http_requests.inc(
            method=request.method, route=route, status=str(response.status_code)
        )
        service.metrics.http_seconds.observe(elapsed, route=route)
        response.headers.setdefault("Cache-Control", "no-store")
        if route != "/metrics":
            # The route template only: ids, query strings and bodies stay out of the log.
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": route,
                    "http_status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        return response
