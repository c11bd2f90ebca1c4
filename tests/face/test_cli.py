"""``cccd-edge face-match`` / ``face-calibrate`` print distance, threshold and decision."""

from __future__ import annotations

import json

import pytest

from edge.cli import main
from edge.face import DEFAULT_THRESHOLD

pytestmark = pytest.mark.face


def test_face_match_json(johns, capsys):
    paths = next(iter(johns.values()))
    code = main(["face-match", str(paths[0]), str(paths[1]), str(paths[2]), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["decision"] == "match" and out["threshold"] == DEFAULT_THRESHOLD
    assert 0 < out["distance"] <= DEFAULT_THRESHOLD
    assert [f["file"] for f in out["frames"]] == [paths[1].name, paths[2].name]
    assert out["reference"]["format"] == "JPEG" and "embedding" not in json.dumps(out)


def test_face_match_text_for_another_person(johns, capsys):
    people = list(johns.values())
    code = main(["face-match", str(people[0][0]), str(people[1][0]), "--threshold", "0.5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "decision:  no_match" in out and "threshold: 0.5000" in out
    distance = float(out.split("distance:")[1].split()[0])
    assert distance > 0.5


def test_face_match_unusable_probe_is_undetermined(johns, tmp_path, capsys):
    blank = tmp_path / "blank.png"
    blank.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    code = main(["face-match", str(next(iter(johns.values()))[0]), str(blank)])
    out = capsys.readouterr().out
    assert code == 1 and "decision:  undetermined" in out and "damaged or incomplete" in out


def test_face_match_bad_reference_is_one_sentence(tmp_path, johns, capsys):
    bad = tmp_path / "chip.gif"
    bad.write_bytes(b"GIF89a" + b"\x00" * 40)
    code = main(["face-match", str(bad), str(next(iter(johns.values()))[1])])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(
        "cccd-edge: reference photo: The image format is not supported"
    )
    assert "Traceback" not in err


def test_face_match_missing_file_and_bad_threshold(tmp_path, johns, capsys):
    probe = str(next(iter(johns.values()))[1])
    assert main(["face-match", str(tmp_path / "none.jpg"), probe]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["face-match", probe, probe, "--threshold", "-1"]) == 2
    assert "threshold" in capsys.readouterr().err


def test_face_calibrate_json(shared_dir, tmp_path, capsys):
    plot = tmp_path / "det.png"
    code = main(
        [
            "face-calibrate",
            str(shared_dir / "faces" / "johns"),
            "--per-person",
            "1",
            "--plot",
            str(plot),
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["genuine"]["pairs"] == 275 and out["impostor"]["pairs"] == 1210
    assert [c["format"] for c in out["chips"]] == ["JPEG", "JPEG2000"]
    assert out["chips"][0]["genuine"]["pairs"] == 5 * 10
    assert out["recommended_threshold"] >= DEFAULT_THRESHOLD
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_face_calibrate_needs_a_folder(tmp_path, capsys):
    assert main(["face-calibrate", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["face-calibrate", str(tmp_path)]) == 2
    assert "at least two people" in capsys.readouterr().err
