"""SecurityInfos of EF.CardAccess and DG14: the CCCD's EF.CardAccess, the 9303-11 G.1 example, real
DG14s."""

from __future__ import annotations

import pytest
from asn1crypto import core

from cardreader import tlv
from cardreader.errors import ParseError
from cardreader.lds import security_infos as si
from cardreader.lds.dg14 import DG14


def test_cccd_card_access(icao_vectors):
    case = icao_vectors["cccd"]
    infos = si.parse(bytes.fromhex(case["ef_card_access"]))
    assert infos.describe() == case["ef_card_access_decoded"]
    pace = infos.pace_infos[0]
    assert (pace.protocol, pace.version, pace.parameter_id) == ("0.4.0.127.0.7.2.2.4.2.2", 2, 13)
    assert (pace.key_agreement, pace.mapping, pace.cipher, pace.key_length) == (
        "ECDH",
        "GM",
        "AES",
        128,
    )
    assert pace.curve.name == "brainpoolP256r1"
    ca = infos.chip_authentication_infos[0]
    assert (ca.name, ca.version, ca.key_id, ca.cipher, ca.key_length) == (
        "id-CA-ECDH-AES-CBC-CMAC-128",
        1,
        None,
        "AES",
        128,
    )
    assert infos.terminal_authentication_info.version == 1
    assert infos.raw == bytes.fromhex(case["ef_card_access"])


def test_pace_g1_card_access(icao_vectors):
    case = icao_vectors["pace_ecdh_gm_G1"]
    infos = si.parse(bytes.fromhex(case["ef_card_access"]))
    (pace,) = infos.pace_infos
    assert pace.name == case["protocol"]
    assert pace.parameter_id == case["parameter_id"]
    assert pace.curve.name == case["curve"]


@pytest.mark.parametrize(
    "oid,name,cipher",
    [
        ("0.4.0.127.0.7.2.2.4.1.1", "id-PACE-DH-GM-3DES-CBC-CBC", ("3DES", 112)),
        ("0.4.0.127.0.7.2.2.4.2.4", "id-PACE-ECDH-GM-AES-CBC-CMAC-256", ("AES", 256)),
        ("0.4.0.127.0.7.2.2.4.4.3", "id-PACE-ECDH-IM-AES-CBC-CMAC-192", ("AES", 192)),
        ("0.4.0.127.0.7.2.2.4.6.2", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128", ("AES", 128)),
        ("0.4.0.127.0.7.2.2.3.1.2", "id-CA-DH-AES-CBC-CMAC-128", ("AES", 128)),
        ("0.4.0.127.0.7.2.2.3.2.1", "id-CA-ECDH-3DES-CBC-CBC", ("3DES", 112)),
        ("0.4.0.127.0.7.2.2.1.2", "id-PK-ECDH", None),
        ("2.23.136.1.1.5", "id-AA", None),
    ],
)
def test_oid_names(oid, name, cipher):
    assert si.oid_name(oid) == name
    assert si.cipher_of(oid) == cipher


def _der_info(*parts: bytes) -> bytes:
    return tlv.encode(0x30, b"".join(parts))


def _oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


OID_AA = _oid("2.23.136.1.1.5")


def test_active_authentication_info_and_unknown_kept_raw():
    ecdsa_plain_sha256 = _oid("0.4.0.127.0.7.1.1.4.1.3")
    aa = _der_info(OID_AA, bytes.fromhex("020101"), ecdsa_plain_sha256)
    unknown = _der_info(bytes.fromhex("060804007F0007020206"), bytes.fromhex("1603616263"))  # id-CI
    infos = si.parse(tlv.encode(0x31, aa + unknown), file="DG14")
    info = infos.active_authentication_info
    assert (info.version, info.signature_algorithm_name, info.hash_name) == (
        1,
        "ecdsa-plain-SHA256",
        "sha256",
    )
    (other,) = infos.of_type(si.UnknownSecurityInfo)
    assert other.name == "id-CI" and other.raw == unknown


def test_dg14_bsi_reference(shared_dir):
    dg14 = DG14.from_bytes((shared_dir / "pki/bsi-tr03105-5/Datagroup14.bin").read_bytes())
    info, key = dg14.chip_authentication_pair()
    assert info.name == "id-CA-ECDH-3DES-CBC-CBC"
    assert key.public_key.algorithm == "ec" and key.public_key.curve.name == "brainpoolP224r1"
    assert key.public_key.explicit_parameters is not None  # given as explicit parameters
    point = key.public_key.point
    assert point[0] == 4 and len(point) == 57
    key.public_key.curve.decode_point(point)  # on the curve
    # The same key as the published test key pair's public half.
    pk = (shared_dir / "pki/bsi-tr03105-5/DG14_pk.bin").read_bytes()
    assert key.public_key.raw == pk


@pytest.mark.parametrize(
    "country,curve,ca_name",
    [
        ("AT", "brainpoolP256r1", "id-CA-ECDH-AES-CBC-CMAC-128"),
        ("DE", "brainpoolP256r1", "id-CA-ECDH-AES-CBC-CMAC-128"),
        ("FR", "secp256r1", None),
        ("MY", "brainpoolP256r1", "id-CA-ECDH-3DES-CBC-CBC"),
    ],
)
def test_dg14_real_documents(shared_dir, country, curve, ca_name):
    dg14 = DG14.from_bytes((shared_dir / "pki/documents" / country / "DG14.bin").read_bytes())
    info, key = dg14.chip_authentication_pair()
    assert key.public_key.curve.name == curve
    assert (info.name if info else None) == ca_name


def test_wrong_outer_tag():
    with pytest.raises(ParseError, match="must be a SET"):
        si.parse(bytes.fromhex("3003020101"))
    with pytest.raises(ParseError, match="wrong outer tag 6F, expected 6E"):
        DG14.from_bytes(bytes.fromhex("6F03020101"))


def test_pace_info_without_integer_version():
    bad = tlv.encode(
        0x31, _der_info(bytes.fromhex("060A04007F00070202040202"), bytes.fromhex("0401FF"))
    )
    with pytest.raises(ParseError, match="PACEInfo version must be an INTEGER") as err:
        si.parse(bad)
    assert err.value.file == "EF.CardAccess"


def test_dh_chip_authentication_key():
    from asn1crypto import keys

    p = (1 << 1023) + 1155  # values only need to round-trip, not be a group
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "1.2.840.10046.2.1",
                "parameters": keys.DomainParameters({"p": p, "g": 2, "q": 2**159 + 7}),
            },
            "public_key": core.Integer(123456789),
        }
    ).dump()
    info = _der_info(_oid("0.4.0.127.0.7.2.2.1.1"), spki, core.Integer(7).dump())
    ca = _der_info(_oid("0.4.0.127.0.7.2.2.3.1.2"), core.Integer(1).dump(), core.Integer(7).dump())
    dg14 = DG14.from_bytes(tlv.encode(0x6E, tlv.encode(0x31, ca + info)))
    ca_info, key = dg14.chip_authentication_pair(7)
    assert ca_info.name == "id-CA-DH-AES-CBC-CMAC-128" and ca_info.key_agreement == "DH"
    pk = key.public_key
    assert (key.key_id, pk.algorithm, pk.dh_p, pk.dh_g, pk.dh_q, pk.dh_y) == (
        7,
        "dh",
        p,
        2,
        2**159 + 7,
        123456789,
    )
    assert pk.key_size == 1024


def test_explicit_parameters_matching_no_curve(shared_dir):
    from asn1crypto import keys

    from cardreader.lds.pubkey import PublicKey

    spki = keys.PublicKeyInfo.load((shared_dir / "pki/bsi-tr03105-5/DG14_pk.bin").read_bytes())
    params = spki["algorithm"]["parameters"].chosen
    params["order"] = params["order"].native + 2  # no named curve has this order
    changed = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="specified", value=params),
            },
            "public_key": spki["public_key"],
        }
    ).dump()
    key = PublicKey.from_bytes(changed)
    assert key.algorithm == "ec" and key.curve is None
    assert key.explicit_parameters.order % 2 == 1 and key.key_size == 224
    assert "match no known curve" in key.warnings[0]
