"""Liveness v1: the right head turns, in order, inside the window, by the chip's owner.

Turned heads are synthesised from the shared crops: squeezing one side of the
face and stretching the other about the nose moves the eye midpoint against
the nose, as a real turn does; a flat print turned in the hand is a uniform
squeeze, which leaves the nose offset where it was.
"""

from __future__ import annotations

from typing import cast

import pytest

from edge.face.detect import analyse_frame
from edge.face.liveness import LEFT, RIGHT, LivenessChallenge, evaluate
from edge.face.models import FaceModels
from tests.face.synth import hinge_turn, load_rgb, padded, squeeze

pytestmark = pytest.mark.face

T0 = 1_000.0


def fixed_rng(data: bytes):
    """Hands out ``data`` in order, as a recorded random stream."""
    stream = iter(data)

    def rng(n: int) -> bytes:
        return bytes(next(stream) for _ in range(n))

    return rng


def poses(models, path):
    """(frontal, turned to the person's left, turned to their right) frames."""
    frontal = padded(load_rgb(path))
    nose_x = analyse_frame(models, frontal, need_frontal=False).face.landmarks.nose[0]
    # Stretching the image-left side moves the eyes left of the nose: the nose
    # then sits to the image's right, i.e. a turn to the person's left.
    return {
        "F": frontal,
        LEFT: hinge_turn(frontal, nose_x, 1.3, 0.5),
        RIGHT: hinge_turn(frontal, nose_x, 0.5, 1.3),
    }


@pytest.fixture(scope="module")
def person(johns):
    name = next(iter(johns))
    return name, johns[name]


@pytest.fixture(scope="module")
def frames(models, person):
    return poses(models, person[1][0])


@pytest.fixture(scope="module")
def ref(chip_refs, person):
    return chip_refs[(person[0], "JPEG")]


def challenge(steps, window=10.0):
    return LivenessChallenge(
        challenge_id="test", steps=tuple(steps), issued_at=T0, deadline=T0 + window
    )


def sequence(frames, keys, start=T0 + 0.5, step=0.25):
    return [(start + i * step, frames[k]) for i, k in enumerate(keys)]


def performed(steps):
    keys = ["F"]
    for s in steps:
        keys += [s, "F"]
    return keys


def test_challenge_is_drawn_from_the_injected_rng_and_clock():
    a = LivenessChallenge.new(fixed_rng(bytes(8) + b"\x00\x01\x01"), now=T0)
    b = LivenessChallenge.new(fixed_rng(bytes(8) + b"\x00\x01\x01"), now=T0)
    assert a == b and a.steps == (LEFT, RIGHT, RIGHT)
    assert (a.issued_at, a.deadline) == (T0, T0 + 15.0)
    c = LivenessChallenge.new(
        fixed_rng(b"\x11" * 8 + b"\x01\x00\x00\x01"), now=T0, n_steps=4, window_s=5
    )
    assert (
        c.steps == (RIGHT, LEFT, LEFT, RIGHT)
        and c.challenge_id == "11" * 8
        and c.deadline == T0 + 5
    )
    assert c.to_dict()["prompts"][1].startswith("Turn your head to your right")
    with pytest.raises(ValueError):
        LivenessChallenge.new(fixed_rng(bytes(8)), now=T0, n_steps=0)


def test_synthetic_turns_move_the_nose_the_right_way(models, frames):
    base = analyse_frame(models, frames["F"], need_frontal=False).face.pose.yaw
    left = analyse_frame(models, frames[LEFT], need_frontal=False).face.pose.yaw
    right = analyse_frame(models, frames[RIGHT], need_frontal=False).face.pose.yaw
    assert left - base > 0.12 and base - right > 0.12


@pytest.mark.parametrize("steps", [(LEFT, RIGHT, LEFT), (RIGHT, RIGHT, LEFT)])
def test_the_asked_turns_in_order_pass(models, frames, ref, steps):
    result = evaluate(challenge(steps), sequence(frames, performed(steps)), ref, models=models)
    assert result.passed, result.to_dict()
    assert result.steps_seen == list(steps) and result.reasons == []
    assert result.identity_distance <= models.threshold


def test_a_static_picture_fails(models, frames, ref):
    result = evaluate(
        challenge((LEFT, RIGHT, LEFT)), sequence(frames, ["F"] * 6), ref, models=models
    )
    assert not result.passed
    assert [r.code for r in result.reasons] == ["steps_not_seen"]
    assert result.identity_distance <= models.threshold  # the right face, but not alive


def test_a_print_turned_in_the_hand_fails(models, frames, ref):
    shots = [squeeze(frames["F"], f) for f in (1.0, 0.8, 0.6, 0.8, 1.0, 0.6, 1.0)]
    result = evaluate(
        challenge((LEFT, RIGHT)),
        [(T0 + 1 + i * 0.3, s) for i, s in enumerate(shots)],
        ref,
        models=models,
    )
    assert not result.passed and [r.code for r in result.reasons] == ["steps_not_seen"]


def test_turns_in_the_wrong_order_fail(models, frames, ref):
    result = evaluate(
        challenge((LEFT, RIGHT)), sequence(frames, performed((RIGHT, LEFT))), ref, models=models
    )
    assert not result.passed and result.reasons[0].code == "wrong_direction"


def test_frames_outside_the_window_are_ignored(models, frames, ref):
    steps = (LEFT, RIGHT)
    good = sequence(frames, performed(steps))
    late = [(T0 + 20 + i, frames[k]) for i, k in enumerate([RIGHT, "F"])]
    early = [(T0 - 1, frames[LEFT])]
    # The right turn happens only after the deadline, the left turn also before the start.
    shots = early + good[:3] + late
    result = evaluate(challenge(steps), shots, ref, models=models)
    assert not result.passed and result.steps_seen == [LEFT]
    assert result.frames_ignored == 3 and result.frames_in_window == 3
    # The same frames inside the window pass.
    assert evaluate(challenge(steps), early + good, ref, models=models).passed


def test_mirrored_frames_swap_the_directions(models, frames, ref):
    steps = (LEFT, RIGHT)
    result = evaluate(
        challenge(steps),
        sequence(frames, performed((RIGHT, LEFT))),
        ref,
        models=models,
        mirrored=True,
    )
    assert result.passed


def test_someone_else_than_the_chip_owner_fails(models, frames, chip_refs, johns, person):
    other = next(p for p in johns if p != person[0])
    steps = (LEFT, RIGHT)
    result = evaluate(
        challenge(steps),
        sequence(frames, performed(steps)),
        chip_refs[(other, "JPEG")],
        models=models,
    )
    assert not result.passed and [r.code for r in result.reasons] == ["identity_not_matched"]


def test_a_different_face_doing_the_turns_fails(models, frames, johns, person, ref):
    other = next(p for p in johns if p != person[0])
    theirs = poses(models, johns[other][0])
    mixed = {"F": frames["F"], LEFT: theirs[LEFT], RIGHT: theirs[RIGHT]}
    steps = (LEFT, RIGHT)
    result = evaluate(challenge(steps), sequence(mixed, performed(steps)), ref, models=models)
    assert not result.passed and "identity_changed" in [r.code for r in result.reasons]


def test_turns_before_the_first_frontal_frame_do_not_count(models, frames, ref):
    steps = (LEFT, RIGHT)
    keys = [LEFT, RIGHT, *performed(steps)]
    assert evaluate(challenge(steps), sequence(frames, keys), ref, models=models).passed
    only_turns = evaluate(
        challenge(steps), sequence(frames, [LEFT, RIGHT, LEFT]), ref, models=models
    )
    assert not only_turns.passed and only_turns.reasons[0].code == "not_frontal_at_start"


def test_no_frames_in_the_window(models, frames, ref):
    result = evaluate(challenge((LEFT,)), [(T0 + 99, frames["F"])], ref, models=models)
    assert not result.passed and result.reasons[0].code == "no_frames_in_window"
    assert result.to_dict()["frames_ignored"] == 1


class CountingModels:
    """The shared models, counting the slow calls (the 128-d embedding)."""

    def __init__(self, models):
        self._models, self.embeds = models, 0

    def embed(self, rgb, shape):
        self.embeds += 1
        return self._models.embed(rgb, shape)

    def __getattr__(self, name):
        return getattr(self._models, name)


def test_only_the_frames_the_checks_read_are_embedded(models, frames, ref):
    from edge.face.liveness import FRONTAL_SAMPLE

    steps = (LEFT, RIGHT, LEFT)
    # A kiosk-like take: each pose held for several frames, 25 frames in all.
    keys = ["F"] * 4 + [k for s in steps for k in [s] * 4 + ["F"] * 3]
    counting = CountingModels(models)
    result = evaluate(
        challenge(steps), sequence(frames, keys, step=0.3), ref, models=cast(FaceModels, counting)
    )
    assert result.passed and result.steps_seen == list(steps), result.to_dict()
    assert counting.embeds == FRONTAL_SAMPLE + len(steps)


def test_a_face_swapped_in_between_the_turns_fails(models, frames, johns, person, ref):
    other = next(p for p in johns if p != person[0])
    theirs = poses(models, johns[other][0])
    steps = (LEFT, RIGHT)
    shots = sequence(frames, performed(steps))
    shots[2] = (shots[2][0], theirs["F"])  # the return to the front between the turns
    result = evaluate(challenge(steps), shots, ref, models=models)
    assert not result.passed and "identity_changed" in [r.code for r in result.reasons]


def test_the_matchers_work_on_the_same_frames_is_reused(models, frames, ref):
    from edge.face.liveness import known_frames
    from edge.face.matcher import match_frames
    from tests.face.synth import jpeg

    steps = (RIGHT, LEFT)
    shots = [(ts, jpeg(f)) for ts, f in sequence(frames, performed(steps))]
    encoded = [f for _, f in shots]
    match = match_frames(models, ref, encoded)
    counting = CountingModels(models)
    fresh = evaluate(challenge(steps), shots, ref, models=cast(FaceModels, counting))
    spent = counting.embeds
    reused = evaluate(
        challenge(steps),
        shots,
        ref,
        models=cast(FaceModels, counting),
        known=known_frames(encoded, match),
    )
    assert fresh.passed and reused.to_dict() == fresh.to_dict()
    # The frontal frames were embedded by the matcher (they pass its frontal gate):
    # only the turns are left.
    assert counting.embeds - spent < spent
