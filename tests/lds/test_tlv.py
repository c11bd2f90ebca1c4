"""BER-TLV: decoding, round trip, tolerant lookups, and each malformed input with its own error."""

from __future__ import annotations

import os

import pytest

from cardreader import tlv
from cardreader.errors import ParseError

SAMPLE = bytes.fromhex("60175F0104303130375F36063034303030305C05617563766E")


def test_decode_nested_and_lookup():
    root = tlv.decode(SAMPLE)
    assert root.tag == 0x60 and root.constructed and root.header_length == 2 and root.length == 0x17
    assert [c.tag for c in root.children] == [0x5F01, 0x5F36, 0x5C]
    assert root.find(0x5F01).value == b"0107"
    assert root.find(0x5C).value == bytes.fromhex("617563766E")
    assert root.raw == SAMPLE


def test_missing_tag_yields_null_node_and_chains():
    root = tlv.decode(SAMPLE)
    missing = root.find(0x7F61)
    assert missing is tlv.NULL and not missing and missing.value == b""
    assert root.find(0x7F61, 0x7F60, 0x5F2E).present is False
    assert root.find(0x7F61).find(0x02).children == []


def test_multibyte_tag_and_long_lengths():
    value = bytes(range(256)) * 300  # 76800 bytes: 83-form length
    enc = tlv.encode(0x5F2E, value)
    assert enc[:6] == bytes.fromhex("5F2E83012C00")
    node = tlv.decode(enc)
    assert (
        node.tag == 0x5F2E
        and not node.constructed
        and node.value == value
        and node.header_length == 6
    )
    assert tlv.encode_length(0x7F) == b"\x7f"
    assert tlv.encode_length(0x80) == b"\x81\x80"
    assert tlv.encode_length(0x100) == b"\x82\x01\x00"
    assert tlv.encode_length(0x01000000) == b"\x84\x01\x00\x00\x00"


@pytest.mark.parametrize(
    "blob",
    [
        SAMPLE,
        bytes.fromhex(
            "3134300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F0007"
            "020204020202010202010D"
        ),
    ],
)
def test_round_trip(blob):
    assert tlv.encode_node(tlv.decode(blob)) == blob


def test_round_trip_shared_files(shared_dir):
    for name in (
        "EF_COM.bin",
        "Datagroup1.bin",
        "Datagroup2.bin",
        "Datagroup14.bin",
        "Datagroup15.bin",
    ):
        blob = (shared_dir / "pki" / "bsi-tr03105-5" / name).read_bytes()
        assert tlv.encode_node(tlv.decode(blob)) == blob, name


def test_header_length_and_total():
    assert tlv.header_length_and_total(bytes.fromhex("7782064D3082")) == (4, 4 + 0x064D)
    assert tlv.header_length_and_total(bytes.fromhex("6F81A2")) == (3, 3 + 0xA2)
    assert tlv.header_length_and_total(bytes.fromhex("615B5F1F")) == (2, 0x5D)
    assert tlv.header_length_and_total(bytes.fromhex("7F6183012345")) == (6, 6 + 0x012345)


def test_iterate_siblings():
    blob = tlv.encode(0x80, b"\x01") + tlv.encode(0x81, b"") + tlv.encode(0x5F1F, b"AB")
    assert [(t.tag, t.value) for t in tlv.iter_tlv(blob)] == [
        (0x80, b"\x01"),
        (0x81, b""),
        (0x5F1F, b"AB"),
    ]
    assert len(tlv.decode_all(blob)) == 3


def test_truncated_tlv():
    with pytest.raises(ParseError, match="truncated"):
        tlv.decode(bytes.fromhex("5F"))
    with pytest.raises(ParseError, match="truncated inside the length"):
        tlv.header_length_and_total(bytes.fromhex("7782"))


def test_length_past_buffer():
    with pytest.raises(ParseError, match="runs past the end"):
        tlv.decode(bytes.fromhex("61055F1F02"))


def test_inner_length_past_parent():
    with pytest.raises(ParseError, match="runs past the end of its buffer"):
        tlv.decode(bytes.fromhex("61065F1F05414243"))


def test_five_byte_length():
    with pytest.raises(ParseError, match="5-byte length field"):
        tlv.decode(bytes.fromhex("61850000000001") + b"A")


def test_indefinite_length_rejected():
    with pytest.raises(ParseError, match="indefinite"):
        tlv.decode(bytes.fromhex("6180") + b"\x00\x00")


def test_trailing_bytes_in_strict_mode():
    with pytest.raises(ParseError, match="trailing bytes"):
        tlv.decode(SAMPLE + b"\x00")
    assert tlv.decode(SAMPLE + b"\x00", strict=False).raw == SAMPLE


def test_nesting_too_deep():
    blob = b"\x01"
    for _ in range(40):
        blob = tlv.encode(0x30, blob) if len(blob) > 1 else tlv.encode(0x04, blob)
    with pytest.raises(ParseError, match="nested deeper"):
        tlv.decode(blob)


def test_wrong_outer_tag_of_file():
    with pytest.raises(ParseError, match="wrong outer tag 61, expected 75") as info:
        tlv.decode_file(SAMPLE.replace(b"\x60", b"\x61", 1), 0x75, file="DG2")
    assert info.value.file == "DG2"


@pytest.mark.timeout(30)  # a parser that walked the noise byte by byte would be stopped here
def test_ten_megabytes_of_random_fail_fast():
    noise = os.urandom(10 * 1024 * 1024)
    # A well-formed outer header around the noise, so the parser has to walk inside it.
    wrapped = tlv.encode(0x30, noise)
    for blob in (noise, wrapped):
        with pytest.raises(ParseError):
            tlv.decode(blob)


def test_tag_longer_than_four_bytes():
    with pytest.raises(ParseError, match="tag longer than 4 bytes"):
        tlv.decode(bytes.fromhex("5F8181818101") + b"\x00")


def test_padding_byte_is_not_a_tag():
    with pytest.raises(ParseError, match="invalid tag byte 00"):
        tlv.decode_all(tlv.encode(0x80, b"\x01") + b"\x00\x00")
