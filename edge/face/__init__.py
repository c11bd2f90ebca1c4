"""Face match of the person at the kiosk against the chip photo (DG2), plus liveness v1.

Service use::

    models = FaceModels.shared()                      # once, at start (about 0.4 s)
    ref = reference_from_photo(models, dg2_image)     # once per transaction; raises FaceError
    result = match_frames(models, ref, [jpeg, ...])   # MatchResult; .to_dict() for JSON
    challenge = LivenessChallenge.new(rng, now)
    verdict = evaluate(challenge, [(ts, jpeg), ...], ref, models=models)

Importing this package loads no model; dlib is imported on first use of the models.
"""

from edge.face.errors import FaceError
from edge.face.liveness import LivenessChallenge, LivenessResult, evaluate
from edge.face.matcher import (
    DEFAULT_THRESHOLD,
    MATCH,
    NO_MATCH,
    UNDETERMINED,
    MatchResult,
    Reference,
    match_frames,
    reference_from_photo,
)
from edge.face.models import FaceModels

__all__ = [
    "DEFAULT_THRESHOLD",
    "MATCH",
    "NO_MATCH",
    "UNDETERMINED",
    "FaceError",
    "FaceModels",
    "LivenessChallenge",
    "LivenessResult",
    "MatchResult",
    "Reference",
    "evaluate",
    "match_frames",
    "reference_from_photo",
]
