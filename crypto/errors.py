"""Typed errors of the verification side.

Small and flat: each carries a stable ``code`` (the reason code a report
check uses) and a plain sentence in ``message``. Parsers wrap any low-level
failure (asn1crypto, cryptography, ecdsa) in one of these, so callers never
meet a library exception.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every verification-side error."""

    code = "crypto_error"
    default_message = "The document's security data could not be checked."

    def __init__(self, message: str | None = None, *, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(self.message)

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message}


class MalformedError(CryptoError):
    """Bytes that are not the DER/BER structure they should be."""

    code = "malformed"
    default_message = "The data is not well-formed."


class DecodeError(MalformedError):
    """A DER/BER structure from a card or an upload did not decode: names the file and the step.

    ``cardreader.errors.ParseError`` subclasses it, so one ``except DecodeError`` on the
    verification side also catches what the terminal side's parsers raise.
    """

    code = "parse_error"
    default_message = "A file from the document is malformed."
    # Class defaults, set in __init__ only when given: ParseError's __init__ (CardError first in
    # its MRO) sets them before this one runs and must not see them reset.
    step: str | None = None
    file: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        step: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message, code=code)
        if file is not None:
            self.file = file
        if step is not None:
            self.step = step

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "file": self.file, "step": self.step}


class UnsupportedAlgorithm(CryptoError):
    code = "unsupported_algorithm"
    default_message = "The document uses a signature or hash algorithm this reader does not know."


class InvalidKey(CryptoError):
    code = "invalid_key"
    default_message = "A public key in the document could not be used."


class InvalidSignature(CryptoError):
    """A signature did not verify; ``verify()`` functions raise it and return nothing otherwise."""

    code = "signature_invalid"
    default_message = "The signature does not verify."


class TrustStoreError(CryptoError):
    code = "trust_store_error"
    default_message = "The trust store could not be read or written."


# Inputs larger than this are refused before parsing: no SOD, certificate,
# CRL or DG14/DG15 comes near it, and master lists stay far below the cap for
# files (``MAX_FILE``). Checked before any parser allocates.
MAX_OBJECT = 1 << 20  # 1 MiB
MAX_FILE = 32 << 20  # 32 MiB (master lists run to ~1 MB today)


def check_size(data: bytes, limit: int, what: str) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MalformedError(f"The {what} is not a byte string.")
    if len(data) == 0:
        raise MalformedError(f"The {what} is empty.")
    if len(data) > limit:
        raise MalformedError(
            f"The {what} is too large ({len(data)} bytes) to be genuine.", code="too_large"
        )
