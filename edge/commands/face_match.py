"""``cccd-edge face-match`` and ``cccd-edge face-calibrate``.

face-match compares a chip photo (JPEG / JPEG 2000 / PNG, e.g. the image
taken out of DG2) with one or more camera pictures. Exit code 0 on a match,
1 on no match or undetermined, 2 when an input cannot be used.
The face package (and dlib) is imported only when one of these runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "face-match", help="compare a chip photo with camera pictures of a face"
    )
    p.add_argument("reference", type=Path, help="chip photo (JPEG, JPEG 2000 or PNG)")
    p.add_argument(
        "probes", type=Path, nargs="+", metavar="probe", help="camera pictures of the person"
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="distance at or below which faces match (default: the calibrated value)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run_face_match)

    c = subparsers.add_parser(
        "face-calibrate", help="measure genuine/impostor distances on a folder-per-person image set"
    )
    c.add_argument("faces", type=Path, help="folder with one sub-folder of face images per person")
    c.add_argument("--plot", type=Path, default=None, help="write the error-rate plot (PNG) here")
    c.add_argument(
        "--per-person",
        type=int,
        default=None,
        help="simulated chip photos per person (default: every image)",
    )
    c.add_argument("--json", action="store_true", help="print the summary as JSON")
    c.set_defaults(func=run_face_calibrate)


def _fail(message: str) -> int:
    print(f"cccd-edge: {message}", file=sys.stderr)
    return 2


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _InputError(f"cannot read {path}: {exc.strerror or exc}") from exc


class _InputError(Exception):
    pass


def run_face_match(args: argparse.Namespace) -> int:
    from edge.face import (
        DEFAULT_THRESHOLD,
        MATCH,
        FaceError,
        FaceModels,
        match_frames,
        reference_from_photo,
    )

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if not 0.0 < threshold < 2.0:
        return _fail("the threshold must be between 0 and 2 (a distance between face embeddings).")
    try:
        reference_bytes = _read(args.reference)
        probes = [_read(p) for p in args.probes]
        models = FaceModels.shared()
        try:
            reference = reference_from_photo(models, reference_bytes)
        except FaceError as exc:
            return _fail(f"reference photo: {exc.message}")
        result = match_frames(models, reference, probes, threshold)
    except _InputError as exc:
        return _fail(str(exc))
    except FaceError as exc:
        return _fail(exc.message)

    if args.json:
        out = result.to_dict()
        out["reference"] = reference.to_dict()
        for frame, path in zip(out["frames"], args.probes, strict=True):
            frame["file"] = path.name
        print(json.dumps(out, indent=2))
    else:
        dist = "-" if result.distance is None else f"{result.distance:.4f}"
        print(f"decision:  {result.decision}")
        print(f"distance:  {dist}")
        print(f"threshold: {result.threshold:.4f}")
        print(f"frames:    {result.frames_used} of {len(result.frames)} used")
        print(result.message)
        for frame, path in zip(result.frames, args.probes, strict=True):
            if frame.passed:
                print(f"  {path.name}: distance {frame.distance:.4f}")
            else:
                print(f"  {path.name}: not used: " + " ".join(r.message for r in frame.reasons))
    return 0 if result.decision == MATCH else 1


def run_face_calibrate(args: argparse.Namespace) -> int:
    from edge.face import DEFAULT_THRESHOLD, FaceModels
    from edge.face.calibration import calibrate, det_plot

    if not args.faces.is_dir():
        return _fail(f"{args.faces} is not a folder.")
    report = calibrate(FaceModels.shared(), args.faces, args.per_person)
    if report.images < 2 or len(report.genuine) == 0 or len(report.impostor) == 0:
        return _fail("the folder needs at least two people with two usable face images each.")
    if args.plot:
        det_plot(report, args.plot)
    summary = report.to_dict()
    summary["default_threshold"] = DEFAULT_THRESHOLD
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        at = summary["at_threshold"]
        print(
            f"images: {report.images} of {report.people} people ({report.passed_gates} pass the "
            "gates)"
        )
        print(f"pairs: {len(report.genuine)} genuine, {len(report.impostor)} impostor")
        print(f"recommended threshold: {report.threshold:.2f} (in code: {DEFAULT_THRESHOLD:.2f})")
        print(
            f"at {report.threshold:.2f}: FMR {at['fmr']:.4%} ({at['false_matches']} pairs), "
            f"FNMR {at['fnmr']:.4%} ({at['false_non_matches']} pairs)"
        )
    return 0
