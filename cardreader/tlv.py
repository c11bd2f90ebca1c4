"""BER-TLV as used by the LDS (ISO/IEC 7816-4 §5.2, ICAO Doc 9303-10 §4).

Tags are kept as integers of their encoded bytes (``0x5F1F``, ``0x7F61``).
Lengths are definite, short form or long form with at most four length
bytes: a longer length field, a length past the end of the buffer, or a
nesting deeper than ``MAX_DEPTH`` raises ``ParseError``. Parsing is
iterative over siblings and bounded in depth, so hostile input fails fast
without deep recursion; values are sliced lazily from the one input buffer.

Lookups are tolerant: ``find`` returns ``NULL`` (a node that is absent, with
an empty value and no children) when a tag is missing, so chained lookups
``node.find(0x7F61).find(0x7F60)`` never crash.
"""

from __future__ import annotations

from collections.abc import Iterator

from cardreader.errors import ParseError

MAX_DEPTH = 32  # the deepest LDS structure (DG2 39794-5) is far below this
MAX_TAG_BYTES = 4
MAX_LENGTH_BYTES = 4


def _err(msg: str, file: str | None) -> ParseError:
    return ParseError(msg, step="parse", file=file)


def decode_header(
    data: bytes, offset: int = 0, *, file: str | None = None, limit: int | None = None
) -> tuple[int, bool, int, int]:
    """(tag, constructed, value length, header length) of the TLV starting at ``offset``.

    Only the header is read; the value need not be present in ``data``.
    ``limit`` ends the buffer early (the end of the enclosing value).
    """
    n = len(data) if limit is None else min(limit, len(data))
    if offset >= n:
        raise _err("TLV truncated: no tag byte", file)
    first = data[offset]
    if first in (0x00, 0xFF):
        # ISO 7816-4 keeps 00 and FF as padding between objects, never as a first tag byte.
        raise _err(f"TLV invalid tag byte {first:02X} at offset {offset}", file)
    constructed = bool(first & 0x20)
    pos = offset + 1
    tag = first
    if first & 0x1F == 0x1F:
        # Multi-byte tag: subsequent bytes carry b8 = 1 while more follow.
        while True:
            if pos >= n:
                raise _err("TLV truncated inside a multi-byte tag", file)
            b = data[pos]
            pos += 1
            tag = (tag << 8) | b
            if pos - offset > MAX_TAG_BYTES:
                raise _err(f"TLV tag longer than {MAX_TAG_BYTES} bytes at offset {offset}", file)
            if not b & 0x80:
                break
    if pos >= n:
        raise _err(f"TLV truncated: tag {tag:X} has no length", file)
    lb = data[pos]
    pos += 1
    if lb < 0x80:
        length = lb
    elif lb == 0x80:
        raise _err(f"TLV tag {tag:X} uses an indefinite length, not allowed here", file)
    else:
        count = lb & 0x7F
        if count > MAX_LENGTH_BYTES:
            raise _err(
                f"TLV tag {tag:X} has a {count}-byte length field (at most {MAX_LENGTH_BYTES})",
                file,
            )
        if pos + count > n:
            raise _err(f"TLV truncated inside the length of tag {tag:X}", file)
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return tag, constructed, length, pos - offset


def header_length_and_total(first_bytes: bytes, *, file: str | None = None) -> tuple[int, int]:
    """(header length, total TLV length) from a file's first bytes.

    The reader calls this on the first bytes it read to learn how much more
    to read. Seven bytes always suffice for an LDS file (a tag of at most two
    bytes, then 0x84 and four length bytes); fewer raise ParseError
    ("truncated") when the header does not fit in them.
    """
    _tag, _c, length, hlen = decode_header(first_bytes, 0, file=file)
    return hlen, hlen + length


class TLV:
    """One decoded TLV; ``raw`` is its whole encoding, ``value`` its content."""

    __slots__ = (
        "_buf",
        "_children",
        "_depth",
        "_end",
        "_file",
        "_start",
        "_vstart",
        "constructed",
        "tag",
    )

    def __init__(
        self,
        tag: int,
        constructed: bool,
        buf: bytes,
        start: int,
        vstart: int,
        end: int,
        *,
        file: str | None = None,
        depth: int = 0,
    ):
        self.tag = tag
        self.constructed = constructed
        self._buf = buf
        self._start = start
        self._vstart = vstart
        self._end = end
        self._children: list[TLV] | None = None
        self._file = file
        self._depth = depth

    present = True

    @property
    def value(self) -> bytes:
        return bytes(self._buf[self._vstart : self._end])

    @property
    def raw(self) -> bytes:
        return bytes(self._buf[self._start : self._end])

    @property
    def length(self) -> int:
        return self._end - self._vstart

    @property
    def header_length(self) -> int:
        return self._vstart - self._start

    @property
    def children(self) -> list[TLV]:
        """Nested TLVs of a constructed object (empty for a primitive one)."""
        if self._children is None:
            if not self.constructed:
                self._children = []
            else:
                self._children = list(
                    _iter(self._buf, self._vstart, self._end, self._file, self._depth + 1)
                )
        return self._children

    def find(self, *path: int) -> TLV:
        """The first descendant along a path of tags, each one level down; ``NULL`` if absent."""
        node: TLV = self
        for tag in path:
            node = next((c for c in node.children if c.tag == tag), NULL)
            if node is NULL:
                return NULL
        return node

    def find_all(self, tag: int) -> list[TLV]:
        """All direct children with this tag."""
        return [c for c in self.children if c.tag == tag]

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        kind = "constructed" if self.constructed else "primitive"
        return f"TLV(tag={self.tag:X}, {kind}, length={self.length})"


class _NullTLV(TLV):
    """An absent node: empty value, no children, falsy; every lookup on it yields itself."""

    present = False

    def __init__(self) -> None:
        super().__init__(0, False, b"", 0, 0, 0)
        self._children = []

    def find(self, *path: int) -> TLV:
        return self

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "TLV(NULL)"


NULL: TLV = _NullTLV()


def _iter(buf: bytes, pos: int, end: int, file: str | None, depth: int) -> Iterator[TLV]:
    if depth > MAX_DEPTH:
        raise _err(f"TLV nested deeper than {MAX_DEPTH} levels", file)
    while pos < end:
        tag, constructed, length, hlen = decode_header(buf, pos, file=file, limit=end)
        vstart = pos + hlen
        if vstart + length > end:
            raise _err(
                f"TLV length of tag {tag:X} ({length}) runs past the end of its buffer "
                f"({end - vstart} bytes left)",
                file,
            )
        node = TLV(tag, constructed, buf, pos, vstart, vstart + length, file=file, depth=depth)
        yield node
        pos = vstart + length


def _validate(node: TLV) -> None:
    """Parse every constructed descendant (iteratively) so malformed nesting shows up now."""
    stack = [node]
    while stack:
        n = stack.pop()
        stack.extend(c for c in n.children if c.constructed)


def decode(data: bytes, *, strict: bool = True, deep: bool = True, file: str | None = None) -> TLV:
    """The TLV at the start of ``data``.

    strict: the TLV must consume the whole buffer (no trailing bytes).
    deep: parse every constructed descendant now, so a malformed inner TLV
    raises here rather than at a later lookup.
    """
    data = bytes(data)
    tag, constructed, length, hlen = decode_header(data, 0, file=file)
    if hlen + length > len(data):
        raise _err(
            f"TLV length of tag {tag:X} ({length}) runs past the end of the data "
            f"({len(data) - hlen} bytes left)",
            file,
        )
    if strict and hlen + length != len(data):
        raise _err(f"{len(data) - hlen - length} trailing bytes after tag {tag:X}", file)
    node = TLV(tag, constructed, data, 0, hlen, hlen + length, file=file)
    if deep:
        _validate(node)
    return node


def decode_all(data: bytes, *, file: str | None = None) -> list[TLV]:
    """Every top-level TLV in ``data`` (siblings), all of it consumed."""
    data = bytes(data)
    return list(_iter(data, 0, len(data), file, 0))


def iter_tlv(data: bytes, *, file: str | None = None) -> Iterator[TLV]:
    """Top-level TLVs of ``data``, one at a time."""
    data = bytes(data)
    return _iter(data, 0, len(data), file, 0)


def encode_tag(tag: int) -> bytes:
    if tag <= 0:
        raise ValueError("tag must be positive")
    return tag.to_bytes((tag.bit_length() + 7) // 8, "big")


def encode_length(length: int) -> bytes:
    """Shortest definite length: short form below 128, else 81/82/83/84 + big-endian bytes."""
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > MAX_LENGTH_BYTES:
        raise ValueError("length needs more than four bytes")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """Tag, shortest length, value."""
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


def encode_node(node: TLV) -> bytes:
    """Re-encode a decoded tree from its parts (constructed nodes from their children)."""
    if node.constructed:
        return encode(node.tag, b"".join(encode_node(c) for c in node.children))
    return encode(node.tag, node.value)


def decode_file(raw: bytes, tag: int, *, file: str | None = None, deep: bool = True) -> TLV:
    """The outer TLV of an LDS file, which must carry ``tag``.

    Trailing bytes after the object are tolerated (a file read to its
    allocated size may carry padding); everything inside must be well formed.
    """
    if not raw:
        raise _err("the file is empty", file)
    node = decode(raw, strict=False, deep=deep, file=file)
    if node.tag != tag:
        raise _err(f"wrong outer tag {node.tag:X}, expected {tag:X}", file)
    return node
