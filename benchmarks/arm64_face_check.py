"""The face stack's numbers on one architecture, and the comparison of two such runs.

Driven by ``benchmarks/arm64_face_check.sh``, which runs ``embed`` once on this
machine (x86_64) and once inside a Debian arm64 root under qemu user-mode
emulation, then ``compare`` on the two results. Six real images from
``../shared/faces/johns`` (read in place): a chip-like JPEG 2000 reference made
from the first photo of the first person, then five probes (two more photos of
that person, one of each of three others), each decided by ``match_frames``.

    python benchmarks/arm64_face_check.py embed --out RESULT.json [--faces DIR]
    python benchmarks/arm64_face_check.py compare X86.json ARM64.json

The result file holds embeddings (biometric data, even of public test faces):
the shell script writes it to a temporary folder and deletes it on exit.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.face.calibration import load_people, make_chip_photo  # noqa: E402
from edge.face.matcher import match_frames, reference_from_photo  # noqa: E402
from edge.face.models import DEFAULT_MODEL, THRESHOLDS, FaceModels  # noqa: E402

DISTRIBUTIONS = ("numpy", "Pillow", "dlib-bin", "face_recognition_models", "onnxruntime")
GENUINE_PROBES = 2
IMPOSTOR_PROBES = 3


def pick_images(faces: Path) -> tuple[Path, list[tuple[str, Path]]]:
    """The reference photo, and the probes labelled genuine/impostor (same on every machine)."""
    people = load_people(faces)
    names = sorted(people)
    if len(names) < IMPOSTOR_PROBES + 1 or len(people[names[0]]) < GENUINE_PROBES + 1:
        raise SystemExit(f"{faces}: needs 4 people, the first with at least 3 photos")
    first = people[names[0]]
    probes = [("genuine", p) for p in first[1 : 1 + GENUINE_PROBES]]
    probes += [("impostor", people[n][0]) for n in names[1 : 1 + IMPOSTOR_PROBES]]
    return first[0], probes


def embed(faces: Path, out: Path) -> None:
    versions: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    t0 = time.perf_counter()
    models = FaceModels.load(model=DEFAULT_MODEL)
    load_s = time.perf_counter() - t0
    reference_path, probes = pick_images(faces)
    chip = make_chip_photo(reference_path.read_bytes(), "JPEG2000")
    t0 = time.perf_counter()
    reference = reference_from_photo(models, chip)
    reference_s = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    for label, path in probes:
        t0 = time.perf_counter()
        result = match_frames(models, reference, [path.read_bytes()])
        seconds = time.perf_counter() - t0
        frame = result.frames[0]
        rows.append(
            {
                "image": f"{path.parent.name}/{path.name}",
                "label": label,
                "decision": result.decision,
                "distance": frame.distance,
                "passed": frame.passed,
                "seconds": seconds,
                "embedding": None if frame.embedding is None else frame.embedding.tolist(),
            }
        )
    report = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "versions": versions,
        "model_version": models.model_version,
        "threshold": THRESHOLDS[DEFAULT_MODEL],
        "load_s": load_s,
        "reference": {
            "image": f"{reference_path.parent.name}/{reference_path.name} as chip JPEG 2000",
            "seconds": reference_s,
            "embedding": reference.embedding.tolist(),
        },
        "probes": rows,
    }
    out.write_text(json.dumps(report))
    probe_times = ", ".join(f"{1000 * r['seconds']:.0f}" for r in rows)
    print(
        f"{report['machine']}: model load {1000 * load_s:.0f} ms, chip reference "
        f"{1000 * reference_s:.0f} ms, probes {probe_times} ms"
    )


def compare(x86_path: Path, arm_path: Path) -> int:
    x86, arm = json.loads(x86_path.read_text()), json.loads(arm_path.read_text())
    threshold = x86["threshold"]
    print(f"\nPackages imported on {arm['machine']} (Python {arm['python']}):")
    for name, version in arm["versions"].items():
        host = x86["versions"].get(name)
        note = "" if version == host else f"   (host {x86['machine']}: {host})"
        print(f"  {name}=={version}{note}")
    same_model = arm["model_version"] == x86["model_version"]
    print(f"model_version identical on both: {same_model}")

    pairs = [("reference", x86["reference"]["embedding"], arm["reference"]["embedding"])]
    pairs += [
        (p["image"], p["embedding"], q["embedding"])
        for p, q in zip(x86["probes"], arm["probes"], strict=True)
    ]
    worst = 0.0
    missing = 0
    for _, a, b in pairs:
        if a is None or b is None:
            missing += int((a is None) != (b is None))
            continue
        worst = max(worst, float(np.max(np.abs(np.asarray(a) - np.asarray(b)))))
    embedded = sum(1 for _, a, b in pairs if a is not None and b is not None)
    dims = next((len(a) for _, a, b in pairs if a is not None), 0)
    print(f"\nEmbeddings compared: {embedded} of {len(pairs)} ({dims}-d, unit length)")
    print(f"  max |arm64 - x86_64| over all components: {worst:.3g}")

    print(f"\nDecisions at the threshold {threshold} (distance = |reference - probe|):")
    print(
        f"  {'probe':<36} {'label':<9} {'x86_64':>8} {'arm64':>8} {'|diff|':>9}"
        "  x86 / arm64 decision"
    )
    agree = True
    worst_distance = 0.0
    for p, q in zip(x86["probes"], arm["probes"], strict=True):
        dx, da = p["distance"], q["distance"]
        diff = abs(dx - da) if dx is not None and da is not None else float("nan")
        if dx is not None and da is not None:
            worst_distance = max(worst_distance, diff)
        same = p["decision"] == q["decision"]
        agree = agree and same
        fx = "-" if dx is None else f"{dx:.5f}"
        fa = "-" if da is None else f"{da:.5f}"
        print(
            f"  {p['image']:<36} {p['label']:<9} {fx:>8} {fa:>8} {diff:>9.2g}  "
            f"{p['decision']} / {q['decision']}{'' if same else '   DIFFERENT'}"
        )
    print(f"  max |distance difference|: {worst_distance:.3g}")
    print(f"  every decision agrees: {agree}")

    print("\nWall time, one run each (onnxruntime uses one thread; arm64 = EMULATED under")
    print("qemu user-mode on this x86_64 host, NOT a Raspberry Pi timing):")
    for name, r in (("x86_64 native", x86), ("arm64 under qemu", arm)):
        probe_ms = 1000 * float(np.median([p["seconds"] for p in r["probes"]]))
        print(
            f"  {name:<17} model load {1000 * r['load_s']:8.0f} ms   "
            f"chip reference {1000 * r['reference']['seconds']:8.0f} ms   "
            f"probe frame to decision (median of {len(r['probes'])}) {probe_ms:8.0f} ms"
        )
    ratio = float(
        np.median(
            [q["seconds"] / p["seconds"] for p, q in zip(x86["probes"], arm["probes"], strict=True)]
        )
    )
    print(f"  emulation slowdown, probe frames (median ratio): {ratio:.0f}x")
    return 0 if agree and same_model and missing == 0 else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--faces", default=str(ROOT.parent / "shared" / "faces" / "johns"))
    e.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("x86")
    c.add_argument("arm64")
    args = ap.parse_args()
    if args.command == "embed":
        embed(Path(args.faces), Path(args.out))
        return 0
    return compare(Path(args.x86), Path(args.arm64))


if __name__ == "__main__":
    sys.exit(main())
