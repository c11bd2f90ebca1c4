"""The gateway simulator, one process per test module, reset before each test."""

from __future__ import annotations

import pytest

from tests.support.bhyt import GatewayProcess


@pytest.fixture(scope="module")
def gateway():
    sim = GatewayProcess(delay=10.0)
    yield sim
    sim.stop()


@pytest.fixture
def sim(gateway):
    gateway.reset()
    gateway.set_mode("correct", delay=10.0)
    return gateway
