"""``cccd-edge read``: read a card (PC/SC reader or the in-process virtual card) and show it.

    cccd-edge read [--reader NAME | --simulator [--citizen N] [--fault NAME ...]]
                   (--can DIGITS | --mrz LINE1 LINE2 [LINE3]
                    | --document-number N --birth-date YYMMDD --expiry-date YYMMDD)
                   [--json] [--out DIR] [--timeout S]

Prints the report every other part uses (``edge/report.py`` ``DocumentReport``):
the document and the person (DG13, else the MRZ), the photo's format, size and
SHA-256, the access protocol, the CA and AA outcomes, the counted exchanges per
phase and the verification. ``--json`` prints ``DocumentReport.to_dict()``,
valid against the ``DocumentReport`` schema of the API's OpenAPI document.
``--out DIR`` writes each file's raw bytes (EF_COM.bin, EF_SOD.bin, DG1.bin,
...) and the photo, owner-only (files 0600; a folder the command creates 0700;
an existing folder keeps its mode). DIR is checked before the card is touched.
Personal data goes only to this terminal and DIR. With ``--json`` a failure
also prints ``{"error": {...}}`` on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from cardreader.accesskey import CanKey, MrzKey
from cardreader.errors import CardError
from cardreader.lds.document import parse_document
from cardreader.reader import read_document
from cardreader.result import Phase, ReadResult
from crypto.errors import CryptoError
from edge.cli import UsageError
from edge.pipeline import report_from_read
from edge.trustload import add_trust_arguments, load_trust_store

DEFAULT_WAIT_S = 30.0
APDU_TIMEOUT_S = 10.0


def register(subparsers) -> None:
    p = subparsers.add_parser("read", help="read a chip ID card and print what it holds")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--reader", metavar="NAME", help="PC/SC reader (its name or part of it; default: any)"
    )
    src.add_argument(
        "--simulator", action="store_true", help="read the virtual CCCD in this process"
    )
    p.add_argument(
        "--citizen", type=int, default=0, metavar="N", help="virtual citizen number (--simulator)"
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="inject a fault into the virtual card (--simulator; repeatable)",
    )
    key = p.add_argument_group("access key (one of)")
    key.add_argument(
        "--can", metavar="DIGITS", help="card access number (last 6 digits of the ID number)"
    )
    key.add_argument("--mrz", nargs="+", metavar="LINE", help="the MRZ lines (2 or 3)")
    key.add_argument("--document-number", metavar="N")
    key.add_argument("--birth-date", metavar="YYMMDD")
    key.add_argument("--expiry-date", metavar="YYMMDD")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out", metavar="DIR", help="write each file's bytes and the photo into DIR")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="S",
        help=f"seconds to wait for a card (default {DEFAULT_WAIT_S:.0f})",
    )
    add_trust_arguments(p)
    p.set_defaults(func=run)


def access_key(args) -> CanKey | MrzKey:
    given = [
        args.can is not None,
        args.mrz is not None,
        any(v is not None for v in (args.document_number, args.birth_date, args.expiry_date)),
    ]
    if sum(given) != 1:
        raise UsageError(
            "Give exactly one access key: --can, --mrz, or --document-number with "
            "--birth-date and --expiry-date."
        )
    if args.can is not None:
        return CanKey(args.can.strip())
    if args.mrz is not None:
        if len(args.mrz) not in (2, 3):
            raise UsageError("--mrz takes the two or three MRZ lines.")
        return MrzKey.from_mrz_lines(args.mrz)
    if None in (args.document_number, args.birth_date, args.expiry_date):
        raise UsageError("--document-number needs --birth-date and --expiry-date too.")
    return MrzKey(args.document_number, args.birth_date, args.expiry_date)


def _simulator_transport(args):
    # Demo only: the card side is imported here, never by cardreader or a production read.
    from edge.commands.simulate import citizen_number
    from edge.demo import demo_transport

    try:
        return demo_transport(citizen_number(args.citizen), faults=args.fault)
    except ValueError as exc:  # the simulator's FaultError and DataSetError
        raise UsageError(str(exc)) from None


def open_transport(args):
    if args.simulator:
        return _simulator_transport(args)
    if args.fault or args.citizen:
        raise UsageError("--citizen and --fault need --simulator.")
    from cardreader.transport.pcsc import PcscTransport

    return PcscTransport.connect(args.reader, wait_s=args.timeout, apdu_timeout_s=APDU_TIMEOUT_S)


def _progress(phase: Phase) -> None:
    if sys.stderr.isatty():
        print(f"... {phase.value}", file=sys.stderr)


def run(args) -> int:
    try:
        return _run(args)
    except (CardError, UsageError) as exc:
        if args.json:  # a script reading stdout gets JSON either way; the sentence goes to stderr
            error = (
                exc.to_dict()
                if isinstance(exc, CardError)
                else {"code": "usage_error", "message": str(exc)}
            )
            print(json.dumps({"error": error}, indent=2, ensure_ascii=False))
        raise


def _run(args) -> int:
    key = access_key(args)
    out_dir = Path(args.out) if args.out else None
    created = prepare_out_dir(out_dir) if out_dir is not None else []  # before the card is touched
    try:
        return _read_and_show(args, key, out_dir)
    except BaseException:
        discard_dirs(created)  # no empty folder left behind by a failed read
        raise


def _read_and_show(args, key, out_dir: Path | None) -> int:
    try:
        store = load_trust_store(args)  # before the card: a bad store path fails fast
    except CryptoError as exc:
        raise UsageError(exc.message) from None
    except OSError as exc:
        raise UsageError(
            f"{exc.filename or 'a trust file'} could not be read ({exc.strerror})."
        ) from None
    transport = open_transport(args)
    try:
        result = read_document(transport, key, progress=_progress)
    finally:
        transport.close()
    if result.error is not None:
        raise result.error  # one plain sentence, exit 2 (edge.cli)
    # The same report the API, the kiosk screen and the audit log use.
    report = report_from_read(
        result, store, reader=getattr(transport, "reader", None), atr=getattr(transport, "atr", b"")
    )
    written = write_files(result, out_dir) if out_dir is not None else []
    if args.json:
        print(json.dumps(report.to_dict(include_personal=True), indent=2, ensure_ascii=False))
        if written:
            print(f"Written: {', '.join(written)}", file=sys.stderr)
    else:
        print_summary(report.to_dict(include_personal=True), written)
    return 0


def prepare_out_dir(directory: Path) -> list[Path]:
    """``--out``: an existing folder we can write to, or one we create now (owner only), so a bad
    path is said before the card is touched. Returns the folders created (for ``discard_dirs``)."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out {directory} is an existing file, not a folder.")
    try:
        created = _make_dirs(directory)
    except OSError as exc:
        raise UsageError(f"--out {directory} cannot be created ({exc.strerror or exc}).") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"--out {directory} is a folder this user cannot write to.")
    return created


def discard_dirs(created: list[Path]) -> None:
    """Remove the folders ``prepare_out_dir`` made when nothing was written into them."""
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            break  # not empty (or gone): leave it


def _make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and missing parents, owner only; an existing folder keeps its mode
    (``--out /tmp`` must not make /tmp private)."""
    missing = []
    p = directory
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    created = []
    for d in reversed(missing):
        d.mkdir(mode=0o700)
        created.append(d)
        os.chmod(d, 0o700)  # mkdir's mode passes through the umask
    return created


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # a file already there keeps no wider mode
        f.write(data)


def write_files(result: ReadResult, directory: Path) -> list[str]:
    """Each file's raw bytes (EF_COM.bin, EF_SOD.bin, EF_CardAccess.bin, DG<n>.bin), the photo."""
    try:
        written = []
        for name, raw in result.files.items():
            fname = name.replace(".", "_") + ".bin" if name.startswith("EF.") else f"{name}.bin"
            _write_private(directory / fname, raw)
            written.append(fname)
        doc = parse_document({k: v for k, v in result.files.items() if k == "DG2"})
        if doc.dg2 is not None and doc.dg2.faces and doc.dg2.face.image_format in ("jpeg", "jp2"):
            fname = "photo.jpg" if doc.dg2.face.image_format == "jpeg" else "photo.jp2"
            _write_private(directory / fname, doc.dg2.face.image)
            written.append(fname)
    except OSError as exc:
        raise UsageError(
            f"The files could not be written to {directory} ({exc.strerror or exc})."
        ) from None
    return written


def print_summary(r: dict, written: list[str] | None = None) -> None:
    """The report (``DocumentReport.to_dict()``) as plain lines for the terminal."""
    read = r["read"] or {}
    if read.get("reader"):
        atr = f"  (ATR {read['atr']})" if read.get("atr") else ""
        print(f"Reader:            {read['reader']}{atr}")
    proto = read.get("access_protocol") or "-"
    if read.get("pace_oid"):
        proto += f"  ({read['pace_oid']}, parameter id {read['pace_parameter_id']})"
    print(f"Access protocol:   {proto}")
    print(f"Extended length:   {'yes' if read.get('extended_length') else 'no'}")
    d = r["document"]
    print(f"Document:          {d['type'] or '-'} issued by {d['issuing_state'] or '-'}")
    for label, k in (("document number", "document_number"), ("expiry", "expiry")):
        print(f"  {label + ':':18} {d.get(k) or '-'}")
    if d["mrz_check_errors"]:
        print(f"  check digits:      {'; '.join(d['mrz_check_errors'])}")
    person = r.get("person")
    if person:
        print(f"Person ({person['source']}):")
        for k, v in person.items():
            if k == "other_fields":
                for number, value in v.items():
                    print(f"  {'field ' + number + ':':18} {value} (field without a name here)")
            elif k != "source" and v:
                print(f"  {k.replace('_', ' ') + ':':18} {v}")
    p = r.get("photo")
    if p:
        print(
            f"Photo (DG2):       {p['format']} {p['width']}x{p['height']}, {p['size']} bytes, "
            f"sha256 {p['sha256']}"
        )
    files = ", ".join(f"{n} ({b} B)" for n, b in read.get("files", {}).items())
    print(f"Files:             {files}")
    for err in r["errors"]:
        sw = f" (SW {err['sw']})" if err.get("sw") else ""
        print(f"  {err['file'] or err['step'] or '-'}: {err['message']}{sw}")
    for i in read.get("incidents", []):
        where = f"{i['step']}" + (f" ({i['file']})" if i.get("file") else "")
        print(f"Recovered:         secure channel re-opened at {where}: {i['message']}")
    ca = read.get("chip_authentication") or {}
    ca_text = (
        "not performed"
        if not ca.get("performed")
        else "established"
        if ca.get("established")
        else f"failed: {ca.get('error') or 'unknown'}"
    )
    print(f"Chip auth (CA):    {ca_text}")
    cam = read.get("chip_authentication_mapping") or {}
    if cam.get("performed"):
        cam_text = f"failed: {cam['error']}" if cam["error"] else "proof received (verdict below)"
        print(f"PACE-CAM:          {cam_text}")
    aa = read.get("active_authentication") or {}
    aa_text = (
        "not performed"
        if not aa.get("performed")
        else f"failed: {aa['error']}"
        if aa.get("error")
        else f"signature of {aa.get('signature_bytes', 0)} bytes received (verdict below)"
    )
    print(f"Active auth (AA):  {aa_text}")
    st = read.get("stats") or {}
    if st:
        print(
            f"Exchanges:         {st['apdus']} APDUs, {st['bytes_sent']} B sent, "
            f"{st['bytes_received']} B received, {st['wall_ms']:.0f} ms"
        )
        for name, ph in st["phases"].items():
            print(f"  {name + ':':22} {ph['apdus']:4d} APDUs {ph['wall_ms']:8.1f} ms")
    if written:
        print(f"Written:           {', '.join(written)}")
    v = r["verification"]
    print(f"Passive authentication: {v['passive_authentication']}")
    print(f"Chip authenticity:      {v['chip_authenticity']}")
    print(f"Document currency:      {v.get('document_currency', 'unknown')}")
    for c in v["checks"]:
        print(f"  {c['status']:<13} {c['name']:<28} {c['code']:<24} {c['message']}")
