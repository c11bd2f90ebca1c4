"""``cccd-edge simulate``: attach a virtual CCCD to vsmartcard's vpcd reader.

pcscd (with the vpcd driver) then shows a reader holding the synthetic card, so
the whole stack — PC/SC transport included — can be shown and tested without a
real card. Prints the CAN and MRZ of the synthetic citizen (synthetic data, fine
to show) and runs until Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from edge.cli import UsageError
from simulators.vpcd import DEFAULT_HOST, DEFAULT_PORT


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="attach a virtual CCCD to the vpcd virtual reader")
    p.add_argument("--vpcd", default=f"{DEFAULT_HOST}:{DEFAULT_PORT}", metavar="HOST:PORT",
                   help=f"where vpcd listens (default {DEFAULT_HOST}:{DEFAULT_PORT})")
    p.add_argument("--citizen", type=int, default=0, metavar="N", help="synthetic citizen number (default 0)")
    p.add_argument("--fault", action="append", default=[], metavar="NAME[:ARG]",
                   help="inject a fault (repeatable), e.g. remove-after:20, slow:200, tampered-dg")
    p.add_argument("--photo", type=Path, metavar="FILE", help="portrait image to put in DG2 instead of a synthetic face")
    p.add_argument("--export-pki", type=Path, metavar="DIR",
                   help="write the test CSCA/DSC/CRL to DIR so a trust store can import them")
    p.set_defaults(func=run)


def parse_endpoint(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--vpcd wants HOST:PORT, e.g. {DEFAULT_HOST}:{DEFAULT_PORT}, not '{text}'.")
    return host, int(port)


def build_card(args):
    """The virtual card the options describe (kept apart from the bridge for tests)."""
    from simulators.card import VirtualCCCD
    from simulators.dataset import build_dataset
    from simulators.faults import FaultConfig, FaultError

    if args.citizen < 0:
        raise UsageError("--citizen wants a number from 0 up.")
    photo = None
    if args.photo is not None:
        try:
            photo = args.photo.read_bytes()
        except OSError as exc:
            raise UsageError(f"The photo {args.photo} cannot be read: {exc.strerror or exc}.") from None
    try:
        faults = FaultConfig.from_specs(args.fault)
        dataset = build_dataset(args.citizen, photo=photo)
        return VirtualCCCD(dataset, faults=faults)
    except FaultError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:                    # DataSetError, DataFaultError, unreadable photo
        raise UsageError(f"The virtual card could not be built: {exc}") from None


def describe(card) -> list[str]:
    ds = card.dataset
    mrz = list(ds.mrz_lines) or [""]
    lines = [f"Virtual CCCD: {ds.label or 'synthetic citizen'}",
             f"  CAN:        {ds.can}",
             f"  MRZ:        {mrz[0]}"]
    lines += [f"              {line}" for line in mrz[1:]]
    lines += [f"  MRZ key:    document {ds.document_number}, birth {ds.birth_date}, expiry {ds.expiry_date}",
              f"  Faults:     {', '.join(card.faults.names) or 'none'}"]
    return lines


def run(args) -> int:
    from simulators.vpcd import run_bridge

    host, port = parse_endpoint(args.vpcd)
    if args.export_pki is not None:
        from simulators.pki import write_pki
        try:
            paths = write_pki(args.export_pki)
        except OSError as exc:
            raise UsageError(f"The test PKI cannot be written to {args.export_pki}: {exc.strerror or exc}.") from None
        print(f"Test PKI written: {', '.join(str(p) for p in paths)}")
    card = build_card(args)
    print("\n".join(describe(card)))
    print(f"Attaching to vpcd at {host}:{port} (Ctrl-C to stop)...", flush=True)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="simulate: %(message)s", stream=sys.stderr)
    stats = run_bridge(card, host, port)
    print(f"Stopped: {stats.connections} connection(s), {stats.apdus} APDUs, {stats.removals} removal(s).")
    return 0
