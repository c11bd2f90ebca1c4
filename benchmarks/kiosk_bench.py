"""Kiosk screen timings: page render, the per-frame camera guidance, and the state poll.

Run: .venv/bin/python benchmarks/kiosk_bench.py [FACE.jpg]
The guidance check runs the face matcher's detector and quality gates on one
640x480 JPEG; the kiosk asks for it about every 0.4 s while the camera is on.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.app import create_app

SHARED_FACE = Path(__file__).resolve().parents[2] / "shared" / "faces" / "johns" / "John_Salley"


def frame_jpeg(face: Path | None) -> bytes:
    wall = Image.new("RGB", (640, 480), (178, 184, 190))
    if face is not None:
        with Image.open(face) as im:
            wall.paste(im.convert("RGB").resize((300, 300)), (170, 90))
    out = io.BytesIO()
    wall.save(out, "JPEG", quality=90)
    return out.getvalue()


def timed(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    print(
        f"{name:32s} median {statistics.median(times):7.2f} ms   p95 "
        f"{times[int(len(times) * 0.95) - 1]:7.2f} ms"
        f"   (n={len(times)})"
    )


def main() -> None:
    face = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else next(iter(sorted(SHARED_FACE.glob("*.jpg"))), None)
    )
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"instance_dir": tmp})
        client = app.test_client()
        client.get("/")
        report("GET / (kiosk page)", timed(lambda: client.get("/"), 50))
        report("GET /stats (page)", timed(lambda: client.get("/stats"), 50))
        report("GET /v1/kiosk/current (poll)", timed(lambda: client.get("/v1/kiosk/current"), 200))
        session = client.post("/kiosk/api/sessions", json={}).get_json()
        live = app.extensions["cccd_edge"].sessions.get(session["id"])
        # Drive the session to face capture as the service would after verifying the card.
        from edge.sessions import State

        live.move(State.READING)
        live.move(State.VERIFYING)
        live.move(State.FACE_CAPTURE)
        jpeg = frame_jpeg(face)
        url = f"/kiosk/api/sessions/{session['id']}/face-check"
        check = client.post(
            url, data=jpeg, content_type="image/jpeg"
        ).get_json()  # loads the models
        print(f"face-check answer on the sample frame: {check}")
        report(
            "POST face-check (640x480)",
            timed(lambda: client.post(url, data=jpeg, content_type="image/jpeg"), 20),
        )
        client.post(f"/kiosk/api/sessions/{session['id']}/cancel")
        app.extensions["cccd_edge"].close()


if __name__ == "__main__":
    main()
