"""What each fuzz harness feeds its input to, and which exceptions count as a typed answer.

A target returns normally or raises one of its ``typed`` exceptions; anything
else (``UnicodeDecodeError``, ``KeyError`` ...) is a crash: the fuzzer stops and
keeps the input. The same table drives the regression tests over
``fuzz/corpus/<target>/``, so every input that ever crashed is replayed on each run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from cardreader import tlv
from cardreader.errors import CardError
from cardreader.lds import DG1, DG2, DG13, DG14, DG15, EFCOM, EFSOD, SecurityInfos
from crypto.certs import Certificate
from crypto.crl import CRL
from crypto.errors import CryptoError
from crypto.masterlist import MasterList
from crypto.truststore import TrustStore
from edge.pipeline import report_from_files

AT = datetime(2026, 1, 1, tzinfo=UTC)
# Files the end-to-end target can replace: the first input byte picks one (modulo).
PIPELINE_FILES = ("EF.SOD", "DG1", "DG2", "DG13", "DG14", "DG15", "EF.COM", "DSC")


@dataclass(frozen=True)
class Target:
    run: Callable[[bytes], object]
    typed: tuple[type[BaseException], ...]
    seeds: Callable[[], list[bytes]]


@cache
def synthetic_files() -> dict[str, bytes]:
    """The virtual CCCD's files (synthetic citizen 0) and its DSC, by report name."""
    from simulators import pki
    from simulators.carddata import FID_CARD_ACCESS, FID_COM, FID_SOD, fid_of_dg
    from simulators.dataset import build_dataset

    ds = build_dataset(0)
    files = {
        "EF.CardAccess": ds.files[FID_CARD_ACCESS],
        "EF.COM": ds.files[FID_COM],
        "EF.SOD": ds.files[FID_SOD],
    }
    files.update({f"DG{n}": ds.files[fid_of_dg(n)] for n in (1, 2, 13, 14, 15)})
    csca, dsc = pki.default_pki("ecdsa")
    files["CSCA"] = csca.der
    files["DSC"] = dsc.der
    files["CRL"] = pki.issue_crl(csca, [dsc.serial])
    signer = pki.issue_dsc(csca, "fuzz-ml-signer")
    files["ML"] = pki.build_master_list(signer.key, signer, [csca])
    return files


@cache
def test_store() -> TrustStore:
    store = TrustStore()
    store.add_certificate(Certificate.from_bytes(synthetic_files()["CSCA"]))
    return store


def _seed(*names: str) -> Callable[[], list[bytes]]:
    return lambda: [synthetic_files()[n] for n in names]


def _tlv(data: bytes) -> None:
    node = tlv.decode(data, strict=False, deep=True)
    for child in node.children if node.constructed else []:
        child.value  # noqa: B018 - walk what a caller would read


def _certificate(data: bytes) -> None:
    cert = Certificate.from_bytes(data)
    cert.summary()
    cert.role  # noqa: B018 - derived from the decoded fields
    cert.public_key  # noqa: B018 - decoded on first use: must be typed too
    cert.signature_scheme  # noqa: B018


def _master_list(data: bytes) -> None:
    MasterList.from_bytes(data)
    TrustStore().import_bytes(data, "fuzz.ml")


def _crl(data: bytes) -> None:
    crl = CRL.from_bytes(data)
    crl.revocation_date(1)


def _pipeline(data: bytes) -> None:
    """Passive authentication end to end: one file of a genuine dump replaced by the input."""
    if not data:
        return
    files = {k: v for k, v in synthetic_files().items() if k in PIPELINE_FILES}
    name = PIPELINE_FILES[data[0] % len(PIPELINE_FILES)]
    files[name] = data[1:]
    # The DSC side file only when it is what is fuzzed: otherwise the embedded one must serve.
    side_dsc = files.pop("DSC")
    dsc = side_dsc if name == "DSC" else None
    report = report_from_files(files, test_store(), at=AT, dsc=dsc)
    report.to_dict()
    report.to_text(include_personal=True)
    report.audit_dict()


def pipeline_seeds() -> list[bytes]:
    files = synthetic_files()
    return [bytes([i]) + files[name] for i, name in enumerate(PIPELINE_FILES)]


PARSE = (CardError,)  # the LDS parsers' typed error (ParseError, itself a DecodeError)
CHECK = (CryptoError,)

TARGETS: dict[str, Target] = {
    "tlv": Target(_tlv, PARSE, _seed("DG1", "DG13", "EF.COM")),
    "ef_com": Target(EFCOM.from_bytes, PARSE, _seed("EF.COM")),
    "card_access": Target(SecurityInfos.from_bytes, PARSE, _seed("EF.CardAccess")),
    "dg1": Target(DG1.from_bytes, PARSE, _seed("DG1")),
    "dg2": Target(DG2.from_bytes, PARSE, _seed("DG2")),
    "dg13": Target(DG13.from_bytes, PARSE, _seed("DG13")),
    "dg14": Target(DG14.from_bytes, PARSE, _seed("DG14")),
    "dg15": Target(DG15.from_bytes, PARSE, _seed("DG15")),
    "ef_sod": Target(EFSOD.from_bytes, PARSE, _seed("EF.SOD")),
    "certificate": Target(_certificate, CHECK, _seed("DSC", "CSCA")),
    "master_list": Target(_master_list, CHECK, _seed("ML")),
    "crl": Target(_crl, CHECK, _seed("CRL")),
    # End to end: no exception at all, every failure is a check in the report.
    "passive_auth": Target(_pipeline, (), pipeline_seeds),
}


def run_one(name: str, data: bytes) -> None:
    """Run target ``name`` on ``data``; typed errors are answers, anything else propagates."""
    target = TARGETS[name]
    try:
        target.run(data)
    except target.typed:
        pass


# Which upload file a parser's input arrives as (targets a dump cannot carry are absent).
UPLOAD_FILE = {
    "ef_com": "EF.COM",
    "card_access": "EF.CardAccess",
    "dg1": "DG1",
    "dg2": "DG2",
    "dg13": "DG13",
    "dg14": "DG14",
    "dg15": "DG15",
    "ef_sod": "EF.SOD",
    "certificate": "DSC",
}


def as_dump(name: str, data: bytes) -> tuple[dict[str, bytes], str] | None:
    """A genuine synthetic dump with one file replaced by a corpus input of target ``name``:
    (files by report name, ``DSC`` only when it is the replaced one; that file's name)."""
    files = {k: v for k, v in synthetic_files().items() if k in (*PIPELINE_FILES, "EF.CardAccess")}
    if name == "passive_auth":
        if not data:
            return None
        replaced, content = PIPELINE_FILES[data[0] % len(PIPELINE_FILES)], data[1:]
    elif name in UPLOAD_FILE:
        replaced, content = UPLOAD_FILE[name], data
    else:
        return None
    files[replaced] = content
    if replaced != "DSC":
        del files["DSC"]  # an upload without a DSC part: the SOD's embedded one must serve
    return files, replaced
