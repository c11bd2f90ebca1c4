"""Fixtures for the service tests: an app per test on a temporary instance folder."""

from __future__ import annotations

import pytest

from edge.app import create_app

KEYS = {
    "hospital": "hosp-key-0123456789",
    "airport": "air-key-0123456789",
    "school": "school-key-0123456789",
}


def rp_config(tmp_path, **overrides) -> dict:
    cfg = {
        "instance_dir": str(tmp_path / "instance"),
        "kiosk_id": "kiosk-test",
        "trust_store": str(tmp_path / "trust.sqlite"),
        "result_ttl": 60,
        "relying_parties": {
            f"{name}-rp": {"profile": name, "api_keys": [key]} for name, key in KEYS.items()
        },
    }
    cfg.update(overrides)
    return cfg


def auth(profile: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[profile]}"}


@pytest.fixture
def app(tmp_path):
    app = create_app(rp_config(tmp_path))
    yield app
    app.extensions["cccd_edge"].close()


@pytest.fixture
def client(app):
    return app.test_client()
