"""``cccd-edge read``: read a card (PC/SC reader or the in-process virtual card) and show it.

    cccd-edge read [--reader NAME | --simulator [--citizen N] [--fault NAME ...]]
                   (--can DIGITS | --mrz LINE1 LINE2 [LINE3]
                    | --document-number N --birth-date YYMMDD --expiry-date YYMMDD)
                   [--json] [--out DIR] [--timeout S]

Prints the MRZ and DG13 fields, the photo's format, size and SHA-256, the
access protocol, the CA and AA outcomes and the counted exchanges per phase.
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
    # The CLI may import the card side; cardreader never does.
    from cardreader.transport.inprocess import InProcessTransport
    from edge.commands.simulate import citizen_number
    from simulators.card import VirtualCCCD
    from simulators.dataset import DataSetError, build_dataset
    from simulators.demo_face import demo_photo
    from simulators.faults import FaultError

    try:
        # The demo card's chip photo is a real face (simulators.demo_face) the matcher finds.
        dataset = build_dataset(citizen_number(args.citizen), photo=demo_photo())
        card = VirtualCCCD(dataset, faults=list(args.fault))
    except (FaultError, DataSetError) as exc:
        raise UsageError(str(exc)) from None
    return InProcessTransport(card)


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
    summary = summarize(
        result, reader=getattr(transport, "reader", None), atr=getattr(transport, "atr", b"")
    )
    # The same report the API, the kiosk screen and the audit log use.
    summary["verification"] = report_from_read(result, store).verification.to_dict()
    if out_dir is not None:
        summary["written"] = write_files(result, out_dir)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_summary(summary)
    return 0


# -- summary -----------------------------------------------------------------------


def summarize(result: ReadResult, *, reader: str | None = None, atr: bytes = b"") -> dict:
    """Everything the read produced, as plain JSON-able data (the raw files excepted)."""
    doc = parse_document(result.files)
    out: dict = {
        "reader": reader,
        "atr": atr.hex().upper() if atr else None,
        "complete": result.complete,
        "access_protocol": result.access_protocol,
        "pace_oid": result.pace_oid,
        "pace_parameter_id": result.pace_parameter_id,
        "extended_length": result.extended_length,
        "files": {name: len(raw) for name, raw in result.files.items()},
        "file_errors": {name: err.to_dict() for name, err in result.file_errors.items()},
        "parse_errors": {name: err.to_dict() for name, err in doc.errors.items()},
        # Failures the reader recovered from (a re-opened secure channel): step, file, code.
        "incidents": [i.to_dict() for i in result.incidents],
    }
    if doc.dg1 is not None:
        m = doc.dg1.mrz
        out["mrz"] = {
            "document_code": m.document_code,
            "issuing_state": m.issuing_state,
            "document_number": m.document_number,
            "cccd_id": m.cccd_id,
            "name": m.name,
            "surname": m.surname,
            "given_names": m.given_names,
            "sex": m.sex,
            "nationality": m.nationality,
            "birth_date": m.birth_date,
            "expiry_date": m.expiry_date,
            "check_errors": list(m.check_errors),
        }
    if doc.dg13 is not None:
        out["dg13"] = dg13_summary(doc.dg13)
    if doc.dg2 is not None and doc.dg2.faces:
        face = doc.dg2.face
        out["photo"] = {
            "format": face.image_format,
            "width": face.width,
            "height": face.height,
            "bytes": len(face.image),
            "sha256": face.sha256,
            "standard": face.standard,
        }
    ca, aa = result.chip_auth, result.active_auth
    out["chip_authentication"] = {
        "performed": ca.performed,
        "established": ca.established,
        "protocol_oid": ca.protocol_oid,
        "key_id": ca.key_id,
        "error": ca.error.to_dict() if ca.error else None,
    }
    out["active_authentication"] = {
        "performed": aa.performed,
        "challenge": aa.challenge.hex().upper() if aa.challenge else None,
        "signature_bytes": len(aa.signature) if aa.signature else 0,
        "error": aa.error.to_dict() if aa.error else None,
    }
    out["stats"] = result.stats.to_dict()
    return out


def dg13_summary(d) -> dict:
    """DG13's fields as shown: dates in ISO 8601 where they parsed (else as on the chip), the
    expiry as text when it is a word ("Không thời hạn"), and fields we cannot name in hex."""
    values = {
        "id_number": d.id_number,
        "full_name": d.full_name,
        "birth_date": d.birth_date or d.birth_date_text,
        "sex": d.sex,
        "nationality": d.nationality,
        "ethnicity": d.ethnicity,
        "religion": d.religion,
        "place_of_origin": d.place_of_origin,
        "place_of_residence": d.place_of_residence,
        "identifying_marks": d.identifying_marks,
        "issue_date": d.issue_date or d.issue_date_text,
        "expiry_date": d.expiry_date_iso or d.expiry_date,
        "father_name": d.father_name,
        "mother_name": d.mother_name,
        "spouse_name": d.spouse_name,
        "old_id_number": d.old_id_number,
        "field16": d.field16,
    }
    out = {k: v for k, v in values.items() if v is not None}
    if d.unknown:
        out["unknown_fields"] = {str(n): raw.hex().upper() for n, raw in sorted(d.unknown.items())}
    return out


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
    """Each file's raw bytes as EF_COM.bin, EF_SOD.bin, EF_CardAccess.bin, DG<n>.bin, plus the photo."""
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


def print_summary(s: dict) -> None:
    if s.get("reader"):
        print(f"Reader:            {s['reader']}" + (f"  (ATR {s['atr']})" if s.get("atr") else ""))
    proto = s["access_protocol"] or "-"
    if s.get("pace_oid"):
        proto += f"  ({s['pace_oid']}, parameter id {s['pace_parameter_id']})"
    print(f"Access protocol:   {proto}")
    print(f"Extended length:   {'yes' if s['extended_length'] else 'no'}")
    if "mrz" in s:
        m = s["mrz"]
        print("MRZ (DG1):")
        for label, k in (
            ("document number", "document_number"),
            ("ID number", "cccd_id"),
            ("name", "name"),
            ("sex", "sex"),
            ("nationality", "nationality"),
            ("birth date", "birth_date"),
            ("expiry date", "expiry_date"),
        ):
            print(f"  {label + ':':18} {m.get(k) or '-'}")
        if m["check_errors"]:
            print(f"  check digits:      {'; '.join(m['check_errors'])}")
    if "dg13" in s:
        print("Personal data (DG13):")
        for k, v in s["dg13"].items():
            if k == "unknown_fields":
                for number, hexed in v.items():
                    print(f"  {'field ' + number + ':':18} {hexed} (unknown field, raw)")
            else:
                print(f"  {k.replace('_', ' ') + ':':18} {v}")
    if "photo" in s:
        p = s["photo"]
        print(
            f"Photo (DG2):       {p['format']} {p['width']}x{p['height']}, {p['bytes']} bytes, "
            f"sha256 {p['sha256']}"
        )
    print("Files:             " + ", ".join(f"{n} ({b} B)" for n, b in s["files"].items()))
    for name, err in {**s["file_errors"], **s["parse_errors"]}.items():
        print(f"  {name}: {err['message']}" + (f" (SW {err['sw']})" if err.get("sw") else ""))
    for i in s.get("incidents", []):
        where = f"{i['step']}" + (f" ({i['file']})" if i.get("file") else "")
        print(f"Recovered:         secure channel re-opened at {where}: {i['message']}")
    ca = s["chip_authentication"]
    ca_text = (
        "not performed"
        if not ca["performed"]
        else "established"
        if ca["established"]
        else f"failed: {ca['error']['message'] if ca['error'] else 'unknown'}"
    )
    print(f"Chip auth (CA):    {ca_text}")
    aa = s["active_authentication"]
    aa_text = (
        "not performed"
        if not aa["performed"]
        else f"failed: {aa['error']['message']}"
        if aa["error"]
        else f"signature of {aa['signature_bytes']} bytes received (verdict below)"
    )
    print(f"Active auth (AA):  {aa_text}")
    st = s["stats"]
    print(
        f"Exchanges:         {st['apdus']} APDUs, {st['bytes_sent']} B sent, {st['bytes_received']} B "
        f"received, {st['wall_ms']:.0f} ms"
    )
    for name, ph in st["phases"].items():
        print(f"  {name + ':':22} {ph['apdus']:4d} APDUs {ph['wall_ms']:8.1f} ms")
    if s.get("written"):
        print(f"Written:           {', '.join(s['written'])}")
    v = s.get("verification")
    if v:
        print(f"Passive authentication: {v['passive_authentication']}")
        print(f"Chip authenticity:      {v['chip_authenticity']}")
        for c in v["checks"]:
            print(f"  {c['status']:<13} {c['name']:<28} {c['code']:<24} {c['message']}")
