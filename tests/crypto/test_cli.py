"""``cccd-edge trust import|list`` and ``cccd-edge verify-dump``."""

from __future__ import annotations

import json

import pytest

from edge.cli import main
from simulators import pki
from simulators.dataset import build_dataset

from .test_pipeline import files_of


@pytest.fixture()
def store_path(tmp_path, monkeypatch):
    path = tmp_path / "trust.sqlite"
    monkeypatch.setenv("CCCD_EDGE_TRUST_STORE", str(path))
    return path


def test_trust_import_master_list_and_list(store_path, de_ml_path, pki_dir, capsys):
    root = pki_dir / "master-lists" / "DE_ROOT_CA_CSCA07.cer"
    assert main(["trust", "import", str(de_ml_path), "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "588 added" in out and "CSCA Master List Signer" in out
    assert main(["trust", "list", "--country", "VN", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["country"] for r in rows] == ["VN"]


def test_trust_import_refuses_an_untrusted_master_list(store_path, de_ml_path, pki_dir, capsys):
    root = pki_dir / "master-lists" / "NL_ROOT_CA.cer"
    assert (
        main(["trust", "import", str(de_ml_path), "--root", str(root), "--store", str(store_path)])
        == 2
    )
    assert "does not chain to a trusted root" in capsys.readouterr().err
    assert main(["trust", "list"]) == 0
    assert capsys.readouterr().out.strip().endswith("0 certificates")


def test_trust_import_garbage_is_one_sentence(store_path, tmp_path, capsys):
    bad = tmp_path / "bad.cer"
    bad.write_bytes(b"\x30\x03\x02\x01\x01")
    assert main(["trust", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cccd-edge: ") and "Traceback" not in err


def _dump(tmp_path, ds, with_dsc=False):
    names = {"EF.SOD": "EF_SOD.bin", "EF.COM": "EF_COM.bin"}
    folder = tmp_path / "dump"
    folder.mkdir()
    for name, data in files_of(ds).items():
        (folder / names.get(name, f"{name}.bin")).write_bytes(data)
    return folder


def test_verify_dump_with_a_trust_file(store_path, tmp_path, capsys):
    folder = _dump(tmp_path, build_dataset(0))
    csca = tmp_path / "csca.cer"
    csca.write_bytes(pki.default_pki("ecdsa")[0].der)
    assert main(["verify-dump", str(folder), "--at", "2026-01-01"]) == 1  # CSCA unknown
    assert "csca_unknown" in capsys.readouterr().out
    assert (
        main(
            ["verify-dump", str(folder), "--trust-file", str(csca), "--at", "2026-01-01", "--json"]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["verification"]["passive_authentication"] == "valid"
    assert report["document"]["issuing_state"] == "VNM"
    assert not store_path.exists()  # --trust-file never writes to the persisted store


def test_verify_dump_of_the_german_document(store_path, de_ml_path, pki_dir, capsys):
    root = pki_dir / "master-lists" / "DE_ROOT_CA_CSCA07.cer"
    main(["trust", "import", str(de_ml_path), "--root", str(root)])
    capsys.readouterr()
    assert main(["verify-dump", str(pki_dir / "documents" / "DE"), "--at", "2024-01-01"]) == 0
    out = capsys.readouterr().out
    assert "Passive authentication: valid" in out and "dg_hash.DG14" in out


def test_verify_dump_usage_errors(tmp_path, capsys):
    assert main(["verify-dump", str(tmp_path / "nowhere")]) == 2
    assert main(["verify-dump", str(tmp_path), "--at", "01/01/2026"]) == 2
    assert main(["verify-dump", str(tmp_path)]) == 2  # no EF_SOD.bin
    assert "EF_SOD.bin" in capsys.readouterr().err
