"""Fixtures shared by every test package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``: read in place, never copied. Tests skip only when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture(scope="session")
def icao_vectors(shared_dir) -> dict:
    return json.loads((shared_dir / "vectors" / "icao9303_p11.json").read_text())
