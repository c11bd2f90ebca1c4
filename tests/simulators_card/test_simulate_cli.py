"""``cccd-edge simulate``: argument errors, and a real run against a local vpcd stand-in."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli import main

from .test_vpcd import recv, send

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["simulate", "--vpcd", "nowhere"], "HOST:PORT"),
        (["simulate", "--vpcd", "localhost:99999"], "HOST:PORT"),
        (["simulate", "--fault", "melt", "--vpcd", "127.0.0.1:1"], "Unknown fault"),
        (["simulate", "--citizen", "-1", "--vpcd", "127.0.0.1:1"], "--citizen"),
        (
            ["simulate", "--photo", "/nonexistent/face.jpg", "--vpcd", "127.0.0.1:1"],
            "cannot be read",
        ),
    ],
)
def test_usage_errors_are_one_sentence(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.timeout(60)
def test_simulate_attaches_to_vpcd_and_stops_on_sigterm(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)
    port = server.getsockname()[1]
    pki_dir = tmp_path / "pki"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge.cli",
            "simulate",
            "--vpcd",
            f"127.0.0.1:{port}",
            "--citizen",
            "1",
            "--fault",
            "slow:1",
            "--export-pki",
            str(pki_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            send(conn, b"\x01")
            send(conn, b"\x04")
            atr = recv(conn)
            assert atr[0] == 0x3B and atr[4:6] == b"\x80\x73"
            send(conn, bytes.fromhex("00A4000C023F00"))
            assert recv(conn) == bytes.fromhex("6D00")
            send(conn, bytes.fromhex("00A4020C02011C"))
            assert recv(conn) == bytes.fromhex("9000")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
    finally:
        server.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, err
    from simulators.dataset import build_dataset

    can = build_dataset(1).can
    assert f"CAN:        {can}" in out
    assert "slow:1" in out and "Stopped: 1 connection(s), 2 APDUs" in out
    assert (pki_dir / "csca.cer").is_file()
