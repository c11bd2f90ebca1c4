"""The ArcFace-family embedder: alignment, loading from the install cache, damaged files."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from edge.face.arcface import (
    ALIGN_TARGETS,
    CROP,
    LANDMARK_FILE,
    MODEL_FILE,
    MODEL_SHA256,
    TEMPLATE_112,
    ArcFaceOnnx,
    align,
    align_points,
    box_from_points,
    default_model_dir,
    file_sha256,
    five_from_68,
    similarity_transform,
)
from edge.face.errors import ModelsUnavailableError
from edge.face.models import FaceModels, selected_model
from edge.face.pose import Landmarks5


def _centroid(grey: np.ndarray, x0: int, y0: int) -> tuple[float, float]:
    """Brightness-weighted centre of the dot near (x0, y0) in an aligned crop."""
    window = grey[y0 - 4 : y0 + 5, x0 - 4 : x0 + 5]
    assert window.max() > 100, "no dot near the template point"
    ys, xs = np.mgrid[y0 - 4 : y0 + 5, x0 - 4 : x0 + 5]
    return float((xs * window).sum() / window.sum()), float((ys * window).sum() / window.sum())


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _pose_points(angle_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    """The template's three alignment points as seen in a rotated, scaled, shifted picture."""
    a = math.radians(angle_deg)
    rot = scale * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return ALIGN_TARGETS @ rot.T + np.array(shift)


def test_similarity_transform_recovers_a_known_pose():
    seen = _pose_points(17.0, 2.6, (140.0, 95.0))
    matrix = similarity_transform(seen, ALIGN_TARGETS)
    assert np.allclose(_apply(matrix, seen), ALIGN_TARGETS, atol=1e-9)
    # A similarity: equal scale on both axes, no shear; the scale undoes 2.6.
    m = matrix[:, :2]
    assert np.allclose(m @ m.T, np.eye(2) / 2.6**2, atol=1e-12)


def test_similarity_transform_never_reflects():
    seen = _pose_points(0.0, 1.0, (0.0, 0.0))
    mirrored = seen * np.array([-1.0, 1.0])  # a mirror image of the landmarks
    m = similarity_transform(mirrored, ALIGN_TARGETS)[:, :2]
    assert np.linalg.det(m) > 0


def test_align_puts_known_landmarks_on_the_template():
    # Bright dots at the eyes and nose of a face turned 12 degrees at 3x scale.
    seen = _pose_points(12.0, 3.0, (200.0, 80.0))
    image = np.zeros((480, 640, 3), dtype=np.uint8)
    for x, y in seen:
        image[round(y) - 2 : round(y) + 3, round(x) - 2 : round(x) + 3] = 255
    landmarks = Landmarks5(left_eye=tuple(seen[0]), right_eye=tuple(seen[1]), nose=tuple(seen[2]))
    crop = align(image, landmarks)
    assert crop.shape == (CROP, CROP, 3) and crop.dtype == np.uint8
    grey = crop[..., 0].astype(float)
    for tx, ty in ALIGN_TARGETS:
        x0, y0 = round(tx), round(ty)
        assert _centroid(grey, x0, y0) == pytest.approx((tx, ty), abs=0.75)


def test_five_point_alignment_puts_known_landmarks_on_the_template():
    a = math.radians(-9.0)
    rot = 2.2 * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    seen = TEMPLATE_112 @ rot.T + np.array([90.0, 60.0])
    image = np.zeros((400, 400, 3), dtype=np.uint8)
    for x, y in seen:
        image[round(y) - 2 : round(y) + 3, round(x) - 2 : round(x) + 3] = 255
    grey = align_points(image, seen, TEMPLATE_112)[..., 1].astype(float)
    for tx, ty in TEMPLATE_112:
        x0, y0 = round(tx), round(ty)
        assert _centroid(grey, x0, y0) == pytest.approx((tx, ty), abs=0.75)


def test_five_points_from_the_68_point_layout():
    points = np.zeros((68, 2))
    points[[37, 38, 40, 41]] = [[10, 20], [12, 20], [12, 22], [10, 22]]
    points[[43, 44, 46, 47]] = [[30, 20], [32, 20], [32, 22], [30, 22]]
    points[30] = [21, 30]
    points[[48, 60]] = [[12, 40], [14, 40]]
    points[[54, 64]] = [[30, 40], [28, 40]]
    five = five_from_68(points)
    assert np.allclose(five, [[11, 21], [31, 21], [21, 30], [13, 40], [29, 40]])


def test_the_refined_box_follows_the_points_not_the_detector():
    # 68 points on a circle of radius 10 around (50, 80): RMS radius 10.
    angles = np.linspace(0, 2 * math.pi, 68, endpoint=False)
    points = np.stack([50 + 10 * np.cos(angles), 80 + 10 * np.sin(angles)], axis=1)
    left, top, right, bottom = box_from_points(points)
    # Side 2.72 radii, centre 0.16 radii above the points' centroid (fitted on johns).
    assert right - left == pytest.approx(27.2, abs=1) and bottom - top == pytest.approx(27.2, abs=1)
    assert (left + right) / 2 == pytest.approx(50, abs=0.5)
    assert (top + bottom) / 2 == pytest.approx(80 - 1.6, abs=0.5)
    # Twice as far from the camera, the box halves; moved, it moves with the face.
    far = box_from_points((points - [50, 80]) / 2 + [200, 30])
    assert far[2] - far[0] == pytest.approx(13.6, abs=1)
    assert (far[0] + far[2]) / 2 == pytest.approx(200, abs=0.5)


@pytest.mark.face
def test_mirrored_embedding_is_the_same_for_a_crop_and_its_mirror():
    model = ArcFaceOnnx.load()
    rng = np.random.default_rng(7)
    crop = rng.integers(0, 256, (CROP, CROP, 3), dtype=np.uint8)  # far from symmetric
    vec = model.embed_mirrored(crop)
    assert vec.shape == (512,) and abs(np.linalg.norm(vec) - 1.0) < 1e-6
    mirrored = model.embed_mirrored(np.ascontiguousarray(crop[:, ::-1]))
    assert np.allclose(vec, mirrored, atol=1e-5)
    # ... and not simply the plain embedding: the mirror's half is there.
    assert not np.allclose(vec, model.embed_crop(crop), atol=1e-3)


@pytest.mark.face
def test_five_points_do_not_depend_on_which_side_the_image_is_seen_from(johns):
    """The points of the mirrored image, mapped back, are the points of the image."""
    from PIL import Image

    model = ArcFaceOnnx.load()
    path = next(iter(johns.values()))[0]
    gray = np.asarray(Image.open(path).convert("L"))
    height, width = gray.shape
    box = (width // 6, height // 6, width - width // 6, height - height // 6)
    points = model.five_points(gray, box)
    mirror = model.five_points(
        np.ascontiguousarray(gray[:, ::-1]), (width - box[2], box[1], width - box[0], box[3])
    )
    back = mirror[[1, 0, 2, 4, 3]] * [-1, 1] + [width, 0]
    assert np.allclose(points, back, atol=1e-3)
    # The eyes are on the template's sides: image-left eye left of the image-right eye.
    assert points[0, 0] < points[2, 0] < points[1, 0] and points[2, 1] < points[3, 1]


@pytest.mark.face
def test_model_loads_from_the_install_cache_without_network(no_network):
    path = default_model_dir() / MODEL_FILE
    assert path.is_file(), "run scripts/install_face_model.sh (scripts/install.sh does)"
    assert file_sha256(path) == MODEL_SHA256
    model = ArcFaceOnnx.load()
    crop = np.full((CROP, CROP, 3), 128, dtype=np.uint8)
    vec = model.embed_crop(crop)
    assert vec.shape == (512,) and abs(np.linalg.norm(vec) - 1.0) < 1e-6


@pytest.mark.face
def test_missing_and_damaged_model_files_are_refused(tmp_path):
    with pytest.raises(ModelsUnavailableError) as missing:
        ArcFaceOnnx.load(tmp_path)
    assert missing.value.details["missing"] == [MODEL_FILE, LANDMARK_FILE]
    for name in (MODEL_FILE, LANDMARK_FILE):
        shutil.copyfile(default_model_dir() / name, tmp_path / name)
    ArcFaceOnnx.load(tmp_path)  # the intact copies load
    damaged = tmp_path / MODEL_FILE
    with damaged.open("r+b") as fh:
        fh.seek(100_000)
        fh.write(b"\x00" * 64)
    with pytest.raises(ModelsUnavailableError) as broken:
        ArcFaceOnnx.load(tmp_path)
    assert "damaged" in broken.value.message


def test_model_selection_by_name_and_environment(monkeypatch):
    monkeypatch.delenv("CCCD_EDGE_FACE_MODEL", raising=False)
    assert selected_model() == "sface"
    monkeypatch.setenv("CCCD_EDGE_FACE_MODEL", "dlib")
    assert selected_model() == "dlib" and selected_model("arcface") == "arcface"
    with pytest.raises(ModelsUnavailableError):
        selected_model("facenet")


@pytest.mark.face
def test_both_models_are_loadable_and_say_which_they_are():
    arc, old = FaceModels.shared("arcface"), FaceModels.shared("dlib")
    assert (arc.model, old.model) == ("arcface", "dlib")
    assert "faceplugin-face-recognition-js@0.0.1" in arc.model_version
    assert arc.encoder is None and old.arcface is None
    assert arc.threshold != old.threshold


def test_configuration_selects_the_model(tmp_path):
    from edge.config import ConfigError, load_config

    assert load_config(env={}).face_model == ""
    assert load_config(env={"CCCD_EDGE_FACE_MODEL": "dlib"}).face_model == "dlib"
    with pytest.raises(ConfigError, match="face_model"):
        load_config(env={"CCCD_EDGE_FACE_MODEL": "facenet"})


def test_describe_checks_the_files_without_loading(tmp_path, monkeypatch):
    from edge.face.models import describe

    monkeypatch.setenv("CCCD_EDGE_FACE_MODEL_DIR", str(tmp_path))
    missing = describe("arcface")
    assert missing["available"] is False and "not installed" in missing["reason"]
    assert describe("dlib")["available"] is True  # dlib's files come with its package
    monkeypatch.delenv("CCCD_EDGE_FACE_MODEL_DIR")
    ready = describe("arcface")
    assert ready["available"] is True and ready["model"] == "arcface"


def test_a_damaged_centre_makes_the_face_component_unavailable(tmp_path, monkeypatch):
    from edge.face import centre
    from edge.face.models import describe

    damaged = tmp_path / "arcface_centre.json"
    damaged.write_text(centre.CENTRE_FILE.read_text().replace("0.0", "0.1", 1))
    monkeypatch.setattr(centre, "CENTRE_FILE", damaged)
    gone = describe("arcface")
    assert gone["available"] is False and "centre" in gone["reason"]
    with pytest.raises(ModelsUnavailableError, match="centre"):
        FaceModels.load(model="arcface")
    assert describe("dlib")["available"] is True  # the old model needs no centre
