"""Transports: the in-process one, and the PC/SC one's waits, timeouts, status mapping and
reconnect (fake pyscard)."""

from __future__ import annotations

import threading
import types

import pytest

from cardreader.accesskey import CanKey
from cardreader.errors import (
    CardError,
    CardRemovedError,
    CardTimeoutError,
    NoCardError,
    NoReaderError,
)
from cardreader.reader import Reader, step_detect_extended_length
from cardreader.transport import pcsc
from cardreader.transport.inprocess import InProcessTransport
from tests.cardreader_io.filecard import FileCard


class GoneCard:
    atr = b"\x3b\x00"

    def __init__(self, after: int):
        self.after = after
        self.powered = 0

    def power_on(self) -> bytes:
        self.powered += 1
        return self.atr

    def process_apdu(self, apdu: bytes) -> bytes:
        if self.after <= 0:
            raise ConnectionResetError("left the field")
        self.after -= 1
        return b"\x90\x00"


def test_inprocess_maps_connection_reset_to_card_removed():
    card = GoneCard(after=1)
    t = InProcessTransport(card)
    assert t.atr == b"\x3b\x00" and card.powered == 1
    assert t.transmit(b"\x00\xa4\x00\x0c") == b"\x90\x00"
    with pytest.raises(CardRemovedError):
        t.transmit(b"\x00\xb0\x00\x00\x00")
    with pytest.raises(CardRemovedError):  # stays removed
        t.transmit(b"\x00\xb0\x00\x00\x00")
    t.close()
    with pytest.raises(CardError):
        t.transmit(b"\x00\xb0\x00\x00\x00")


def test_inprocess_does_not_import_the_card_side():
    import cardreader.transport.inprocess as mod

    source = open(mod.__file__).read()
    assert "import simulators" not in source and "from simulators" not in source


def test_ef_atr_info_is_read_only_when_the_atr_is_silent():
    info = bytes.fromhex("4703C021C0") + bytes.fromhex("7F66080202080002020800")
    card = FileCard({0x2F01: info})
    reader = Reader(InProcessTransport(card), CanKey("123456"))
    step_detect_extended_length(reader.state)
    assert reader.state.files.extended_length
    assert reader.state.files.max_response == 0x0800 - 2
    assert reader.state.result.files["EF.ATR/INFO"] == info

    class AtrCard(FileCard):
        atr = bytes.fromhex("3B85800180739421C082")  # capabilities say: extended length

    card2 = AtrCard({})
    reader2 = Reader(InProcessTransport(card2), CanKey("123456"))
    step_detect_extended_length(reader2.state)
    assert reader2.state.files.extended_length and card2.commands == []


def test_no_atr_and_no_ef_atr_info_means_short_reads():
    card = FileCard({})
    reader = Reader(InProcessTransport(card), CanKey("123456"))
    step_detect_extended_length(reader.state)
    assert not reader.state.files.extended_length
    assert [c.ins for c in card.commands] == [0xA4]  # one SELECT 2F01 -> 6A82


# -- PC/SC with a fake pyscard -----------------------------------------------------


class FakeScard(types.SimpleNamespace):
    """Just enough of smartcard.scard: one reader, codes chosen by the test.

    N802 is ignored on its methods: they must carry pyscard's own names."""

    def __init__(self, *, clock, readers=("R1",), present=True, transmit=None):
        real = pcsc._scard  # type: ignore[attr-defined]  # the pyscard module the fake stands in for
        self.clock = clock
        self.waits_ms = []  # every SCardGetStatusChange wait that ran out
        super().__init__(**{k: getattr(real, k) for k in dir(real) if k.startswith("SCARD_")})
        self.reader_names = list(readers)
        self.present = present
        self._transmit = transmit or (lambda apdu: (0, [0x90, 0x00]))
        self.disconnects = []

    def SCardEstablishContext(self, scope):
        return 0, 1

    def SCardReleaseContext(self, ctx):
        return 0

    def SCardListReaders(self, ctx, groups):
        return (
            (0, self.reader_names) if self.reader_names else (self.SCARD_E_NO_READERS_AVAILABLE, [])
        )

    def SCardGetStatusChange(self, ctx, timeout_ms, states):
        out = []
        for name, known in states:
            state = self.SCARD_STATE_PRESENT if self.present else self.SCARD_STATE_EMPTY
            if known == state:
                # No change: the wait runs its full time, on the fake clock (no real sleeping).
                self.waits_ms.append(timeout_ms)
                self.clock.now += timeout_ms / 1000
                return self.SCARD_E_TIMEOUT, []
            out.append(
                (name, state | self.SCARD_STATE_CHANGED, [0x3B, 0x00] if self.present else [])
            )
        return 0, out

    def SCardConnect(self, ctx, name, share, protocols):
        return 0, 7, self.SCARD_PROTOCOL_T1

    def SCardTransmit(self, handle, protocol, apdu):
        return self._transmit(apdu)

    def SCardDisconnect(self, handle, disposition):
        self.disconnects.append(disposition)
        return 0

    def SCardGetErrorMessage(self, code):
        return f"code {code:08X}"


class FakeClock:
    """pcsc's deadline clock, moved only by the fake reader's waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake(monkeypatch):
    def install(**kw):
        clock = FakeClock()
        f = FakeScard(clock=clock, **kw)
        monkeypatch.setattr(pcsc, "monotonic", clock)
        monkeypatch.setattr(pcsc, "_scard", f)
        return f

    return install


def test_pcsc_connect_and_transmit(fake):
    f = fake()
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    assert t.atr == b"\x3b\x00" and t.reader == "R1"
    assert t.transmit(b"\x00\xa4\x04\x0c") == b"\x90\x00"
    t.close()
    assert f.disconnects == [f.SCARD_RESET_CARD]
    assert [r.to_dict() for r in pcsc.list_readers()] == [
        {"name": "R1", "card_present": True, "atr": "3B00"}
    ]


@pytest.mark.timeout(10)
def test_pcsc_waits_for_a_card_with_a_deadline(fake):
    f = fake(present=False)
    with pytest.raises(NoCardError) as err:
        pcsc.PcscTransport.connect(None, wait_s=0.4)
    assert err.value.step == "connect"
    # Waited in slices of at most 250 ms until the 400 ms deadline, then gave up.
    assert f.waits_ms and all(0 < w <= 250 for w in f.waits_ms)
    assert 400 <= sum(f.waits_ms) <= 401  # rounding up to whole milliseconds


def test_pcsc_without_reader(fake):
    fake(readers=())
    with pytest.raises(NoReaderError):
        pcsc.PcscTransport.connect(None, wait_s=0.1)
    assert pcsc.list_readers() == []


@pytest.mark.timeout(10)
def test_pcsc_transmit_timeout_never_hangs(fake):
    release = threading.Event()

    def stuck(apdu):
        release.wait(5)
        return 0, [0x90, 0x00]

    fake(transmit=stuck)
    t = pcsc.PcscTransport.connect("R1", wait_s=1, apdu_timeout_s=0.3)
    with pytest.raises(CardTimeoutError):  # pytest-timeout below fails the test if this hangs
        t.transmit(b"\x00\xb0\x00\x00\x00")
    with pytest.raises(CardTimeoutError):  # the stuck worker is not reused
        t.transmit(b"\x00\xb0\x00\x00\x00")
    release.set()
    t.close()


@pytest.mark.parametrize("code", [0x80100069, 0x8010000C, 0x80100068])
def test_pcsc_removed_codes(fake, code):
    fake(transmit=lambda apdu: (code, []))
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    with pytest.raises(CardRemovedError):
        t.transmit(b"\x00\xb0\x00\x00\x00")


@pytest.mark.timeout(10)
def test_pcsc_ambiguous_failure_asks_the_reader(fake, monkeypatch):
    monkeypatch.setattr(pcsc, "REMOVAL_SETTLE_S", 0.3)
    f = fake(transmit=lambda apdu: (0x80100016, []))
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    f.present = False  # the slot is empty now: it was a removal
    with pytest.raises(CardRemovedError):
        t.transmit(b"\x00\xb0\x00\x00\x00")
    f.present = True  # still there: a plain exchange failure
    f.waits_ms.clear()
    with pytest.raises(CardError) as err:
        t.transmit(b"\x00\xb0\x00\x00\x00")
    assert type(err.value) is CardError and "could not exchange" in err.value.message
    assert 300 <= sum(f.waits_ms) <= 301  # the wait for the reader stops at REMOVAL_SETTLE_S


def test_pcsc_wrapper_exceptions_become_card_errors(fake):
    def boom(apdu):
        raise SystemError("returned NULL without setting an exception")

    fake(transmit=boom)
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    with pytest.raises(CardError):
        t.transmit(b"\x00\xb0\x00\x00\x00")


# -- a card swapped between connect and the first APDU ---------------------------------------
W_RESET, W_REMOVED, W_UNPOWERED = 0x80100068, 0x80100069, 0x80100067


@pytest.mark.parametrize("code", [W_RESET, W_REMOVED, W_UNPOWERED])
def test_pcsc_reconnects_once_when_the_first_apdu_finds_the_card_swapped(fake, code):
    answers = [(code, []), (0, [0x90, 0x00]), (0, [0x90, 0x00])]
    f = fake(transmit=lambda apdu: answers.pop(0))
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    assert t.transmit(b"\x00\xa4\x04\x0c") == b"\x90\x00"
    assert t.reconnects == 1 and f.disconnects == [f.SCARD_LEAVE_CARD]
    assert t.transmit(b"\x00\xa4\x04\x0c") == b"\x90\x00" and not answers


def test_pcsc_reconnects_at_most_once(fake):
    f = fake(transmit=lambda apdu: (W_RESET, []))
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    with pytest.raises(CardRemovedError):
        t.transmit(b"\x00\xa4\x04\x0c")
    assert t.reconnects == 1 and f.disconnects == [f.SCARD_LEAVE_CARD]


def test_pcsc_never_reconnects_after_a_successful_exchange(fake):
    answers = [(0, [0x90, 0x00]), (W_REMOVED, [])]
    f = fake(transmit=lambda apdu: answers.pop(0))
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    t.transmit(b"\x00\xa4\x04\x0c")
    with pytest.raises(CardRemovedError):
        t.transmit(b"\x00\xb0\x00\x00\x00")
    assert t.reconnects == 0 and f.disconnects == []


@pytest.mark.timeout(10)
def test_pcsc_swapped_card_that_never_returns_is_removed(fake):
    f = fake(transmit=lambda apdu: (W_REMOVED, []))
    t = pcsc.PcscTransport.connect("R1", wait_s=1)
    f.present = False  # the slot stays empty: waits run out on the fake clock
    with pytest.raises(CardRemovedError):
        t.transmit(b"\x00\xa4\x04\x0c")
    assert t.reconnects == 1
    assert sum(f.waits_ms) <= pcsc.RECONNECT_WAIT_S * 1000 + 1
