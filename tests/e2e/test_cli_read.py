"""``cccd-edge read`` and ``cccd-edge readers`` as subprocesses, through the private pcscd."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulators.dataset import build_dataset

pytestmark = pytest.mark.pcsc
ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    # The console script's own main (not ``-m edge.cli``, which would load edge.cli twice).
    code = "import sys; from edge.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
    )


@pytest.fixture(scope="module")
def citizen1():
    return build_dataset(1)


def test_readers_command(pcscd, insert_card):
    insert_card(citizen=1)
    out = cli("readers", "--json")
    assert out.returncode == 0, out.stderr
    readers = {r["name"]: r for r in json.loads(out.stdout)}
    assert readers[pcscd.reader_name]["card_present"] is True
    assert readers[pcscd.reader_name]["atr"].startswith("3B")
    text = cli("readers")
    assert f"{pcscd.reader_name}: card present" in text.stdout


def test_read_command_through_pcsc(pcscd, insert_card, citizen1, tmp_path):
    insert_card(citizen=1)
    out = cli(
        "read",
        "--reader",
        pcscd.reader_name,
        "--can",
        citizen1.can,
        "--json",
        "--out",
        str(tmp_path),
        "--timeout",
        "5",
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["access_protocol"] == "PACE-CAN" and s["complete"] and s["extended_length"]
    assert s["mrz"]["cccd_id"] == citizen1.id_number
    assert s["dg13"]["id_number"] == citizen1.id_number
    assert s["chip_authentication"]["established"] is True
    assert s["active_authentication"]["performed"] is True
    assert s["file_errors"]["DG3"]["sw"] == "6982"
    assert s["stats"]["apdus"] > 10 and "access_control" in s["stats"]["phases"]
    assert (tmp_path / "DG2.bin").read_bytes() == citizen1.files[0x0102]
    assert (tmp_path / "EF_SOD.bin").read_bytes() == citizen1.files[0x011D]
    assert (tmp_path / "EF_CardAccess.bin").exists() and (tmp_path / "DG13.bin").exists()
    photo = tmp_path / "photo.jpg"
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == s["photo"]["sha256"]


def test_read_command_with_mrz_prints_text(pcscd, insert_card, citizen1):
    insert_card(citizen=1)
    out = cli("read", "--reader", "cccd-test", "--mrz", *citizen1.mrz_lines, "--timeout", "5")
    assert out.returncode == 0, out.stderr
    assert "PACE-MRZ" in out.stdout and "Chip auth (CA):    established" in out.stdout
    assert citizen1.id_number in out.stdout


def test_read_command_wrong_can_exits_2_with_a_sentence(pcscd, insert_card, citizen1):
    insert_card(citizen=1)
    wrong = "000000" if citizen1.can != "000000" else "111111"
    out = cli("read", "--reader", pcscd.reader_name, "--can", wrong, "--timeout", "5")
    assert out.returncode == 2
    assert (
        out.stderr.strip()
        == "cccd-edge: Access key rejected: check the CAN or the MRZ data and try again."
    )
    assert "Traceback" not in out.stderr


def test_read_command_no_card_times_out(pcscd):
    out = cli("read", "--reader", "cccd-test vpcd 00 01", "--can", "123456", "--timeout", "0.5")
    assert out.returncode == 2 and "No card was placed on the reader in time." in out.stderr


def test_read_command_in_process_simulator(citizen1):
    out = cli(
        "read",
        "--simulator",
        "--citizen",
        "1",
        "--can",
        citizen1.can,
        "--json",
        "--fault",
        "no-extended-length",
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["reader"] == "in-process" and not s["extended_length"] and s["complete"]
    bad = cli("read", "--simulator", "--can", citizen1.can, "--fault", "no-such-fault")
    assert bad.returncode == 2 and "Unknown fault" in bad.stderr
    usage = cli("read", "--simulator", "--can", citizen1.can, "--document-number", "123")
    assert usage.returncode == 2 and "exactly one access key" in usage.stderr


def test_simulate_command_attaches_a_card_that_read_can_read(pcscd, insert_card):
    """The whole stack as an operator runs it: ``cccd-edge simulate`` in one process, ``read`` in
    another."""
    code = "import sys; from edge.cli import main; sys.exit(main(sys.argv[1:]))"
    insert_card(
        command=[
            sys.executable,
            "-c",
            code,
            "simulate",
            "--vpcd",
            f"127.0.0.1:{pcscd.port}",
            "--citizen",
            "2",
            "--fault",
            "no-extended-length",
        ]
    )
    ds = build_dataset(2)
    out = cli(
        "read",
        "--reader",
        pcscd.reader_name,
        "--document-number",
        ds.document_number,
        "--birth-date",
        ds.birth_date,
        "--expiry-date",
        ds.expiry_date,
        "--json",
        "--timeout",
        "5",
    )
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["access_protocol"] == "PACE-MRZ" and not s["extended_length"]
    assert s["dg13"]["id_number"] == ds.id_number
