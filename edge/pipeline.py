"""From raw files (a live read or a saved dump) to the ``DocumentReport``.

One way through: parse the LDS, run passive authentication, judge Active and
Chip Authentication, fill the report. Nothing here talks to the card.

The verdict rules (``passive_authentication``, ``chip_authenticity``,
``document_currency``, an incomplete read never ``valid``) live in
``crypto.verdicts``. Each CA/AA/CAM check is already gated: it can be ``valid``
only when its key's DG (15 or 14) matched a SOD whose signature verified, or (PACE-CAM)
when EF.CardSecurity's signature verified and chains to a trusted CSCA.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from cardreader.errors import CardError
from cardreader.lds.document import parse_document
from cardreader.result import ReadResult
from crypto import active_auth, card_security, chip_auth, chip_auth_mapping, passive_auth, verdicts
from crypto.certs import Certificate
from crypto.report import Check, Status, VerificationReport
from crypto.truststore import TrustStore
from edge.report import DocumentInfo, DocumentReport, Person, Photo, ReadInfo, ReportError

_DG = re.compile(r"^DG(\d{1,2})$")


def report_from_read(
    read_result: ReadResult,
    trust_store: TrustStore | None,
    *,
    at: datetime | None = None,
    reader: str | None = None,
    atr: bytes = b"",
) -> DocumentReport:
    """The report of a live read: the files plus how the chip answered CA and AA."""
    not_read = {}
    errors = []
    for name, err in read_result.file_errors.items():
        errors.append(_report_error(err, name))
        m = _DG.match(name)
        if m:
            not_read[int(m.group(1))] = err.code
    if read_result.error is not None:
        errors.append(_report_error(read_result.error))
    report = _build(
        read_result.files, trust_store, at=at, dsc=None, read_result=read_result, not_read=not_read
    )
    report.errors[:0] = errors
    # A read that lost the card is never ``valid``: some listed groups were never checked.
    incomplete = verdicts.read_incomplete_check(
        read_result.complete, read_result.error.code if read_result.error else None
    )
    if incomplete is not None:
        v = report.verification
        v.add(incomplete)
        v.passive_authentication = verdicts.passive_authentication(v.checks, read_complete=False)
    report.read = read_info(read_result, reader=reader, atr=atr)
    return report


def read_info(read_result: ReadResult, *, reader: str | None = None, atr: bytes = b"") -> ReadInfo:
    """How the read went, without the files' bytes (their sizes only) and without personal data."""
    ca, aa = read_result.chip_auth, read_result.active_auth
    return ReadInfo(
        complete=read_result.complete,
        access_protocol=read_result.access_protocol,
        pace_oid=read_result.pace_oid,
        pace_parameter_id=read_result.pace_parameter_id,
        extended_length=read_result.extended_length,
        reader=reader,
        atr=atr.hex().upper() if atr else None,
        files={name: len(raw) for name, raw in read_result.files.items()},
        file_errors={
            name: _report_error(err, name) for name, err in read_result.file_errors.items()
        },
        chip_authentication={
            "performed": ca.performed,
            "established": ca.established,
            "protocol": ca.protocol_oid,
            "key_id": ca.key_id,
            "error": ca.error.code if ca.error else None,
        },
        active_authentication={
            "performed": aa.performed,
            "challenge": aa.challenge.hex().upper() if aa.challenge else None,
            "signature_bytes": len(aa.signature) if aa.signature else 0,
            "error": aa.error.code if aa.error else None,
        },
        chip_authentication_mapping={
            "performed": read_result.chip_auth_mapping.performed,
            "error": read_result.chip_auth_mapping.error,
        },
        stats=read_result.stats.to_dict(),
        incidents=[i.to_dict() for i in read_result.incidents],
    )


def report_from_files(
    files: dict[str, bytes],
    trust_store: TrustStore | None,
    *,
    at: datetime | None = None,
    dsc: Certificate | bytes | None = None,
) -> DocumentReport:
    """The report of a saved dump (``EF.SOD``, ``DG1`` ... as keys); no CA/AA offline."""
    return _build(files, trust_store, at=at, dsc=dsc, read_result=None, not_read={})


def _build(
    files: dict[str, bytes],
    store: TrustStore | None,
    *,
    at,
    dsc,
    read_result: ReadResult | None,
    not_read: dict[int, str],
) -> DocumentReport:
    report = DocumentReport()
    doc = parse_document(files)
    for err in doc.errors.values():
        report.errors.append(_report_error(err))
    dgs = {
        int(m.group(1)): bytes(v) for k, v in files.items() if (m := _DG.match(k)) and v is not None
    }
    dg1 = doc.dg1
    issuing_state = dg1.mrz.issuing_state if dg1 is not None else None
    sod_input = doc.sod if doc.sod is not None else files.get("EF.SOD")
    pa = passive_auth.verify(
        sod_input,
        dgs,
        store,
        at=at,
        dsc=dsc,
        issuing_state=issuing_state,
        not_read=not_read,
        document_expiry=_document_expiry(dg1, doc.dg13),
    )
    v = VerificationReport(
        checks=list(pa.checks),
        passive_authentication=pa.status,
        document_currency=pa.currency,
    )
    v.add(_aa_check(doc, dgs, pa, read_result))
    v.add(_ca_check(doc, pa, read_result))
    # -- PACE-CAM: EF.CardSecurity verified like the SOD, then the CAM proof --------------
    for check in _cam_checks(files, store, at, read_result):
        v.add(check)
    # ---------------------------------------------------------------------------------------
    v.chip_authenticity = chip_authenticity(
        v.get("active_authentication"),
        v.get("chip_authentication"),
        v.get("chip_authentication_mapping"),
    )
    report.verification = v
    report.document = _document(dg1)
    report.person = _person(dg1, doc.dg13)
    report.photo = _photo(doc.dg2)
    return report


# The rule lives in crypto.verdicts; kept under this name for callers of edge.pipeline.
chip_authenticity = verdicts.chip_authenticity


def _document_expiry(dg1, dg13) -> date | None:
    """The expiry date the document prints (DG1's MRZ first, DG13's otherwise)."""
    if dg1 is not None and dg1.mrz.expiry_date_raw == "<<<<<<":
        return passive_auth.NO_EXPIRY
    for text in (
        dg1.mrz.expiry_date if dg1 is not None else None,
        getattr(dg13, "expiry_date_iso", None),
    ):
        if text:
            try:
                return date.fromisoformat(text)
            except ValueError:
                continue
    return None


def _cam_checks(
    files: dict[str, bytes], store: TrustStore | None, at, read_result: ReadResult | None
) -> list[Check]:
    """EF.CardSecurity's checks (when read) and the PACE-CAM check (when CAM was run)."""
    raw = files.get("EF.CardSecurity")
    cam = read_result.chip_auth_mapping if read_result is not None else None
    if raw is None and (cam is None or not cam.performed):
        return []
    security = card_security.verify(raw, store, at=at)
    if cam is None or not cam.performed:
        return security.checks
    proof = chip_auth_mapping.CamProof(
        cam.parameter_id, cam.chip_mapping_public_key, cam.chip_authentication_data, cam.error
    )
    return [*security.checks, chip_auth_mapping.check(proof, security)]


def _aa_check(
    doc, dgs, pa: passive_auth.PassiveAuthResult, read_result: ReadResult | None
) -> Check:
    if read_result is None:
        return Check(
            "active_authentication",
            Status.NOT_PERFORMED,
            "offline_dump",
            "Active Authentication needs the chip itself; a saved dump cannot show it.",
        )
    aa = read_result.active_auth
    dg15 = doc.dg15
    dg14 = doc.dg14
    info = dg14.active_authentication_info if dg14 is not None else None
    return active_auth.check(
        performed=aa.performed,
        challenge=aa.challenge,
        signature=aa.signature,
        dg15=dgs.get(15),
        dg15_key_spki=dg15.public_key.raw if dg15 is not None else None,
        dg15_authenticated=pa.dg_authenticated(15),
        dg15_hash_status=pa.dg_status(15),
        hash_name=info.hash_name if info is not None else None,
        error=aa.error.code if aa.error is not None else None,
    )


def _ca_check(doc, pa: passive_auth.PassiveAuthResult, read_result: ReadResult | None) -> Check:
    if read_result is None:
        return Check(
            "chip_authentication",
            Status.NOT_PERFORMED,
            "offline_dump",
            "Chip Authentication needs the chip itself; a saved dump cannot show it.",
        )
    if read_result.chip_auth_mapping.performed:
        return Check(
            "chip_authentication",
            Status.NOT_PERFORMED,
            "ca_replaced_by_cam",
            "Chip Authentication was not needed: PACE-CAM checks the chip's key instead.",
        )
    dg14 = doc.dg14
    return chip_auth.check(
        read_result.chip_auth,
        dg14_present=dg14 is not None,
        dg14_has_ca_key=bool(dg14 and dg14.chip_authentication_public_keys),
        dg14_authenticated=pa.dg_authenticated(14),
        dg14_hash_status=pa.dg_status(14),
    )


def _report_error(err, file: str | None = None) -> ReportError:
    if isinstance(err, CardError):
        sw = None if err.sw is None else f"{err.sw:04X}"
        return ReportError(err.code, err.message, err.file or file, err.step, sw)
    return ReportError(getattr(err, "code", "parse_error"), getattr(err, "message", str(err)), file)


def _document(dg1) -> DocumentInfo:
    if dg1 is None:
        return DocumentInfo()
    m = dg1.mrz
    return DocumentInfo(
        type=m.document_code,
        issuing_state=m.issuing_state.replace("<", "") or None,
        document_number=m.document_number,
        expiry=m.expiry_date,
        mrz_check_errors=list(m.check_errors),
    )


def _person(dg1, dg13) -> Person | None:
    if dg13 is not None and dg13.fields:
        return Person(
            source="DG13",
            id_number=dg13.id_number,
            full_name=dg13.full_name,
            birth_date=dg13.birth_date,
            sex=dg13.sex_code or dg13.sex,
            nationality=dg13.nationality,
            ethnicity=dg13.ethnicity,
            religion=dg13.religion,
            place_of_origin=dg13.place_of_origin,
            residence=dg13.place_of_residence,
            identifying_marks=dg13.identifying_marks,
            issue_date=dg13.issue_date,
            expiry_date=dg13.expiry_date_iso or dg13.expiry_date,
            father_name=dg13.father_name,
            mother_name=dg13.mother_name,
            spouse_name=dg13.spouse_name,
            old_id_number=dg13.old_id_number,
            other_fields=_other_fields(dg13),
        )
    if dg1 is None:
        return None
    m = dg1.mrz
    full_name = " ".join(p for p in (m.surname, m.given_names) if p) or None
    return Person(
        source="DG1",
        id_number=m.cccd_id or m.document_number,
        full_name=full_name,
        birth_date=m.birth_date,
        sex=m.sex,
        nationality=m.nationality,
        expiry_date=m.expiry_date,
    )


def _other_fields(dg13) -> dict[str, str]:
    """DG13 fields this reader has no name for: field 16's text, unknown fields' bytes in hex."""
    out = {"16": dg13.field16} if dg13.field16 is not None else {}
    out.update({str(n): raw.hex().upper() for n, raw in sorted(dg13.unknown.items())})
    return out


def _photo(dg2) -> Photo | None:
    """Face image facts from the parsed DG2 (first face); the bytes stay on the Photo object."""
    if dg2 is None or not dg2.faces:
        return None
    face = dg2.face
    fmt = {"jp2": "jpeg2000"}.get(face.image_format, face.image_format)
    return Photo(
        format=fmt,
        width=face.width,
        height=face.height,
        size=len(face.image),
        sha256=face.sha256,
        standard=face.standard,
        _bytes=bytes(face.image),
    )
