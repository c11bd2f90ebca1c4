"""The trust store a command works with: the persisted store, plus files given for this run only.

Shared by ``cccd-edge read`` and ``cccd-edge verify-dump``: the persisted store is
copied into memory, so ``--trust-file`` never writes to it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from crypto.certs import certificates_from_file
from crypto.errors import TrustStoreError
from crypto.truststore import TrustStore, default_path


def add_trust_arguments(parser) -> None:
    parser.add_argument(
        "--trust", metavar="STORE", help=f"trust store (default {default_path()} when present)"
    )
    parser.add_argument(
        "--trust-file",
        action="append",
        default=[],
        metavar="CERT_OR_MASTERLIST",
        help="extra CSCA certificate, CRL or master list for this run (repeatable)",
    )
    parser.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="ROOT.cer",
        help="root a --trust-file master list must chain to",
    )


def load_trust_store(args, at: datetime | None = None) -> TrustStore:
    """Raises ``TrustStoreError`` (plain sentence) or ``OSError`` for a file that cannot be read."""
    path = Path(args.trust) if args.trust else default_path()
    if args.trust and not path.exists():
        raise TrustStoreError(f"There is no trust store at {path}.")
    if path.exists():
        with TrustStore.open(path) as disk:
            store = disk.copy()
    else:
        store = TrustStore()
    roots = [c for r in args.root for c in certificates_from_file(Path(r).read_bytes())]
    for extra in args.trust_file:
        store.import_path(extra, roots=roots or None, at=at)
    return store
