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
    p.add_argument(
        "--model",
        choices=("sface", "arcface", "dlib"),
        default=None,
        help="face embedder (default: $CCCD_EDGE_FACE_MODEL, else sface)",
    )
    p.set_defaults(func=run_face_match)

    c = subparsers.add_parser(
        "face-calibrate", help="measure genuine/impostor distances on a folder-per-person image set"
    )
    c.add_argument("faces", type=Path, help="folder with one sub-folder of face images per person")
    c.add_argument(
        "--plot", type=Path, default=None, help="write the DET plot, one panel per group (PNG)"
    )
    c.add_argument(
        "--model",
        choices=("sface", "arcface", "dlib"),
        default=None,
        help="face embedder (default: $CCCD_EDGE_FACE_MODEL, else sface)",
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
        MATCH,
        FaceError,
        FaceModels,
        match_frames,
        reference_from_photo,
    )

    if args.threshold is not None and not 0.0 < args.threshold < 2.0:
        return _fail("the threshold must be between 0 and 2 (a distance between face embeddings).")
    try:
        reference_bytes = _read(args.reference)
        probes = [_read(p) for p in args.probes]
        models = FaceModels.load(model=args.model) if args.model else FaceModels.shared()
        threshold = models.threshold if args.threshold is None else args.threshold
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
            # Each probe on its own, so a caller can audit the decision picture by picture.
            frame["matched"] = bool(
                frame["passed"] and frame["distance"] is not None and frame["distance"] <= threshold
            )
            frame["reason"] = frame["reasons"][0]["code"] if frame["reasons"] else None
        print(json.dumps(out, indent=2))
    else:
        dist = "-" if result.distance is None else f"{result.distance:.4f}"
        print(f"decision:  {result.decision}")
        print(f"distance:  {dist}")
        print(f"threshold: {result.threshold:.4f}")
        print(f"frames:    {result.frames_used} of {len(result.frames)} used")
        print(result.message)
        print(f"model:     {result.model} ({result.model_version})")
        for frame, path in zip(result.frames, args.probes, strict=True):
            if frame.passed and frame.distance is not None:
                verdict = "match" if frame.distance <= threshold else "no match"
                print(f"  {path.name}: {verdict}, distance {frame.distance:.4f}")
            else:
                print(f"  {path.name}: not used: " + " ".join(r.message for r in frame.reasons))
    return 0 if result.decision == MATCH else 1


def run_face_calibrate(args: argparse.Namespace) -> int:
    from edge.face import FaceError, FaceModels
    from edge.face.group_calibration import calibrate_groups, det_plot_groups

    if not args.faces.is_dir():
        return _fail(f"{args.faces} is not a folder.")
    try:
        models = FaceModels.load(model=args.model) if args.model else FaceModels.shared()
    except FaceError as exc:
        return _fail(exc.message)
    report = calibrate_groups(models, args.faces)
    live = report.sets[0]
    if report.images_embedded < 2 or not len(live.genuine()) or not len(live.impostor("all")):
        return _fail("the folder needs at least two people with two usable face images each.")
    if args.plot:
        det_plot_groups(report, args.plot)
    summary = report.to_dict(models.threshold)
    summary["model"], summary["model_version"] = models.model, models.model_version
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"model: {models.model} ({models.model_version})")
    print(
        f"images: {report.images_embedded} embedded, {report.people} people, "
        f"{len(report.group_people)} in the East/Southeast Asian group"
    )
    print(
        f"worst-group threshold: {report.threshold:.2f} (FMR <= {report.max_fmr:.1%} in every "
        f"group; in code: {models.threshold:.2f}); FMR and FNMR targets both met: "
        f"{'yes' if report.meets_both() else 'no'}"
    )
    for t, rows in ((models.threshold, summary["at_default_threshold"]),):
        print(f"at {t:.2f}:  kind / group: FMR (errors/pairs, 95 % upper) | FNMR")
        for row in rows:
            fm, fn = row["fmr"], row["fnmr"]
            print(
                f"  {row['kind']:22s} {row['group']:14s} "
                f"FMR {fm['rate']:.4%} ({fm['errors']}/{fm['pairs']}, <= {fm['upper95']:.4%}) | "
                f"FNMR {fn['rate']:.2%} ({fn['errors']}/{fn['pairs']})"
            )
    return 0
