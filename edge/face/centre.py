"""The population centre of ArcFace embeddings, and distances measured after removing it.

The embedder's outputs share a common component (the "average face"), whose
length here is about 0.17: part of every cosine between two faces is that
shared component, not identity. Subtracting the mean embedding of many people
and scaling back to unit length ("centring", a standard step before cosine
scoring) leaves the part that tells people apart. Measured on
``../shared/faces/lfw`` it lowered the FNMR at the worst group's 0.1 % FMR for
every reference kind, on both halves of a selection split, each centred with
the other half's mean (docs/face-calibration.md). A centre from one group
alone (the five men of ``johns``) made things worse: the population behind
it matters, and it is recorded in the centre file.

The centre is an average over hundreds of images of dozens of people, not any
one person's embedding; ``arcface_centre.json`` holds it with its provenance,
and ``benchmarks/face_centre.py`` recomputes it.

Calibration must not centre a pair with a mean that contains either of its
two people (that would flatter the figures): ``LeaveTwoOut`` gives each pair
the mean of everyone else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.face.errors import ModelsUnavailableError

CENTRE_FILE = Path(__file__).with_name("arcface_centre.json")
# The digest of the file in use: a different centre changes every distance, so the
# threshold calibrated for this one would no longer hold.
CENTRE_SHA256 = "1b99bacc4ba1a193a43f699474438a6ce85c62edf91a3c9a17833a22d524e915"


def centred(vector: np.ndarray, centre: np.ndarray | None) -> np.ndarray:
    """``vector`` minus ``centre``, scaled to unit length (``vector`` itself without a centre)."""
    if centre is None:
        return vector
    moved = vector - centre
    return moved / float(np.linalg.norm(moved))


@dataclass(frozen=True)
class Centre:
    vector: np.ndarray
    images: int
    people: int
    source: str

    @classmethod
    def load(cls, path: Path | None = None, *, model_sha256: str, pipeline: str) -> Centre:
        """Read and check the centre file: right digest, model and embedding pipeline."""
        path = CENTRE_FILE if path is None else path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModelsUnavailableError(
                "The face-recognition model's centre file is missing.", file=path.name
            ) from exc
        if hashlib.sha256(data).hexdigest() != CENTRE_SHA256:
            raise ModelsUnavailableError(
                "The face-recognition model's centre file is damaged or not the expected version.",
                file=path.name,
            )
        doc = json.loads(data)
        if doc["model_sha256"] != model_sha256 or doc["pipeline"] != pipeline:
            raise ModelsUnavailableError(
                "The face-recognition model's centre was computed for another model.",
                file=path.name,
            )
        vector = np.asarray(doc["vector"], dtype=np.float64)
        return cls(vector, int(doc["images"]), int(doc["people"]), str(doc["source"]))


def centre_document(
    vectors: list[np.ndarray], people: int, *, source: str, model_sha256: str, pipeline: str
) -> str:
    """The JSON text of a centre file: the mean of ``vectors`` and where it came from."""
    mean = np.mean(np.asarray(vectors, dtype=np.float64), axis=0)
    doc = {
        "what": "mean of unit-length ArcFace embeddings, subtracted before every distance",
        "source": source,
        "images": len(vectors),
        "people": people,
        "model_sha256": model_sha256,
        "pipeline": pipeline,
        "vector": [round(float(v), 8) for v in mean],
    }
    return json.dumps(doc, indent=1) + "\n"


class LeaveTwoOut:
    """Pair distances, each pair centred with the mean of every *other* person's images.

    Built from the raw (uncentred) live embeddings of a calibration set: the
    total and the per-person sums give, for people ``a`` and ``b``, the mean
    over everyone but them in O(dimension).
    """

    def __init__(self, embeddings: list[tuple[str, np.ndarray]]):
        self._total = np.sum([v for _, v in embeddings], axis=0)
        self._count = len(embeddings)
        self._sums: dict[str, tuple[np.ndarray, int]] = {}
        for person, vector in embeddings:
            total, n = self._sums.get(person, (np.zeros_like(vector), 0))
            self._sums[person] = (total + vector, n + 1)

    def centre(self, a: str, b: str) -> np.ndarray:
        total, count = self._total.copy(), self._count
        for person in {a, b}:
            own, n = self._sums.get(person, (0.0, 0))
            total, count = total - own, count - n
        return total / count

    def distance(self, a: str, va: np.ndarray, b: str, vb: np.ndarray) -> float:
        centre = self.centre(a, b)
        return float(np.linalg.norm(centred(va, centre) - centred(vb, centre)))
