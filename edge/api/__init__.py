"""The HTTP API under ``/v1``: one blueprint per resource, one error module, one service object."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    from edge.api import documents, meta, verifications
    from edge.api.errors import register_error_handlers

    register_error_handlers(app)
    app.register_blueprint(meta.bp)
    app.register_blueprint(verifications.bp)
    app.register_blueprint(documents.bp)
    from edge.insurance import routes as insurance_routes  # the BHYT correction request

    app.register_blueprint(insurance_routes.bp)
