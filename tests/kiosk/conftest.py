"""The real service on a real HTTP port, and Debian's Chromium (headless) with a fake camera.

The camera plays a .y4m made at test time from one picture of a person in
../shared/faces; the virtual CCCD carries another picture of the same person
as its chip photo (``simulators.dataset.build_dataset(photo=...)``).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from werkzeug.serving import make_server

from cardreader.transport.inprocess import InProcessTransport
from edge.app import create_app
from simulators.card import VirtualCCCD
from simulators.dataset import build_dataset
from simulators.faults import FaultConfig

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
CHROMIUM = "/usr/bin/chromium"
PERSON = "John_Salley"
RP_KEYS = {"airport": "kiosk-test-airport-key", "school": "kiosk-test-school-key"}
VIEWPORT = {"width": 1280, "height": 1000}


def face_files(shared_dir: Path, person: str = PERSON) -> list[Path]:
    files = sorted((shared_dir / "faces" / "johns" / person).glob("*.jpg"))
    if len(files) < 2:
        # ../shared itself is there (shared_dir skips only when it is absent): missing pictures are
        # a failure.
        pytest.fail(f"../shared/faces has no pictures of {person}")
    return files


def camera_frame(face: Path, *, face_side: int, size=(640, 480)) -> Image.Image:
    """A camera picture: the face, scaled to ``face_side`` pixels, on a plain wall."""
    wall = Image.new("RGB", size, (178, 184, 190))
    with Image.open(face) as im:
        scaled = im.convert("RGB").resize((face_side, face_side), Image.Resampling.LANCZOS)
    wall.paste(scaled, ((size[0] - face_side) // 2, (size[1] - face_side) // 2))
    return wall


def write_y4m(path: Path, frames: list[Image.Image], fps: int = 15) -> Path:
    """YUV4MPEG2, 4:2:0 (what Chromium's --use-file-for-fake-video-capture plays, looping)."""
    w, h = frames[0].size
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            y, cb, cr = frame.convert("YCbCr").split()
            fh.write(b"FRAME\n")
            fh.write(np.asarray(y, dtype=np.uint8).tobytes())
            for plane in (cb, cr):
                fh.write(
                    np.asarray(
                        plane.resize((w // 2, h // 2), Image.Resampling.BILINEAR), dtype=np.uint8
                    ).tobytes()
                )
    return path


class LiveServer:
    """``edge.app.create_app`` served by werkzeug's threaded HTTP server on a free port."""

    def __init__(self, app):
        self.app = app
        self.service = app.extensions["cccd_edge"]
        self.card_faults: list[str] = []  # set by the fixture that chose them
        self.dataset_can = ""
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="kiosk-test-http", daemon=True
        )
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._thread.join(10)
        self.service.close()


@pytest.fixture(scope="session")
def faces(shared_dir) -> list[Path]:
    return face_files(shared_dir)


@pytest.fixture(scope="session")
def dataset(faces):
    """Citizen 0 of the synthetic set, with a picture of the camera's person as the chip photo."""
    return build_dataset(0, photo=faces[0].read_bytes())


def kiosk_server(
    tmp_path_factory, kiosk_id: str, dataset, *, faults: list[str] | None = None, **config
) -> LiveServer:
    """The real service (app factory, virtual CCCD in process) on a free port for the browser.

    ``faults`` is kept by reference, so a test may slow the card down while the server runs.
    """
    tmp = tmp_path_factory.mktemp(kiosk_id)
    config = {
        "instance_dir": str(tmp / "instance"),
        "kiosk_id": kiosk_id,
        "card_timeout": 20,
        "face_timeout": 30,
        "liveness": False,
        "relying_parties": {
            f"{name}-desk": {"profile": name, "api_keys": [key]} for name, key in RP_KEYS.items()
        },
        **config,
    }
    card_faults = faults if faults is not None else []

    def open_card():
        return InProcessTransport(VirtualCCCD(dataset, faults=FaultConfig.from_specs(card_faults)))

    app = create_app(config, open_transport=open_card)
    app.config["KIOSK_UI"]["reset_seconds"] = 60
    live = LiveServer(app)
    live.card_faults = card_faults
    live.dataset_can = dataset.can
    return live


@pytest.fixture(scope="module")
def server(tmp_path_factory, dataset):
    # The fake camera cannot turn its head: the liveness challenge is off here (and on in
    # test_kiosk_liveness.py, where this still picture must fail it).
    live = kiosk_server(tmp_path_factory, "kiosk-ui-test", dataset)
    yield live
    live.close()


@pytest.fixture(scope="session")
def camera_file(tmp_path_factory, faces) -> Path:
    """A camera that shows the person's face (a different picture from the chip photo)."""
    frame = camera_frame(faces[3], face_side=300)
    return write_y4m(tmp_path_factory.mktemp("camera") / "face.y4m", [frame] * 15)


def launch(playwright, video: Path):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is not installed: scripts/test.sh installs it (apt-get install "
            "chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance, camera_file):
    b = launch(playwright_instance, camera_file)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    # bypass_csp: Playwright evaluates its wait conditions as strings, which the page's CSP forbids.
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(20000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
