"""The face models, loaded once per process and shared between requests.

Three embedders can be selected (``CCCD_EDGE_FACE_MODEL`` or ``face_model`` in
the configuration): ``sface`` (the default; ``edge/face/sface.py``, OpenCV Zoo's
SFace under onnxruntime), ``arcface`` (``edge/face/arcface.py``, the
ArcFace-family model chosen before it) and ``dlib`` (dlib's ResNet, the first
model). All use dlib's detectors; the ONNX ones align with their own 68-point
landmarks. Each model has its own calibrated threshold
(docs/face-calibration.md).

dlib weights come from the installed ``face_recognition_models`` package; nothing
is downloaded. Its ``__init__`` imports ``pkg_resources`` (absent from our
setuptools), so we locate its folder with ``importlib`` without importing it.

Only the 5-point landmark model is used: the 68-point model's training data
forbids commercial use.

dlib's network objects keep per-call buffers, so each model is used under its
own lock; the HOG detector (cheap) and the CNN/ResNet (slow) do not block one
another.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from edge.face.errors import ModelsUnavailableError

CNN_DETECTOR = "mmod_human_face_detector.dat"
SHAPE_PREDICTOR_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"

# The ResNet was trained on 150x150 chips with 25 % padding around the
# 5-point alignment (dlib's defaults for compute_face_descriptor).
CHIP_SIZE = 150
CHIP_PADDING = 0.25

MODEL_SFACE = "sface"
MODEL_ARCFACE = "arcface"
MODEL_DLIB = "dlib"
MODELS = (MODEL_SFACE, MODEL_ARCFACE, MODEL_DLIB)
ONNX_MODELS = (MODEL_SFACE, MODEL_ARCFACE)
DEFAULT_MODEL = MODEL_SFACE
ENV_MODEL = "CCCD_EDGE_FACE_MODEL"
DLIB_VERSION = "dlib_face_recognition_resnet_model_v1 (face_recognition_models 0.3.0)"
# Distances at or below which two faces are the same person, per embedder: the
# largest value keeping the false-match rate of the worst group of the shared
# LFW set (pairs of East/Southeast Asian people) at or below 0.1 % for live and
# chip-like references (docs/face-calibration.md). For dlib that costs a
# false-non-match rate of about 70 %: its embedding does not separate these faces.
THRESHOLDS = {MODEL_SFACE: 1.08, MODEL_ARCFACE: 1.05, MODEL_DLIB: 0.36}


def describe(model: str | None = None) -> dict[str, Any]:
    """Which model would be used and whether its files are installed, without loading it.

    Cheap enough for a health check: file presence and, for the ONNX files, their digests.
    """
    try:
        chosen = selected_model(model)
        if chosen in ONNX_MODELS:
            onnx_class, version = _onnx_embedder(chosen)
            onnx_class.check_files()
        else:
            version = DLIB_VERSION
        folder = models_dir()
        missing = [
            n for n in (CNN_DETECTOR, SHAPE_PREDICTOR_5, RESNET) if not (folder / n).is_file()
        ]
        if missing:
            raise ModelsUnavailableError(missing=missing)
    except ModelsUnavailableError as exc:
        return {"available": False, "reason": exc.message}
    return {
        "available": True,
        "model": chosen,
        "model_version": version,
        "threshold": THRESHOLDS[chosen],
    }


def _onnx_embedder(model: str) -> tuple[Any, str]:
    """The ONNX embedder class of ``model`` and its version string (imported on demand)."""
    if model == MODEL_SFACE:
        from edge.face import sface

        return sface.SFaceOnnx, sface.MODEL_VERSION
    from edge.face import arcface

    return arcface.ArcFaceOnnx, arcface.MODEL_VERSION


def selected_model(name: str | None = None) -> str:
    """The embedder to use: ``name``, else ``$CCCD_EDGE_FACE_MODEL``, else the default."""
    import os

    chosen = (name or os.environ.get(ENV_MODEL) or DEFAULT_MODEL).strip().lower()
    if chosen not in MODELS:
        raise ModelsUnavailableError(
            f"Unknown face model {chosen!r}; choose one of {', '.join(MODELS)}.", model=chosen
        )
    return chosen


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelsUnavailableError()
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass
class FaceModels:
    """Detectors, landmarks and one embedder, a lock each. Create with ``load()``/``shared()``."""

    cnn_detector: Any  # a dlib model (untyped)
    hog_detector: Any  # a dlib model (untyped)
    shape_predictor: Any  # a dlib model (untyped)
    encoder: Any  # dlib's ResNet when model == "dlib", else None
    source: str
    model: str = MODEL_DLIB
    model_version: str = DLIB_VERSION
    # The ONNX embedder (SFaceOnnx or ArcFaceOnnx) when model is "sface" or "arcface".
    arcface: Any = field(default=None, repr=False)
    _cnn_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _hog_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shape_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _encoder_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def threshold(self) -> float:
        """The calibrated default threshold of this embedder."""
        return THRESHOLDS[self.model]

    @classmethod
    def load(
        cls,
        directory: Path | str | None = None,
        *,
        model: str | None = None,
        model_dir: Path | str | None = None,
        centred: bool = True,
        threads: int = 1,
    ) -> FaceModels:
        """Load the weights: dlib's from ``directory`` (default: the installed package), the
        ArcFace model's from ``model_dir`` (default: ``arcface.default_model_dir()``)."""
        chosen = selected_model(model)
        try:
            import dlib
        except ImportError as exc:  # pragma: no cover - dlib is a declared dependency
            raise ModelsUnavailableError(
                "The face-matching library (dlib) is not installed."
            ) from exc
        folder = Path(directory) if directory is not None else models_dir()
        paths = {name: folder / name for name in (CNN_DETECTOR, SHAPE_PREDICTOR_5, RESNET)}
        missing = [name for name, path in paths.items() if not path.is_file()]
        if missing:
            raise ModelsUnavailableError(missing=missing)
        arcface, version = None, DLIB_VERSION
        if chosen in ONNX_MODELS:
            onnx_class, version = _onnx_embedder(chosen)
            arcface = onnx_class.load(model_dir, centred=centred, threads=threads)
        try:
            return cls(
                cnn_detector=dlib.cnn_face_detection_model_v1(str(paths[CNN_DETECTOR])),
                hog_detector=dlib.get_frontal_face_detector(),
                shape_predictor=dlib.shape_predictor(str(paths[SHAPE_PREDICTOR_5])),
                encoder=(
                    dlib.face_recognition_model_v1(str(paths[RESNET]))
                    if chosen == MODEL_DLIB
                    else None
                ),
                source=str(folder),
                model=chosen,
                model_version=version,
                arcface=arcface,
            )
        except RuntimeError as exc:  # dlib raises RuntimeError on a damaged weights file
            raise ModelsUnavailableError("The face model files are damaged.") from exc

    def raw(self) -> FaceModels:
        """The same models, the ArcFace embeddings without the population centre."""
        if self.arcface is None:
            return self
        return replace(self, arcface=self.arcface.raw())

    @classmethod
    def shared(cls, model: str | None = None, *, threads: int = 1) -> FaceModels:
        """The process-wide instance per model (model folder, threads), loaded once and reused."""
        chosen = selected_model(model)
        key = chosen
        if chosen in ONNX_MODELS:
            from edge.face.arcface import default_model_dir

            key = f"{chosen}:{default_model_dir()}:{threads}"
        with _shared_lock:
            if key not in _shared:
                _shared[key] = cls.load(model=chosen, threads=threads)
            return _shared[key]

    # -- thread-safe calls ---------------------------------------------------

    def detect_cnn(self, rgb: np.ndarray, upsample: int = 0) -> list[tuple[Any, float]]:
        """MMOD CNN detections as (dlib.rectangle, confidence)."""
        rgb = _c_uint8(rgb)
        with self._cnn_lock:
            found = self.cnn_detector(rgb, upsample)
        return [(d.rect, float(d.confidence)) for d in found]

    def detect_hog(self, gray: np.ndarray, upsample: int = 0) -> list[Any]:
        gray = _c_uint8(gray)
        with self._hog_lock:
            return list(self.hog_detector(gray, upsample))

    def landmarks(self, image: np.ndarray, rect: Any) -> Any:
        image = _c_uint8(image)
        with self._shape_lock:
            return self.shape_predictor(image, rect)

    def embed(self, rgb: np.ndarray, shape: Any) -> np.ndarray:
        """Align on the 5 landmarks; the descriptor (dlib: 128-d; ArcFace: 512-d, unit length)."""
        if self.arcface is not None:
            rect = shape.rect
            box = (rect.left(), rect.top(), rect.right(), rect.bottom())
            return self.arcface.embed_box(_c_uint8(rgb), box)
        import dlib

        chip = dlib.get_face_chip(_c_uint8(rgb), shape, CHIP_SIZE, CHIP_PADDING)
        with self._encoder_lock:
            vec = self.encoder.compute_face_descriptor(chip)
        return np.asarray(vec, dtype=np.float64)


def _c_uint8(a: np.ndarray) -> np.ndarray:
    """dlib's bindings accept only C-contiguous uint8 pixel arrays."""
    return np.ascontiguousarray(a, dtype=np.uint8)


_shared: dict[str, FaceModels] = {}
_shared_lock = threading.Lock()
