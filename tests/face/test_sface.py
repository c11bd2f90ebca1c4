"""SFace, the default embedder: installed files, input convention, and what it tells apart."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from edge.face.arcface import CROP, LANDMARK_FILE, default_model_dir, file_sha256
from edge.face.errors import ModelsUnavailableError
from edge.face.models import DEFAULT_MODEL, THRESHOLDS, FaceModels, describe
from edge.face.sface import MODEL_VERSION, SFACE_FILE, SFACE_SHA256, SFaceOnnx

pytestmark = pytest.mark.face


def test_sface_is_the_default_and_says_which_file_it_is():
    assert DEFAULT_MODEL == "sface"
    # The digest is OpenCV Zoo's published git-LFS object id for this file.
    assert SFACE_SHA256.startswith("0ba9fbfa01b5") and SFACE_SHA256[:12] in MODEL_VERSION
    ready = describe()
    assert ready["available"] and ready["model"] == "sface"
    assert ready["threshold"] == THRESHOLDS["sface"] and ready["model_version"] == MODEL_VERSION


def test_loads_from_the_install_cache_without_network(no_network):
    path = default_model_dir() / SFACE_FILE
    assert path.is_file(), "run scripts/install_face_model.sh (scripts/install.sh does)"
    assert file_sha256(path) == SFACE_SHA256
    model = SFaceOnnx.load()
    assert model.centre is None  # measured: a population centre did not help this model
    vec = model.embed_crop(np.full((CROP, CROP, 3), 128, dtype=np.uint8))
    assert vec.shape == (128,) and abs(np.linalg.norm(vec) - 1.0) < 1e-6


def test_the_network_takes_rgb_pixels_as_they_are():
    model = SFaceOnnx.load()
    crop = np.zeros((CROP, CROP, 3), dtype=np.uint8)
    crop[..., 0], crop[..., 1], crop[..., 2] = 200, 100, 7
    x = model.network_input(crop)
    assert x.shape == (1, 3, CROP, CROP) and x.dtype == np.float32
    assert (x[0, 0].max(), x[0, 1].max(), x[0, 2].max()) == (200.0, 100.0, 7.0)


def test_missing_and_damaged_files_are_refused(tmp_path):
    with pytest.raises(ModelsUnavailableError) as missing:
        SFaceOnnx.load(tmp_path)
    assert missing.value.details["missing"] == [SFACE_FILE, LANDMARK_FILE]
    for name in (SFACE_FILE, LANDMARK_FILE):
        shutil.copyfile(default_model_dir() / name, tmp_path / name)
    SFaceOnnx.load(tmp_path)
    with (tmp_path / SFACE_FILE).open("r+b") as fh:
        fh.seek(1_000_000)
        fh.write(b"\x00" * 64)
    with pytest.raises(ModelsUnavailableError, match="damaged"):
        SFaceOnnx.load(tmp_path)


def test_genuine_pairs_are_closer_than_impostors_on_johns(johns):
    models = FaceModels.shared("sface")
    assert models.model == "sface" and models.encoder is None
    from edge.face.calibration import embed_people

    items = embed_people(models, {p: paths[:4] for p, paths in johns.items()})
    genuine: list[float] = []
    impostor: list[float] = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            d = float(np.linalg.norm(a.embedding - b.embedding))
            (genuine if a.person == b.person else impostor).append(d)
    assert max(genuine) < THRESHOLDS["sface"] < min(impostor)


def test_the_embedding_thread_count_is_configurable_and_changes_nothing_else():
    one, two = SFaceOnnx.load(threads=1), SFaceOnnx.load(threads=2)
    for model, threads in ((one, 1), (two, 2)):
        options = model.session.get_session_options()  # type: ignore[attr-defined]
        assert options.intra_op_num_threads == threads
    crop = np.random.default_rng(5).integers(0, 256, (CROP, CROP, 3), dtype=np.uint8)
    assert np.allclose(one.embed_crop(crop), two.embed_crop(crop), atol=1e-5)
