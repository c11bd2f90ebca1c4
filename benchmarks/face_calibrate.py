"""Calibrate the face-match threshold on ../shared/faces/johns (read in place).

Prints the distance distributions, an FMR/FNMR table (markdown) and the
recommended threshold, and draws the DET plot to docs/face-det.png.

    .venv/bin/python benchmarks/face_calibrate.py [--faces DIR] [--plot PATH] [--per-person N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.face.calibration import calibrate, det_plot  # noqa: E402
from edge.face.matcher import DEFAULT_THRESHOLD  # noqa: E402
from edge.face.models import FaceModels  # noqa: E402


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", default=str(ROOT.parent / "shared" / "faces" / "johns"))
    ap.add_argument("--plot", default=str(ROOT / "docs" / "face-det.png"))
    ap.add_argument(
        "--per-person",
        type=int,
        default=None,
        help="chip photos made per person (default: every image)",
    )
    args = ap.parse_args()
    started = time.perf_counter()
    report = calibrate(FaceModels.shared(), args.faces, args.per_person)
    det_plot(report, args.plot)
    print(json.dumps(report.to_dict(), indent=2))
    print(f"\nDEFAULT_THRESHOLD in code: {DEFAULT_THRESHOLD}; recommended: {report.threshold}\n")
    thresholds = sorted(
        {0.40, 0.45, 0.50, 0.55, 0.58, 0.60, 0.62, 0.65, 0.70, report.threshold, DEFAULT_THRESHOLD}
    )
    print(
        "| threshold | FMR live (FM/pairs) | FNMR live (FNM/pairs) | FMR chip JPEG | FNMR chip "
        "JPEG | FMR chip JP2 | FNMR chip JP2 |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in report.rows(thresholds):
        print(
            f"| {row['threshold']:.2f} | {pct(row['fmr'])} "
            f"({row['false_matches']}/{len(report.impostor)}) "
            f"| {pct(row['fnmr'])} ({row['false_non_matches']}/{len(report.genuine)}) "
            f"| {pct(row['JPEG_fmr'])} | {pct(row['JPEG_fnmr'])} "
            f"| {pct(row['JPEG2000_fmr'])} | {pct(row['JPEG2000_fnmr'])} |"
        )
    print(f"\nplot: {args.plot}; took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
