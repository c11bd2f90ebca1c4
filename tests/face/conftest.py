"""Session fixtures: the models once, the shared face set embedded once."""

from __future__ import annotations

import socket

import pytest

from edge.face.calibration import embed_people, load_people, make_chip_photo
from edge.face.matcher import reference_from_photo
from edge.face.models import FaceModels


@pytest.fixture(scope="session")
def models() -> FaceModels:
    return FaceModels.shared()


@pytest.fixture(scope="session")
def johns(shared_dir) -> dict:
    """person -> sorted image paths under ../shared/faces/johns (read in place)."""
    people = load_people(shared_dir / "faces" / "johns")
    assert len(people) == 5 and all(len(v) == 11 for v in people.values())
    return people


@pytest.fixture(scope="session")
def embedded(models, johns) -> list:
    return embed_people(models, johns)


@pytest.fixture(scope="session")
def chip_refs(models, johns) -> dict:
    """(person, format) -> Reference made from the person's first image as a chip photo."""
    return {
        (person, fmt): reference_from_photo(models, make_chip_photo(paths[0].read_bytes(), fmt))
        for person, paths in johns.items()
        for fmt in ("JPEG", "JPEG2000")
    }


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the model tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
