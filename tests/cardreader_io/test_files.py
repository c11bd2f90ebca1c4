"""files.py: chunk sizes, extended length detection, B1 offsets, the 6700 fallback."""

from __future__ import annotations

import math

import pytest

from cardreader.errors import FileAccessDenied, FileNotFoundOnCard, ParseError
from cardreader.files import (
    AtrInfo,
    ExtendedLengthRejected,
    FileReader,
    extended_length_from_atr,
    fid_of_dg,
    file_name,
    historical_bytes,
    max_plain_chunk,
)
from cardreader.session import Session
from cardreader.sm import SecureMessaging
from cardreader.transport.inprocess import InProcessTransport
from tests.cardreader_io.filecard import FileCard

K_ENC = bytes(range(16))
K_MAC = bytes(range(16, 32))


def lds_file(tag: int, n: int) -> bytes:
    """A TLV file whose value is n bytes of a counting pattern."""
    value = bytes(i % 251 for i in range(n))
    if n < 0x80:
        length = bytes((n,))
    elif n < 0x100:
        length = b"\x81" + bytes((n,))
    elif n < 0x10000:
        length = b"\x82" + n.to_bytes(2, "big")
    else:
        length = b"\x83" + n.to_bytes(3, "big")
    return bytes((tag,)) + length + value


def reader_for(card: FileCard, *, sm: str | None = None, **kw) -> FileReader:
    session = Session(InProcessTransport(card))
    if sm:
        card.start_sm(sm, K_ENC, K_MAC)
        session.start_secure_messaging(
            SecureMessaging.from_keys("AES-128" if sm == "AES" else "3DES", K_ENC, K_MAC)
        )
    return FileReader(session, **kw)


def test_short_chunks_are_231_for_3des_and_223_for_aes():
    assert max_plain_chunk(256, 8) == 231
    assert max_plain_chunk(256, 16) == 223
    assert max_plain_chunk(256, None) == 256
    # The largest AES chunk still fits: one more byte would not.
    assert max_plain_chunk(65533, 16) % 16 == 15


@pytest.mark.parametrize(
    "atr,expected",
    [
        # T0 85: TD1 follows, 5 historical bytes 80 73 C0 21 C0 (compact-TLV card capabilities)
        (bytes.fromhex("3B8580018073C021C0"), True),
        (bytes.fromhex("3B8480018073C02100"), False),  # third byte without 0x40
        (bytes.fromhex("3B80800101"), None),  # no historical bytes
        (bytes.fromhex("3B8580018031C0640E"), None),  # compact-TLV without tag 7
    ],
)
def test_extended_length_from_atr(atr, expected):
    assert extended_length_from_atr(atr) is expected


def test_historical_bytes_skip_interface_bytes():
    # T0 D5: TA1 TC1 TD1 and 5 historical bytes. TA1=18 TC1=FF TD1=81 (TD2 follows),
    # TD2=91 (TA3, TD3 follow), TA3=FE, TD3=1F (TA4 follows), TA4=C3, then 80 73 C8 21 10.
    atr = bytes.fromhex("3BD518FF8191FE1FC38073C821100F")
    assert historical_bytes(atr) == bytes.fromhex("8073C82110")
    assert extended_length_from_atr(atr) is False


def test_atr_info_extended_length_information():
    info = AtrInfo.from_bytes(bytes.fromhex("4703C021E0") + bytes.fromhex("7F66080202080002020400"))
    assert info.extended_length is True
    assert (info.max_command, info.max_response) == (0x0800, 0x0400)
    assert AtrInfo.from_bytes(b"\x47\x03\x00\x00\x00").extended_length is False


def test_names():
    assert fid_of_dg(13) == 0x010D and file_name(0x010D) == "DG13"
    assert file_name(0x011C) == "EF.CardAccess" and file_name(0x011D) == "EF.SOD"


@pytest.mark.parametrize("sm,chunk", [(None, 256), ("3DES", 231), ("AES", 223)])
def test_short_reads_use_the_largest_chunk_and_the_header_length(sm, chunk):
    content = lds_file(0x75, 5000)
    card = FileCard({0x0102: content}, extended=False)
    reader = reader_for(card, sm=sm)
    assert reader.chunk_size() == chunk
    assert reader.read_file(0x0102) == content
    reads = [c for c in card.commands if c.ins == 0xB0]
    assert len(reads) == math.ceil(len(content) / chunk)
    assert all(c.ne <= chunk and not c.extended for c in reads)
    assert reader.session.stats.apdus == 1 + len(reads)


def test_small_file_costs_one_select_and_one_read():
    content = lds_file(0x60, 20)
    card = FileCard({0x011E: content}, extended=False)
    reader = reader_for(card, sm="AES")
    assert reader.read_file(0x011E) == content
    assert [c.ins for c in card.commands] == [0xA4, 0xB0]


def test_extended_length_reads_whole_file_in_one_go():
    content = lds_file(0x75, 20000)
    card = FileCard({0x0102: content})
    reader = reader_for(card, sm="AES", extended_length=True)
    assert reader.read_file(0x0102) == content
    reads = [c for c in card.commands if c.ins == 0xB0]
    assert len(reads) == 1 and reads[0].extended


def test_extended_reads_respect_the_cards_maximum():
    content = lds_file(0x75, 5000)
    card = FileCard({0x0102: content}, max_response=1024)
    reader = reader_for(card, sm="AES", extended_length=True, max_response=1024)
    assert reader.read_file(0x0102) == content
    reads = [c for c in card.commands if c.ins == 0xB0]
    assert reader.chunk_size() < 1024 - 16
    assert len(reads) == math.ceil(len(content) / reader.chunk_size())


def test_offsets_beyond_32767_use_b1_with_do54():
    content = lds_file(0x75, 40000)
    card = FileCard({0x0102: content}, extended=False)
    reader = reader_for(card, sm="AES")
    assert reader.read_file(0x0102) == content
    b1 = [c for c in card.commands if c.ins == 0xB1]
    assert b1, "offsets past 7FFF need INS B1"
    assert all(int.from_bytes(c.data[2:], "big") > 0x7FFF for c in b1)
    assert all(((c.p1 << 8) | c.p2) <= 0x7FFF for c in card.commands if c.ins == 0xB0)


def test_extended_b1_beyond_first_chunk():
    content = lds_file(0x75, 100000)
    card = FileCard({0x0102: content})
    reader = reader_for(card, sm="3DES", extended_length=True)
    assert reader.read_file(0x0102) == content
    assert [c.ins for c in card.commands] == [0xA4, 0xB0, 0xB1]


def test_protected_6700_falls_back_to_short_reads_and_keeps_ssc():
    content = lds_file(0x75, 1000)
    card = FileCard({0x0102: content, 0x0101: lds_file(0x61, 90)}, refuse_extended="protected")
    reader = reader_for(card, sm="AES", extended_length=True)
    assert reader.read_file(0x0102) == content
    assert reader.fell_back and not reader.extended_length
    # Secure messaging is still up: the next file reads under the same keys.
    assert reader.read_file(0x0101) == lds_file(0x61, 90)
    assert reader.session.secure_messaging is not None


def test_plain_6700_closes_the_channel_with_a_typed_error():
    card = FileCard({0x0102: lds_file(0x75, 1000)}, refuse_extended="plain")
    reader = reader_for(card, sm="AES", extended_length=True)
    with pytest.raises(ExtendedLengthRejected) as err:
        reader.read_file(0x0102)
    assert err.value.sw == 0x6700 and not reader.extended_length
    assert reader.session.secure_messaging is None
    assert reader.chunk_size() == 256  # plain now; after re-opening access control: short SM reads


def test_plain_6700_without_sm_falls_back_in_place():
    content = lds_file(0x31, 300)
    card = FileCard({0x011C: content}, extended=False)
    reader = reader_for(card, extended_length=True)
    assert reader.read_file(0x011C) == content
    assert reader.fell_back


def test_card_answering_less_than_asked_is_read_on():
    content = lds_file(0x75, 3000)
    card = FileCard({0x0102: content}, short_cap=100)
    reader = reader_for(card, sm="AES", extended_length=True)
    assert reader.read_file(0x0102) == content


def test_missing_and_protected_files_are_typed():
    card = FileCard({0x0101: lds_file(0x61, 10)}, extended=False)
    reader = reader_for(card, sm="AES")
    with pytest.raises(FileNotFoundOnCard) as err:
        reader.read_file(0x010B)
    assert err.value.file == "DG11" and err.value.sw == 0x6A82
    assert reader.read_optional(0x010B) is None

    class DeniedCard(FileCard):
        def _handle(self, cmd):
            if cmd.ins == 0xA4 and cmd.data == b"\x01\x03":
                return b"", 0x6982
            return super()._handle(cmd)

    denied = DeniedCard({0x0101: lds_file(0x61, 10)}, extended=False)
    with pytest.raises(FileAccessDenied):
        reader_for(denied, sm="AES").read_file(0x0103)


def test_file_shorter_than_its_header_is_a_parse_error():
    truncated = lds_file(0x75, 600)[:400]
    card = FileCard({0x0102: truncated}, extended=False)
    with pytest.raises(ParseError):
        reader_for(card, sm="AES").read_file(0x0102)


class Always6C:
    """A broken card: every READ BINARY answers 6C10 ("wrong Le, 16 available"), whatever Le is."""

    def __init__(self) -> None:
        self.reads = 0

    def process_apdu(self, raw: bytes) -> bytes:
        if raw[1] == 0xB0:
            self.reads += 1
            return b"\x6c\x10"
        return b"\x90\x00"


def test_6cxx_is_retried_once_per_chunk_then_typed():
    from cardreader.errors import StatusWordError

    card = Always6C()
    reader = FileReader(Session(InProcessTransport(card)))
    with pytest.raises(StatusWordError) as err:
        reader.read_file(0x0101)
    assert err.value.step == "read_binary" and err.value.file == "DG1" and err.value.sw == 0x6C10
    assert card.reads == 2  # the first answer, then one retry with Le 16


class OneShot6C(FileCard):
    """Answers the first READ BINARY with 6Cxx (the file's exact length), then normally."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.told = False

    def _handle(self, cmd):
        if cmd.ins == 0xB0 and not self.told:
            self.told = True
            return b"", 0x6C00 | len(self.files[self.current])
        return super()._handle(cmd)


def test_6cxx_once_is_honoured():
    content = lds_file(0x61, 40)
    card = OneShot6C({0x0101: content}, extended=False)
    assert reader_for(card).read_file(0x0101) == content
    reads = [c for c in card.commands if c.ins == 0xB0]
    assert reads[-1].ne == len(content)


class NoStatusWord:
    def process_apdu(self, raw: bytes) -> bytes:
        return b"\x90\x00" if raw[1] == 0xA4 else b"\x90"


def test_answer_without_status_word_is_typed_with_step_and_file():
    from cardreader.errors import MalformedResponseError

    reader = FileReader(Session(InProcessTransport(NoStatusWord())))
    with pytest.raises(MalformedResponseError) as err:
        reader.read_file(0x010D)
    assert err.value.step == "read_binary" and err.value.file == "DG13"
    assert err.value.code == "malformed_response"
