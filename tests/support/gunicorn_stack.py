"""The real kiosk stack for end-to-end tests: a private pcscd, the virtual CCCD behind vpcd in its
own process, and ``cccd-edge serve`` (gunicorn) on a free port, stopped by process id."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.pcscd import HarnessError, PrivatePcscd, stop_process

ROOT = Path(__file__).resolve().parents[2]

_CARD = (
    "import sys; from simulators.vpcd import run_bridge; from simulators.card import VirtualCCCD; "
    "from simulators.dataset import build_dataset; "
    "run_bridge(VirtualCCCD(build_dataset(0)), '127.0.0.1', int(sys.argv[1]))"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 40.0,
    raw: bool = False,
) -> tuple[int, Any]:
    """One JSON request: (status, the JSON answer, or its text with ``raw``)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
            return resp.status, (payload.decode() if raw else json.loads(payload))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@contextmanager
def pcsc_gunicorn_stack(tmp: Path, api_keys: str, env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Yield ``{"base", "banner", "tmp", "pcscd"}`` for a service reading citizen 0's virtual
    card through pcscd, trusting the test CSCA; ``env`` adds service settings."""
    try:
        pcscd = PrivatePcscd().start()
    except HarnessError as exc:
        pytest.fail(f"private pcscd could not start: {exc}")
    base_env = {**os.environ, "PCSCLITE_CSOCK_NAME": pcscd.socket, "PYTHONPATH": str(ROOT)}
    card = subprocess.Popen(
        [sys.executable, "-c", _CARD, str(pcscd.port)],
        cwd=ROOT,
        env=base_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        pcscd.wait_card(True, timeout=15)
        from crypto.truststore import TrustStore
        from simulators.pki import default_pki

        store = TrustStore(tmp / "trust.sqlite")
        store.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
        store.close()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "serve"],
            cwd=ROOT,
            env={
                **base_env,
                "CCCD_EDGE_READER": pcscd.reader_name,
                "CCCD_EDGE_LISTEN": f"127.0.0.1:{port}",
                "CCCD_EDGE_INSTANCE_DIR": str(tmp / "instance"),
                "CCCD_EDGE_TRUST_STORE": str(tmp / "trust.sqlite"),
                "CCCD_EDGE_LOG_FILE": str(tmp / "app.log"),
                "CCCD_EDGE_API_KEYS": api_keys,
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert server.stdout is not None
        first_line = server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", base + "/v1/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not come up: {first_line} {server.stdout.read()}")
            time.sleep(0.1)
        yield {"base": base, "banner": first_line, "tmp": tmp, "pcscd": pcscd}
    finally:
        stop_process(server)
        stop_process(card)
        pcscd.stop()
