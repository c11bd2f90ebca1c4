import hashlib
import io
import struct
from typing import Any, ClassVar

import pytest
from asn1crypto import core, keys
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PIL import Image

from simulators.carddata import FID_CARD_ACCESS, FID_COM, fid_of_dg
from simulators.citizens import CITIZENS, NO_EXPIRY_TEXT, citizen
from simulators.dataset import build_dataset
from simulators.lds.dg2 import encode_dg2
from simulators.lds.files import encode_com, encode_dg13
from simulators.lds.security_infos import CCCD_CARD_ACCESS, CCCD_PACE, encode_card_access, pace_oid
from simulators.lds.tlv import der_oid, encode_length, tlv

from .keyhelp import public_key_from_spki, strip_tlv


@pytest.mark.parametrize(
    "n, encoded",
    [
        (0, "00"),
        (127, "7F"),
        (128, "8180"),
        (255, "81FF"),
        (256, "820100"),
        (65535, "82FFFF"),
        (65536, "83010000"),
    ],
)
def test_lengths_use_the_shortest_definite_form(n, encoded):
    assert encode_length(n).hex().upper() == encoded


def test_oid_encoding_matches_the_known_bytes():
    assert der_oid("1.0.10646.1.0.8").hex() == "060628d316010008"
    assert der_oid("2.23.136.1.1.1").hex() == "0606678108010101"
    for dotted in ("0.4.0.127.0.7.2.2.4.2.2", "1.2.840.10045.4.3.2", "1.3.36.3.3.2.8.1.1.7"):
        assert der_oid(dotted) == core.ObjectIdentifier(dotted).dump()


def test_ef_com_lists_the_cccd_data_groups():
    com = build_dataset(0).files[FID_COM]
    assert com == bytes.fromhex(
        "60185F0104303130375F36063034303030305C06617563 6D6E6F".replace(" ", "")
    )
    assert encode_com([1, 2]) == bytes.fromhex("60145F0104303130375F36063034303030305C026175")


def test_ef_com_matches_the_bsi_reference_file(shared_dir):
    bsi = (shared_dir / "pki" / "bsi-tr03105-5" / "EF_COM.bin").read_bytes()
    assert encode_com([1, 2, 3, 4, 14]) == bsi


def test_card_access_defaults_to_the_cccd_bytes(icao_vectors):
    assert (
        build_dataset(0).files[FID_CARD_ACCESS].hex().upper()
        == icao_vectors["cccd"]["ef_card_access"].upper()
    )
    # the same bytes come out of the encoder when asked for the CCCD's PACE entry
    assert encode_card_access([CCCD_PACE]) == CCCD_CARD_ACCESS


def test_card_access_options_give_any_pace_entry(icao_vectors):
    g1 = icao_vectors["pace_ecdh_gm_G1"]["ef_card_access"]
    # the App. G.1 file is a single PACEInfo: check ours holds exactly that SEQUENCE
    info = bytes.fromhex(g1)[2:]
    assert info in encode_card_access([(pace_oid("ECDH-GM", "AES-CBC-CMAC-128"), 13)])
    many = encode_card_access(
        [(pace_oid("DH-GM", "3DES-CBC-CBC"), 0), (pace_oid("ECDH-GM", "AES-CBC-CMAC-256"), 18)]
    )
    parsed = core.SetOf.load(many, spec=core.Sequence)
    oids = [
        core.ObjectIdentifier.load(item.contents[: item.contents[1] + 2]).dotted for item in parsed
    ]
    assert oids[-2:] == ["0.4.0.127.0.7.2.2.4.1.1", "0.4.0.127.0.7.2.2.4.2.4"]
    with pytest.raises(ValueError, match="not standardized"):
        encode_card_access([(pace_oid(), 5)])
    with pytest.raises(ValueError):
        pace_oid("ECDH-XX")


def test_dg1_holds_the_mrz():
    ds = build_dataset(0)
    value = strip_tlv(ds.files[fid_of_dg(1)], b"\x61")
    assert strip_tlv(value, b"\x5f\x1f").decode("ascii") == "".join(ds.mrz_lines)


class _Entry(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("number", core.Integer), ("value", core.Any)]


class _Entries(core.SetOf):
    _child_spec = _Entry


class _DG13(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("version", core.Integer),
        ("oid", core.ObjectIdentifier),
        ("fields", _Entries),
    ]


def _decode_dg13(raw: bytes) -> tuple[_DG13, dict[int, core.Asn1Value]]:
    dg13 = _DG13.load(strip_tlv(raw, b"\x6d"))
    return dg13, {e["number"].native: e["value"].parsed for e in dg13["fields"]}


@pytest.mark.parametrize("index", range(len(CITIZENS)))
def test_dg13_decodes_back_to_the_citizen(index):
    person = citizen(index)
    raw = build_dataset(index).files[fid_of_dg(13)]
    dg13, fields = _decode_dg13(raw)
    assert dg13["version"].native == 1 and dg13["oid"].dotted == "1.0.10646.1.0.8"
    assert fields[1].native == person.id_number and isinstance(fields[1], core.PrintableString)
    assert fields[2].native == person.full_name and isinstance(fields[2], core.UTF8String)
    assert fields[3].native == person.birth_date.strftime("%d/%m/%Y")
    assert fields[4].native == person.sex and fields[5].native == "Việt Nam"
    assert fields[9].native == person.residence
    assert fields[12].native == person.expiry_text
    parents = core.SequenceOf.load(fields[13].dump(), spec=core.UTF8String)
    assert [p.native for p in parents] == [person.father_name, person.mother_name]
    if person.spouse_name:
        assert fields[14].native == person.spouse_name
    else:
        assert fields[14].dump() == b"\x30\x00"  # an empty SEQUENCE
    assert fields[15].native == person.old_id_number and isinstance(
        fields[15], core.PrintableString
    )
    assert fields[16].native == person.field16
    for number, value in person.extra_fields.items():
        assert fields[number].native == value
    numbers = [e["number"].native for e in dg13["fields"]]
    assert numbers == sorted(numbers) and len(numbers) == 16 + len(person.extra_fields)


def test_long_address_forces_long_form_lengths():
    person = next(c for c in CITIZENS if len(c.residence.encode()) > 200)
    raw = encode_dg13(person.dg13_fields())
    entry = tlv(0x0C, person.residence.encode())
    assert entry[1] == 0x81 and entry in raw  # UTF8String length in long form
    assert raw[1] == 0x82  # the whole DG13 is over 255 bytes
    _, fields = _decode_dg13(raw)
    assert fields[9].native == person.residence


def test_no_expiry_is_a_word():
    person = next(c for c in CITIZENS if c.expiry_date is None)
    _, fields = _decode_dg13(encode_dg13(person.dg13_fields()))
    assert fields[12].native == NO_EXPIRY_TEXT


def _parse_dg2(raw: bytes) -> dict:
    bigt = strip_tlv(raw, b"\x75")
    group = strip_tlv(bigt, b"\x7f\x61")
    assert group[:3] == b"\x02\x01\x01"  # one biometric template
    bit = strip_tlv(group[3:], b"\x7f\x60")
    assert bit[0] == 0xA1
    bht_len = bit[1]
    bht = bit[2 : 2 + bht_len]
    block = strip_tlv(bit[2 + bht_len :], b"\x5f\x2e")
    return {"bht": bht, "block": block}


@pytest.mark.parametrize(
    "fmt, data_type, magic", [("jpeg", 0, b"\xff\xd8\xff"), ("jp2", 1, b"\x00\x00\x00\x0cjP  ")]
)
def test_dg2_is_an_iso19794_5_record(fmt, data_type, magic):
    ds = build_dataset(1, photo_format=fmt)
    parts = _parse_dg2(ds.files[fid_of_dg(2)])
    assert b"\x80\x02\x01\x01" in parts["bht"] and b"\x87\x02\x01\x01" in parts["bht"]
    assert b"\x88\x02\x00\x08" in parts["bht"]
    rec = parts["block"]
    assert rec[:8] == b"FAC\x000" + b"10\x00"
    record_len, faces = struct.unpack(">IH", rec[8:14])
    assert record_len == len(rec) and faces == 1
    block_len, points, gender = struct.unpack(">IHB", rec[14:21])
    assert block_len == len(rec) - 14 and points == 0 and gender == 1
    _img_type, img_data_type, width, height = struct.unpack(">BBHH", rec[34:40])
    assert img_data_type == data_type and (width, height) == (240, 320)
    image = rec[46:]
    assert image.startswith(magic)
    with Image.open(io.BytesIO(image)) as img:
        assert img.size == (240, 320)
    assert 5_000 < len(image) < 25_000


def test_dg2_uses_the_long_form_for_large_images():
    dg2 = encode_dg2(b"\xff\xd8\xff" + b"\x00" * 70_000, "jpeg", 240, 320)
    assert dg2[:2] == b"\x75\x83"


def test_dg14_holds_the_chip_authentication_key():
    ds = build_dataset(0)
    infos = core.SetOf.load(strip_tlv(ds.files[fid_of_dg(14)], b"\x6e"), spec=core.Sequence)
    by_oid = {}
    for info in infos:
        oid = core.ObjectIdentifier.load(info.contents[: 2 + info.contents[1]]).dotted
        by_oid[oid] = info
    assert set(by_oid) == {
        "0.4.0.127.0.7.2.2.2",
        "0.4.0.127.0.7.2.2.3.2.2",
        "0.4.0.127.0.7.2.2.1.2",
    }
    ca_info = by_oid["0.4.0.127.0.7.2.2.3.2.2"].contents
    assert ca_info.endswith(b"\x02\x01\x01\x02\x01\x01")  # version 1, keyId 1
    pk_info = by_oid["0.4.0.127.0.7.2.2.1.2"].contents
    oid_len = 2 + pk_info[1]
    spki_len = len(pk_info) - oid_len - 3  # trailing keyId INTEGER
    spki = pk_info[oid_len : oid_len + spki_len]
    assert keys.PublicKeyInfo.load(spki)["algorithm"]["parameters"].name == "specified"
    key = public_key_from_spki(spki)
    assert isinstance(key.curve, ec.BrainpoolP256R1)
    assert key.public_numbers() == ds.ca_private_key.public_key().public_numbers()


def test_dg14_lists_active_authentication_for_an_ecdsa_chip():
    ds = build_dataset(0, aa_key="ecdsa", aa_hash="sha384", explicit_params=False)
    dg14 = ds.files[fid_of_dg(14)]
    assert (
        tlv(0x30, der_oid("2.23.136.1.1.5") + b"\x02\x01\x01" + der_oid("1.2.840.10045.4.3.3"))
        in dg14
    )
    assert b"\x06\x09\x2b\x24\x03\x03\x02\x08\x01\x01\x07" in dg14  # named brainpoolP256r1
    assert tlv(0x30, der_oid("2.23.136.1.1.5")) not in build_dataset(0).files[fid_of_dg(14)]


@pytest.mark.parametrize("aa_key", ["rsa", "ecdsa"])
def test_dg15_holds_the_active_authentication_key(aa_key):
    ds = build_dataset(3, aa_key=aa_key)
    key = public_key_from_spki(strip_tlv(ds.files[fid_of_dg(15)], b"\x6f"))
    assert key.public_numbers() == ds.aa_private_key.public_key().public_numbers()
    if aa_key == "rsa":
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    assert build_dataset(3, aa_key="rsa", aa_bits=2048).aa_private_key.key_size == 2048


def test_dg_hash_stability_of_the_synthetic_data():
    """Two builds give the same files byte for byte (the card and the test agree)."""
    a, b = build_dataset(5), build_dataset(5)
    assert a.files == b.files
    assert (
        hashlib.sha256(a.files[fid_of_dg(2)]).digest()
        != hashlib.sha256(build_dataset(6).files[fid_of_dg(2)]).digest()
    )


def _children(data: bytes) -> list[tuple[int, int, bytes]]:
    """(class, tag number, contents) of each TLV in ``data``."""
    from asn1crypto import parser

    out, pos = [], 0
    while pos < len(data):
        cls, _method, tag, header, contents, trailer = parser.parse(data[pos:])
        out.append((cls, tag, contents))
        pos += len(header) + len(contents) + len(trailer)
    return out


@pytest.mark.parametrize("fmt, code", [("jpeg", 2), ("jp2", 3)])
def test_dg2_in_the_iso39794_5_layout(fmt, code):
    ds = build_dataset(0, dg2_iso39794=True, photo_format=fmt)
    group = strip_tlv(strip_tlv(ds.files[fid_of_dg(2)], b"\x75"), b"\x7f\x61")
    bit = strip_tlv(group[3:], b"\x7f\x60")
    (bht_cls, bht_tag, bht), (_, bdb_tag, bdb) = _children(bit)
    assert (bht_cls, bht_tag) == (2, 1) and b"\x88\x02\x00\x2a" in bht and bdb_tag == 0x2E
    ((app, five, data_block),) = _children(bdb)
    assert (app, five) == (1, 5)  # [APPLICATION 5]
    (_, t0, version), (_, t1, reps) = _children(data_block)
    assert (t0, t1) == (0, 1)
    assert [c[2] for c in _children(version)] == [b"\x03", b"\x07\xe3"]  # generation 3, year 2019
    ((_, _, rep),) = _children(reps)
    (_, _, rep_id), (_, _, image_rep) = _children(rep)
    assert rep_id == b"\x00"
    ((_, _, base),) = _children(image_rep)
    ((_, _, rep2d),) = _children(base)
    (_, d0, image), (_, d1, info) = _children(rep2d)
    assert (d0, d1) == (0, 1) and image == portrait_bytes(0, fmt)
    fields = {tag: contents for _, tag, contents in _children(info)}
    assert _children(fields[0]) == [(2, 0, bytes([code]))]
    assert [c[2] for c in _children(fields[7])] == [b"\x00\xf0", b"\x01\x40"]  # 240 x 320


def portrait_bytes(index: int, fmt: str) -> bytes:
    from simulators.portrait import synthetic_portrait

    person = citizen(index)
    return synthetic_portrait(person.id_number, fmt, female=person.sex == "Nữ")
