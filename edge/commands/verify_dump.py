"""``cccd-edge verify-dump DIR``: verify a saved read (EF_SOD.bin, DG<n>.bin, EF_COM.bin, DSC.cer)
offline.

    cccd-edge verify-dump DIR [--trust STORE] [--trust-file CERT_OR_MASTERLIST ...]
                              [--root ROOT.cer] [--at YYYY-MM-DD] [--json]

``--trust-file`` adds certificates, CRLs or master lists to an in-memory copy
for this run only (a master list needs ``--root`` or a CSCA already trusted).
Exit code 0 when passive authentication is valid, 1 otherwise, 2 on errors.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from crypto.errors import MAX_FILE, CryptoError
from edge.pipeline import report_from_files
from edge.trustload import add_trust_arguments, load_trust_store

_NAMES = {"EF_SOD.bin": "EF.SOD", "EF_COM.bin": "EF.COM", "EF_CardAccess.bin": "EF.CardAccess"}
_DG_FILE = re.compile(r"^(?:DG|Datagroup)(\d{1,2})\.bin$", re.IGNORECASE)


def register(subparsers) -> None:
    p = subparsers.add_parser("verify-dump", help="verify a folder of files saved from a chip")
    p.add_argument("dir", metavar="DIR")
    add_trust_arguments(p)
    p.add_argument("--at", metavar="YYYY-MM-DD", help="verify as of this date (default now)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def read_dump(directory: Path) -> tuple[dict[str, bytes], bytes | None]:
    files: dict[str, bytes] = {}
    dsc = None
    for f in sorted(directory.iterdir()):
        if not f.is_file() or f.stat().st_size > MAX_FILE:
            continue
        m = _DG_FILE.match(f.name)
        if m:
            files[f"DG{int(m.group(1))}"] = f.read_bytes()
        elif f.name in _NAMES:
            files[_NAMES[f.name]] = f.read_bytes()
        elif f.name.upper() == "DSC.CER":
            dsc = f.read_bytes()
    return files, dsc


def _fail(message: str) -> int:
    print(f"cccd-edge: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    directory = Path(args.dir)
    if not directory.is_dir():
        return _fail(f"{directory} is not a folder.")
    at = None
    if args.at:
        try:
            at = datetime.strptime(args.at, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            return _fail("--at must be a date written YYYY-MM-DD.")
    try:
        files, dsc = read_dump(directory)
        if "EF.SOD" not in files:
            return _fail(f"{directory} holds no EF_SOD.bin.")
        store = load_trust_store(args, at)
        report = report_from_files(files, store, at=at, dsc=dsc)
    except OSError as exc:
        return _fail(f"{exc.filename or 'a file'} could not be read ({exc.strerror}).")
    except CryptoError as exc:
        return _fail(exc.message)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.to_text())
    return 0 if report.verification.passive_authentication.value == "valid" else 1
