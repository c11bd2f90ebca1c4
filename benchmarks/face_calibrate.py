"""Calibrate the face-match thresholds per group on ../shared/faces/lfw (read in place).

For each embedder (arcface, dlib): FMR and FNMR per group (East/Southeast Asian
pairs, other pairs, all) and per reference kind (live, chip JPEG, chip JPEG 2000),
with 95 % Clopper-Pearson upper bounds, at the worst-group threshold and at the
threshold in code; a markdown table per model and a DET plot per model
(docs/face-det-groups-MODEL.png). About 3 minutes per model on 2 cores.

    .venv/bin/python benchmarks/face_calibrate.py [--faces DIR] [--model arcface|dlib]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.face.group_calibration import (  # noqa: E402
    ALL,
    GROUP,
    GROUPS,
    GroupReport,
    calibrate_groups,
    det_plot_groups,
    fmr_at,
    fnmr_at,
    worst_group_threshold,
)
from edge.face.models import FaceModels  # noqa: E402


def cell(rate) -> str:
    return f"{100 * rate.rate:.3f} % ({rate.errors}/{rate.trials}; ≤ {100 * rate.upper95:.3f} %)"


def table(report: GroupReport, thresholds: list[float]) -> None:
    print("| threshold | kind | group | FMR (errors/pairs; 95 % upper) | FNMR (errors/pairs) |")
    print("|---|---|---|---|---|")
    for t in thresholds:
        for s in report.sets:
            for g in GROUPS:
                fn = fnmr_at(s, g, t)
                print(
                    f"| {t:.2f} | {s.kind} | {g} | {cell(fmr_at(s, g, t))} "
                    f"| {100 * fn.rate:.1f} % ({fn.errors}/{fn.trials}) |"
                )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", default=str(ROOT.parent / "shared" / "faces" / "lfw"))
    ap.add_argument("--model", choices=("sface", "arcface", "dlib"), action="append")
    args = ap.parse_args()
    for model in args.model or ["sface", "arcface", "dlib"]:
        started = time.perf_counter()
        models = FaceModels.load(model=model)
        report = calibrate_groups(models, args.faces)
        plot = ROOT / "docs" / f"face-det-groups-{model}.png"
        det_plot_groups(report, plot)
        print(f"\n## {model} ({models.model_version})\n")
        print(
            f"images embedded {report.images_embedded}, people {report.people}, "
            f"group {len(report.group_people)}; chip references: "
            + ", ".join(
                f"{s.kind} {s.references - s.no_face}/{s.references} found, "
                f"mean {s.mean_bytes:.0f} bytes"
                for s in report.sets[1:]
            )
        )
        print(
            f"worst-group threshold {report.threshold:.2f}, in code {models.threshold:.2f}; "
            f"FMR and FNMR targets both met: {report.meets_both()}; pairs centred: "
            f"{report.centring}"
        )
        within = report.fnmr_within_target(models.threshold)
        print(
            f"FNMR <= {100 * report.max_fnmr:.0f} % at {models.threshold:.2f}: "
            + ", ".join(f"{kind} {'yes' if ok else 'no'}" for kind, ok in within.items())
            + "\n"
        )
        table(report, sorted({report.threshold, models.threshold}))
        # For information only (the threshold in code is one for all kinds): what each
        # kind's own worst-group rule would give, on its own, smaller, set of pairs.
        print()
        for s in report.sets:
            own = worst_group_threshold([s])
            fm, fn = fmr_at(s, GROUP, own), fnmr_at(s, ALL, own)
            print(
                f"{s.kind} alone: worst-group threshold {own:.2f}, group FMR {cell(fm)}, "
                f"FNMR {100 * fn.rate:.1f} % ({fn.errors}/{fn.trials})"
            )
        print(f"\nplot: {plot}; took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
