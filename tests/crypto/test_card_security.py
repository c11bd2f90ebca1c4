"""EF.CardSecurity verified like the SOD, and the chip_authentication_mapping verdict."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from asn1crypto import cms as _cms
from ecdsa import curves as ecurves

from crypto import card_security, chip_auth_mapping
from crypto.report import Status
from crypto.truststore import TrustStore
from edge.cli import main
from simulators.dataset import build_dataset
from simulators.pki import default_pki, issue_csca, issue_dsc, sign_card_security

from .test_pipeline import files_of


@pytest.fixture(scope="module")
def cam_dataset():
    return build_dataset(0, pace_offer="CAM")


@pytest.fixture(scope="module")
def store() -> TrustStore:
    s = TrustStore()
    s.import_bytes(default_pki("ecdsa")[0].der, source="test PKI")
    return s


def codes(res) -> dict[str, tuple[Status, str]]:
    return {c.name: (c.status, c.code) for c in res.checks}


def test_genuine_card_security_is_authenticated(cam_dataset, store):
    res = card_security.verify(cam_dataset.card_security, store)
    assert res.authenticated and res.status is Status.VALID
    assert codes(res) == {
        "card_security.parse": (Status.VALID, "ok"),
        "card_security.signature": (Status.VALID, "ok"),
        "card_security.dsc.chain": (Status.VALID, "ok"),
    }
    (key,) = res.chip_public_keys
    expected = cam_dataset.ca_private_key.public_key().public_numbers()
    assert key.key_id == cam_dataset.ca_key_id == 1
    assert key.public_key.point == b"\x04" + expected.x.to_bytes(32, "big") + expected.y.to_bytes(
        32, "big"
    )


def test_unknown_csca_is_unknown_not_invalid(cam_dataset):
    res = card_security.verify(cam_dataset.card_security, TrustStore())
    assert res.status is Status.UNKNOWN and not res.authenticated
    assert codes(res)["card_security.dsc.chain"] == (Status.UNKNOWN, "csca_unknown")


def test_tampered_content_breaks_the_signature(cam_dataset, store):
    ci = _cms.ContentInfo.load(cam_dataset.card_security)
    content = bytearray(ci["content"]["encap_content_info"]["content"].native)
    content[-1] ^= 0x01  # the last byte of the chip's public key
    raw = bytes(cam_dataset.card_security).replace(
        ci["content"]["encap_content_info"]["content"].native, bytes(content)
    )
    res = card_security.verify(raw, store)
    assert res.status is Status.INVALID
    assert codes(res)["card_security.signature"] == (Status.INVALID, "message_digest_mismatch")


def test_signer_from_another_csca_is_unknown(cam_dataset, store):
    other_csca = issue_csca(label="other-csca", country="VN", common_name="Other CSCA")
    other_dsc = issue_dsc(other_csca, label="other-dsc")
    ci = _cms.ContentInfo.load(cam_dataset.card_security)
    infos = ci["content"]["encap_content_info"]["content"].native
    res = card_security.verify(sign_card_security(other_dsc, infos), store)
    assert res.status is Status.UNKNOWN
    assert codes(res)["card_security.signature"] == (Status.VALID, "ok")


@pytest.mark.parametrize("raw", [b"", b"\x30\x03\x02\x01\x01", b"\x31" * 40])
def test_malformed_card_security_is_invalid(raw, store):
    res = card_security.verify(raw, store)
    assert res.status is Status.INVALID
    assert codes(res)["card_security.parse"] == (Status.INVALID, "card_security_malformed")


def test_missing_card_security_is_not_performed(store):
    res = card_security.verify(None, store)
    assert res.status is Status.NOT_PERFORMED
    assert codes(res) == {"card_security.parse": (Status.NOT_PERFORMED, "card_security_missing")}


# -- the CAM verdict ------------------------------------------------------------------------
def cam_proof(dataset, *, ca_ic_delta: int = 0, error: str | None = None):
    """A proof as a genuine chip would give it: sk_map chosen here, CA_IC = sk_ic^-1 * sk_map."""
    curve = ecurves.BRAINPOOLP256r1
    n = int(curve.order)
    sk_map = 0x1234567890ABCDEF
    sk_ic = dataset.ca_private_key.private_numbers().private_value
    pk_map = curve.generator * sk_map
    ca_ic = (pow(sk_ic, -1, n) * sk_map + ca_ic_delta) % n
    encoded = b"\x04" + int(pk_map.x()).to_bytes(32, "big") + int(pk_map.y()).to_bytes(32, "big")
    return chip_auth_mapping.CamProof(
        13, encoded, None if error else ca_ic.to_bytes(32, "big"), error
    )


def test_cam_valid_with_an_authenticated_key(cam_dataset, store):
    security = card_security.verify(cam_dataset.card_security, store)
    check = chip_auth_mapping.check(cam_proof(cam_dataset), security)
    assert (check.name, check.status, check.code) == (
        "chip_authentication_mapping",
        Status.VALID,
        "ok",
    )


@pytest.mark.parametrize(
    "kwargs,trusted,status,code",
    [
        ({"ca_ic_delta": 1}, True, Status.INVALID, "cam_proof_invalid"),
        ({"error": "cam_data_missing"}, True, Status.INVALID, "cam_data_missing"),
        ({"error": "cam_data_malformed"}, True, Status.INVALID, "cam_data_malformed"),
        ({}, False, Status.UNKNOWN, "cam_key_not_authenticated"),
    ],
)
def test_cam_verdicts(cam_dataset, store, kwargs, trusted, status, code):
    security = card_security.verify(cam_dataset.card_security, store if trusted else TrustStore())
    check = chip_auth_mapping.check(cam_proof(cam_dataset, **kwargs), security)
    assert (check.status, check.code) == (status, code)
    assert check.message.endswith(".") and "Traceback" not in check.message


def test_cam_without_card_security_key_is_unknown(cam_dataset, store):
    check = chip_auth_mapping.check(cam_proof(cam_dataset), card_security.verify(None, store))
    assert (check.status, check.code) == (Status.UNKNOWN, "cam_key_missing")


def test_cam_proof_against_a_badly_signed_card_security_is_invalid(cam_dataset, store):
    ci = _cms.ContentInfo.load(cam_dataset.card_security)
    si = ci["content"]["signer_infos"][0]
    signature = bytearray(si["signature"].native)
    signature[-1] ^= 0x01
    si["signature"] = bytes(signature)
    security = card_security.verify(ci.dump(force=True), store)
    assert security.status is Status.INVALID
    assert codes(security)["card_security.signature"][0] is Status.INVALID
    check = chip_auth_mapping.check(cam_proof(cam_dataset), security)
    assert (check.status, check.code) == (Status.INVALID, "cam_key_signature_invalid")


def test_verify_dump_verifies_a_saved_card_security(cam_dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CCCD_EDGE_TRUST_STORE", str(tmp_path / "trust.sqlite"))
    folder = tmp_path / "dump"
    folder.mkdir()
    names = {"EF.SOD": "EF_SOD.bin", "EF.COM": "EF_COM.bin"}
    for name, data in files_of(cam_dataset).items():
        (folder / names.get(name, f"{name}.bin")).write_bytes(data)
    (folder / "EF_CardSecurity.bin").write_bytes(cam_dataset.card_security)
    csca = tmp_path / "csca.cer"
    csca.write_bytes(default_pki("ecdsa")[0].der)
    args = ["verify-dump", str(folder), "--trust-file", str(csca), "--at", "2026-01-01", "--json"]
    assert main(args) == 0
    checks = {
        c["name"]: c["status"]
        for c in json.loads(capsys.readouterr().out)["verification"]["checks"]
    }
    assert checks["card_security.signature"] == "valid"
    assert checks["card_security.dsc.chain"] == "valid"
    assert "chip_authentication_mapping" not in checks  # a dump cannot show the chip's proof


CRASHES = Path(__file__).parent / "card_security_crashes"


@pytest.mark.parametrize(
    "name,check_name",
    [
        ("signer_issuer_name.bin", "card_security.parse"),
        # The embedded certificate's algorithms are decoded with the file (crypto.der): the
        # malformed one is refused as the file's parse error, before any chain step.
        ("dsc_signature_algorithm.bin", "card_security.parse"),
    ],
)
def test_inputs_that_once_crashed_end_as_invalid_verdicts(name, check_name, store):
    res = card_security.verify((CRASHES / name).read_bytes(), store)
    assert res.status is Status.INVALID and not res.authenticated
    assert codes(res)[check_name][0] is Status.INVALID


def test_random_edits_never_escape_as_exceptions(cam_dataset, store):
    """A bounded fuzz run (the one that found the files above), kept as a regression test."""
    rnd = random.Random(1)
    raw = cam_dataset.card_security
    for _ in range(300):
        data = bytearray(raw)
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randrange(len(data))
            if rnd.random() < 0.7:
                data[pos] = rnd.randrange(256)
            else:
                del data[pos : pos + rnd.randint(1, 8)]
        res = card_security.verify(bytes(data), store)
        assert res.status in (Status.VALID, Status.INVALID, Status.UNKNOWN)
