"""The BHYT gateway simulator as its own process on a free port, and its control API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support.pcscd import stop_process

ROOT = Path(__file__).resolve().parents[2]
# Synthetic facility account and staff member (no real person, no real account).
USERNAME = "01013_BV"
PASSWORD = "sim-facility-password-7"
STAFF_ID = "001190000001"
STAFF_NAME = "Nguyễn Thị Nhân Viên"


class GatewayProcess:
    """``python -m simulators.bhyt_gateway --port 0``: started, its port read from its banner."""

    def __init__(self, *, mode: str = "correct", delay: float = 10.0, token_lifetime: int = 3600):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BHYT_SIM_PASSWORD": PASSWORD}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulators.bhyt_gateway",
                "--port",
                "0",
                "--mode",
                mode,
                "--delay",
                str(delay),
                "--token-lifetime",
                str(token_lifetime),
                "--username",
                USERNAME,
                "--staff-id",
                STAFF_ID,
                "--staff-name",
                STAFF_NAME,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening on " not in line:
            self.stop()
            raise RuntimeError(f"the gateway simulator did not start: {line!r}")
        self.url = line.rsplit("listening on ", 1)[1].strip()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def set_mode(self, mode: str, delay: float | None = None) -> None:
        body: dict = {"mode": mode}
        if delay is not None:
            body["delay"] = delay
        self._call("POST", "/_sim/mode", body)

    def state(self) -> dict:
        return self._call("GET", "/_sim/state")

    def revoke_tokens(self) -> None:
        self._call("POST", "/_sim/revoke", {})

    def reset(self) -> None:
        self._call("POST", "/_sim/reset", {})

    def settings(self, **overrides) -> dict:
        """The ``[insurance]`` table pointing the service at this simulator."""
        return {
            "url": self.url,
            "username": USERNAME,
            "password": PASSWORD,
            "staff_name": STAFF_NAME,
            "staff_id": STAFF_ID,
            **overrides,
        }

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc.stdout:
            self.proc.stdout.close()
