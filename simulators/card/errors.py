"""Status-word errors of the card OS.

A handler raises ``SWError``; ``VirtualCCCD.process_apdu`` turns it into a
response in one place, so no handler ever builds an error response itself.
"""

from __future__ import annotations

# ISO/IEC 7816-4 status words the card uses.
SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than Le: end of file reached
SW_VERIFY_FAILED = 0x6300  # authentication failed (wrong access key)
SW_WRONG_LENGTH = 0x6700
SW_SM_DO_MISSING = 0x6987  # expected secure-messaging data objects missing
SW_SM_DO_INCORRECT = 0x6988  # secure-messaging data objects incorrect (MAC)
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REF_DATA_NOT_FOUND = 0x6A88
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_UNKNOWN = 0x6F00


class SWError(Exception):
    """A command failed; ``sw`` is the status word the card answers."""

    def __init__(self, sw: int, message: str = ""):
        self.sw = sw
        self.message = message or f"card answered {sw:04X}"
        super().__init__(self.message)


class SMError(SWError):
    """Secure messaging failed: the card answers in plain and ends the SM session."""

    def __init__(
        self, sw: int = SW_SM_DO_INCORRECT, message: str = "secure messaging check failed"
    ):
        super().__init__(sw, message)
