"""``cccd-edge simulate``: attach a virtual CCCD to vsmartcard's vpcd reader.

pcscd (with the vpcd driver) then shows a reader holding the synthetic card, so
the whole stack — PC/SC transport included — can be shown and tested without a
real card. Prints the CAN and MRZ of the synthetic citizen (synthetic data, fine
to show) and runs until Ctrl-C or SIGTERM. With ``--fault wrong-key`` the CAN and
MRZ printed first are the ones on the card's face, which its chip now refuses
(type them to see the refusal); the chip's own keys are shown below them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from edge.cli import UsageError
from simulators.vpcd import DEFAULT_HOST, DEFAULT_PORT


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="attach a virtual CCCD to the vpcd virtual reader")
    p.add_argument(
        "--vpcd",
        default=f"{DEFAULT_HOST}:{DEFAULT_PORT}",
        metavar="HOST:PORT",
        help=f"where vpcd listens (default {DEFAULT_HOST}:{DEFAULT_PORT})",
    )
    p.add_argument(
        "--citizen", type=int, default=0, metavar="N", help="synthetic citizen number (default 0)"
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:ARG]",
        help="inject a fault (repeatable), e.g. remove-after:20, slow:200, tampered-dg",
    )
    p.add_argument(
        "--photo",
        type=Path,
        metavar="FILE",
        help="portrait image to put in DG2 instead of a synthetic face",
    )
    p.add_argument(
        "--export-pki",
        type=Path,
        metavar="DIR",
        help="write the test CSCA/DSC/CRL to DIR so a trust store can import them",
    )
    p.set_defaults(func=run)


def parse_endpoint(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(
            f"--vpcd wants HOST:PORT, e.g. {DEFAULT_HOST}:{DEFAULT_PORT}, not '{text}'."
        )
    return host, int(port)


def citizen_number(n: int) -> int:
    """The synthetic citizen ``n``, checked against the list (no silent wrap-around)."""
    from simulators.citizens import CITIZENS

    if not 0 <= n < len(CITIZENS):
        raise UsageError(f"--citizen wants a number from 0 to {len(CITIZENS) - 1}, not {n}.")
    return n


def simulator_transport(args):
    """`cccd-edge read --simulator`: the virtual card in this process, no PC/SC in between."""
    from cardreader.transport.inprocess import InProcessTransport
    from simulators.card import VirtualCCCD
    from simulators.dataset import DataSetError, build_dataset
    from simulators.faults import FaultError

    try:
        card = VirtualCCCD(build_dataset(citizen_number(args.citizen)), faults=list(args.fault))
    except (FaultError, DataSetError) as exc:
        raise UsageError(str(exc)) from None
    return InProcessTransport(card)


def build_card(args):
    """The virtual card the options describe (kept apart from the bridge for tests)."""
    return build_card_and_printed(args)[0]


def build_card_and_printed(args):
    """(card, data set as printed on the card's face): they differ under data faults such as
    ``wrong-key``, where the chip's keys are not the printed ones."""
    from simulators.card import VirtualCCCD
    from simulators.dataset import build_dataset
    from simulators.faults import FaultConfig, FaultError

    citizen_number(args.citizen)
    photo = None
    if args.photo is not None:
        try:
            photo = args.photo.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"The photo {args.photo} cannot be read: {exc.strerror or exc}."
            ) from None
    try:
        faults = FaultConfig.from_specs(args.fault)
        dataset = build_dataset(args.citizen, photo=photo)
        return VirtualCCCD(dataset, faults=faults), dataset
    except FaultError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:  # DataSetError, DataFaultError, unreadable photo
        raise UsageError(f"The virtual card could not be built: {exc}") from None


def _keys(ds, indent: str = "  ") -> list[str]:
    mrz = list(ds.mrz_lines) or [""]
    lines = [f"{indent}CAN:        {ds.can}", f"{indent}MRZ:        {mrz[0]}"]
    lines += [f"{indent}            {line}" for line in mrz[1:]]
    lines.append(
        f"{indent}MRZ key:    document {ds.document_number}, birth {ds.birth_date}, "
        f"expiry {ds.expiry_date}"
    )
    return lines


def describe(card, printed=None) -> list[str]:
    """What a tester types: the keys printed on the card. When a data fault gave the chip other
    keys (``wrong-key``), the printed ones are refused; the chip's are listed apart."""
    ds = card.dataset
    printed = printed or ds
    lines = [f"Virtual CCCD: {printed.label or 'synthetic citizen'}"]
    if printed.can == ds.can and printed.document_number == ds.document_number:
        lines += _keys(ds)
    else:
        lines.append(
            "  Printed on the card (the chip REFUSES these: type them to see the refusal):"
        )
        lines += _keys(printed, "    ")
        lines.append("  The chip's own keys (accepted):")
        lines += _keys(ds, "    ")
    lines.append(f"  Faults:     {', '.join(card.faults.names) or 'none'}")
    return lines


def run(args) -> int:
    from simulators.vpcd import run_bridge

    host, port = parse_endpoint(args.vpcd)
    if args.export_pki is not None:
        from simulators.pki import write_pki

        try:
            paths = write_pki(args.export_pki)
        except OSError as exc:
            raise UsageError(
                f"The test PKI cannot be written to {args.export_pki}: {exc.strerror or exc}."
            ) from None
        print(f"Test PKI written: {', '.join(str(p) for p in paths)}")
    card, printed = build_card_and_printed(args)
    print("\n".join(describe(card, printed)))
    print(f"Attaching to vpcd at {host}:{port} (Ctrl-C to stop)...", flush=True)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="simulate: %(message)s", stream=sys.stderr)
    stats = run_bridge(card, host, port)
    print(
        f"Stopped: {stats.connections} connection(s), {stats.apdus} APDUs, {stats.removals} "
        "removal(s)."
    )
    return 0
