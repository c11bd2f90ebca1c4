"""Calibration per group: the worst group's false-match rate at the default threshold.

The LFW set under ../shared/faces/lfw is embedded once per test session (about
two minutes on 2 cores): every image through the live path, and each person's
first and most frontal photos as chip-like JPEG and JPEG 2000 references.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from edge.face import DEFAULT_THRESHOLD
from edge.face.calibration import Embedded
from edge.face.group_calibration import (
    ALL,
    CHIP_J2K,
    CHIP_J2K_FRONTAL,
    CHIP_JPEG,
    CHIP_JPEG_FRONTAL,
    GROUP,
    KINDS,
    LIVE,
    MAX_FMR,
    OTHER,
    PairSet,
    _centred_distance,
    calibrate_groups,
    chip_portrait,
    clopper_pearson_upper,
    fmr_at,
    fnmr_at,
    read_group,
    reference_photo,
    worst_group_threshold,
)


@pytest.fixture(scope="session")
def lfw(shared_dir):
    return shared_dir / "faces" / "lfw"


@pytest.fixture(scope="session")
def lfw_report(models, lfw):
    return calibrate_groups(models, lfw)


def test_the_group_is_read_from_the_sets_readme(lfw):
    group = read_group(lfw)
    assert len(group) == 14
    assert {"Hu_Jintao", "Susilo_Bambang_Yudhoyono", "Zhang_Ziyi"} <= group
    assert all((lfw / name).is_dir() for name in group)


def test_clopper_pearson_upper_bound():
    # No error in n pairs: 1 - 0.05^(1/n), close to the rule of three (3/n).
    assert clopper_pearson_upper(0, 3000) == pytest.approx(1 - 0.05 ** (1 / 3000), rel=1e-6)
    assert clopper_pearson_upper(0, 3000) == pytest.approx(3 / 3000, rel=0.01)
    # 1 error in 100: the exact one-sided 95 % bound is 0.0466.
    assert clopper_pearson_upper(1, 100) == pytest.approx(0.0466, abs=2e-4)
    assert clopper_pearson_upper(5, 5) == 1.0


def test_worst_group_threshold_follows_the_worst_group():
    # Group impostors come closer (0.30) than the others (0.60): the group decides.
    distances = np.array([0.2, 0.25, 0.30, 0.60, 0.70])
    same = np.array([True, True, False, False, False])
    in_group = np.array([True, True, True, False, False])
    pairs = PairSet(LIVE, distances, same, in_group)
    assert fmr_at(pairs, GROUP, 0.3).errors == 1 and fmr_at(pairs, OTHER, 0.3).errors == 0
    assert worst_group_threshold([pairs], max_fmr=0.0) == pytest.approx(0.29)
    # Without the group's pair the others allow up to 0.59.
    pairs_other = PairSet(LIVE, distances[3:], same[3:], in_group[3:])
    assert worst_group_threshold([pairs_other], max_fmr=0.0) == pytest.approx(0.59)


def test_chip_portrait_is_small_and_compressed(lfw):
    photo = sorted((lfw / "Hu_Jintao").glob("*.jpg"))[0].read_bytes()
    for kind, fmt in ((CHIP_JPEG, "JPEG"), (CHIP_J2K, "JPEG2000")):
        chip = chip_portrait(photo, kind)
        im = Image.open(io.BytesIO(chip))
        assert im.format == fmt and max(im.size) <= 240
        assert len(chip) < 20_000  # a DG2 portrait is about 10-20 KB


@pytest.mark.face
def test_worst_group_fmr_at_the_default_threshold_is_within_the_bound(lfw_report):
    report = lfw_report
    assert [s.kind for s in report.sets] == list(KINDS)
    for pairs in report.sets:
        for group in (GROUP, OTHER, ALL):
            rate = fmr_at(pairs, group, DEFAULT_THRESHOLD)
            assert rate.trials > 500, (pairs.kind, group)
            assert rate.rate <= MAX_FMR, (pairs.kind, group, rate)
    # The constant in code is no looser than what this set's worst group allows.
    assert DEFAULT_THRESHOLD <= report.threshold
    # The bound binds: a threshold 0.05 looser lets the worst group's FMR past it, so
    # loosening the constant (or a preprocessing change that shrinks impostor
    # distances) fails this test.
    assert report.worst_fmr(DEFAULT_THRESHOLD + 0.05) > MAX_FMR


@pytest.mark.face
def test_the_report_states_bounds_and_the_fnmr_paid(lfw_report):
    out = lfw_report.to_dict(DEFAULT_THRESHOLD)
    rows = out["at_default_threshold"]
    assert len(rows) == 15  # 5 kinds x 3 groups
    for row in rows:
        assert row["fmr"]["upper95"] >= row["fmr"]["rate"]
        assert 0 < row["fmr"]["upper95"] < 0.01
        assert not math.isnan(row["fnmr"]["rate"])
    # FNMR is stated for every group and kind, with the group's own genuine pairs.
    assert {(row["kind"], row["group"]) for row in rows} == {
        (k, g) for k in KINDS for g in (GROUP, OTHER, ALL)
    }
    assert all(row["fnmr"]["pairs"] > 40 for row in rows)
    # The report's claim follows its own figures, never a constant.
    worst_fnmr = max(
        r["fnmr"]["rate"] for r in out["at_worst_group_threshold"] if r["group"] == ALL
    )
    assert out["meets_fmr_and_fnmr_targets"] is (worst_fnmr <= 0.05)


def test_the_frontal_reference_is_the_photo_nearest_to_frontal(tmp_path):
    paths = [tmp_path / f"p_{i}.jpg" for i in range(3)]
    vec = np.zeros(512)
    items = [
        Embedded("p", "p_0.jpg", vec, True, off_frontal=0.9),
        Embedded("p", "p_1.jpg", vec, True, off_frontal=0.1),
        Embedded("p", "p_2.jpg", vec, True, off_frontal=0.4),
        Embedded("q", "q_0.jpg", vec, True, off_frontal=0.0),  # another person's
    ]
    assert reference_photo("p", paths, items, "first") == paths[0]
    assert reference_photo("p", paths, items, "frontal") == paths[1]
    # No face found in any of a person's photos: no frontal reference, not a crash.
    assert reference_photo("r", [tmp_path / "r_0.jpg"], items, "frontal") is None


def test_a_centred_model_is_calibrated_without_each_pairs_own_people():
    # The shipped centre is the mean of the calibration set itself; calibrating with
    # it would flatter the figures, so on that set each pair is centred with
    # everyone else's mean. On another set the shipped centre is used as it is.
    rng = np.random.default_rng(3)
    vec = [v / np.linalg.norm(v) for v in rng.normal(size=(6, 16))]
    people = "aabbcc"
    items = [Embedded(people[i], f"{people[i]}_{i}.jpg", v, True) for i, v in enumerate(vec)]
    shipped = np.mean(vec, axis=0)
    distance, how = _centred_distance(shipped, items)
    assert how == "leave-two-out"
    others = np.mean(vec[4:], axis=0)  # c's images only: the pair (a, b) leaves a and b out
    want = np.linalg.norm(
        (vec[0] - others) / np.linalg.norm(vec[0] - others)
        - (vec[2] - others) / np.linalg.norm(vec[2] - others)
    )
    assert distance("a", vec[0], "b", vec[2]) == pytest.approx(want)
    distance, how = _centred_distance(shipped + 0.01, items)
    assert how == "shipped centre"


@pytest.mark.face
def test_frontal_references_are_made_and_the_fnmr_claimed_in_the_docs_holds(lfw_report):
    kinds = {s.kind: s for s in lfw_report.sets}
    for kind in (CHIP_JPEG, CHIP_J2K, CHIP_JPEG_FRONTAL, CHIP_J2K_FRONTAL):
        assert kinds[kind].references == 76 and kinds[kind].no_face <= 3, kind
    # The default embedder (SFace) uses no centre.
    assert lfw_report.centring == "none"
    # docs/face-calibration.md: at the default threshold every kind, live and chip-like,
    # first photo or frontal, JPEG or JPEG 2000, stays within FNMR 5 %.
    within = lfw_report.fnmr_within_target(DEFAULT_THRESHOLD)
    assert set(within) == set(KINDS) and all(within.values()), within
    assert lfw_report.meets_both()
    assert fnmr_at(kinds[LIVE], ALL, DEFAULT_THRESHOLD).rate <= 0.02
