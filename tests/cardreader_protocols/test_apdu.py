"""CommandAPDU / ResponseAPDU encodings (ISO/IEC 7816-4 cases 1-4, short and extended)."""

from __future__ import annotations

import pytest

from cardreader import apdu
from cardreader.apdu import APDUError, CommandAPDU, ResponseAPDU

from .helpers import h


@pytest.mark.parametrize(
    "cmd,encoded",
    [
        (CommandAPDU(0x00, 0xA4, 0x04, 0x0C), "00A4040C"),  # case 1
        (CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=8), "0084000008"),  # case 2S
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=256), "00B0000000"),  # Le 00 = 256
        (CommandAPDU(0x00, 0xA4, 0x02, 0x0C, h("011E")), "00A4020C02011E"),  # case 3S
        (CommandAPDU(0x10, 0x86, 0x00, 0x00, h("7C00"), ne=256), "10860000027C0000"),  # case 4S
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=65536), "00B0000000" + "0000"),  # case 2E, 65536
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=1000), "00B00000" + "0003E8"),  # case 2E
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=8, extended=True), "00B00000" + "000008"),  # forced
        (
            CommandAPDU(0x00, 0x88, 0, 0, h("0102"), ne=65536, extended=True),
            "00880000" + "000002" + "0102" + "0000",
        ),
    ],
)
def test_encoding_and_decoding(cmd, encoded):
    assert cmd.to_bytes() == h(encoded)
    back = CommandAPDU.from_bytes(h(encoded))
    assert back.to_bytes() == h(encoded)
    assert (back.data, back.ne) == (cmd.data, cmd.ne)


def test_long_data_goes_extended():
    cmd = CommandAPDU(0x00, 0x86, 0, 0, bytes(300), ne=256)
    raw = cmd.to_bytes()
    assert cmd.is_extended
    assert raw[4:7] == h("00012C") and raw[-2:] == h("0100") and len(raw) == 4 + 3 + 300 + 2
    assert CommandAPDU.from_bytes(raw).data == bytes(300)


@pytest.mark.parametrize("bad", ["00A4", "00A4020C0301", "00A4020C0000", "00A4020C000005AABB"])
def test_malformed_commands_are_refused(bad):
    with pytest.raises(APDUError):
        CommandAPDU.from_bytes(h(bad))


def test_field_ranges():
    with pytest.raises(APDUError):
        CommandAPDU(0x100, 0, 0, 0)
    with pytest.raises(APDUError):
        CommandAPDU(0, 0, 0, 0, ne=0)
    with pytest.raises(APDUError):
        CommandAPDU(0, 0, 0, 0, ne=65537)


def test_response_apdu():
    r = ResponseAPDU.from_bytes(h("60145F019000"))
    assert r.data == h("60145F01") and r.sw == 0x9000 and r.is_success
    assert (r.sw1, r.sw2) == (0x90, 0x00) and r.to_bytes() == h("60145F019000")
    assert not ResponseAPDU.from_bytes(h("6A82")).is_success
    with pytest.raises(APDUError):
        ResponseAPDU.from_bytes(h("90"))


def test_status_word_predicates():
    assert apdu.is_access_denied(0x6300) and apdu.is_access_denied(0x63C2)
    assert apdu.is_access_denied(0x6982) and apdu.is_access_denied(0x6985)
    assert not apdu.is_access_denied(0x6A80) and not apdu.is_access_denied(0x9000)
    assert apdu.is_sm_error(0x6988) and apdu.is_sm_error(0x6987) and not apdu.is_sm_error(0x6982)
    assert apdu.is_more_data(0x6110) and not apdu.is_more_data(0x9000)
    assert apdu.is_warning(apdu.SW_END_OF_FILE) and apdu.is_counter(0x63C0)
