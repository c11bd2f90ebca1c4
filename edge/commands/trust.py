"""``cccd-edge trust``: fill and inspect the trust store (CSCAs, link certificates, CRLs).

    cccd-edge trust import FILE... [--root ROOT.cer] [--store PATH]
    cccd-edge trust list [--country CC] [--store PATH] [--json]

A master list is trusted only after its signature verifies and its signer
chains to ``--root`` (or to a CSCA already in the store).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crypto.certs import certificates_from_file
from crypto.errors import CryptoError
from crypto.truststore import TrustStore, default_path


def register(subparsers) -> None:
    trust = subparsers.add_parser("trust", help="manage the CSCA trust store")
    sub = trust.add_subparsers(dest="trust_command", metavar="ACTION")
    sub.required = True
    imp = sub.add_parser("import", help="import certificates, CRLs and CSCA master lists")
    imp.add_argument(
        "files", nargs="+", metavar="FILE", help="certificate, CRL, master list, or a folder"
    )
    imp.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="ROOT.cer",
        help="certificate a master list's signer must chain to (repeatable)",
    )
    imp.add_argument("--store", metavar="PATH", help=f"trust store (default {default_path()})")
    imp.set_defaults(func=run_import)
    lst = sub.add_parser("list", help="list the CSCAs in the store")
    lst.add_argument("--country", metavar="CC", help="two-letter country code")
    lst.add_argument("--store", metavar="PATH", help=f"trust store (default {default_path()})")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(func=run_list)


def _fail(message: str) -> int:
    print(f"cccd-edge: {message}", file=sys.stderr)
    return 2


def run_import(args) -> int:
    try:
        roots = []
        for r in args.root:
            roots.extend(certificates_from_file(Path(r).read_bytes()))
        with TrustStore.open(args.store) as store:
            for name in args.files:
                if not Path(name).exists():
                    return _fail(f"{name} does not exist.")
                for res in store.import_path(name, roots=roots or None):
                    extra = f", signed by {res.signer}" if res.signer else ""
                    skipped = f", {res.skipped} unreadable skipped" if res.skipped else ""
                    print(
                        f"{res.source}: {res.kind}, {res.added} added, {res.already_present} "
                        "already "
                        f"present{skipped}{extra}"
                    )
            print(f"{len(store)} certificates, {store.crl_count()} CRLs in {store.path}")
    except OSError as exc:
        return _fail(f"{exc.filename or 'a file'} could not be read ({exc.strerror}).")
    except CryptoError as exc:
        return _fail(exc.message)
    return 0


def run_list(args) -> int:
    try:
        with TrustStore.open(args.store) as store:
            rows = store.entries(args.country)
    except CryptoError as exc:
        return _fail(exc.message)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['country'] or '??'}  {r['role']:<5}  {(r['not_after'] or '')[:10]}  {r['subject']}"
        )
    print(f"{len(rows)} certificates")
    return 0
