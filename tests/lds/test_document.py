"""parse_document: every file parsed on its own; the simulator's data set as an independent
encoder."""

from __future__ import annotations

import hashlib

import pytest

from cardreader.errors import ParseError
from cardreader.lds import parse_document
from simulators.carddata import FID_CARD_ACCESS, FID_COM, FID_SOD, fid_of_dg
from simulators.dataset import build_dataset


@pytest.fixture(scope="module")
def bsi_files(shared_dir) -> dict[str, bytes]:
    folder = shared_dir / "pki/bsi-tr03105-5"
    names = {
        "EF.COM": "EF_COM.bin",
        "EF.SOD": "EF_SOD.bin",
        "DG1": "Datagroup1.bin",
        "DG2": "Datagroup2.bin",
        "DG3": "Datagroup3.bin",
        "DG14": "Datagroup14.bin",
        "DG15": "Datagroup15.bin",
    }
    return {k: (folder / v).read_bytes() for k, v in names.items()}


def test_bsi_document(bsi_files):
    doc = parse_document(bsi_files)
    assert doc.errors == {}
    assert doc.com.data_groups == [1, 2, 3, 4, 14]
    assert doc.dg1.surname == "MUSTERMANN"
    assert doc.dg2.face.image_format == "jp2"
    assert doc.dg14.chip_authentication_public_keys[0].public_key.curve.name == "brainpoolP224r1"
    assert doc.dg15.algorithm == "rsa"
    assert doc.raw_only == {"DG3": bsi_files["DG3"]}
    for number, name in [(1, "DG1"), (2, "DG2"), (14, "DG14")]:
        assert (
            hashlib.new(doc.sod.hash_algorithm, doc.files[name]).digest()
            == doc.sod.dg_hashes[number]
        )
    assert "MUSTERMANN" not in repr(doc)


def test_one_bad_file_does_not_stop_the_others(bsi_files):
    files = dict(bsi_files)
    files["DG1"] = files["DG1"][:-3]  # truncated
    files["EF.SOD"] = b"\x77\x03\x02\x01\x00"  # garbage CMS
    files["DG13"] = b"\x6e\x00"  # wrong outer tag
    doc = parse_document(files)
    assert set(doc.errors) == {"DG1", "EF.SOD", "DG13"}
    assert all(isinstance(e, ParseError) and e.file == name for name, e in doc.errors.items())
    assert "runs past the end" in doc.errors["DG1"].message
    assert "wrong outer tag 6E, expected 6D" in doc.errors["DG13"].message
    assert doc.dg1 is None and doc.sod is None and doc.dg13 is None
    assert doc.dg2 is not None and doc.dg14 is not None and doc.com is not None


def test_empty_read():
    doc = parse_document({})
    assert doc.errors == {} and doc.dg1 is None and doc.parsed("DG1") is None


@pytest.mark.parametrize("index", range(9))
def test_simulator_dataset_parses(index):
    """The virtual CCCD's files, encoded by the simulator engineers' independent code."""
    ds = build_dataset(index)
    names = {FID_CARD_ACCESS: "EF.CardAccess", FID_COM: "EF.COM", FID_SOD: "EF.SOD"}
    names.update({fid_of_dg(n): f"DG{n}" for n in range(1, 17)})
    doc = parse_document({names[fid]: raw for fid, raw in ds.files.items() if fid in names})
    assert doc.errors == {}, doc.errors
    assert doc.card_access.pace_infos[0].parameter_id == 13
    assert doc.com.data_groups == [1, 2, 3, 13, 14, 15]
    m = doc.dg1.mrz
    assert m.check_errors == [] and m.cccd_id == ds.id_number
    assert m.document_number == ds.document_number == ds.id_number[-9:]
    assert (m.birth_date_raw, m.expiry_date_raw) == (ds.birth_date, ds.expiry_date)
    person = ds.citizen
    dg13 = doc.dg13
    assert dg13.errors == [] and dg13.version == 1 and dg13.oid == "1.0.10646.1.0.8"
    assert dg13.birth_date == person.birth_date.isoformat() == m.birth_date
    assert dg13.expiry_date == person.expiry_text
    for number, value in person.dg13_fields().items():
        if number > 16:
            assert number in dg13.unknown and value.encode() in dg13.unknown[number]
        elif number == 13:
            assert (dg13.father_name, dg13.mother_name) == value
        elif number == 14:
            assert dg13.spouse_name == (value or None)
        else:
            assert dg13.fields[number].text == value, number
    face = doc.dg2.face
    assert face.image_format in ("jpeg", "jp2") and face.warnings == []
    for n in doc.sod.dg_hashes:
        assert (
            hashlib.new(doc.sod.hash_algorithm, doc.files[f"DG{n}"]).digest()
            == doc.sod.dg_hashes[n]
        )
    info, key = doc.dg14.chip_authentication_pair(ds.ca_key_id)
    assert key.public_key.curve.name == "brainpoolP256r1" and info.key_id == ds.ca_key_id
    assert doc.dg15.algorithm == "rsa"


def test_simulator_sod_variants():
    v1 = parse_document(
        {
            "EF.SOD": build_dataset(
                0, lds_version_info=("0108", "040000"), sod_hash="sha384"
            ).files[FID_SOD]
        }
    )
    assert v1.errors == {}
    assert (v1.sod.version, v1.sod.lds_version, v1.sod.unicode_version) == (1, "0108", "040000")
    assert v1.sod.hash_algorithm == "sha384" and v1.sod.warnings == []


@pytest.mark.parametrize("explicit", [True, False])
def test_simulator_ecdsa_active_authentication(explicit):
    ds = build_dataset(1, aa_key="ecdsa", aa_hash="sha384", explicit_params=explicit)
    doc = parse_document({"DG14": ds.files[fid_of_dg(14)], "DG15": ds.files[fid_of_dg(15)]})
    assert doc.errors == {}
    assert (doc.dg15.algorithm, doc.dg15.curve.name) == ("ec", "brainpoolP256r1")
    assert (doc.dg15.public_key.explicit_parameters is not None) is explicit
    assert doc.dg15.public_key_info["algorithm"]["algorithm"].native == "ec"
    assert doc.dg14.active_authentication_info.hash_name == "sha384"
