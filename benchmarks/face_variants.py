"""Compare alignment/test-time variants of the ArcFace embedder on a held-out split.

Every image is detected once (HOG for live images, the CNN for chip-like
references, exactly as the service does); then each variant embeds the same
faces. Variants are *chosen* on the selection split (../shared/faces/johns plus
every other LFW identity, in sorted order within the East/Southeast Asian group
and within the rest) and *reported* on the held-out half, so the choice does
not flatter the figures it is judged by. Metric: FNMR at the largest threshold
(0.01 grid) keeping the worst group's FMR <= 0.1 %, per reference kind.

    .venv/bin/python benchmarks/face_variants.py [words of variant names] [centred]

``centred`` alone runs only the centring check: the chosen variant, then each
half centred with the *other* half's mean embedding (edge/face/centre.py).
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.face import arcface  # noqa: E402
from edge.face.calibration import load_people  # noqa: E402
from edge.face.detect import analyse_frame, detect_reference_face  # noqa: E402
from edge.face.errors import FaceError  # noqa: E402
from edge.face.group_calibration import (  # noqa: E402
    CHIP_J2K,
    CHIP_JPEG,
    GROUP,
    LIVE,
    OTHER,
    PairSet,
    chip_portrait,
    fmr_at,
    fnmr_at,
    read_group,
    worst_group_threshold,
)
from edge.face.image import as_rgb, decode_image  # noqa: E402
from edge.face.matcher import FRAME_MAX_SIDE, REFERENCE_MAX_SIDE  # noqa: E402
from edge.face.models import FaceModels  # noqa: E402

# The person's first photo itself (not recompressed) through the chip path: separates
# what the detector path costs from what the compression costs.
PHOTO = "photo_via_chip_path"
KINDS = (LIVE, CHIP_JPEG, CHIP_J2K, PHOTO)
Face = tuple[str, str, np.ndarray, tuple[int, int, int, int]]  # person, name, rgb, box


def detect_all(models: FaceModels, people: dict[str, list[Path]]) -> dict[str, list[Face]]:
    """Live faces (HOG) and chip references (CNN) of every person, detected once."""
    out: dict[str, list[Face]] = {kind: [] for kind in KINDS}
    for person, paths in people.items():
        for path in paths:
            rgb = as_rgb(path.read_bytes(), FRAME_MAX_SIDE)
            analysis = analyse_frame(models, rgb, need_frontal=True)
            if analysis.face is not None:
                out[LIVE].append((person, path.name, rgb, analysis.face.box))
        for kind in (CHIP_JPEG, CHIP_J2K, PHOTO):
            data = paths[0].read_bytes()
            image = decode_image(
                data if kind == PHOTO else chip_portrait(data, kind), REFERENCE_MAX_SIDE
            )
            try:
                face, _, _ = detect_reference_face(models, image.rgb)
            except FaceError:
                continue
            out[kind].append((person, paths[0].name, image.rgb, face.box))
    return out


Variant = Callable[..., np.ndarray]


def _points(net: arcface.ArcFaceOnnx, rgb: np.ndarray, box, refine: bool) -> np.ndarray:
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    points = net.landmarks68(gray, box)
    if refine:
        points = net.landmarks68(gray, arcface.box_from_points(points))
    return arcface.five_from_68(points)


def _mirrored_points(net: arcface.ArcFaceOnnx, rgb: np.ndarray, box) -> np.ndarray:
    """Five points averaged over the image and its mirror (the mirror's mapped back)."""
    width = rgb.shape[1]
    direct = _points(net, rgb, box, True)
    left, top, right, bottom = box
    mirrored = _points(
        net, np.ascontiguousarray(rgb[:, ::-1]), (width - right, top, width - left, bottom), True
    )
    mirrored[:, 0] = width - mirrored[:, 0]
    mirrored = mirrored[[1, 0, 2, 4, 3]]  # left and right swap in the mirror
    return (direct + mirrored) / 2


# Small changes of scale and vertical position of the template (dlib's "jitter"
# idea, deterministic): averaging over them makes a reference less sensitive to
# where compression moved the landmarks.
JITTER = ((0.96, 0.0), (1.04, 0.0), (1.0, 2.0), (1.0, -2.0))


def _jittered_template(scale: float, dy: float) -> np.ndarray:
    centre = np.array([56.0, 56.0])
    return (arcface.TEMPLATE_112 - centre) * scale + centre + np.array([0.0, dy])


def variant(
    refine: bool,
    flip: bool,
    mirror_points: bool = False,
    bicubic: bool = False,
    chip_blur: float = 0,
    chip_jitter: bool = False,
) -> Variant:
    def run(net: arcface.ArcFaceOnnx, rgb: np.ndarray, box, kind: str = LIVE) -> np.ndarray:
        points = (
            _mirrored_points(net, rgb, box) if mirror_points else _points(net, rgb, box, refine)
        )
        if bicubic:
            crop = _align_bicubic(rgb, points)
        else:
            crop = arcface.align_points(rgb, points, arcface.TEMPLATE_112)
        if chip_jitter and kind != LIVE:
            total = net.embed_mirrored(crop)
            for scale, dy in JITTER:
                moved = arcface.align_points(rgb, points, _jittered_template(scale, dy))
                total = total + net.embed_mirrored(moved)
            return total / np.linalg.norm(total)
        if chip_blur and kind != LIVE:
            crop = np.asarray(Image.fromarray(crop).filter(ImageFilter.GaussianBlur(chip_blur)))
        vec = net.embed_crop(crop)
        if flip:
            vec = vec + net.embed_crop(np.ascontiguousarray(crop[:, ::-1]))
            vec = vec / np.linalg.norm(vec)
        return vec

    return run


def _align_bicubic(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
    matrix = arcface.similarity_transform(points, arcface.TEMPLATE_112)
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    crop = Image.fromarray(rgb).transform(
        (112, 112),
        Image.Transform.AFFINE,
        tuple(float(v) for v in inverse.ravel()),
        Image.Resampling.BICUBIC,
    )
    return np.asarray(crop, dtype=np.uint8)


VARIANTS: dict[str, Variant] = {
    "68pt on detector box (before)": variant(False, False),
    "+ mirror": variant(False, True),
    "68pt refined on its own box": variant(True, False),
    "refined + mirror": variant(True, True),
    "refined, landmarks of image and mirror averaged, + mirror": variant(True, True, True),
    "same, chip references jittered": variant(True, True, True, chip_jitter=True),
    "same, bicubic alignment": variant(True, True, True, bicubic=True),
    "same (bilinear), chip crops blurred 0.7 px": variant(True, True, True, chip_blur=0.7),
}


def pair_sets(
    faces: dict[str, list[Face]], vectors: dict[str, list[np.ndarray]], group: set[str]
) -> list[PairSet]:
    live = list(zip(faces[LIVE], vectors[LIVE], strict=True))
    sets = []
    for kind in KINDS:
        rows = []
        if kind == LIVE:
            for (a, va), (b, vb) in itertools.combinations(live, 2):
                rows.append((a[0], b[0], float(np.linalg.norm(va - vb))))
        else:
            for ref, vr in zip(faces[kind], vectors[kind], strict=True):
                for item, vi in live:
                    if item[0] == ref[0] and item[1] == ref[1]:
                        continue  # not against the photo the chip was made from
                    rows.append((ref[0], item[0], float(np.linalg.norm(vr - vi))))
        sets.append(
            PairSet(
                kind,
                np.array([d for *_, d in rows]),
                np.array([a == b for a, b, _ in rows]),
                np.array([a in group and b in group for a, b, _ in rows]),
            )
        )
    return sets


def subset(faces: dict[str, list[Face]], keep: set[str]) -> dict[str, list[Face]]:
    return {k: [f for f in v if f[0] in keep] for k, v in faces.items()}


def fnmr_at_fmr(s: PairSet, group: str, fmr: float) -> float:
    """FNMR (all genuine pairs) at the distance where ``group``'s impostor FMR is ``fmr``.

    Steadier than the 0.1 % rule's threshold, which one impostor pair decides.
    """
    imp = np.sort(s.impostor(group))
    if not len(imp):
        return float("nan")
    t = imp[max(0, int(fmr * len(imp)) - 1)] if fmr * len(imp) >= 1 else imp[0] - 1e-9
    return float(np.mean(s.genuine() > t))


def summary(sets: list[PairSet]) -> str:
    t = worst_group_threshold(sets)
    cells = []
    for s in sets:
        fn = fnmr_at(s, "all", t)
        worst = max(fmr_at(s, g, t).errors for g in (GROUP, OTHER) if len(s.impostor(g)))
        group = GROUP if len(s.impostor(GROUP)) else OTHER
        cells.append(
            f"{s.kind} {100 * fn.rate:.1f} % ({fn.errors}/{fn.trials}, fm {worst}; "
            f"@grp1% {100 * fnmr_at_fmr(s, group, 0.01):.1f}, "
            f"@all0.1% {100 * fnmr_at_fmr(s, 'all', 0.001):.1f})"
        )
    return f"t={t:.2f}: " + "; ".join(cells)


CHOSEN = "refined, landmarks of image and mirror averaged, + mirror"


def print_centred(
    net: arcface.ArcFaceOnnx,
    faces: dict[str, list[Face]],
    group: set[str],
    select: set[str],
    held_out: set[str],
) -> None:
    """The chosen variant, then centred: each half with the *other* half's mean live embedding.

    Neither half's figures use a mean it contributed to (edge/face/centre.py).
    """
    run = VARIANTS[CHOSEN]
    vecs = {k: [run(net, f[2], f[3], k) for f in v] for k, v in faces.items()}
    print(f"\n{CHOSEN}, then centred with the other half's mean (cross-fitted)")
    for name, keep, other in (("selection", select, held_out), ("held-out", held_out, select)):
        live = zip(faces[LIVE], vecs[LIVE], strict=True)
        mean = np.mean([v for f, v in live if f[0] in other], axis=0)
        moved = {k: [(v - mean) / np.linalg.norm(v - mean) for v in vs] for k, vs in vecs.items()}
        for label, vl in (("as chosen", vecs), ("centred  ", moved)):
            sub = subset(faces, keep)
            part = {
                k: [v for f, v in zip(faces[k], vl[k], strict=True) if f[0] in keep] for k in vl
            }
            print(f"  LFW {name:9s} {label}", summary(pair_sets(sub, part, group)))


def main() -> int:
    started = time.perf_counter()
    lfw_root = ROOT.parent / "shared" / "faces" / "lfw"
    johns_root = ROOT.parent / "shared" / "faces" / "johns"
    models = FaceModels.load(model="arcface")
    net = models.arcface
    lfw, johns = load_people(lfw_root), load_people(johns_root)
    group = read_group(lfw_root)
    in_group = sorted(p for p in lfw if p in group)
    others = sorted(p for p in lfw if p not in group)
    select = set(in_group[0::2]) | set(others[0::2])
    held_out = set(lfw) - select
    print(f"selection: johns {len(johns)} + LFW {len(select)} people; held out {len(held_out)}")
    faces_lfw = detect_all(models, lfw)
    faces_johns = detect_all(models, johns)
    print(f"detected in {time.perf_counter() - started:.0f} s")
    only = sys.argv[1:]
    for name, run in VARIANTS.items():
        if only and not any(word in name for word in only):
            continue
        vec_lfw = {k: [run(net, f[2], f[3], k) for f in v] for k, v in faces_lfw.items()}
        vec_johns = {k: [run(net, f[2], f[3], k) for f in v] for k, v in faces_johns.items()}

        def part(keep: set[str], vl=vec_lfw) -> list[PairSet]:
            sub = subset(faces_lfw, keep)
            vecs = {
                k: [v for f, v in zip(faces_lfw[k], vl[k], strict=True) if f[0] in keep] for k in vl
            }
            return pair_sets(sub, vecs, group)

        print(f"\n{name}")
        print("  johns (selection)     ", summary(pair_sets(faces_johns, vec_johns, set())))
        print("  LFW selection half    ", summary(part(select)))
        print("  LFW held-out half     ", summary(part(held_out)))
        print("  LFW all               ", summary(part(set(lfw))))
    if not only or "centred" in only:
        print_centred(net, faces_lfw, group, select, held_out)
    print(f"\ntook {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
