"""Secret files (the kiosk signing key, the audit HMAC key): created once, mode 0600, atomically.

The content is written to a 0600 temporary file in the same folder, then hard-linked into
place: there is never a moment where the file exists half-written or readable by others, and
when two workers start at once exactly one content wins and both read it back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def create_once(path: str | os.PathLike, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; if it does not exist, ``make()`` them into a new 0600 file first."""
    path = Path(path)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(make())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker won the race: use its content
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()
