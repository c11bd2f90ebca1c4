"""Recompute the ArcFace population centre (edge/face/arcface_centre.json) from a face set.

The centre is the mean raw embedding (refined-mirrored pipeline) of every
image of ``../shared/faces/lfw`` in which the live path finds one face. It is
computed on the calibration set itself; the calibration then centres each pair
with the mean of everyone *but* that pair's two people (centre.LeaveTwoOut), so
the figures it reports are not flattered by it.

    .venv/bin/python benchmarks/face_centre.py [../shared/faces/lfw] [--write]

Without ``--write`` it prints the digest the new file would have; with it,
it writes the file. Then set ``CENTRE_SHA256`` in edge/face/centre.py to the
digest and recalibrate (benchmarks/face_calibrate.py).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.face.arcface import MODEL_SHA256, RAW_PIPELINE  # noqa: E402
from edge.face.calibration import embed_people, load_people  # noqa: E402
from edge.face.centre import CENTRE_FILE, centre_document  # noqa: E402
from edge.face.models import FaceModels  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", default=str(ROOT.parent / "shared" / "faces" / "lfw"))
    parser.add_argument("--write", action="store_true", help=f"write {CENTRE_FILE.name}")
    args = parser.parse_args()
    models = FaceModels.load(model="arcface", centred=False)
    people = load_people(args.root)
    items = embed_people(models, people)
    text = centre_document(
        [item.embedding for item in items],
        len({item.person for item in items}),
        source=(
            "../shared/faces/lfw (Labeled Faces in the Wild, 76 people, 14 East or Southeast "
            "Asian): every image in which the live path found one face"
        ),
        model_sha256=MODEL_SHA256,
        pipeline=RAW_PIPELINE,
    )
    digest = hashlib.sha256(text.encode()).hexdigest()
    print(f"{len(items)} images of {len({i.person for i in items})} people; sha256 {digest}")
    if args.write:
        CENTRE_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {CENTRE_FILE}; set CENTRE_SHA256 in edge/face/centre.py to the digest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
