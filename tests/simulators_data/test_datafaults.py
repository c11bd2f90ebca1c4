import hashlib

import pytest
from asn1crypto import cms
from cryptography.exceptions import InvalidSignature

from simulators.carddata import FID_SOD, fid_of_dg
from simulators.datafaults import DATA_FAULTS, DataFaultError, apply_data_fault
from simulators.dataset import build_dataset, strip_sod_tag
from simulators.lds.cms import LDSSecurityObject
from simulators.lds.mrz import check_digit

from .keyhelp import cert_public_key, public_key_from_spki, strip_tlv, verify_signature


def _sod_hashes(ds) -> dict[int, bytes]:
    sd = cms.ContentInfo.load(strip_sod_tag(ds.files[FID_SOD]))["content"]
    lso = LDSSecurityObject.load(sd["encap_content_info"]["content"].native)
    return {
        h["data_group_number"].native: h["data_group_hash_value"].native
        for h in lso["data_group_hash_values"]
    }


def _hash_ok(ds, n: int) -> bool:
    return _sod_hashes(ds)[n] == hashlib.sha256(ds.files[fid_of_dg(n)]).digest()


def _signature_ok(ds) -> bool:
    sd = cms.ContentInfo.load(strip_sod_tag(ds.files[FID_SOD]))["content"]
    si = sd["signer_infos"][0]
    try:
        verify_signature(
            cert_public_key(sd["certificates"][0].chosen),
            si["signature"].native,
            si["signed_attrs"].untag().dump(),
            si["signature_algorithm"],
        )
    except InvalidSignature:
        return False
    return True


@pytest.fixture(scope="module")
def good():
    ds = build_dataset(0)
    assert _signature_ok(ds) and all(_hash_ok(ds, n) for n in (1, 2, 13, 14, 15))
    return ds


def _changed(a, b) -> set[int]:
    return {fid for fid in a.files if a.files[fid] != b.files[fid]}


def test_tampered_dg_changes_one_image_byte(good):
    bad = apply_data_fault(good, "tampered-dg")
    assert _changed(good, bad) == {fid_of_dg(2)}
    diff = [
        i
        for i, (x, y) in enumerate(zip(good.files[0x0102], bad.files[0x0102], strict=True))
        if x != y
    ]
    assert len(diff) == 1 and len(good.files[0x0102]) == len(bad.files[0x0102])
    assert diff[0] > good.files[0x0102].find(b"\xff\xd8\xff")  # inside the image
    assert not _hash_ok(bad, 2) and _hash_ok(bad, 1) and _signature_ok(bad)


def test_tampered_dg_works_on_jpeg2000():
    ds = build_dataset(1, photo_format="jp2")
    assert not _hash_ok(apply_data_fault(ds, "tampered-dg"), 2)


@pytest.mark.parametrize("signer", ["ecdsa", "rsa"])
def test_bad_sod_signature_only_breaks_the_signature(signer):
    ds = build_dataset(0, signer=signer)
    bad = apply_data_fault(ds, "bad-sod-signature")
    assert _changed(ds, bad) == {FID_SOD}
    assert not _signature_ok(bad) and all(_hash_ok(bad, n) for n in (1, 2, 13, 14, 15))


def test_tampered_dg15_swaps_the_key_and_keeps_the_sod(good):
    bad = apply_data_fault(good, "tampered-dg15")
    assert _changed(good, bad) == {fid_of_dg(15)}
    assert not _hash_ok(bad, 15) and _signature_ok(bad)
    key = public_key_from_spki(strip_tlv(bad.files[fid_of_dg(15)], b"\x6f"))
    assert key.public_numbers() == bad.aa_private_key.public_key().public_numbers()
    assert key.public_numbers() != good.aa_private_key.public_key().public_numbers()
    ec_bad = apply_data_fault(build_dataset(0, aa_key="ecdsa"), "tampered-dg15")
    assert (
        public_key_from_spki(strip_tlv(ec_bad.files[fid_of_dg(15)], b"\x6f")).curve.name
        == "brainpoolP256r1"
    )


def test_wrong_key_changes_the_chips_access_data_only(good):
    bad = apply_data_fault(good, "wrong-key")
    assert bad.files == good.files and bad.citizen is good.citizen
    assert bad.can != good.can and bad.document_number != good.document_number
    assert bad.mrz_lines[0] != good.mrz_lines[0] and bad.mrz_lines[2] == good.mrz_lines[2]
    line1 = bad.mrz_lines[0]
    assert line1[5:14] == bad.document_number and line1[14] == check_digit(bad.document_number)
    assert bad.can == bad.id_number[-6:] and bad.document_number == bad.id_number[-9:]


def test_faults_leave_the_input_alone_and_are_labelled(good):
    before = dict(good.files)
    for name in DATA_FAULTS:
        out = apply_data_fault(good, name)
        assert out is not good and out.label.endswith(name)
    assert good.files == before and good.can == "047064"
    with pytest.raises(DataFaultError, match="unknown data fault"):
        apply_data_fault(good, "melted-chip")
