"""``cccd-edge read`` options run in process against the virtual card: --out, --citizen, --json
failures, DG13 and incidents in the output; ``simulate --fault wrong-key`` shows the refused CAN."""

from __future__ import annotations

import argparse
import json
import os
import stat
from dataclasses import replace

import pytest

from cardreader.accesskey import CanKey
from cardreader.errors import AccessDeniedError
from cardreader.lds.dg13 import DG13
from cardreader.reader import read_document
from cardreader.transport.inprocess import InProcessTransport
from edge.cli import main
from edge.commands import read as read_cmd
from edge.commands.simulate import build_card_and_printed, describe
from simulators.citizens import CITIZENS
from simulators.dataset import build_dataset
from simulators.faults import DATA_FAULTS


@pytest.fixture(scope="module")
def citizen1():
    return build_dataset(1)


@pytest.fixture
def card_touches(monkeypatch):
    """Counts how often the command opened the card."""
    opened = []
    real = read_cmd.open_transport

    def counting(args):
        opened.append(args)
        return real(args)

    monkeypatch.setattr(read_cmd, "open_transport", counting)
    return opened


def run(capsys, *argv):
    code = main(["read", "--simulator", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_out_existing_file_is_refused_before_the_card(capsys, tmp_path, citizen1, card_touches):
    target = tmp_path / "afile"
    target.write_bytes(b"x")
    code, _out, err = run(capsys, "--citizen", "1", "--can", citizen1.can, "--out", str(target))
    assert code == 2 and "is an existing file, not a folder" in err and "Traceback" not in err
    assert card_touches == [] and target.read_bytes() == b"x"


def test_out_uncreatable_path_is_refused_before_the_card(capsys, tmp_path, citizen1, card_touches):
    (tmp_path / "afile").write_bytes(b"x")
    code, _, err = run(
        capsys, "--citizen", "1", "--can", citizen1.can, "--out", str(tmp_path / "afile" / "d")
    )
    assert code == 2 and "cannot be created" in err and card_touches == []


def test_out_keeps_an_existing_folders_mode_and_writes_private_files(capsys, tmp_path, citizen1):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    code, _, err = run(capsys, "--citizen", "1", "--can", citizen1.can, "--out", str(shared))
    assert code == 0, err
    assert mode(shared) == 0o755  # like /tmp: not made private
    assert (shared / "DG1.bin").read_bytes() == citizen1.files[0x0101]
    assert all(mode(p) == 0o600 for p in shared.iterdir())
    new = tmp_path / "new" / "dump"
    assert run(capsys, "--citizen", "1", "--can", citizen1.can, "--out", str(new))[0] == 0
    assert mode(tmp_path / "new") == 0o700 and mode(new) == 0o700
    assert mode(new / "DG13.bin") == 0o600


def test_failed_read_leaves_no_folder_it_created(capsys, tmp_path, citizen1):
    wrong = "000000" if citizen1.can != "000000" else "111111"
    code, _, _ = run(capsys, "--citizen", "1", "--can", wrong, "--out", str(tmp_path / "d"))
    assert code == 2 and not (tmp_path / "d").exists()


@pytest.mark.parametrize("number", ["-1", str(len(CITIZENS)), "1000"])
def test_citizen_out_of_range_is_a_sentence(capsys, number, card_touches):
    code, _, err = run(capsys, "--citizen", number, "--can", "123456")
    assert code == 2 and f"from 0 to {len(CITIZENS) - 1}" in err and "Traceback" not in err
    assert "--citizen" in err


def test_json_failure_prints_an_error_object(capsys, citizen1):
    wrong = "000000" if citizen1.can != "000000" else "111111"
    code, out, err = run(capsys, "--citizen", "1", "--can", wrong, "--json")
    assert code == 2
    body = json.loads(out)
    assert body["error"]["code"] == "access_key_rejected" and body["error"]["sw"] == "6300"
    assert body["error"]["step"] == "mutual_authentication"
    assert (
        err.strip()
        == "cccd-edge: Access key rejected: check the CAN or the MRZ data and try again."
    )
    code, out, _ = run(capsys, "--citizen", "-1", "--can", "123456", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "usage_error"


def test_incidents_and_dg13_fields_in_the_output(capsys, citizen1):
    code, out, err = run(
        capsys, "--citizen", "1", "--can", citizen1.can, "--fault", "bad-response-mac:4", "--json"
    )
    assert code == 0, err
    s = json.loads(out)
    assert s["complete"] and len(s["incidents"]) == 1
    assert s["incidents"][0]["code"] == "secure_messaging_error" and s["incidents"][0]["file"]
    dg13 = s["dg13"]
    assert dg13["expiry_date"] == "2031-01-01" and dg13["issue_date"] == "2021-06-30"
    assert dg13["birth_date"] == "1991-01-01" and dg13["field16"]
    code, out, _ = run(
        capsys, "--citizen", "1", "--can", citizen1.can, "--fault", "bad-response-mac:4"
    )
    assert code == 0 and "Recovered:         secure channel re-opened at" in out
    assert "field16:" in out
    clean = json.loads(run(capsys, "--citizen", "1", "--can", citizen1.can, "--json")[1])
    assert clean["incidents"] == []


def test_dg13_summary_shows_expiry_words_and_unknown_fields_raw(citizen1):
    dg = DG13.from_bytes(citizen1.files[0x010D])
    odd = replace(
        dg,
        expiry_date="Không thời hạn",
        expiry_date_iso=None,
        birth_date=None,
        birth_date_text="31/02/1991",
        unknown={17: bytes.fromhex("3006020111 0C0141".replace(" ", ""))},
    )
    out = read_cmd.dg13_summary(odd)
    assert out["expiry_date"] == "Không thời hạn"
    assert out["birth_date"] == "31/02/1991"  # not a date: shown as on the chip
    assert out["unknown_fields"] == {"17": "30060201110C0141"}


def test_simulate_wrong_key_prints_the_refused_printed_can():
    assert "CAN" in DATA_FAULTS["wrong-key"] and "refused" in DATA_FAULTS["wrong-key"]
    args = argparse.Namespace(citizen=1, photo=None, fault=["wrong-key"])
    card, printed = build_card_and_printed(args)
    text = "\n".join(describe(card, printed))
    assert printed.can != card.dataset.can
    refused_at = text.index("REFUSES")
    assert text.index(f"CAN:        {printed.can}") > refused_at
    assert text.index(f"CAN:        {card.dataset.can}") > text.index("accepted")
    res = read_document(InProcessTransport(card), CanKey(printed.can))
    assert isinstance(res.error, AccessDeniedError)  # what a tester sees
    card, printed = build_card_and_printed(
        argparse.Namespace(citizen=1, photo=None, fault=["wrong-key"])
    )
    assert read_document(
        InProcessTransport(card), CanKey(card.dataset.can), want_active_auth=False
    ).complete
