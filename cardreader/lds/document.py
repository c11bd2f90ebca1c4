"""All files of one read, each parsed on its own: one bad file never stops the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from cardreader.errors import ParseError
from cardreader.lds.com import EFCOM
from cardreader.lds.dg1 import DG1
from cardreader.lds.dg2 import DG2
from cardreader.lds.dg13 import DG13
from cardreader.lds.dg14 import DG14
from cardreader.lds.dg15 import DG15
from cardreader.lds.security_infos import SecurityInfos
from cardreader.lds.sod import EFSOD

_PARSERS: dict[str, Callable[[bytes], object]] = {
    "EF.CardAccess": lambda raw: SecurityInfos.from_bytes(raw, file="EF.CardAccess"),
    "EF.COM": EFCOM.from_bytes,
    "EF.SOD": EFSOD.from_bytes,
    "DG1": DG1.from_bytes,
    "DG2": DG2.from_bytes,
    "DG13": DG13.from_bytes,
    "DG14": DG14.from_bytes,
    "DG15": DG15.from_bytes,
}


@dataclass(repr=False)
class Document:
    files: dict[str, bytes]  # every file as read, parsed or not
    card_access: SecurityInfos | None = None
    com: EFCOM | None = None
    sod: EFSOD | None = None
    dg1: DG1 | None = None
    dg2: DG2 | None = None
    dg13: DG13 | None = None
    dg14: DG14 | None = None
    dg15: DG15 | None = None
    errors: dict[str, ParseError] = field(default_factory=dict)

    _ATTRS: ClassVar[dict[str, str]] = {
        "EF.CardAccess": "card_access",
        "EF.COM": "com",
        "EF.SOD": "sod",
        "DG1": "dg1",
        "DG2": "dg2",
        "DG13": "dg13",
        "DG14": "dg14",
        "DG15": "dg15",
    }

    @property
    def raw_only(self) -> dict[str, bytes]:
        """Files kept as bytes only (no parser here: DG3, DG11, EF.CardSecurity, ...)."""
        return {k: v for k, v in self.files.items() if k not in _PARSERS}

    def parsed(self, name: str) -> object | None:
        attr = self._ATTRS.get(name)
        return getattr(self, attr) if attr else None

    def __repr__(self) -> str:
        return f"Document(files={sorted(self.files)}, errors={sorted(self.errors)})"


def parse_document(files: dict[str, bytes]) -> Document:
    """Parse every known file independently; failures land in ``Document.errors`` by file name."""
    doc = Document(files=dict(files))
    for name, raw in files.items():
        parser = _PARSERS.get(name)
        if parser is None:
            continue
        try:
            parsed = parser(raw)
            setattr(doc, Document._ATTRS[name], parsed)
            soft = _soft_errors(parsed, name)
            if soft is not None:
                doc.errors[name] = soft  # the object stays too: what parsed is usable
        except ParseError as exc:
            if exc.file is None:
                exc.file = name
            doc.errors[name] = exc
        except Exception as exc:
            doc.errors[name] = ParseError(
                f"{name} could not be parsed ({type(exc).__name__})", step="parse", file=name
            )
    return doc


def _soft_errors(parsed: object, name: str) -> ParseError | None:
    """A parser's own list of errors it recovered from (DG13 ``errors``), as one ParseError."""
    errors = [e for e in (getattr(parsed, "errors", None) or []) if isinstance(e, ParseError)]
    if not errors:
        return None
    if len(errors) == 1:
        err = errors[0]
        if err.file is None:
            err.file = name
        return err
    return ParseError(
        "; ".join(e.message for e in errors), step=errors[0].step or "parse", file=name
    )
