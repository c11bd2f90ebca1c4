"""Every input that ever crashed a parser (``fuzz/corpus/<target>/``), replayed on each run.

Each goes through its own target (a typed error or a result, nothing else),
then, when a dump can carry it, through ``report_from_files``, the CLI
(``cccd-edge verify-dump`` on a folder) and the upload endpoint
(``POST /v1/documents/verify``): a verdict with reason codes, exit code 1 or 2,
a 200 or a 4xx with a typed error; never a traceback, never a 500.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge import cli
from edge.pipeline import report_from_files
from fuzz import targets
from tests.edge.conftest import auth

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"
AT = datetime(2026, 1, 1, tzinfo=UTC)
VERDICTS = {"valid", "invalid", "unknown", "not_performed"}
_DUMP_NAMES = {"EF.SOD": "EF_SOD.bin", "EF.COM": "EF_COM.bin", "EF.CardAccess": "EF_CardAccess.bin"}

CASES = sorted(
    (target.name, f)
    for target in CORPUS.iterdir()
    if target.is_dir()
    for f in target.iterdir()
    if f.is_file()
)
DUMP_CASES = [(t, f) for t, f in CASES if targets.as_dump(t, f.read_bytes()) is not None]


def _id(case) -> str:
    return f"{case[0]}/{case[1].name[:24]}"


def test_the_corpus_holds_every_known_crash():
    names = {t for t, _ in CASES}
    # The three crash sites of issue 9 (signed attributes, SignerInfo issuer names, algorithm
    # identifiers of the embedded certificate) reach passive authentication end to end.
    assert "passive_auth" in names and len(CASES) >= 3
    assert all(f.stat().st_size <= 64 * 1024 for _, f in CASES)  # small files only


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_each_target_answers_typed(case):
    name, path = case
    targets.run_one(name, path.read_bytes())  # raises on anything untyped


def _genuine_apart_from(files: dict[str, bytes], replaced: str) -> bool:
    """True when the replacement left the signed data intact (the DSC side file, or no change)."""
    return replaced == "DSC" or files[replaced] == targets.synthetic_files()[replaced]


@pytest.mark.parametrize("case", DUMP_CASES, ids=_id)
def test_report_from_files(case):
    files, replaced = targets.as_dump(case[0], case[1].read_bytes())
    dsc = files.pop("DSC", None)
    report = report_from_files(files, targets.test_store(), at=AT, dsc=dsc)
    v = report.verification
    assert v.passive_authentication.value in VERDICTS
    if not _genuine_apart_from({**files, "DSC": dsc or b""}, replaced) and replaced in (
        "EF.SOD",
        "DG1",
        "DG2",
        "DG13",
        "DG14",
        "DG15",
    ):
        assert v.passive_authentication.value != "valid"
        assert v.reason_codes()
    json.dumps(report.to_dict())


def _write_dump(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    for name, data in files.items():
        if name == "DSC":
            (folder / "DSC.cer").write_bytes(data)
        else:
            (folder / _DUMP_NAMES.get(name, f"{name}.bin")).write_bytes(data)


@pytest.mark.parametrize("case", DUMP_CASES, ids=_id)
def test_cli_verify_dump(case, tmp_path, monkeypatch, capsys):
    files, replaced = targets.as_dump(case[0], case[1].read_bytes())
    _write_dump(tmp_path / "dump", files)
    (tmp_path / "csca.cer").write_bytes(targets.synthetic_files()["CSCA"])
    monkeypatch.setenv("CCCD_EDGE_TRUST_STORE", str(tmp_path / "absent.sqlite"))
    argv = ["verify-dump", str(tmp_path / "dump"), "--trust-file", str(tmp_path / "csca.cer")]
    code = cli.main([*argv, "--at", "2026-01-01", "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code == 2:
        assert err.startswith("cccd-edge: ")
        return
    report = json.loads(out)
    assert report["verification"]["passive_authentication"] in VERDICTS
    assert code == (0 if report["verification"]["passive_authentication"] == "valid" else 1)
    if replaced not in ("DSC", "EF.COM", "EF.CardAccess") and not _genuine_apart_from(
        files, replaced
    ):
        assert code == 1


def test_cli_verify_dump_in_a_real_process(tmp_path):
    """One crash input through the installed command itself (a fresh interpreter)."""
    sod_case = next(((t, f) for t, f in DUMP_CASES if t == "passive_auth"), None)
    assert sod_case is not None
    files, _ = targets.as_dump(*(sod_case[0], sod_case[1].read_bytes()))
    _write_dump(tmp_path / "dump", files)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CCCD_EDGE_TRUST_STORE": str(tmp_path / "x")}
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "verify-dump", str(tmp_path / "dump"), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode in (1, 2), done.stderr


@pytest.mark.parametrize("case", DUMP_CASES, ids=_id)
def test_upload_endpoint(case, client):
    files, _ = targets.as_dump(case[0], case[1].read_bytes())
    names = {"EF.SOD": "EF_SOD", "EF.COM": "EF_COM", "EF.CardAccess": "EF_CardAccess"}
    body = {"files": {names.get(k, k): base64.b64encode(v).decode() for k, v in files.items() if v}}
    r = client.post("/v1/documents/verify", json=body, headers=auth("hospital"))
    assert r.status_code != 500 and r.status_code < 500
    answer = r.get_json()
    if r.status_code == 200:
        verdicts = answer["result"]["claims"]["verdicts"]
        assert verdicts["passive_authentication"] in VERDICTS
        assert verdicts["passive_authentication"] != "valid"  # the test CSCA is not trusted here
    else:
        assert 400 <= r.status_code < 500 and answer["error"]["code"]


TRUST_CASES = [(t, f) for t, f in CASES if t in ("master_list", "crl", "certificate")]


@pytest.mark.parametrize("case", TRUST_CASES, ids=_id)
def test_cli_trust_file(case, tmp_path, monkeypatch, capsys):
    """Trust-store inputs reach the CLI as ``--trust-file``: a plain sentence and exit code 2."""
    files, _ = targets.as_dump("ef_sod", targets.synthetic_files()["EF.SOD"])
    _write_dump(tmp_path / "dump", files)
    suffix = {"master_list": ".ml", "crl": ".crl", "certificate": ".cer"}[case[0]]
    (tmp_path / f"input{suffix}").write_bytes(case[1].read_bytes())
    monkeypatch.setenv("CCCD_EDGE_TRUST_STORE", str(tmp_path / "absent.sqlite"))
    argv = ["verify-dump", str(tmp_path / "dump"), "--trust-file", str(tmp_path / f"input{suffix}")]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code in (1, 2)
    if code == 2:
        assert err.startswith("cccd-edge: ") and len(err.splitlines()) == 1
