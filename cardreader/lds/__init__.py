"""Typed LDS objects: each keeps its raw bytes (``.raw``) next to the parsed fields.

Build with ``Cls.from_bytes(raw)``; any malformed input raises
``cardreader.errors.ParseError`` naming the file. ``parse_document`` parses
a whole read, each file on its own.
"""
from cardreader.lds.com import DG_TAGS, TAG_TO_DG, EFCOM
from cardreader.lds.security_infos import SecurityInfos, parse as parse_security_infos
from cardreader.lds.sod import EFSOD
from cardreader.lds.dg1 import DG1
from cardreader.lds.dg2 import DG2, Face
from cardreader.lds.dg13 import DG13
from cardreader.lds.dg14 import DG14
from cardreader.lds.dg15 import DG15
from cardreader.lds.document import Document, parse_document

__all__ = ["DG_TAGS", "TAG_TO_DG", "EFCOM", "SecurityInfos", "parse_security_infos", "EFSOD",
           "DG1", "DG2", "Face", "DG13", "DG14", "DG15", "Document", "parse_document"]
