"""``cccd-edge face-match`` / ``face-calibrate`` print distance, threshold and decision."""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from edge.cli import main
from edge.face import DEFAULT_THRESHOLD
from tests.face.synth import jpeg, kiosk_frame, load_rgb

pytestmark = pytest.mark.face


def test_face_match_json(johns, capsys):
    paths = next(iter(johns.values()))
    code = main(["face-match", str(paths[0]), str(paths[1]), str(paths[2]), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["decision"] == "match" and out["threshold"] == DEFAULT_THRESHOLD
    assert out["model"] == "sface" and "sha256:" in out["model_version"]
    assert 0 < out["distance"] <= DEFAULT_THRESHOLD
    assert [f["file"] for f in out["frames"]] == [paths[1].name, paths[2].name]
    assert all(f["matched"] and f["reason"] is None for f in out["frames"])
    assert all(f["face"]["measures"]["sharpness"] > 0 for f in out["frames"])
    assert out["reference"]["format"] == "JPEG" and "embedding" not in json.dumps(out)


def test_face_match_text_for_another_person(johns, capsys):
    people = list(johns.values())
    code = main(["face-match", str(people[0][0]), str(people[1][0])])
    out = capsys.readouterr().out
    assert code == 1
    assert "decision:  no_match" in out and f"threshold: {DEFAULT_THRESHOLD:.4f}" in out
    distance = float(out.split("distance:")[1].split()[0])
    assert distance > DEFAULT_THRESHOLD
    assert f"{people[1][0].name}: no match, distance" in out


def test_face_match_with_the_old_model_for_comparison(johns, capsys):
    paths = next(iter(johns.values()))
    code = main(["face-match", str(paths[0]), str(paths[1]), "--model", "dlib", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["model"] == "dlib" and out["threshold"] == 0.36


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares a size (with a valid header checksum) and holds no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def _png(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()


def test_face_match_json_gives_each_probe_its_decision_or_reason(johns, tmp_path, capsys):
    people = list(johns.values())
    own, other = load_rgb(people[0][1]), load_rgb(people[1][1])
    frame = kiosk_frame(own)
    grey = np.asarray(Image.fromarray(frame).convert("L"))
    two = np.full((480, 900, 3), 120, np.uint8)
    two[100:340, 40:280] = np.asarray(Image.fromarray(own).resize((240, 240)))
    two[100:340, 600:840] = np.asarray(Image.fromarray(other).resize((240, 240)))
    probes = {
        "same.jpg": jpeg(frame),
        "grey.png": _png(grey),  # grayscale camera picture: still usable
        "other.jpg": jpeg(kiosk_frame(other)),
        "wall.jpg": jpeg(np.full((480, 640, 3), 120, np.uint8)),
        "two.jpg": jpeg(two),
        "tiny.jpg": jpeg(kiosk_frame(own, scale=0.3)),
        "truncated.jpg": jpeg(frame)[:3000],
        "picture.gif": b"GIF89a" + b"\x00" * 64,
        "huge.png": _png_header(20_000, 20_000),  # 400 megapixels declared
    }
    paths = []
    for name, data in probes.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    code = main(["face-match", str(people[0][0]), *paths, "--json"])
    out = json.loads(capsys.readouterr().out)
    by_file = {f["file"]: f for f in out["frames"]}
    assert set(by_file) == set(probes)
    assert by_file["same.jpg"]["matched"] and by_file["grey.png"]["matched"]
    assert not by_file["other.jpg"]["matched"]
    assert by_file["other.jpg"]["distance"] > out["threshold"]
    expected = {
        "wall.jpg": "no_face",
        "two.jpg": "several_faces",
        "tiny.jpg": "no_face",
        "truncated.jpg": "corrupt_image",
        "picture.gif": "unsupported_format",
        "huge.png": "image_too_large",
    }
    for name, reason in expected.items():
        assert by_file[name]["matched"] is False and by_file[name]["reason"] == reason, name
    # Two frames of the holder and one of someone else: the frames disagree.
    assert code == 1 and out["decision"] == "undetermined"


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
        ["face-calibrate", str(shared_dir / "faces" / "johns"), "--plot", str(plot), "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["model"] == "sface"
    assert out["people"] == 5 and out["group_people"] == []  # the johns set names no group
    rows = {(r["kind"], r["group"]): r for r in out["at_default_threshold"]}
    live = rows[("live", "all")]
    assert live["fmr"]["pairs"] == 1210 and live["fnmr"]["pairs"] == 275
    assert live["fmr"]["errors"] == 0 and live["fmr"]["upper95"] > 0.002  # rule of three
    assert rows[("chip_jpeg", "all")]["fnmr"]["pairs"] == 5 * 10
    assert rows[("live", "east_se_asian")]["fmr"]["pairs"] == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_face_calibrate_needs_a_folder(tmp_path, capsys):
    assert main(["face-calibrate", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["face-calibrate", str(tmp_path)]) == 2
    assert "at least two people" in capsys.readouterr().err
