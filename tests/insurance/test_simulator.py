"""The gateway simulator as a program: started by the CLI, stopped by SIGTERM, independent."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_starts_it_on_a_free_port_and_sigterm_stops_it():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BHYT_SIM_PASSWORD": "pw-1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.bhyt_gateway", "--port", "0", "--mode", "expired"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.rsplit("listening on ", 1)[1].strip()
        with urllib.request.urlopen(url + "/_sim/state", timeout=5) as resp:
            assert json.loads(resp.read())["mode"] == "expired"
        req = urllib.request.Request(
            url + "/api/token/take",
            data=json.dumps({"username": "01013_BV", "password": "wrong"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read())["maKetQua"] == "401"  # the MD5 of pw-1 is required
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_simulator_imports_no_reader_crypto_or_service_code():
    for path in (ROOT / "simulators" / "bhyt_gateway").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("cardreader", "crypto", "edge"), (path, name)
