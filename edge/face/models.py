"""The dlib models, loaded once per process and shared between requests.

Weights come from the installed ``face_recognition_models`` package; nothing
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
from dataclasses import dataclass, field
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


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelsUnavailableError()
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass
class FaceModels:
    """The four dlib models plus one lock each. Create with ``load()``/``shared()``."""

    cnn_detector: Any  # a dlib object (dlib ships no types)
    hog_detector: Any  # a dlib object (dlib ships no types)
    shape_predictor: Any  # a dlib object (dlib ships no types)
    encoder: Any  # a dlib object (dlib ships no types)
    source: str
    _cnn_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _hog_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shape_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _encoder_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, directory: Path | str | None = None) -> FaceModels:
        """Load the weights from ``directory`` (default: the installed package)."""
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
        try:
            return cls(
                cnn_detector=dlib.cnn_face_detection_model_v1(str(paths[CNN_DETECTOR])),
                hog_detector=dlib.get_frontal_face_detector(),
                shape_predictor=dlib.shape_predictor(str(paths[SHAPE_PREDICTOR_5])),
                encoder=dlib.face_recognition_model_v1(str(paths[RESNET])),
                source=str(folder),
            )
        except RuntimeError as exc:  # dlib raises RuntimeError on a damaged weights file
            raise ModelsUnavailableError("The face model files are damaged.") from exc

    @classmethod
    def shared(cls) -> FaceModels:
        """The process-wide instance, loaded on first use and reused afterwards."""
        global _shared
        with _shared_lock:
            if _shared is None:
                _shared = cls.load()
            return _shared

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
        """Align on the 5 landmarks and return the 128-d descriptor."""
        import dlib

        chip = dlib.get_face_chip(_c_uint8(rgb), shape, CHIP_SIZE, CHIP_PADDING)
        with self._encoder_lock:
            vec = self.encoder.compute_face_descriptor(chip)
        return np.asarray(vec, dtype=np.float64)


def _c_uint8(a: np.ndarray) -> np.ndarray:
    """dlib's bindings accept only C-contiguous uint8 pixel arrays."""
    return np.ascontiguousarray(a, dtype=np.uint8)


_shared: FaceModels | None = None
_shared_lock = threading.Lock()
