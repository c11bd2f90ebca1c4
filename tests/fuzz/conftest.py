"""An app per test for the upload endpoint (the same configuration as the service tests)."""

from __future__ import annotations

import pytest

from edge.app import create_app
from tests.edge.conftest import rp_config


@pytest.fixture
def client(tmp_path):
    app = create_app(rp_config(tmp_path))
    yield app.test_client()
    app.extensions["cccd_edge"].close()
