"""Each bad picture gives its own reason, for live frames and for the chip photo."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from edge.face import match_frames, reference_from_photo
from edge.face.detect import analyse_frame
from edge.face.errors import (
    CorruptImageError,
    MultipleFacesError,
    NoFaceError,
    UnsupportedFormatError,
)
from edge.face.quality import QualityLimits
from tests.face.synth import blurred, jpeg, kiosk_frame, load_rgb

pytestmark = pytest.mark.face


@pytest.fixture(scope="module")
def face(johns):
    return load_rgb(next(iter(johns.values()))[0])


def codes(models, rgb, **kw):
    analysis = analyse_frame(models, rgb, **kw)
    return [r.code for r in analysis.reasons]


def test_good_frame_passes_every_gate(models, face):
    analysis = analyse_frame(models, kiosk_frame(face))
    assert analysis.passed and analysis.reasons == []
    assert abs(analysis.face.pose.roll_deg) < 5 and abs(analysis.face.pose.yaw) < 0.1


def test_no_face(models):
    assert codes(models, np.full((480, 640, 3), 120, np.uint8)) == ["no_face"]


def test_several_faces(models, johns, face):
    other = load_rgb(list(johns.values())[2][0])
    two = np.concatenate(
        [kiosk_frame(face, (320, 480), 1.2), kiosk_frame(other, (320, 480), 1.2)], axis=1
    )
    assert codes(models, two) == ["several_faces"]


def test_face_too_small(models, face):
    # 0.62 x a 150 px crop: HOG still finds the face, at about 73 px.
    assert codes(models, kiosk_frame(face, scale=0.62)) == ["face_too_small"]


def test_blurred(models, face):
    assert codes(models, blurred(kiosk_frame(face), 3.0)) == ["blurred"]


def test_too_dark(models, face):
    assert codes(models, (kiosk_frame(face) * 0.25).astype(np.uint8)) == ["too_dark"]


def test_too_bright(models, face):
    bright = np.clip(kiosk_frame(face).astype(int) + 150, 0, 255).astype(np.uint8)
    assert codes(models, bright) == ["too_bright"]


def test_not_frontal_when_the_head_is_tilted(models, face):
    tilted = Image.fromarray(kiosk_frame(face)).rotate(
        25, resample=Image.Resampling.BILINEAR, fillcolor=(120, 120, 120)
    )
    analysis = analyse_frame(models, np.asarray(tilted))
    assert [r.code for r in analysis.reasons] == ["not_frontal"]
    assert abs(analysis.reasons[0].details["roll_deg"]) > 15


def test_not_frontal_gate_can_be_waived_for_liveness(models, face):
    tilted = np.asarray(Image.fromarray(kiosk_frame(face)).rotate(25, fillcolor=(120, 120, 120)))
    assert codes(models, tilted, need_frontal=False) == []


def test_limits_are_configurable(models, face):
    assert codes(models, kiosk_frame(face), limits=QualityLimits(min_face_px=400)) == [
        "face_too_small"
    ]


def test_reasons_are_plain_sentences_in_the_match_result(models, johns, chip_refs, face):
    ref = chip_refs[(next(iter(johns)), "JPEG")]
    result = match_frames(
        models,
        ref,
        [jpeg(blurred(kiosk_frame(face), 3.0)), jpeg((kiosk_frame(face) * 0.25).astype(np.uint8))],
    )
    reasons = [f.to_dict()["reasons"][0] for f in result.frames]
    assert [r["code"] for r in reasons] == ["blurred", "too_dark"]
    assert all(r["message"].endswith(".") and " " in r["message"] for r in reasons)
    assert result.decision == "undetermined"


def test_reference_without_a_face(models):
    with pytest.raises(NoFaceError, match="photo"):
        reference_from_photo(models, jpeg(np.full((320, 240, 3), 200, np.uint8)))


def test_reference_with_two_faces(models, johns, face):
    other = load_rgb(list(johns.values())[3][0])
    with pytest.raises(MultipleFacesError):
        reference_from_photo(models, jpeg(np.concatenate([face, other], axis=1)))


def test_reference_corrupt_or_unsupported(models, face):
    data = jpeg(face)
    with pytest.raises(CorruptImageError):
        reference_from_photo(models, data[: len(data) // 3])
    with pytest.raises(UnsupportedFormatError):
        reference_from_photo(models, b"GIF89a" + data)
