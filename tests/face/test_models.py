"""Models load once, are shared, and are safe to use from several threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from edge.face import match_frames
from edge.face.errors import ModelsUnavailableError
from edge.face.models import RESNET, FaceModels, models_dir
from tests.face.synth import load_rgb

pytestmark = pytest.mark.face


def test_shared_models_are_loaded_once_and_reused(models):
    assert FaceModels.shared() is models
    assert FaceModels.shared() is FaceModels.shared()


def test_only_the_five_point_landmark_model_is_used(models, johns):
    import dlib

    assert models_dir().joinpath(RESNET).is_file()
    face = load_rgb(next(iter(johns.values()))[0])
    shape = models.landmarks(face, dlib.rectangle(20, 20, 127, 128))
    assert shape.num_parts == 5


def test_missing_weights_are_a_typed_error(tmp_path):
    with pytest.raises(ModelsUnavailableError) as info:
        FaceModels.load(tmp_path)
    assert info.value.code == "models_unavailable"
    assert "dlib_face_recognition_resnet_model_v1.dat" in info.value.details["missing"]


def test_damaged_weights_are_a_typed_error(tmp_path):
    for name in ("mmod_human_face_detector.dat", "shape_predictor_5_face_landmarks.dat", RESNET):
        (tmp_path / name).write_bytes(b"not a model")
    with pytest.raises(ModelsUnavailableError, match="damaged"):
        FaceModels.load(tmp_path)


def test_concurrent_matches_give_the_sequential_answers(models, johns, chip_refs):
    person, paths = next(iter(johns.items()))
    ref = chip_refs[(person, "JPEG")]
    frames = [[p.read_bytes()] for p in paths[1:5]]
    sequential = [match_frames(models, ref, f).distance for f in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda f: match_frames(models, ref, f).distance, frames))
    assert parallel == pytest.approx(sequential, abs=1e-9)
