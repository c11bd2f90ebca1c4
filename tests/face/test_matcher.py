"""Match decisions on the shared face set at the calibrated default threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.face import DEFAULT_THRESHOLD, MATCH, NO_MATCH, UNDETERMINED, match_frames
from edge.face.calibration import (
    choose_threshold,
    fmr,
    fnmr,
    make_chip_photo,
    pair_distances,
    recommend_threshold,
)
from edge.face.errors import NoFramesError
from edge.face.matcher import Reference, distance
from tests.face.synth import jpeg, kiosk_frame, load_rgb

pytestmark = pytest.mark.face


def test_rates_over_all_pairs_at_the_default_threshold(embedded):
    genuine, impostor = pair_distances(embedded)
    assert (len(genuine), len(impostor)) == (275, 1210)  # 5 x C(11,2); C(55,2) - 275
    # docs/face-calibration.md: no false match and no false non-match on this set.
    assert fmr(impostor, DEFAULT_THRESHOLD) <= 0.001
    assert fnmr(genuine, DEFAULT_THRESHOLD) <= 0.01
    # The constant is no looser than what the live pairs alone recommend.
    assert DEFAULT_THRESHOLD <= recommend_threshold([impostor])


def test_every_calibration_image_passes_the_gates(embedded):
    assert len(embedded) == 55 and all(item.passed_gates for item in embedded)


@pytest.mark.parametrize("fmt", ["JPEG", "JPEG2000"])
def test_chip_style_reference_matches_its_owner_only(models, johns, chip_refs, fmt):
    for person, paths in johns.items():
        ref = chip_refs[(person, fmt)]
        assert ref.format == fmt and ref.detector == "cnn"
        own = match_frames(models, ref, [p.read_bytes() for p in paths[1:4]])
        assert own.decision == MATCH, (person, own.distance)
        assert own.frames_used == 3 and own.distance <= DEFAULT_THRESHOLD
        other = next(p for p in johns if p != person)
        theirs = match_frames(models, ref, [p.read_bytes() for p in johns[other][1:4]])
        assert theirs.decision == NO_MATCH and theirs.distance > DEFAULT_THRESHOLD


def test_chip_photo_is_small_like_a_real_one(johns):
    first = next(iter(johns.values()))[0].read_bytes()
    assert len(make_chip_photo(first, "JPEG")) < 20_000
    assert len(make_chip_photo(first, "JPEG2000")) < 20_000


def test_kiosk_sized_frames_match(models, johns, chip_refs):
    person, paths = next(iter(johns.items()))
    frames = [jpeg(kiosk_frame(load_rgb(p))) for p in paths[4:6]]
    result = match_frames(models, chip_refs[(person, "JPEG")], frames)
    assert result.decision == MATCH and result.frames_used == 2


def test_decision_uses_the_median_of_passing_frames(models, johns, chip_refs):
    person, paths = next(iter(johns.items()))
    result = match_frames(models, chip_refs[(person, "JPEG")], [p.read_bytes() for p in paths[1:4]])
    distances = [f.distance for f in result.frames]
    assert result.decision == MATCH
    assert result.distance == pytest.approx(float(np.median(distances)))


def test_frames_of_two_people_are_undetermined_not_outvoted(models, johns, chip_refs):
    # Two frames of the holder and one of somebody else: the median would say "match",
    # but the frames disagree, so the decision is left to a person.
    people = list(johns)
    ref = chip_refs[(people[0], "JPEG")]
    frames = [p.read_bytes() for p in johns[people[0]][1:3]] + [johns[people[1]][1].read_bytes()]
    result = match_frames(models, ref, frames)
    distances = [f.distance for f in result.frames]
    assert min(distances) <= DEFAULT_THRESHOLD < max(distances)
    assert result.decision == UNDETERMINED
    assert "do not agree" in result.message


def test_threshold_argument_changes_the_decision(models, johns, chip_refs):
    person, paths = next(iter(johns.items()))
    ref = chip_refs[(person, "JPEG")]
    result = match_frames(models, ref, [paths[1].read_bytes()], threshold=0.01)
    assert result.decision == NO_MATCH and result.threshold == 0.01


def test_no_usable_frame_is_undetermined_with_reasons(models, chip_refs):
    ref = next(iter(chip_refs.values()))
    blank = jpeg(np.full((480, 640, 3), 120, np.uint8))
    result = match_frames(models, ref, [blank, b"\xff\xd8\xff\x00garbage"])
    assert result.decision == UNDETERMINED and result.distance is None
    assert [f.reasons[0].code for f in result.frames] == ["no_face", "corrupt_image"]
    assert "No usable picture" in result.message


def test_no_frames_at_all_is_an_error(models, chip_refs):
    with pytest.raises(NoFramesError):
        match_frames(models, next(iter(chip_refs.values())), [])


def test_result_dict_is_json_and_carries_no_embedding(models, johns, chip_refs):
    person, paths = next(iter(johns.items()))
    result = match_frames(models, chip_refs[(person, "JPEG")], [paths[1].read_bytes()])
    text = json.dumps(result.to_dict())
    out = json.loads(text)
    assert set(out) >= {"decision", "distance", "threshold", "frames", "frames_used", "message"}
    assert out["frames"][0]["face"]["measures"]["face_px"] >= 80
    assert "embedding" not in text
    assert "embedding" not in json.dumps(chip_refs[(person, "JPEG")].to_dict())


def test_reference_from_embedding_checks_its_shape():
    ref = Reference.from_embedding([0.1] * 128)
    assert distance(ref, np.zeros(128)) == pytest.approx(np.sqrt(128 * 0.01))
    with pytest.raises(ValueError):
        Reference.from_embedding([0.1] * 127)
    with pytest.raises(ValueError):
        Reference.from_embedding([float("nan")] * 128)


def test_choose_threshold_counts_the_false_matches_allowed():
    impostor = np.array([0.50, 0.62, 0.70, 0.80] + [1.0] * 996)  # 1000 pairs: 0.1 % = 1 pair
    assert choose_threshold(impostor, 0.001) == pytest.approx(0.61)  # 0.50 may fall below, 0.62 not
    assert choose_threshold(impostor, 0.0) == pytest.approx(0.49)
    assert fmr(impostor, 0.61) == pytest.approx(0.001)


def test_recommend_threshold_keeps_a_margin_below_the_closest_impostor():
    live = np.array([0.70, 0.80, 0.90])
    chip = np.array([0.66, 0.95])
    assert recommend_threshold([live, chip], margin=0.05) == pytest.approx(0.61)
    assert recommend_threshold([live], margin=0.0) == pytest.approx(0.69)
    assert np.isnan(recommend_threshold([np.array([])]))
