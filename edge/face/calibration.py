"""Threshold calibration: genuine and impostor distance distributions.

Images are grouped by folder (one folder per person, read in place). Every
image is embedded through the live-frame path (HOG, 5 landmarks, aligned
chip); genuine pairs are two images of one folder, impostor pairs two images
of different folders. Chip photos are simulated by turning one image into a
small ICAO-style portrait, re-encoded as low-quality JPEG and as JPEG 2000,
embedded through the chip path (CNN) and compared with the other images.

FMR(t)  = share of impostor pairs with distance <= t (falsely matched);
FNMR(t) = share of genuine pairs with distance > t (falsely rejected).
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from edge.face.matcher import analyse_frames, reference_from_photo
from edge.face.models import FaceModels
from edge.face.quality import DEFAULT_LIMITS

PORTRAIT_SIZE = (240, 320)  # width, height: 3:4, a typical chip portrait
CHIP_JPEG_QUALITY = 30
CHIP_J2K_RATIO = 25  # compression ratio; about 9 KB at 240x320


@dataclass
class Embedded:
    person: str
    name: str
    embedding: np.ndarray
    passed_gates: bool
    # How far from frontal the face is: |yaw| and |roll| as fractions of the
    # quality gate's limits, summed (0 = straight at the camera).
    off_frontal: float = math.inf


def load_people(root: Path | str) -> dict[str, list[Path]]:
    root = Path(root)
    people = {
        d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for d in sorted(root.iterdir())
        if d.is_dir()
    }
    return {k: v for k, v in people.items() if v}


def embed_people(models: FaceModels, people: dict[str, list[Path]]) -> list[Embedded]:
    """Embed every image through the live-frame path (gates recorded, not enforced)."""
    out = []
    for person, paths in people.items():
        results = analyse_frames(models, None, [p.read_bytes() for p in paths], embed_all=True)
        for path, r in zip(paths, results, strict=True):
            if r.embedding is not None:
                pose = r.face.pose if r.face is not None else None
                off = (
                    abs(pose.yaw) / DEFAULT_LIMITS.max_abs_yaw
                    + abs(pose.roll_deg) / DEFAULT_LIMITS.max_roll_deg
                    if pose is not None
                    else math.inf
                )
                out.append(Embedded(person, path.name, r.embedding, r.passed, off))
    return out


def pair_distances(items: list[Embedded]) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) distances over all unordered pairs."""
    genuine: list[float] = []
    impostor: list[float] = []
    for a, b in itertools.combinations(items, 2):
        d = float(np.linalg.norm(a.embedding - b.embedding))
        (genuine if a.person == b.person else impostor).append(d)
    return np.array(genuine), np.array(impostor)


def fmr(impostor: np.ndarray, t: float) -> float:
    return float(np.mean(impostor <= t)) if len(impostor) else math.nan


def fnmr(genuine: np.ndarray, t: float) -> float:
    return float(np.mean(genuine > t)) if len(genuine) else math.nan


def choose_threshold(impostor: np.ndarray, max_fmr: float = 0.001, step: float = 0.01) -> float:
    """The largest threshold on a ``step`` grid whose FMR is at most ``max_fmr``."""
    allowed = math.floor(max_fmr * len(impostor) + 1e-9)  # false matches the target tolerates
    ordered = np.sort(impostor)
    if allowed >= len(ordered):
        return float(ordered[-1])
    ceiling = ordered[allowed]  # any t below the (allowed+1)-th smallest impostor distance
    t = math.floor(ceiling / step) * step
    if t >= ceiling:
        t -= step
    return round(t, 6)


def make_chip_photo(image_bytes: bytes, fmt: str) -> bytes:
    """An ICAO-style portrait from a face crop: 3:4, small, heavily compressed.

    The crop is placed on a plain light background so the face spans about
    55 % of the width, like an ICAO portrait (face 70-80 % of the height,
    head and shoulders centred), then scaled to ``PORTRAIT_SIZE``.
    """
    im = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    w, h = im.size
    canvas_w = round(w * 1.5)
    canvas_h = max(round(canvas_w * 4 / 3), h)
    canvas = Image.new("RGB", (canvas_w, canvas_h), (214, 218, 222))
    canvas.paste(im, ((canvas_w - w) // 2, (canvas_h - h) * 2 // 5))
    portrait = canvas.resize(PORTRAIT_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "JPEG":
        portrait.save(out, "JPEG", quality=CHIP_JPEG_QUALITY)
    elif fmt == "JPEG2000":
        portrait.save(out, "JPEG2000", quality_mode="rates", quality_layers=[CHIP_J2K_RATIO])
    else:
        raise ValueError(f"unknown chip photo format {fmt}")
    return out.getvalue()


@dataclass
class ChipPairs:
    fmt: str
    genuine: np.ndarray
    impostor: np.ndarray
    failures: int  # chip photos where no face was found
    sizes: list[int]


def chip_pairs(
    models: FaceModels,
    people: dict[str, list[Path]],
    items: list[Embedded],
    fmt: str,
    per_person: int | None = None,
) -> ChipPairs:
    """Each (or the first ``per_person``) image as a chip photo against all other images."""
    from edge.face.errors import FaceError

    genuine: list[float] = []
    impostor: list[float] = []
    sizes: list[int] = []
    failures = 0
    for person, paths in people.items():
        for path in paths[:per_person]:
            chip = make_chip_photo(path.read_bytes(), fmt)
            sizes.append(len(chip))
            try:
                ref = reference_from_photo(models, chip)
            except FaceError:
                failures += 1
                continue
            for item in items:
                if item.person == person and item.name == path.name:
                    continue  # never compare the chip with the image it was made from
                d = float(np.linalg.norm(ref.embedding - item.embedding))
                (genuine if item.person == person else impostor).append(d)
    return ChipPairs(fmt, np.array(genuine), np.array(impostor), failures, sizes)


SAFETY_MARGIN = 0.05


def recommend_threshold(
    impostor_sets: list[np.ndarray],
    max_fmr: float = 0.001,
    margin: float = SAFETY_MARGIN,
    step: float = 0.01,
) -> float:
    """The default threshold: FMR <= ``max_fmr`` on every set, and ``margin`` below
    the closest impostor pair seen anywhere.

    On a few thousand pairs a 0.1 % target cannot be shown by counting (with
    no false match in n pairs the 95 % upper bound on FMR is about 3/n), so
    the margin keeps unseen impostors from landing just under the line.
    """
    sets = [s for s in impostor_sets if len(s)]
    if not sets:
        return math.nan
    by_rate = min(choose_threshold(s, max_fmr, step) for s in sets)
    closest = min(float(np.min(s)) for s in sets)
    by_margin = math.floor(round((closest - margin) / step, 6)) * step
    return round(min(by_rate, by_margin), 6)


@dataclass
class CalibrationReport:
    images: int
    people: int
    passed_gates: int
    genuine: np.ndarray
    impostor: np.ndarray
    chips: list[ChipPairs]
    threshold: float

    def rows(self, thresholds) -> list[dict]:
        out = []
        for t in thresholds:
            row = {
                "threshold": round(float(t), 3),
                "fmr": fmr(self.impostor, t),
                "fnmr": fnmr(self.genuine, t),
                "false_matches": int(np.sum(self.impostor <= t)),
                "false_non_matches": int(np.sum(self.genuine > t)),
            }
            for c in self.chips:
                row[f"{c.fmt}_fmr"] = fmr(c.impostor, t)
                row[f"{c.fmt}_fnmr"] = fnmr(c.genuine, t)
            out.append(row)
        return out

    def to_dict(self) -> dict:
        def summary(a):
            return (
                {
                    "pairs": len(a),
                    "min": round(float(a.min()), 4),
                    "median": round(float(np.median(a)), 4),
                    "max": round(float(a.max()), 4),
                }
                if len(a)
                else {"pairs": 0}
            )

        return {
            "images": self.images,
            "people": self.people,
            "passed_gates": self.passed_gates,
            "genuine": summary(self.genuine),
            "impostor": summary(self.impostor),
            "chips": [
                {
                    "format": c.fmt,
                    "genuine": summary(c.genuine),
                    "impostor": summary(c.impostor),
                    "no_face": c.failures,
                    "mean_bytes": round(float(np.mean(c.sizes))) if c.sizes else 0,
                }
                for c in self.chips
            ],
            "recommended_threshold": self.threshold,
            "at_threshold": self.rows([self.threshold])[0],
        }


def calibrate(
    models: FaceModels, root: Path | str, per_person: int | None = None, max_fmr: float = 0.001
) -> CalibrationReport:
    people = load_people(root)
    items = embed_people(models, people)
    genuine, impostor = pair_distances(items)
    chips = [chip_pairs(models, people, items, fmt, per_person) for fmt in ("JPEG", "JPEG2000")]
    threshold = recommend_threshold([impostor] + [c.impostor for c in chips], max_fmr)
    return CalibrationReport(
        images=len(items),
        people=len(people),
        passed_gates=sum(i.passed_gates for i in items),
        genuine=genuine,
        impostor=impostor,
        chips=chips,
        threshold=threshold,
    )


def det_plot(report: CalibrationReport, path: Path | str) -> None:
    """Detection-error figure: FMR and FNMR against the threshold, and the distance histograms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0.2, 1.1, 451)
    fig, (ax_det, ax_hist) = plt.subplots(1, 2, figsize=(11, 4.5))
    floor = 1e-4  # zero rates drawn at the axis floor so the curves stay visible
    sets = [("live vs live", report.genuine, report.impostor)] + [
        (f"chip {c.fmt} vs live", c.genuine, c.impostor) for c in report.chips
    ]
    # Error rates against the threshold: where genuine and impostor distances
    # do not overlap, the classic DET curve (FNMR against FMR) collapses onto
    # the axes, so the two rates are drawn against the threshold instead.
    for (label, gen, imp), colour in zip(sets, ("C0", "C1", "C2"), strict=False):
        ax_det.plot(
            grid, [max(fmr(imp, t), floor) for t in grid], color=colour, label=f"FMR {label}"
        )
        ax_det.plot(
            grid,
            [max(fnmr(gen, t), floor) for t in grid],
            color=colour,
            linestyle="--",
            label=f"FNMR {label}",
        )
    ax_det.set_yscale("log")
    ax_det.set_ylim(floor * 0.8, 1.05)
    ax_det.axhline(0.001, color="grey", linestyle=":", label="0.1 %")
    ax_det.axvline(report.threshold, color="black", linestyle="--")
    ax_det.set_xlabel("threshold (embedding distance)")
    ax_det.set_ylabel("error rate (zero drawn at 1e-4)")
    ax_det.set_title("FMR (solid) and FNMR (dashed) against the threshold")
    ax_det.legend(fontsize=7)
    bins = np.linspace(0, 1.2, 61)
    ax_hist.hist(report.genuine, bins=bins, alpha=0.6, label=f"genuine ({len(report.genuine)})")
    ax_hist.hist(report.impostor, bins=bins, alpha=0.6, label=f"impostor ({len(report.impostor)})")
    for c in report.chips:
        ax_hist.hist(
            c.genuine, bins=bins, histtype="step", label=f"chip {c.fmt} genuine ({len(c.genuine)})"
        )
    ax_hist.axvline(
        report.threshold, color="black", linestyle="--", label=f"threshold {report.threshold:.2f}"
    )
    ax_hist.set_xlabel("embedding distance")
    ax_hist.set_ylabel("pairs")
    ax_hist.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
