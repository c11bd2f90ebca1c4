"""Typed LDS objects: each keeps its raw bytes (``.raw``) next to the parsed fields.

Build with ``Cls.from_bytes(raw)``; any malformed input raises
``cardreader.errors.ParseError`` naming the file. ``parse_document`` parses
a whole read, each file on its own.
"""

from cardreader.lds.com import DG_TAGS, EFCOM, TAG_TO_DG
from cardreader.lds.dg1 import DG1
from cardreader.lds.dg2 import DG2, Face
from cardreader.lds.dg13 import DG13
from cardreader.lds.dg14 import DG14
from cardreader.lds.dg15 import DG15
from cardreader.lds.document import Document, parse_document
from cardreader.lds.security_infos import SecurityInfos
from cardreader.lds.security_infos import parse as parse_security_infos
from cardreader.lds.sod import EFSOD

__all__ = [
    "DG1",
    "DG2",
    "DG13",
    "DG14",
    "DG15",
    "DG_TAGS",
    "EFCOM",
    "EFSOD",
    "TAG_TO_DG",
    "Document",
    "Face",
    "SecurityInfos",
    "parse_document",
    "parse_security_infos",
]
