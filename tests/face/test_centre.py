"""The ArcFace population centre: the file's checks, the centring, leave-two-out calibration."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from edge.face import centre as centre_module
from edge.face.arcface import MODEL_SHA256, RAW_PIPELINE
from edge.face.centre import CENTRE_FILE, Centre, LeaveTwoOut, centre_document, centred
from edge.face.errors import ModelsUnavailableError


def _unit(v):
    return v / np.linalg.norm(v)


def test_centring_removes_the_centre_and_keeps_unit_length():
    rng = np.random.default_rng(1)
    v, c = _unit(rng.normal(size=512)), 0.15 * _unit(rng.normal(size=512))
    out = centred(v, c)
    assert np.linalg.norm(out) == pytest.approx(1.0)
    assert np.allclose(out * np.linalg.norm(v - c), v - c)
    assert centred(v, None) is v


def test_the_shipped_centre_loads_and_says_where_it_comes_from():
    c = Centre.load(model_sha256=MODEL_SHA256, pipeline=RAW_PIPELINE)
    assert c.vector.shape == (512,) and np.all(np.isfinite(c.vector))
    # A mean of unit vectors of many different people: well inside the unit ball.
    assert 0.05 < np.linalg.norm(c.vector) < 0.5
    assert c.images >= 300 and c.people >= 70 and "lfw" in c.source


def test_a_changed_centre_file_is_refused(tmp_path):
    doc = json.loads(CENTRE_FILE.read_text())
    doc["vector"][0] += 0.01
    damaged = tmp_path / "arcface_centre.json"
    damaged.write_text(json.dumps(doc))
    with pytest.raises(ModelsUnavailableError):
        Centre.load(damaged, model_sha256=MODEL_SHA256, pipeline=RAW_PIPELINE)
    with pytest.raises(ModelsUnavailableError):
        Centre.load(tmp_path / "missing.json", model_sha256=MODEL_SHA256, pipeline=RAW_PIPELINE)


def test_a_centre_for_another_model_or_pipeline_is_refused(tmp_path, monkeypatch):
    text = centre_document(
        [_unit(np.ones(512))], 1, source="test", model_sha256="0" * 64, pipeline=RAW_PIPELINE
    )
    path = tmp_path / "other.json"
    path.write_text(text)
    monkeypatch.setattr(centre_module, "CENTRE_SHA256", hashlib.sha256(text.encode()).hexdigest())
    with pytest.raises(ModelsUnavailableError, match="another model"):
        Centre.load(path, model_sha256=MODEL_SHA256, pipeline=RAW_PIPELINE)
    with pytest.raises(ModelsUnavailableError, match="another model"):
        Centre.load(path, model_sha256="0" * 64, pipeline="other-pipeline")
    assert Centre.load(path, model_sha256="0" * 64, pipeline=RAW_PIPELINE).people == 1


def test_leave_two_out_centres_a_pair_without_its_own_people():
    rng = np.random.default_rng(2)
    sizes = {"a": 3, "b": 2, "c": 4, "d": 1}
    people = {p: [_unit(rng.normal(size=8)) for _ in range(n)] for p, n in sizes.items()}
    rows = [(p, v) for p, vs in people.items() for v in vs]
    l2o = LeaveTwoOut(rows)
    expected = np.mean([v for p, v in rows if p not in ("a", "b")], axis=0)
    assert np.allclose(l2o.centre("a", "b"), expected)
    # A genuine pair leaves out one person only.
    assert np.allclose(l2o.centre("c", "c"), np.mean([v for p, v in rows if p != "c"], axis=0))
    va, vb = people["a"][0], people["b"][1]
    want = np.linalg.norm(centred(va, expected) - centred(vb, expected))
    assert l2o.distance("a", va, "b", vb) == pytest.approx(want)
    # Changing a's or b's own images cannot move the centre their pair is measured with.
    moved = LeaveTwoOut([(p, v * (5 if p == "a" else 1)) for p, v in rows])
    assert np.allclose(moved.centre("a", "b"), expected)
