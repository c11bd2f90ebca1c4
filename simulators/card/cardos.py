"""The virtual CCCD: a small ISO/IEC 7816-4 card OS.

Each INS goes to one handler through a table; handlers raise ``SWError`` and
``process_apdu`` turns every error into a response in one place. Secure
messaging wraps the handlers: once BAC/PACE succeeded every command must be
protected, and a secure-messaging error (or a plain command) ends the session.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from simulators.card.activeauth import ActiveAuthChip
from simulators.card.apdu import CommandAPDU
from simulators.card.atr import build_atr
from simulators.card.bac import BACChip
from simulators.card.chipauth import ChipAuthChip
from simulators.card.errors import (
    SW_CLA_NOT_SUPPORTED,
    SW_CONDITIONS_NOT_SATISFIED,
    SW_END_OF_FILE,
    SW_INS_NOT_SUPPORTED,
    SW_OK,
    SW_REF_DATA_NOT_FOUND,
    SW_SECURITY_NOT_SATISFIED,
    SW_SM_DO_INCORRECT,
    SW_UNKNOWN,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    SMError,
    SWError,
)
from simulators.card.filesystem import FileSystem
from simulators.card.oids import ProtocolOID, pace_parameter_ids
from simulators.card.pace import PACEChip
from simulators.card.sm import SecureMessaging
from simulators.card.tlv import is_complete_tlv, tlv, tlv_dict
from simulators.carddata import FID_CARD_ACCESS, CardDataSet
from simulators.faults import FaultConfig

Response = tuple[bytes, int]
log = logging.getLogger(__name__)


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


class VirtualCCCD:
    """A CCCD chip in memory: ``process_apdu(bytes) -> bytes`` never raises for bad
    input; it raises ``ConnectionResetError`` only when a fault removes the card."""

    def __init__(
        self,
        dataset: CardDataSet,
        *,
        faults: FaultConfig | list[str] | None = None,
        rng: Callable[[int], bytes] = os.urandom,
        aa_rsa_hash: str = "sha1",
        sleep: Callable[[float], None] = time.sleep,
    ):
        if faults is None:
            faults = FaultConfig()
        elif not isinstance(faults, FaultConfig):
            faults = FaultConfig.from_specs(faults)
        self.faults = faults
        self.dataset = faults.apply_data_faults(dataset)
        self.rng = rng
        self.aa_rsa_hash = aa_rsa_hash
        self._sleep = sleep
        self.atr = build_atr(extended_length=not faults.no_extended_length)
        self.fs = FileSystem(self.dataset)
        self._handlers: dict[int, Callable[[CommandAPDU], Response | bytes]] = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0xB1: self._read_binary_odd,
            0x84: self._get_challenge,
            0x82: self._external_authenticate,
            0x22: self._mse,
            0x86: self._general_authenticate,
            0x88: self._internal_authenticate,
        }
        self.removed = False
        self.apdu_count = 0  # APDUs since power-on (for 'remove-after')
        self.protected_responses = 0  # protected responses since power-on ('bad-response-mac')
        self._reset_state()

    # -- power ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.fs.reset()
        self.sm: SecureMessaging | None = None
        self.access_protocol: str | None = None  # 'BAC' or 'PACE' once access control succeeded
        self._pending_sm: SecureMessaging | None = None
        self._bac: BACChip | None = None
        self._pace: PACEChip | None = None
        self._ca = ChipAuthChip(self.dataset, self.rng, fail=self.faults.ca_fail)
        self._chain = b""

    def power_on(self) -> bytes:
        """Card enters the field: fresh state (a removed card is present again)."""
        self.removed = False
        self.apdu_count = 0
        self.protected_responses = 0
        self._reset_state()
        return self.atr

    def power_off(self) -> None:
        self._reset_state()

    def reset(self) -> bytes:
        self._reset_state()
        return self.atr

    @property
    def authenticated(self) -> bool:
        return self.sm is not None and self.access_protocol is not None

    def _end_sm(self) -> None:
        # Session keys are gone: access rights go with them (9303-11 9.8.7).
        self.sm = None
        self.access_protocol = None
        self._pending_sm = None
        self._pace = None

    # -- APDU entry point ----------------------------------------------------------------
    def process_apdu(self, apdu: bytes) -> bytes:
        if self.removed:
            raise ConnectionResetError("the card has left the field")
        self.apdu_count += 1
        limit = self.faults.remove_after
        if limit is not None and self.apdu_count > limit:
            self.removed = True
            raise ConnectionResetError("the card has left the field")
        if self.faults.slow_ms:
            self._sleep(self.faults.slow_ms / 1000)
        try:
            return self._process(bytes(apdu))
        except Exception as exc:  # never an exception for the terminal to see
            log.warning("card OS internal error (%s): answering 6F00", type(exc).__name__)
            self._end_sm()
            return _sw(SW_UNKNOWN)

    def _process(self, raw: bytes) -> bytes:
        try:
            cmd = CommandAPDU.from_bytes(raw)
            if cmd.cla & ~0x1C & 0xFF:
                raise SWError(SW_CLA_NOT_SUPPORTED, "class not supported")
        except SWError as exc:
            self._end_sm()  # a plain status word ends SM
            return _sw(exc.sw)
        if self.sm is None:
            if cmd.secure_messaging:
                return _sw(SW_SM_DO_INCORRECT)
            data, sw = self._run(cmd, cmd)
            self._apply_pending_sm()
            return data + _sw(sw)
        sm = self.sm
        try:
            inner = sm.unwrap_command(cmd)
        except SMError as exc:
            self._end_sm()
            return _sw(exc.sw)
        data, sw = self._run(inner, cmd)
        self.protected_responses += 1
        corrupt = self.faults.bad_response_mac == self.protected_responses
        response = sm.wrap_response(data, sw, cmd.ins, corrupt_mac=corrupt)
        self._apply_pending_sm()  # CA: new keys from the next command on
        return response

    def _apply_pending_sm(self) -> None:
        if self._pending_sm is not None:
            self.sm, self._pending_sm = self._pending_sm, None

    def _run(self, cmd: CommandAPDU, outer: CommandAPDU) -> Response:
        handler = self._handlers.get(cmd.ins)
        try:
            if handler is None:
                raise SWError(SW_INS_NOT_SUPPORTED, "instruction not supported")
            if self.faults.no_extended_length and (outer.extended or cmd.extended):
                raise SWError(SW_WRONG_LENGTH, "extended length not supported")
            result = handler(cmd)
        except SWError as exc:
            return b"", exc.sw
        return result if isinstance(result, tuple) else (result, SW_OK)

    # -- file commands -------------------------------------------------------------------
    def _select(self, cmd: CommandAPDU) -> bytes:
        if cmd.p2 not in (0x00, 0x04, 0x0C):
            raise SWError(SW_WRONG_P1P2, "unsupported SELECT P2")
        if cmd.p1 == 0x00 and cmd.data in (b"", b"\x3f\x00"):
            raise SWError(SW_INS_NOT_SUPPORTED, "SELECT MF is rejected (CCCD behaviour)")
        if cmd.p1 == 0x04:
            self.fs.select_application(cmd.data)
            return b"" if cmd.p2 == 0x0C else tlv(0x6F, tlv(0x84, cmd.data))
        if cmd.p1 in (0x00, 0x02):
            if len(cmd.data) != 2:
                raise SWError(SW_WRONG_LENGTH, "file identifier must be 2 bytes")
            fcp = self.fs.select_ef(int.from_bytes(cmd.data, "big"))
            return {0x0C: b"", 0x04: fcp, 0x00: tlv(0x6F, fcp[2:])}[cmd.p2]
        raise SWError(SW_WRONG_P1P2, "unsupported SELECT P1")

    def _check_read_length(self, cmd: CommandAPDU) -> int:
        if cmd.ne is None:
            raise SWError(SW_WRONG_LENGTH, "READ BINARY without Le")
        if cmd.extended and self.faults.extended_refused:
            raise SWError(SW_WRONG_LENGTH, "extended read refused")
        return cmd.ne

    def _read_binary(self, cmd: CommandAPDU) -> Response:
        if cmd.p1 & 0x80:  # b8 = 1: SFI in P1, offset in P2
            self.fs.select_sfi(cmd.p1 & 0x1F)
            offset = cmd.p2
        else:
            offset = (cmd.p1 << 8) | cmd.p2  # 15-bit offset, at most 0x7FFF
        ne = self._check_read_length(cmd)
        data = self.fs.read(offset, ne, self.authenticated)
        return data, (SW_END_OF_FILE if len(data) < ne else SW_OK)

    def _read_binary_odd(self, cmd: CommandAPDU) -> Response:
        """READ BINARY B1: offset in DO'54', data in DO'53' (offsets above 0x7FFF)."""
        p1p2 = (cmd.p1 << 8) | cmd.p2
        if p1p2:
            if p1p2 < 0x20:  # first 11 bits zero: SFI in b5..b1
                self.fs.select_sfi(p1p2)
            else:
                self.fs.select_ef(p1p2)
        objects = tlv_dict(cmd.data)
        if 0x54 not in objects or not 1 <= len(objects[0x54]) <= 4:
            raise SWError(SW_WRONG_DATA, "offset data object '54' missing")
        offset = int.from_bytes(objects[0x54], "big")
        ne = self._check_read_length(cmd)
        room = ne - 2 if ne - 2 < 0x80 else ne - 3 if ne - 3 < 0x100 else ne - 4
        if room <= 0:
            raise SWError(SW_WRONG_LENGTH, "Le leaves no room for data")
        data = self.fs.read(offset, room, self.authenticated)
        return tlv(0x53, data), (SW_END_OF_FILE if len(data) < room else SW_OK)

    # -- BAC -----------------------------------------------------------------------------
    def _get_challenge(self, cmd: CommandAPDU) -> bytes:
        if cmd.p1 or cmd.p2:
            raise SWError(SW_WRONG_P1P2, "GET CHALLENGE wants P1 P2 = 00 00")
        if self._bac is None:
            self._bac = BACChip(self.dataset, self.rng)
        return self._bac.get_challenge(cmd.ne)

    def _external_authenticate(self, cmd: CommandAPDU) -> bytes:
        if self._bac is None or self.sm is not None:
            raise SWError(SW_CONDITIONS_NOT_SATISFIED, "no BAC challenge outstanding")
        data, sm = self._bac.external_authenticate(cmd.data)
        self._pending_sm = sm
        self.access_protocol = "BAC"
        return data

    # -- MSE / GENERAL AUTHENTICATE (PACE, CA) -------------------------------------------
    def _mse(self, cmd: CommandAPDU) -> bytes:
        p1p2 = (cmd.p1 << 8) | cmd.p2
        if p1p2 == 0xC1A4:
            self._mse_pace(cmd.data)
        elif p1p2 in (0x41A4, 0x41A6):
            if not self.authenticated:
                raise SWError(
                    SW_SECURITY_NOT_SATISFIED, "Chip Authentication needs secure messaging"
                )
            if p1p2 == 0x41A6:
                self._pending_sm = self._ca.set_kat(cmd.data)
            else:
                self._ca.set_at(cmd.data)
                self._pace = None
        else:
            raise SWError(SW_WRONG_P1P2, "unsupported MSE variant")
        return b""

    def _mse_pace(self, data: bytes) -> None:
        objects = tlv_dict(data)
        if self.faults.tag84_required and 0x84 not in objects:
            raise SWError(SW_WRONG_DATA, "parameter id '84' required")
        if self.faults.tag84_rejected and 0x84 in objects:
            raise SWError(SW_WRONG_DATA, "parameter id '84' not accepted")
        if 0x80 not in objects or 0x83 not in objects:
            raise SWError(SW_WRONG_DATA, "MSE:Set AT needs '80' and '83'")
        oid = ProtocolOID.from_bytes(objects[0x80])
        if 0x84 in objects:
            parameter_id = int.from_bytes(objects[0x84], "big")
        else:
            known = pace_parameter_ids(self.dataset.files.get(FID_CARD_ACCESS))
            if oid.raw not in known:
                raise SWError(SW_REF_DATA_NOT_FOUND, "no parameter id for this protocol")
            parameter_id = known[oid.raw]
        self._pace = PACEChip(
            self.dataset,
            oid,
            int.from_bytes(objects[0x83], "big"),
            parameter_id,
            self.rng,
            cam_wrong=self.faults.cam_wrong,
        )
        self._ca.oid = None
        self._chain = b""

    def _general_authenticate(self, cmd: CommandAPDU) -> bytes:
        data = self._chain + cmd.data
        if cmd.chained and not is_complete_tlv(data):
            self._chain = data  # command chaining split one data object
            return b""
        self._chain = b""
        if self._pace is not None:
            try:
                response, sm = self._pace.general_authenticate(data)
            except SWError:
                self._pace = None  # a failed step ends this PACE run
                raise
            if sm is not None:
                self._pace = None
                self._pending_sm = sm
                self.access_protocol = "PACE"
            return response
        if self._ca.oid is not None:
            response, sm = self._ca.general_authenticate(data)
            self._pending_sm = sm
            return response
        raise SWError(SW_CONDITIONS_NOT_SATISFIED, "GENERAL AUTHENTICATE without MSE:Set AT")

    # -- Active Authentication -----------------------------------------------------------
    def _internal_authenticate(self, cmd: CommandAPDU) -> bytes:
        if not self.authenticated:
            raise SWError(SW_SECURITY_NOT_SATISFIED, "Active Authentication needs secure messaging")
        aa = ActiveAuthChip(
            self.dataset, self.rng, rsa_hash=self.aa_rsa_hash, wrong=self.faults.aa_wrong
        )
        return aa.internal_authenticate(cmd.data)
