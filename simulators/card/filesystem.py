"""The card's files: EF.CardAccess (and EF.ATR/INFO) under the MF, the LDS EFs
under the eMRTD application (ICAO Doc 9303-10). EF.CardSecurity, when the card has
one, is the MF's 011D (the application's 011D is EF.SOD) and needs access control."""

from __future__ import annotations

from simulators.card.errors import (
    SW_FILE_NOT_FOUND,
    SW_NO_CURRENT_EF,
    SW_SECURITY_NOT_SATISFIED,
    SW_WRONG_OFFSET,
    SWError,
)
from simulators.card.tlv import tlv
from simulators.carddata import (
    FID_ATR_INFO,
    FID_CARD_ACCESS,
    FID_CARD_SECURITY,
    FID_COM,
    FID_SOD,
    CardDataSet,
    fid_of_dg,
)

AID_EMRTD = bytes.fromhex("A0000002471001")
MF_FILES = (FID_CARD_ACCESS, FID_ATR_INFO)  # readable in plain, without access control
MAX_OFFSET_B0 = 0x7FFF  # 15-bit offset of READ BINARY B0


def fid_of_sfi(sfi: int) -> int | None:
    """Short EF identifiers: DGn = n, EF.COM 1E, EF.SOD 1D, EF.CardAccess 1C."""
    if 1 <= sfi <= 16:
        return fid_of_dg(sfi)
    return {0x1C: FID_CARD_ACCESS, 0x1D: FID_SOD, 0x1E: FID_COM}.get(sfi)


class FileSystem:
    def __init__(self, dataset: CardDataSet) -> None:
        self.files = dataset.files
        self.card_security = getattr(dataset, "card_security", None)
        # File id -> status word for DGs that need more than BAC/PACE (DG3/DG4: 6982).
        self.unreadable = {fid_of_dg(dg): sw for dg, sw in dataset.unreadable_dgs.items()}
        self.app_selected = False
        self.current: int | None = None
        self.current_content = b""
        self.current_public = False  # readable without access control

    def reset(self) -> None:
        self.app_selected = False
        self.current = None
        self.current_content, self.current_public = b"", False

    def select_application(self, aid: bytes) -> None:
        if aid != AID_EMRTD:
            raise SWError(SW_FILE_NOT_FOUND, "no such application")
        self.app_selected = True
        self.current = None
        self.current_content, self.current_public = b"", False

    def select_ef(self, fid: int) -> bytes:
        """Make ``fid`` current; returns its FCP template for P2=04."""
        if fid in self.unreadable and self.app_selected:
            raise SWError(self.unreadable[fid], "file needs Terminal Authentication")
        if not self.app_selected and fid == FID_CARD_SECURITY and self.card_security:
            content, public = self.card_security, False
        elif fid not in self.files or (fid not in MF_FILES and not self.app_selected):
            raise SWError(SW_FILE_NOT_FOUND, "file not found")
        else:
            content, public = self.files[fid], fid in MF_FILES
        self.current = fid
        self.current_content, self.current_public = content, public
        return tlv(
            0x62,
            tlv(0x80, len(content).to_bytes(2, "big"))
            + tlv(0x82, b"\x01")
            + tlv(0x83, fid.to_bytes(2, "big")),
        )

    def select_sfi(self, sfi: int) -> None:
        fid = fid_of_sfi(sfi)
        if fid is None:
            raise SWError(SW_FILE_NOT_FOUND, "no file with this short identifier")
        self.select_ef(fid)

    def read(self, offset: int, length: int, authenticated: bool) -> bytes:
        """Up to ``length`` bytes from ``offset`` of the current EF."""
        if self.current is None:
            raise SWError(SW_NO_CURRENT_EF, "no file selected")
        if not self.current_public and not authenticated:
            raise SWError(SW_SECURITY_NOT_SATISFIED, "access control not performed")
        content = self.current_content
        if offset >= len(content):
            raise SWError(SW_WRONG_OFFSET, "offset beyond the end of the file")
        return bytes(content[offset : offset + length])
