"""One read of a CCCD, as a list of small named steps reporting phases.

connect (ATR, EF.ATR/INFO: extended length?) -> EF.CardAccess in plain -> PACE
from its PACEInfo (tag 84 tried both ways; CAM preferred, then GM, then IM), or BAC
when the card has no EF.CardAccess or no usable PACE -> after PACE-CAM, EF.CardSecurity
(the chip's static key; it replaces Chip Authentication) -> select the eMRTD application -> EF.COM,
EF.SOD -> the data groups the SOD lists -> Chip Authentication when DG14 has a
key -> Active Authentication when DG15 is there -> ``ReadResult``.

Nothing here raises at the caller: an error a user can meet ends the read
with ``ReadResult.error`` set and ``complete`` False. A file the card refuses
(DG3: 6982) or that does not parse is noted in ``file_errors`` and the read
goes on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cardreader import activeauth, bac, chipauth, pace
from cardreader.accesskey import CanKey, MrzKey
from cardreader.apdu import SW_SM_DATA_OBJECTS_INCORRECT, SW_SM_DATA_OBJECTS_MISSING
from cardreader.errors import (
    AccessControlError,
    AccessDeniedError,
    CardError,
    ChipAuthenticationError,
    FileNotFoundOnCard,
    ParseError,
    SecureMessagingError,
    StatusWordError,
)
from cardreader.files import (
    FID_ATR_INFO,
    FID_CARD_ACCESS,
    FID_COM,
    FID_SOD,
    AtrInfo,
    FileReader,
    extended_length_from_atr,
    fid_of_dg,
    file_name,
)
from cardreader.lds import security_infos
from cardreader.lds.com import EFCOM
from cardreader.lds.dg14 import DG14
from cardreader.lds.security_infos import PACEInfo
from cardreader.lds.sod import EFSOD
from cardreader.result import (
    ActiveAuthOutcome,
    ChipAuthMappingOutcome,
    Incident,
    Phase,
    ReadResult,
)
from cardreader.session import Session
from cardreader.transport.base import Transport
from crypto import curves as _curves
from crypto import dh as _dh

log = logging.getLogger(__name__)

Rng = Callable[[int], bytes]
Progress = Callable[[Phase], None]

MAX_REOPEN = 2  # re-opened secure channels per read before giving up


@dataclass
class _State:
    """What the steps share; only the reader touches it."""

    key: CanKey | MrzKey
    rng: Rng
    session: Session
    files: FileReader
    result: ReadResult
    pace_info: PACEInfo | None = None
    pace_unsupported: bool = False  # EF.CardAccess lists PACE, but no variant we implement
    used_tag84: bool = False
    reopened: int = 0
    sod: EFSOD | None = None
    com: EFCOM | None = None
    wanted: list[int] = field(default_factory=list)


class Reader:
    """Runs the steps of a read over a transport; ``read()`` returns the ``ReadResult``."""

    def __init__(
        self,
        transport: Transport,
        key: CanKey | MrzKey,
        *,
        rng: Rng = os.urandom,
        progress: Progress | None = None,
        want_chip_auth: bool = True,
        want_active_auth: bool = True,
        keep_log: bool = False,
    ) -> None:
        result = ReadResult()
        session = Session(transport, stats=result.stats, keep_log=keep_log)
        self.transport = transport
        self.progress = progress
        self.want_chip_auth = want_chip_auth
        self.want_active_auth = want_active_auth
        self.state = _State(key, rng, session, FileReader(session), result)

    @property
    def session(self) -> Session:
        return self.state.session

    def steps(self) -> list[tuple[Phase, Callable[[_State], None]]]:
        out: list[tuple[Phase, Callable[[_State], None]]] = [
            (Phase.CONNECT, step_detect_extended_length),
            (Phase.ACCESS_CONTROL, step_read_card_access),
            (Phase.ACCESS_CONTROL, step_access_control),
            (Phase.READ_FILES, step_read_com_and_sod),
            (Phase.READ_FILES, step_read_data_groups),
        ]
        if self.want_chip_auth:
            out.append((Phase.CHIP_AUTHENTICATION, step_chip_authentication))
        if self.want_active_auth:
            out.append((Phase.ACTIVE_AUTHENTICATION, step_active_authentication))
        return out

    def read(self) -> ReadResult:
        st = self.state
        current: Phase | None = None
        try:
            for phase, step in self.steps():
                if phase is not current:
                    current = phase
                    if self.progress:
                        self.progress(phase)
                with st.session.phase(phase):
                    step(st)
            st.result.complete = True
        except CardError as exc:
            if exc.step is None and current is not None:
                exc.step = current.value  # where the read stopped, for the report
            st.result.error = exc
            st.result.complete = False
            log.info("read stopped in %s: %s", current.value if current else "-", exc.code)
        except Exception as exc:  # a bug must not escape as a traceback at the kiosk
            # Type only at error level: a message could quote card data; the trace is for debugging.
            log.error(
                "read failed unexpectedly in %s: %s",
                current.value if current else "-",
                type(exc).__name__,
            )
            log.debug("unexpected failure", exc_info=True)
            st.result.error = CardError(
                f"The read failed unexpectedly ({type(exc).__name__}).",
                step=current.value if current else None,
            )
            st.result.complete = False
        st.result.extended_length = st.files.extended_length
        if st.result.complete and self.progress:
            self.progress(Phase.DONE)
        return st.result


def read_document(
    transport: Transport,
    key: CanKey | MrzKey,
    *,
    rng: Rng = os.urandom,
    progress: Progress | None = None,
    want_chip_auth: bool = True,
    want_active_auth: bool = True,
) -> ReadResult:
    """Read every file the card's SOD lists, plus CA and AA; never raises a ``CardError``."""
    return Reader(
        transport,
        key,
        rng=rng,
        progress=progress,
        want_chip_auth=want_chip_auth,
        want_active_auth=want_active_auth,
    ).read()


# -- steps ---------------------------------------------------------------------


def step_detect_extended_length(st: _State) -> None:
    """Extended length only when the card says so: ATR first, EF.ATR/INFO when the ATR is silent."""
    atr = bytes(getattr(st.session.transport, "atr", b"") or b"")
    ext = extended_length_from_atr(atr)
    max_response = None
    if ext is None:
        raw = _read_plain_optional(st, FID_ATR_INFO)
        if raw:
            info = AtrInfo.from_bytes(raw)
            ext, max_response = info.extended_length, info.max_response
    st.files.extended_length = bool(ext)
    if max_response:
        st.files.max_response = min(max_response, st.files.max_response + 2) - 2


def _read_plain_optional(st: _State, fid: int) -> bytes | None:
    """A file outside the application, read before access control; None when absent or refused."""
    name = file_name(fid)
    for attempt in (1, 2):
        try:
            raw = st.files.read_file(fid)
            break
        except FileNotFoundOnCard:
            return None
        except (StatusWordError, ParseError) as exc:
            # 6987/6988: the card still holds an earlier session's keys and has just dropped them.
            if attempt == 1 and exc.sw in (
                SW_SM_DATA_OBJECTS_MISSING,
                SW_SM_DATA_OBJECTS_INCORRECT,
            ):
                continue
            st.result.file_errors[name] = exc
            return None
    st.result.files[name] = raw
    return raw


def step_read_card_access(st: _State) -> None:
    raw = _read_plain_optional(st, FID_CARD_ACCESS)
    if raw is None:
        return
    with st.session.phase("parse"):
        try:
            infos = security_infos.parse(raw, file="EF.CardAccess")
        except ParseError as exc:
            st.result.file_errors["EF.CardAccess"] = exc
            return
    usable = [i for i in infos.pace_infos if _pace_usable(i)]
    # CAM proves the chip genuine in the same run; GM is the CCCD's; IM last.
    usable.sort(key=lambda i: _MAPPING_PREFERENCE.get(i.mapping, len(_MAPPING_PREFERENCE)))
    st.pace_info = usable[0] if usable else None
    st.pace_unsupported = bool(infos.pace_infos) and st.pace_info is None


_MAPPING_PREFERENCE = {"CAM": 0, "GM": 1, "IM": 2}
FID_CARD_SECURITY = 0x011D  # in the MF; the application's 011D is EF.SOD


def _pace_usable(info: PACEInfo) -> bool:
    try:
        alg = pace.algorithm(info.protocol)
        pace.domain_for(alg, info.parameter_id)
    except CardError:  # unknown OID, mapping other than GM, unknown parameter id
        return False
    return True


def step_access_control(st: _State) -> None:
    if st.pace_info is not None:
        try:
            _run_pace(st, first_use_tag84=True)
        except AccessDeniedError:
            raise  # a wrong key is never retried
        except AccessControlError as exc:
            if not isinstance(st.key, MrzKey):
                raise
            log.info("PACE failed (%s); falling back to BAC", exc.code)
            st.session.end_secure_messaging()
        else:
            if st.result.chip_auth_mapping.performed:
                _read_card_security(st)
            try:
                st.files.select_application()
            except SecureMessagingError as exc:
                reopen(st, exc, step="select_application", file=None)
            return
    _run_bac(st)


def _run_pace(st: _State, *, first_use_tag84: bool) -> None:
    info = st.pace_info
    if info is None:  # callers run PACE only when EF.CardAccess offered it
        raise AccessControlError("The card offers no PACE parameters.", step="pace")
    res = pace.run_with_fallback(
        st.session,
        st.key,
        info.protocol,
        info.parameter_id,
        first_use_tag84=first_use_tag84,
        rng=st.rng,
        extended_length=st.files.extended_length,
    )
    st.used_tag84 = res.used_tag84
    if res.mapping == "CAM":
        st.result.chip_auth_mapping = ChipAuthMappingOutcome(
            performed=True,
            parameter_id=info.parameter_id,
            chip_mapping_public_key=res.chip_mapping_public_key,
            chip_authentication_data=res.chip_authentication_data,
            error=res.chip_authentication_data_error,
        )
    st.result.access_protocol = res.access_protocol
    st.result.pace_oid = info.protocol
    st.result.pace_parameter_id = info.parameter_id


def _read_card_security(st: _State) -> None:
    """EF.CardSecurity, under the PACE channel and before the application is selected."""
    name = "EF.CardSecurity"
    try:
        st.files.select_file(FID_CARD_SECURITY, name)
        st.result.files[name] = st.files.read_selected(name)
    except (StatusWordError, ParseError) as exc:
        st.result.file_errors[name] = _located(exc, "read_file", name)
    except SecureMessagingError as exc:
        # Re-open the channel and go on without the file: a re-opened channel has the
        # application selected, where 011D is EF.SOD, so EF.CardSecurity is not retried.
        st.result.file_errors[name] = _located(exc, "read_file", name)
        reopen(st, exc, step=exc.step or "read_binary", file=name)


def _run_bac(st: _State) -> None:
    if not isinstance(st.key, MrzKey) and st.pace_unsupported:
        raise AccessControlError(
            "This card's kind of PACE is not supported here: use its MRZ data "
            "(document number, dates of birth and expiry) instead of the CAN.",
            step="access_control",
        )
    if not isinstance(st.key, MrzKey) and "EF.CardAccess" in st.result.file_errors:
        # The file that names the card's PACE could not be read or parsed: that is the
        # problem to report, not the key (the card may well accept the CAN).
        raise AccessControlError(
            "The card's EF.CardAccess could not be read, so PACE with the CAN "
            "cannot start: place the card again, or use its MRZ data.",
            step="read_card_access",
            file="EF.CardAccess",
        )
    if not isinstance(st.key, MrzKey):
        raise AccessControlError(
            "This card opens only with its MRZ data (document number, dates of "
            "birth and expiry), not with the CAN.",
            step="access_control",
        )
    st.session.end_secure_messaging()
    st.files.select_application()  # BAC runs inside the eMRTD application
    bac.run(st.session, st.key, rng=st.rng)
    st.result.access_protocol = "BAC"


def reopen(st: _State, cause: CardError, *, step: str, file: str | None) -> None:
    """Open the secure channel again (after the card closed it) the way it worked before.

    Each re-open is noted in ``ReadResult.incidents`` (step, file, code: no card data), so a
    read that needed one is never reported as if nothing happened.
    """
    incident = Incident.from_error(cause, step=step, file=file)
    if st.reopened >= MAX_REOPEN:
        where = f" while reading {incident.file}" if incident.file else ""
        raise SecureMessagingError(
            f"The secure channel to the card kept failing{where}.",
            step=incident.step,
            file=incident.file,
            sw=cause.sw,
        )
    st.result.incidents.append(incident)
    st.reopened += 1
    st.session.end_secure_messaging()
    with st.session.phase(Phase.ACCESS_CONTROL):
        for attempt in (1, 2):
            try:
                if st.result.access_protocol == "BAC":
                    _run_bac(st)
                else:
                    _run_pace(st, first_use_tag84=st.used_tag84)
                    st.files.select_application()
                return
            except (AccessControlError, StatusWordError) as exc:
                # When only our side saw the channel fail, the card still expects protected
                # commands: it answers the first plain one with 6987/6988 and drops its keys.
                if attempt == 2 or exc.sw not in (
                    SW_SM_DATA_OBJECTS_MISSING,
                    SW_SM_DATA_OBJECTS_INCORRECT,
                ):
                    raise


def _located(exc: CardError, step: str, file: str | None) -> CardError:
    """Put the step and file on an error that lacks them (the session knows neither)."""
    exc.step = exc.step or step
    exc.file = exc.file or file
    return exc


def _read_with_reopen(st: _State, fid: int) -> bytes:
    """Read one file; if the card drops the secure channel (bad MAC, extended length refused in
    plain), re-open it and read the file again."""
    name = file_name(fid)
    try:
        while True:
            try:
                return st.files.read_file(fid)
            except SecureMessagingError as exc:
                log.info("secure channel lost reading %s (%s); re-opening", name, exc.code)
                reopen(st, exc, step=exc.step or "read_binary", file=name)
    except CardError as exc:
        raise _located(exc, "read_file", name) from None


def _read_noting_errors(st: _State, fid: int) -> bytes | None:
    name = file_name(fid)
    try:
        raw = _read_with_reopen(st, fid)
    except (StatusWordError, ParseError) as exc:  # 6982 on DG3, 6A82, a broken length...
        st.result.file_errors[name] = _located(exc, "read_file", name)
        return None
    st.result.files[name] = raw
    return raw


def step_read_com_and_sod(st: _State) -> None:
    com_raw = _read_noting_errors(st, FID_COM)
    sod_raw = _read_noting_errors(st, FID_SOD)
    with st.session.phase("parse"):
        if com_raw is not None:
            try:
                st.com = EFCOM.from_bytes(com_raw)
            except ParseError as exc:
                st.result.file_errors["EF.COM"] = exc
        if sod_raw is not None:
            try:
                st.sod = EFSOD.from_bytes(sod_raw)
            except ParseError as exc:
                st.result.file_errors["EF.SOD"] = exc
    # The SOD decides; groups EF.COM lists beyond it are read too, so verification can flag them.
    wanted = set(st.sod.dg_hashes) if st.sod else set()
    if st.com:
        wanted |= set(st.com.data_groups)
    st.wanted = sorted(n for n in wanted if 1 <= n <= 16)
    if not st.wanted:
        raise ParseError(
            "Neither EF.SOD nor EF.COM says which data groups the card holds.",
            step="read_files",
            file="EF.SOD",
        )


def step_read_data_groups(st: _State) -> None:
    for number in st.wanted:
        _read_noting_errors(st, fid_of_dg(number))


def _dg14_key(
    st: _State,
) -> tuple[str, int | None, bytes, _curves.NamedCurve | _dh.DHGroup] | None:
    """(protocol OID, key id, public key bytes, domain) for CA, or None when DG14 has no key."""
    raw = st.result.files.get("DG14")
    if raw is None:
        return None
    with st.session.phase("parse"):
        try:
            dg14 = DG14.from_bytes(raw)
        except ParseError as exc:
            st.result.file_errors["DG14"] = exc
            return None
    info, key = dg14.chip_authentication_pair()
    if key is None or key.public_key is None:
        return None
    pk = key.public_key
    if pk.algorithm == "ec":
        if pk.curve is None or not pk.point:
            raise ChipAuthenticationError(
                "DG14's Chip Authentication key uses an unknown curve.", step="ca_key", file="DG14"
            )
        oid = (
            info.protocol if info else chipauth.ID_CA_ECDH + ".1"
        )  # no CAInfo: 3DES (9303-11 §6.2)
        return (
            oid,
            (info.key_id if info and info.key_id is not None else key.key_id),
            pk.point,
            pk.curve,
        )
    if pk.algorithm == "dh" and pk.dh_p and pk.dh_g and pk.dh_y:
        group = _dh.DHGroup("DG14", None, pk.dh_p, pk.dh_g, pk.dh_q or (pk.dh_p - 1) // 2)
        oid = info.protocol if info else chipauth.ID_CA_DH + ".1"
        return (
            oid,
            (info.key_id if info and info.key_id is not None else key.key_id),
            group.encode(pk.dh_y),
            group,
        )
    raise ChipAuthenticationError(
        "DG14's Chip Authentication key is of an unknown kind.", step="ca_key", file="DG14"
    )


def step_chip_authentication(st: _State) -> None:
    if st.result.chip_auth_mapping.performed:
        return  # PACE-CAM already made the chip prove its static key (9303-11 §4.4.3.5)
    oid = key_id = None
    try:
        found = _dg14_key(st)
        if found is None:
            return
        oid, key_id, point, domain = found
        res = chipauth.run(st.session, oid, point, domain, key_id, rng=st.rng)
        outcome = res.to_outcome(established=False)
        # Prove the new keys: the card's answer must verify under them.
        st.files.select_file(FID_COM)
        outcome.established = True
        st.result.chip_auth = outcome
    except (ChipAuthenticationError, SecureMessagingError, StatusWordError) as exc:
        error = (
            exc
            if isinstance(exc, ChipAuthenticationError)
            else ChipAuthenticationError(step=exc.step or "ca_check", sw=exc.sw)
        )
        st.result.chip_auth = chipauth.outcome_of_error(oid, key_id, error)
        if st.session.secure_messaging is None and _more_to_do_after_ca(st):
            reopen(st, exc, step=exc.step or "chip_authentication", file=None)


def _more_to_do_after_ca(st: _State) -> bool:
    return "DG15" in st.result.files


def step_active_authentication(st: _State) -> None:
    if "DG15" not in st.result.files:
        return
    try:
        st.result.active_auth = activeauth.run(
            st.session, rng=st.rng, extended_length=st.files.extended_length
        )
    except (StatusWordError, SecureMessagingError) as exc:
        st.result.active_auth = ActiveAuthOutcome(performed=True, error=exc)


__all__ = ["Reader", "read_document"]
