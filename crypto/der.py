"""The one place where DER/BER from a card or an upload is decoded (asn1crypto).

asn1crypto parses lazily: ``load`` reads only the outer header, and a malformed
inner value explodes much later, at the first ``.native``/``.dotted``/item
access, as whatever the library raises (``UnicodeDecodeError`` from a bad
UTF8String, ``ValueError`` from a bad OID or time, ``KeyError`` from an unknown
choice, ``IndexError``, ``OverflowError`` ...). So untrusted structures are
loaded here and parsed through at once (``load``), and every later read of a
value goes through ``native``/``dotted``/``decoding``: any library failure
becomes a ``DecodeError`` naming the file and the step, never a traceback.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar, cast

from asn1crypto import core

from crypto.errors import CryptoError, DecodeError

# Everything asn1crypto (and int/bytes/str conversions of its values) is known to raise on bad
# input. UnicodeDecodeError is a ValueError; RecursionError guards deeply nested BER.
LOW_LEVEL: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)

T = TypeVar("T", bound=core.Asn1Value)


class decoding:  # noqa: N801 - used like a function: ``with der.decoding(file, step):``
    """Run a block of asn1crypto reads; any low-level failure leaves as a ``DecodeError``
    naming ``file`` and ``step`` (``code``: the reason code, default ``parse_error``).

    Typed errors raised inside (``CryptoError`` and subclasses, ``ParseError``) pass through.
    A class rather than ``@contextmanager``: ``__exit__`` returns ``None``, so type checkers
    know it never swallows an exception.
    """

    def __init__(
        self, file: str, step: str, what: str | None = None, *, code: str | None = None
    ) -> None:
        self.file, self.step, self.what, self.code = file, step, what, code

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, CryptoError) or not isinstance(exc, LOW_LEVEL):
            return
        thing = self.what or self.file
        raise DecodeError(
            f"{thing} is malformed ({type(exc).__name__} while decoding {self.step}).",
            file=self.file,
            step=self.step,
            code=self.code,
        ) from None


def load(spec: type[T], data: bytes, *, file: str, step: str, strict: bool = True) -> T:
    """Load ``data`` as ``spec`` and parse every nested structure now (not values: see module)."""
    with decoding(file, step):
        value: T = cast(T, spec.load(bytes(data), strict=strict))  # asn1crypto is untyped
        parse_through(value)
        return value


def parse_through(value: core.Asn1Value) -> None:
    """Force asn1crypto to split every constructed value into its children, recursively.

    Cheap compared with ``.native`` (no strings, times or integers are built), and it makes
    the structure itself fail here instead of at a later, unguarded access.
    """
    if isinstance(value, core.Sequence):
        for name in value:  # a Sequence iterates over its field names
            parse_through(value[name])
    elif isinstance(value, core.SequenceOf):
        for child in value:
            parse_through(child)
    elif isinstance(value, core.Choice):
        parse_through(value.chosen)
    elif isinstance(value, core.Any) and value._parsed is not None:
        parse_through(value._parsed[0])


def native(value: core.Asn1Value | None, *, file: str, step: str) -> Any:
    """``value.native`` with library failures typed (``None`` stays ``None``)."""
    if value is None:
        return None
    with decoding(file, step):
        return value.native


def dotted(oid: core.ObjectIdentifier, *, file: str, step: str) -> str:
    """An OID's dotted form with library failures typed."""
    with decoding(file, step):
        return str(oid.dotted)


def outer_value(raw: bytes, tag: int, *, file: str) -> bytes:
    """The value of a one-byte-tag TLV at the start of ``raw`` (definite or indefinite length).

    Bytes after the object are tolerated: a file read to its allocated size may carry padding.
    """
    if not raw:
        raise DecodeError(f"{file} is empty.", file=file, step="parse")
    if raw[0] != tag:
        raise DecodeError(
            f"{file} must start with tag {tag:02X}, found {raw[0]:02X}", file=file, step="parse"
        )
    if len(raw) < 2:
        raise DecodeError(f"{file} ends inside its length.", file=file, step="parse")
    first = raw[1]
    if first == 0x80:
        # BER indefinite outer length: content runs to the end-of-contents octets.
        if not raw.endswith(b"\x00\x00"):
            raise DecodeError(
                f"{file} has an indefinite length without end-of-contents.",
                file=file,
                step="parse",
            )
        return raw[2:-2]
    if first < 0x80:
        start, length = 2, first
    else:
        count = first & 0x7F
        if count > 4 or len(raw) < 2 + count:
            raise DecodeError(f"{file} has a malformed length.", file=file, step="parse")
        start, length = 2 + count, int.from_bytes(raw[2 : 2 + count], "big")
    if start + length > len(raw):
        raise DecodeError(
            f"{file} length ({length}) runs past the end of the data "
            f"({len(raw) - start} bytes left)",
            file=file,
            step="parse",
        )
    return raw[start : start + length]
