"""crypto.der: the one decode point turns every library failure into a typed DecodeError."""

from __future__ import annotations

import pytest
from asn1crypto import core, x509

from crypto import der
from crypto.errors import CryptoError, DecodeError
from crypto.sod import LDSSecurityObject


def test_load_parses_nested_structures_now():
    # SEQUENCE { INTEGER 0, SEQUENCE { <a truncated inner TLV> } }: asn1crypto's plain load
    # accepts it and fails only at the first access; der.load fails at once, typed.
    bad = bytes.fromhex("3008020100300330050500")
    LDSSecurityObject.load(bad)  # lazy: no error yet
    with pytest.raises(DecodeError) as err:
        der.load(LDSSecurityObject, bad, file="EF.SOD", step="lds_security_object")
    assert (err.value.file, err.value.step) == ("EF.SOD", "lds_security_object")
    assert isinstance(err.value, CryptoError)


def test_native_and_dotted_are_typed():
    bad_utf8 = core.UTF8String.load(b"\x0c\x02\xff\xfe")
    with pytest.raises(DecodeError, match="UnicodeDecodeError"):
        der.native(bad_utf8, file="DG13", step="name")
    assert der.native(None, file="DG13", step="name") is None
    name = x509.Name.load(bytes.fromhex("300c310a3008060180" + "0c03414243"))
    rdn_type = name.chosen[0][0]["type"]
    assert isinstance(der.dotted(rdn_type, file="EF.SOD", step="issuer"), str)


def test_decoding_lets_typed_errors_through():
    with pytest.raises(DecodeError) as err, der.decoding("DSC", "fields", code="x_malformed"):
        raise KeyError("missing")
    assert err.value.code == "x_malformed" and err.value.step == "fields"
    with pytest.raises(CryptoError, match="typed"), der.decoding("DSC", "fields"):
        raise CryptoError("typed")


@pytest.mark.parametrize(
    "raw,fragment",
    [
        (b"", "empty"),
        (b"\x61\x00", "must start with tag 77"),
        (b"\x77", "ends inside its length"),
        (b"\x77\x85\x01\x02\x03\x04\x05", "malformed length"),
        (b"\x77\x05\x01", "runs past the end"),
        (b"\x77\x80\x01\x02", "without end-of-contents"),
    ],
)
def test_outer_value_refuses_broken_headers(raw, fragment):
    with pytest.raises(DecodeError, match=fragment):
        der.outer_value(raw, 0x77, file="EF.SOD")


def test_outer_value_lengths():
    assert der.outer_value(b"\x77\x02ab", 0x77, file="f") == b"ab"
    assert der.outer_value(b"\x77\x81\x02ab\x00\x00", 0x77, file="f") == b"ab"  # padding kept out
    assert der.outer_value(b"\x77\x80ab\x00\x00", 0x77, file="f") == b"ab"
