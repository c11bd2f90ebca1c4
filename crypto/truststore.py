"""The trust store: CSCAs (and link certificates) and CRLs, persisted in SQLite.

A small query interface (by SKI, by subject name, by country), set up once
and passed explicitly. Certificates come from PEM/DER files and directories
and from ICAO CSCA master lists, whose own signature is verified against a
configured root before their contents are trusted. At start only the index
columns are read; a certificate is parsed the first time a lookup needs it,
so a kiosk with a thousand CSCAs starts fast.

Default location: ``$CCCD_EDGE_TRUST_STORE``, else
``~/.local/share/cccd-edge/trust.sqlite``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crypto.certs import Certificate, NameKey, Role, certificates_from_file, is_pem
from crypto.crl import CRL
from crypto.errors import MAX_FILE, CryptoError, MalformedError, TrustStoreError
from crypto.masterlist import MasterList

ANCHOR_ROLES = (Role.CSCA.value, Role.LINK.value)
_FILE_SUFFIXES = {".cer", ".crt", ".der", ".pem", ".ml", ".crl", ".cert"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS certs (
    fingerprint TEXT PRIMARY KEY, der BLOB NOT NULL, role TEXT NOT NULL, country TEXT,
    subject TEXT NOT NULL, subject_text TEXT NOT NULL, ski BLOB, not_before TEXT, not_after TEXT,
    source TEXT);
CREATE TABLE IF NOT EXISTS crls (
    fingerprint TEXT PRIMARY KEY, der BLOB NOT NULL, issuer TEXT NOT NULL, aki BLOB,
    this_update TEXT, next_update TEXT, source TEXT);
"""


def default_path() -> Path:
    env = os.environ.get("CCCD_EDGE_TRUST_STORE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "cccd-edge" / "trust.sqlite"


@dataclass
class _Entry:
    fingerprint: str
    role: str
    country: str | None
    subject: NameKey
    subject_text: str
    ski: bytes | None
    not_before: str | None
    not_after: str | None
    source: str | None
    cert: Certificate | None = None


@dataclass
class ImportResult:
    """What one file brought into the store."""

    source: str
    kind: str  # 'certificate' | 'master_list' | 'crl'
    added: int = 0
    already_present: int = 0
    skipped: int = 0
    signer: str | None = None  # master lists: the verified signer's subject
    countries: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TrustStore:
    """CSCAs and CRLs; ``TrustStore()`` alone is an empty in-memory store (tests, one-off
    checks)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self.path) if self.path else ":memory:", check_same_thread=False
            )
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise TrustStoreError(
                f"The trust store at {path} could not be opened ({exc})."
            ) from None
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._crls: dict[str, CRL | tuple[bytes]] = {}  # (der,) until first parsed
        self._verified: set[tuple[str, str]] = set()  # (child, issuer) signatures already checked
        self._load()

    @classmethod
    def open(cls, path: str | Path | None = None) -> TrustStore:
        """The persisted store at ``path`` (default ``default_path()``)."""
        return cls(path if path is not None else default_path())

    def _load(self) -> None:
        try:
            rows = self._db.execute(
                "SELECT fingerprint, role, country, subject, subject_text, ski, "
                "not_before, not_after, source FROM certs"
            ).fetchall()
            crl_rows = self._db.execute("SELECT fingerprint, der FROM crls").fetchall()
        except sqlite3.Error as exc:
            raise TrustStoreError(f"The trust store could not be read ({exc}).") from None
        for fp, role, country, subject, text, ski, nb, na, source in rows:
            subj = tuple(tuple(p) for p in json.loads(subject))
            self._entries[fp] = _Entry(fp, role, country, subj, text, ski, nb, na, source)
        for fp, der in crl_rows:
            self._crls[fp] = (der,)  # parsed on first use

    def copy(self) -> TrustStore:
        """An in-memory copy (SQLite backup): changes to it never reach this store's file."""
        mem = TrustStore()
        with self._lock:
            self._db.backup(mem._db)
        mem._entries.clear()
        mem._crls.clear()
        mem._load()
        return mem

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TrustStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._entries)

    # -- adding ----------------------------------------------------------
    def add_certificate(self, cert: Certificate, source: str = "file") -> bool:
        """Store a certificate; True when it was new."""
        if cert.fingerprint in self._entries:
            return False
        with self._lock:
            self._insert_certificate(cert, source)
            self._db.commit()
        return True

    def _insert_certificate(self, cert: Certificate, source: str) -> None:
        """One certificate row and its index entry (the caller holds the lock and commits)."""
        entry = _Entry(
            cert.fingerprint,
            cert.role.value,
            cert.country,
            cert.subject,
            cert.subject_text,
            cert.ski,
            cert.not_before.isoformat(),
            cert.not_after.isoformat(),
            source,
            cert,
        )
        self._db.execute(
            "INSERT OR IGNORE INTO certs VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                entry.fingerprint,
                cert.raw,
                entry.role,
                entry.country,
                json.dumps(entry.subject),
                entry.subject_text,
                entry.ski,
                entry.not_before,
                entry.not_after,
                source,
            ),
        )
        self._entries[cert.fingerprint] = entry

    def add_crl(self, crl: CRL, source: str = "file") -> bool:
        if crl.fingerprint in self._crls:
            return False
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO crls VALUES (?,?,?,?,?,?,?)",
                (
                    crl.fingerprint,
                    crl.raw,
                    json.dumps(crl.issuer),
                    crl.aki,
                    crl.this_update.isoformat(),
                    crl.next_update.isoformat() if crl.next_update else None,
                    source,
                ),
            )
            self._db.commit()
        self._crls[crl.fingerprint] = crl
        return True

    def import_master_list(
        self,
        ml: MasterList | bytes,
        roots: list[Certificate] | None = None,
        source: str = "master list",
        at: datetime | None = None,
    ) -> ImportResult:
        """Verify the list against ``roots`` (else the store's own CSCAs), then add its CSCAs."""
        ml = ml if isinstance(ml, MasterList) else MasterList.from_bytes(ml)
        candidates = list(roots or []) or [
            self.certificate(e.fingerprint) for e in self._anchor_entries()
        ]
        signer = ml.verify(candidates, at=at)  # raises before anything is trusted
        result = ImportResult(source, "master_list", skipped=ml.skipped, signer=signer.subject_text)
        with self._lock:
            for cert in ml.cscas:
                if cert.fingerprint in self._entries:
                    result.already_present += 1
                    continue
                self._insert_certificate(cert, source)
                result.added += 1
                result.countries[cert.country or "?"] = (
                    result.countries.get(cert.country or "?", 0) + 1
                )
            self._db.commit()
        return result

    def import_bytes(
        self,
        data: bytes,
        source: str = "file",
        roots: list[Certificate] | None = None,
        at: datetime | None = None,
    ) -> ImportResult:
        """A certificate (DER/PEM, one or many), a CRL, or a master list: told apart by content."""
        if len(data) > MAX_FILE:
            raise MalformedError(
                f"{source} is too large to be a certificate, CRL or master list.", code="too_large"
            )
        if is_pem(data):
            if b"X509 CRL" in data[:4096]:
                return self._import_crl(CRL.from_bytes(data), source)
            certs = certificates_from_file(data)
            return self._import_certs(certs, source)
        if _looks_like_cms(data):
            return self.import_master_list(data, roots, source, at)
        try:
            cert = Certificate.from_bytes(data)
        except MalformedError as first:
            try:
                crl = CRL.from_bytes(data)
            except CryptoError:
                raise MalformedError(
                    f"{source} is neither a certificate, a CRL nor a master list ({first.message})",
                    code="unrecognised_file",
                ) from None
            return self._import_crl(crl, source)
        return self._import_certs([cert], source)

    def import_path(
        self, path: str | Path, roots: list[Certificate] | None = None, at: datetime | None = None
    ) -> list[ImportResult]:
        """A file, or every certificate/CRL/master-list file under a directory."""
        path = Path(path)
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _FILE_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        out = []
        for f in files:
            try:
                if f.stat().st_size > MAX_FILE:
                    raise MalformedError(
                        f"{f.name} is too large to be a certificate, CRL or master list.",
                        code="too_large",
                    )
                data = f.read_bytes()
            except OSError as exc:
                raise TrustStoreError(f"{f} could not be read ({exc.strerror}).") from None
            out.append(self.import_bytes(data, f.name, roots, at))
        return out

    def _import_certs(self, certs: list[Certificate], source: str) -> ImportResult:
        result = ImportResult(source, "certificate")
        for cert in certs:
            if self.add_certificate(cert, source):
                result.added += 1
                result.countries[cert.country or "?"] = (
                    result.countries.get(cert.country or "?", 0) + 1
                )
            else:
                result.already_present += 1
        return result

    def _import_crl(self, crl: CRL, source: str) -> ImportResult:
        added = self.add_crl(crl, source)
        return ImportResult(source, "crl", added=int(added), already_present=int(not added))

    # -- queries ---------------------------------------------------------
    def certificate(self, fingerprint: str) -> Certificate:
        entry = self._entries[fingerprint]
        if entry.cert is None:
            der = self._db.execute(
                "SELECT der FROM certs WHERE fingerprint=?", (fingerprint,)
            ).fetchone()[0]
            entry.cert = Certificate.from_bytes(der)
        return entry.cert

    def _anchor_entries(self) -> Iterator[_Entry]:
        return (e for e in self._entries.values() if e.role in ANCHOR_ROLES)

    def by_ski(self, ski: bytes) -> list[Certificate]:
        return [self.certificate(e.fingerprint) for e in self._anchor_entries() if e.ski == ski]

    def by_subject(self, subject: NameKey) -> list[Certificate]:
        return [
            self.certificate(e.fingerprint) for e in self._anchor_entries() if e.subject == subject
        ]

    def by_country(self, country: str) -> list[Certificate]:
        cc = country.upper()
        return [self.certificate(e.fingerprint) for e in self._anchor_entries() if e.country == cc]

    def issuers_of(self, cert: Certificate) -> list[Certificate]:
        """Candidate CSCAs for ``cert``: by key identifier first, then by issuer name."""
        if cert.aki is not None:
            found = self.by_ski(cert.aki)
            if found:
                return found
        return [c for c in self.by_subject(cert.issuer) if cert.aki is None or c.ski is None]

    def crls_for(self, issuer: Certificate) -> list[CRL]:
        out = []
        for fp, item in list(self._crls.items()):
            if isinstance(item, tuple):
                item = self._crls[fp] = CRL.from_bytes(item[0])
            if item.may_be_issued_by(issuer):
                out.append(item)
        return out

    def entries(self, country: str | None = None) -> list[dict[str, Any]]:
        """Rows for listing (non-personal: certificate subjects and dates)."""
        cc = country.upper() if country else None
        rows = [
            {
                "country": e.country,
                "role": e.role,
                "subject": e.subject_text,
                "ski": e.ski.hex() if e.ski else None,
                "not_before": e.not_before,
                "not_after": e.not_after,
                "source": e.source,
                "fingerprint_sha256": e.fingerprint,
            }
            for e in self._entries.values()
            if cc is None or e.country == cc
        ]
        return sorted(rows, key=lambda r: (r["country"] or "", r["subject"], r["not_before"] or ""))

    def crl_count(self) -> int:
        return len(self._crls)

    # -- signature cache: a kiosk sees the same few DSCs all day -------------
    def verified_before(self, child: Certificate, issuer: Certificate) -> bool:
        return (child.fingerprint, issuer.fingerprint) in self._verified

    def remember_verified(self, child: Certificate, issuer: Certificate) -> None:
        self._verified.add((child.fingerprint, issuer.fingerprint))


def _looks_like_cms(data: bytes) -> bool:
    """ContentInfo starts SEQUENCE { OID ...}; a certificate or CRL starts SEQUENCE { SEQUENCE
    ...}."""
    if len(data) < 4 or data[0] != 0x30:
        return False
    first = data[1]
    if first == 0x80:
        offset = 2
    elif first < 0x80:
        offset = 2
    else:
        offset = 2 + (first & 0x7F)
    return offset < len(data) and data[offset] == 0x06
