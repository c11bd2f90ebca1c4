"""ISO 7816-4 commands of the card OS: ATR, SELECT, READ BINARY, errors, SM rules."""

from __future__ import annotations

import pytest

from simulators.card import VirtualCCCD
from simulators.card.atr import supports_extended_length
from simulators.carddata import FID_CARD_ACCESS, FID_COM, fid_of_dg

from .helpers import make_dataset

h = bytes.fromhex
SELECT_APP = (0x00, 0xA4, 0x04, 0x0C, h("A0000002471001"))


def test_atr_is_well_formed_and_advertises_extended_length():
    card = VirtualCCCD(make_dataset())
    atr = card.power_on()
    assert atr == card.atr == card.reset()
    assert atr[0] == 0x3B and atr[1] >> 4 == 0x8
    hist_len = atr[1] & 0x0F
    assert len(atr) == 1 + 1 + 2 + hist_len + 1  # TS T0 TD1 TD2 hist TCK
    tck = 0
    for b in atr[1:]:
        tck ^= b
    assert tck == 0  # XOR T0..TCK is zero
    hist = atr[4 : 4 + hist_len]
    assert hist[0] == 0x80 and hist[1] == 0x73 and hist[4] & 0x40
    assert supports_extended_length(atr)


def test_select_mf_is_rejected_like_a_cccd():
    card = VirtualCCCD(make_dataset())
    assert card.process_apdu(h("00A4000C023F00")) == h("6D00")
    assert card.process_apdu(h("00A4000C")) == h("6D00")


def test_card_access_in_plain_before_the_application():
    access = bytes(range(40))
    card = VirtualCCCD(make_dataset(card_access=access))
    assert card.process_apdu(h("00A4020C02011C")) == h("9000")
    assert card.process_apdu(h("00B0000004")) == access[:4] + h("9000")
    assert card.process_apdu(h("00B0000000")) == access + h(
        "6282"
    )  # Le 256, 40 left: short last read
    assert card.process_apdu(h("00B0002800")) == h("6B00")  # offset at the end
    assert card.process_apdu(h("00B09C0008")) == access[:8] + h("9000")  # by SFI 1C


def test_lds_files_need_the_application_and_access_control():
    card = VirtualCCCD(make_dataset())
    assert card.process_apdu(h("00A4020C02011E")) == h("6A82")  # application not selected
    assert card.process_apdu(h("00A4040C07A0000002471001")) == h("9000")
    assert card.process_apdu(h("00A4040C07A0000002471002")) == h("6A82")
    assert card.process_apdu(h("00A4020C02011E")) == h("9000")
    assert card.process_apdu(h("00B0000004")) == h("6982")


def test_select_returns_fcp_or_fci():
    card = VirtualCCCD(make_dataset(card_access=b"\x31\x00"))
    fcp = card.process_apdu(h("00A4020402011C"))
    assert fcp[:2] == b"\x62\x0b" and fcp[-2:] == h("9000")
    assert h("80020002") in fcp and h("8302011C") in fcp
    assert card.process_apdu(h("00A4040007A0000002471001")) == h("6F098407A0000002471001") + h(
        "9000"
    )
    assert card.process_apdu(h("00A4020102011C")) == h("6A86")  # bad P2
    assert card.process_apdu(h("00A4080C02011C")) == h("6A86")  # path selection: no


@pytest.mark.parametrize(
    "apdu, sw",
    [
        ("00", "6700"),  # shorter than a header
        ("00B000", "6700"),
        ("00A4020C05011C", "6700"),  # Lc says 5, one byte follows
        ("00CA010100", "6D00"),  # GET DATA: not supported
        ("80A4020C02011C", "6E00"),  # proprietary class
        ("FFA4020C02011C", "6E00"),
        ("0CB0000004", "6988"),  # SM class without an SM session
        ("00B00000", "6700"),  # READ BINARY without Le
        ("00840000", "6700"),  # GET CHALLENGE without Le
        ("0084000108", "6A86"),
        ("0082000028" + "00" * 40 + "28", "6985"),  # EXTERNAL AUTHENTICATE without a challenge
        ("0022FFFF00", "6A86"),  # one byte after the header is Le: unknown MSE P1-P2
        ("00B0000000000000", "6700"),  # extended form with Lc 0
        ("0022F1A400", "6A86"),
        ("00880000080102030405060708", "6982"),  # AA before access control
    ],
)
def test_malformed_and_refused_commands(apdu, sw):
    card = VirtualCCCD(make_dataset())
    assert card.process_apdu(h(apdu)) == h(sw)


def test_dg3_dg4_need_terminal_authentication_and_dg11_is_absent(paced):
    card, terminal = paced
    assert terminal.send(*SELECT_APP) == (b"", 0x9000)
    assert terminal.send(0x00, 0xA4, 0x02, 0x0C, h("0103"))[1] == 0x6982
    assert terminal.send(0x00, 0xA4, 0x02, 0x0C, h("0104"))[1] == 0x6982
    assert terminal.send(0x00, 0xA4, 0x02, 0x0C, h("010B"))[1] == 0x6A82
    assert terminal.send(0x00, 0xB0, 0x83, 0x00, ne=4)[1] == 0x6982  # DG3 by SFI too
    data, sw = terminal.send(0x00, 0xB0, 0x81, 0x00, ne=0xE0)  # DG1 by SFI
    assert (data, sw) == (card.dataset.files[fid_of_dg(1)], 0x6282)


def test_after_access_control_plain_commands_end_the_session(paced):
    card, terminal = paced
    assert terminal.send(*SELECT_APP) == (b"", 0x9000)
    assert card.process_apdu(h("00A4020C02011E")) == h("6988")
    assert card.sm is None and not card.authenticated
    # The card answers plain now, and without access rights.
    assert card.process_apdu(h("00A4020C02011E")) == h("9000")
    assert card.process_apdu(h("00B0000004")) == h("6982")


def test_bad_command_mac_gives_6988_and_ends_sm(paced):
    card, terminal = paced
    apdu = bytearray(terminal.wrap(*SELECT_APP))
    apdu[-3] ^= 0xFF
    assert card.process_apdu(bytes(apdu)) == h("6988")
    assert card.sm is None
    assert card.process_apdu(h("00A4040C07A0000002471001")) == h("9000")


def test_ssc_counts_commands_and_responses(paced):
    card, terminal = paced
    for expected in (2, 4, 6):
        terminal.send(*SELECT_APP)
        assert card.sm.ssc == terminal.ssc == expected


def test_b1_reads_beyond_0x7fff_on_a_large_file(icao_vectors):
    from .conftest import pace_card

    big = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(0x8000 + 600))
    _card, terminal = pace_card(icao_vectors, extra={fid_of_dg(2): big})
    terminal.send(*SELECT_APP)
    assert terminal.send(0x00, 0xA4, 0x02, 0x0C, h("0102")) == (b"", 0x9000)
    # B0 cannot say an offset above 0x7FFF: bit 8 of P1 means SFI.
    data, sw = terminal.send(0x00, 0xB0, 0x7F, 0xFF, ne=1)
    assert (data, sw) == (big[0x7FFF:0x8000], 0x9000)
    data, sw = terminal.send(0x00, 0xB1, 0x00, 0x00, b"\x54\x02\x80\x10", ne=0xE0)
    assert sw == 0x9000 and data[:3] == b"\x53\x81\xdd" and data[3:] == big[0x8010 : 0x8010 + 0xDD]
    # Extended Le, last read comes up short: 6282 and DO'53' with what is left.
    data, sw = terminal.send(0x00, 0xB1, 0x00, 0x00, b"\x54\x03\x00\x81\x00", ne=1000)
    assert sw == 0x6282 and data == b"\x53\x82\x01\x58" + big[0x8100:]
    # By file id in P1-P2 and past the end.
    assert terminal.send(0x00, 0xB1, 0x01, 0x02, b"\x54\x02\x90\x00", ne=16)[1] == 0x6B00
    assert terminal.send(0x00, 0xB1, 0x00, 0x00, b"\x53\x01\x00", ne=16)[1] == 0x6A80


def test_extended_length_read_in_one_go(paced):
    card, terminal = paced
    terminal.send(*SELECT_APP)
    terminal.send(0x00, 0xA4, 0x02, 0x0C, h("011E"))
    com = card.dataset.files[FID_COM]
    data, sw = terminal.send(0x00, 0xB0, 0x00, 0x00, ne=1000)
    assert (data, sw) == (com, 0x6282)


def test_power_off_forgets_the_session(paced):
    card, _ = paced
    card.power_off()
    assert card.sm is None and not card.authenticated
    assert card.process_apdu(h("00A4020C02011C")) == h("9000")
    assert card.dataset.files[FID_CARD_ACCESS]
