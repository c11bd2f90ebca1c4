"""Trust lists from one place: the fleet imports them, signs a bundle, kiosks install it.

Fleet side: ``import_files`` runs each uploaded certificate, CRL or master list through the
kiosk's own ``crypto.truststore.TrustStore`` (same parsing, master lists verified against the
given roots or the CSCAs already held), then ``build_bundle`` signs every held item as one
JWS (the fleet's P-256 key, ``edge.signing``). Kiosk side: ``install_bundle`` checks the JWS
against the fleet key pinned at enrolment, writes a new SQLite trust store beside the old
one, fsyncs it and renames it over the old one, so a verification sees either the old store
or the new one, never half of each.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crypto.certs import Certificate, certificates_from_file
from crypto.crl import CRL
from crypto.truststore import TrustStore
from edge.fleet.protocol import BUNDLE_TYPE
from edge.signing import KioskKey, SignatureError, verify_jws

Item = tuple[str, str, bytes, str]  # fingerprint, kind ('certificate' | 'crl'), DER, source


class BundleError(Exception):
    """A bundle that must not be installed; ``message`` says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def store_from_items(items: list[Item], path: str | Path | None = None) -> TrustStore:
    store = TrustStore(path)
    for _fp, kind, der, source in items:
        if kind == "crl":
            store.add_crl(CRL.from_bytes(der), source)
        else:
            store.add_certificate(Certificate.from_bytes(der), source)
    return store


def import_files(
    held: list[Item], files: list[tuple[str, bytes]], roots: list[bytes]
) -> tuple[list[Item], list[dict[str, Any]]]:
    """The items ``files`` add to ``held`` (raises the store's ``CryptoError`` on a bad file)."""
    store = store_from_items(held)
    root_certs = [c for r in roots for c in certificates_from_file(r)]
    before = {e["fingerprint_sha256"] for e in store.entries()}
    new: list[Item] = []
    results = []
    for name, data in files:
        result = store.import_bytes(data, name, root_certs or None)
        results.append(result.to_dict())
        if result.kind == "crl" and result.added:
            crl = CRL.from_bytes(data)
            new.append((crl.fingerprint, "crl", crl.raw, name))
    for entry in store.entries():
        fp = entry["fingerprint_sha256"]
        if fp not in before:
            new.append((fp, "certificate", store.certificate(fp).raw, entry["source"] or "file"))
            before.add(fp)
    store.close()
    return new, results


def build_bundle(key: KioskKey, version: int, items: list[Item], now: datetime) -> str:
    payload = {
        "version": version,
        "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "items": [
            {"kind": kind, "der": base64.b64encode(der).decode("ascii"), "source": source}
            for _fp, kind, der, source in items
        ],
    }
    return key.sign(payload, typ=BUNDLE_TYPE)


@dataclass(frozen=True)
class InstalledBundle:
    version: int
    created_at: str
    certificates: int
    crls: int


def verify_bundle(jws: str, fleet_jwk: dict) -> dict[str, Any]:
    try:
        payload = verify_jws(jws, {"keys": [fleet_jwk]})
    except SignatureError as exc:
        raise BundleError(
            f"The trust bundle is not signed by the pinned fleet key: {exc.message}"
        ) from None
    if not isinstance(payload.get("version"), int) or not isinstance(payload.get("items"), list):
        raise BundleError("The trust bundle has no version or items.")
    return payload


def install_bundle(jws: str, fleet_jwk: dict, target: str | Path, have: int) -> InstalledBundle:
    """Verify and install a bundle newer than ``have`` at ``target`` (atomic rename)."""
    payload = verify_bundle(jws, fleet_jwk)
    if payload["version"] <= have:
        raise BundleError(f"Bundle {payload['version']} is not newer than {have}.")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.new")
    tmp.unlink(missing_ok=True)
    certs = crls = 0
    try:
        items: list[Item] = []
        for item in payload["items"]:
            der = base64.b64decode(item["der"])
            items.append(("", str(item["kind"]), der, str(item.get("source") or "fleet")))
            crls += item["kind"] == "crl"
            certs += item["kind"] != "crl"
        store_from_items(items, tmp).close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)
    except BundleError:
        raise
    except Exception as exc:
        raise BundleError(
            f"The trust bundle could not be installed ({getattr(exc, 'message', exc)})."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return InstalledBundle(payload["version"], str(payload.get("created_at")), certs, crls)
