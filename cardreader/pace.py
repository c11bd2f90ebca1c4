"""PACE v2 (ICAO Doc 9303-11 §4.4): generic mapping (App. G.1), and for ECDH the Integrated
Mapping (``cardreader.pace_im``, App. H.1) and Chip Authentication Mapping
(``cardreader.pace_cam``, App. I.1).

Pure functions make every decision (K_pi, nonce, mapping, keys, tokens, the
commands and the parsing of answers); ``run`` does the I/O through the session:

  MSE:Set AT  ->  GA (encrypted nonce)  ->  GA (map)  ->  GA (key agreement)  ->  GA (tokens)

With IM the map step sends the terminal's nonce t in the clear instead of a key; with CAM the
last answer also carries the chip's encrypted authentication data '8A'.
All but the last GENERAL AUTHENTICATE are chained (CLA 10). Afterwards secure
messaging starts with SSC = 0. A DH public key (128 or 256 bytes) makes a
GENERAL AUTHENTICATE longer than 255 bytes: it goes in one extended APDU when
the card supports extended length, else as ISO/IEC 7816-4 command chaining
(pieces of at most 255 bytes, CLA bit 10 on all but the last piece).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from ecdsa.ellipticcurve import INFINITY, PointJacobi

from cardreader import pace_cam, pace_im
from cardreader import tlv as _tlv
from cardreader.accesskey import CanKey, MrzKey
from cardreader.apdu import (
    SW_LC_INCONSISTENT,
    SW_WRONG_DATA,
    CommandAPDU,
    ResponseAPDU,
    is_access_denied,
)
from cardreader.errors import AccessControlError, AccessDeniedError, CardError, ParseError
from cardreader.session import Session
from cardreader.sm import SecureMessaging, tlv
from crypto import curves as _curves
from crypto import dh as _dh
from crypto.kdf import kdf
from crypto.mac import aes_cmac, pad, retail_mac
from crypto.smcipher import aes_cbc_decrypt, tdes_cbc_decrypt

Rng = Callable[[int], bytes]

ID_PACE = "0.4.0.127.0.7.2.2.4"
_CIPHER_SUFFIX = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}
_MAPPINGS = {
    1: ("DH", "GM"),
    2: ("ECDH", "GM"),
    3: ("DH", "IM"),
    4: ("ECDH", "IM"),
    6: ("ECDH", "CAM"),
}


# N818 ignored: the name is public (reader, tests) and reads as the event it reports.
class PaceParameterRejected(AccessControlError):
    """MSE:Set AT answered 6A80/6A87: the card wants the parameter id the other way."""

    code = "pace_parameters_rejected"
    default_message = "The card rejected the PACE parameters."


# -- object identifiers --------------------------------------------------------
def encode_oid(dotted: str) -> bytes:
    """DER content octets of an OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2:
        raise ValueError("an OID has at least two arcs")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


@dataclass(frozen=True)
class PaceAlgorithm:
    oid: str
    agreement: str  # 'ECDH' or 'DH'
    mapping: str  # 'GM', 'IM' or 'CAM'
    cipher: str  # '3DES', 'AES-128', 'AES-192', 'AES-256'


def algorithm(oid: str) -> PaceAlgorithm:
    """Decode an id-PACE-* OID: GM (DH, ECDH), IM (ECDH with AES-128), CAM (ECDH with AES)."""
    prefix, _, rest = oid.rpartition(".")
    base, _, mapping = prefix.rpartition(".")
    try:
        agreement, kind = _MAPPINGS[int(mapping)]
        cipher = _CIPHER_SUFFIX[int(rest)]
    except (KeyError, ValueError):
        base = ""
    if base != ID_PACE:
        raise AccessControlError(f"Unknown PACE protocol {oid}.", step="mse_set_at")
    supported = (
        kind == "GM"
        or (kind == "IM" and agreement == "ECDH" and cipher == "AES-128")
        or (kind == "CAM" and cipher.startswith("AES"))
    )
    if not supported:
        raise AccessControlError(
            f"PACE {agreement}-{kind} with {cipher} is not supported.", step="mse_set_at"
        )
    return PaceAlgorithm(oid, agreement, kind, cipher)


# -- key agreement domains -----------------------------------------------------
class EcDomain:
    """ECDH on a named curve; public keys are uncompressed points (tag 86 in 7F49)."""

    public_key_tag = 0x86

    def __init__(self, curve: _curves.NamedCurve, generator: PointJacobi | None = None):
        self.curve = curve
        self.generator = generator if generator is not None else curve.generator
        self.order = curve.order

    def with_generator(self, generator: PointJacobi) -> EcDomain:
        return EcDomain(self.curve, generator)

    def public(self, sk: int) -> PointJacobi:
        return self.generator * sk

    def encode(self, pk: PointJacobi) -> bytes:
        return self.curve.encode_point(pk)

    def decode(self, data: bytes) -> PointJacobi:
        return self.curve.decode_point(data)  # checks the point is on the curve

    def agree(self, sk: int, pk: PointJacobi) -> PointJacobi:
        """The shared point sk * PK (never the point at infinity)."""
        point = pk * sk
        if point == INFINITY:
            raise ValueError("key agreement gave the point at infinity")
        return point

    def shared_secret(self, sk: int, pk: PointJacobi) -> bytes:
        """The x-coordinate of sk * PK, field-size bytes."""
        return int(self.agree(sk, pk).x()).to_bytes(self.curve.field_size, "big")

    def map_generator(self, s: int, h: PointJacobi) -> EcDomain:
        """Generic mapping: G' = s * G + H."""
        g = self.curve.generator * s + h
        if g == INFINITY:
            raise ValueError("mapped generator is the point at infinity")
        return self.with_generator(g)


class DhDomain:
    """Finite-field DH; public keys are group elements of p's length (tag 84 in 7F49)."""

    public_key_tag = 0x84

    def __init__(self, group: _dh.DHGroup, generator: int | None = None):
        self.group = group
        self.generator = group.g if generator is None else generator
        self.order = group.q

    def public(self, sk: int) -> int:
        return pow(self.generator, sk, self.group.p)

    def encode(self, pk: int) -> bytes:
        return self.group.encode(pk)

    def decode(self, data: bytes) -> int:
        return self.group.decode(data)

    def agree(self, sk: int, pk: int) -> int:
        return pow(pk, sk, self.group.p)

    def shared_secret(self, sk: int, pk: int) -> bytes:
        return self.group.encode(self.agree(sk, pk))

    def map_generator(self, s: int, h: int) -> DhDomain:
        """Generic mapping: g' = g^s * h mod p."""
        g = pow(self.group.g, s, self.group.p) * h % self.group.p
        if g in (0, 1):
            raise ValueError("mapped generator is degenerate")
        return DhDomain(self.group, g)


Domain = EcDomain | DhDomain
KeyGen = Callable[[Domain], int]


def domain_for(alg: PaceAlgorithm, parameter_id: int | None) -> Domain:
    if parameter_id is None:
        raise AccessControlError(
            "PACE without a standardized parameter id is not supported.", step="mse_set_at"
        )
    try:
        if alg.agreement == "ECDH":
            return EcDomain(_curves.by_pace_id(parameter_id))
        return DhDomain(_dh.by_pace_id(parameter_id))
    except (_curves.CurveError, _dh.DHError) as exc:
        raise AccessControlError(
            f"PACE parameter id {parameter_id} does not fit {alg.agreement}.", step="mse_set_at"
        ) from exc


def random_private_key(rng: Rng, order: int) -> int:
    """A scalar in [1, order - 1] from rng bytes (8 extra bytes make the bias negligible)."""
    n = (order.bit_length() + 7) // 8 + 8
    return int.from_bytes(rng(n), "big") % (order - 1) + 1


# -- pure steps ----------------------------------------------------------------
def derive_k_pi(password: bytes, cipher: str) -> bytes:
    return kdf(password, 3, cipher)


def decrypt_nonce(k_pi: bytes, z: bytes, cipher: str) -> bytes:
    block = 8 if cipher == "3DES" else 16
    if not z or len(z) % block:
        raise ValueError("encrypted nonce is not whole cipher blocks")
    if cipher == "3DES":
        return tdes_cbc_decrypt(k_pi, z)
    return aes_cbc_decrypt(k_pi, bytes(16), z)


def session_keys(shared_secret: bytes, cipher: str) -> tuple[bytes, bytes]:
    return kdf(shared_secret, 1, cipher), kdf(shared_secret, 2, cipher)


def public_key_data(oid: str, domain: Domain, public_key: bytes) -> bytes:
    """The 7F49 public key data object the authentication tokens are computed over."""
    return tlv(0x7F49, tlv(0x06, encode_oid(oid)) + tlv(domain.public_key_tag, public_key))


def auth_token(k_mac: bytes, cipher: str, oid: str, domain: Domain, public_key: bytes) -> bytes:
    """T = MAC(K_mac, 7F49 object of the *other* party's ephemeral key), 8 bytes."""
    data = public_key_data(oid, domain, public_key)
    if cipher == "3DES":
        return retail_mac(k_mac, pad(data, 8))
    return aes_cmac(k_mac, data)[:8]


def build_mse_set_at(
    oid: str, password_reference: int, parameter_id: int | None, use_tag84: bool
) -> CommandAPDU:
    data = tlv(0x80, encode_oid(oid)) + tlv(0x83, bytes((password_reference,)))
    if use_tag84 and parameter_id is not None:
        data += tlv(0x84, bytes((parameter_id,)))
    return CommandAPDU(0x00, 0x22, 0xC1, 0xA4, data)


def build_general_authenticate(
    tag: int | None, value: bytes = b"", *, last: bool = False
) -> CommandAPDU:
    """GENERAL AUTHENTICATE with dynamic authentication data 7C; chained unless last."""
    inner = tlv(tag, value) if tag is not None else b""
    data = tlv(0x7C, inner)
    return CommandAPDU(
        0x00 if last else 0x10, 0x86, 0x00, 0x00, data, ne=65536 if len(data) > 255 else 256
    )


MAX_SHORT_DATA = 255


def chain_command(cmd: CommandAPDU, piece: int = MAX_SHORT_DATA) -> list[CommandAPDU]:
    """ISO/IEC 7816-4 §5.3.3 command chaining of a data field longer than a short APDU holds.

    Every piece but the last sets CLA bit 10 and has no Le; the last keeps the command's own
    CLA (which for PACE may itself say "more GENERAL AUTHENTICATE follow") and its Le, short.
    """
    if len(cmd.data) <= piece:
        return [cmd]
    parts = [cmd.data[i : i + piece] for i in range(0, len(cmd.data), piece)]
    out = [CommandAPDU(cmd.cla | 0x10, cmd.ins, cmd.p1, cmd.p2, p) for p in parts[:-1]]
    ne = None if cmd.ne is None else min(cmd.ne, 256)
    return [*out, CommandAPDU(cmd.cla, cmd.ins, cmd.p1, cmd.p2, parts[-1], ne=ne)]


def send_general_authenticate(
    session: Session, cmd: CommandAPDU, description: str, step: str, *, extended_length: bool
) -> ResponseAPDU:
    """One GENERAL AUTHENTICATE: as it is when it fits (or the card takes extended length),
    else chained; each intermediate piece must be acknowledged with 9000."""
    if extended_length or len(cmd.data) <= MAX_SHORT_DATA:
        return session.transmit(cmd, description)
    pieces = chain_command(cmd)
    for i, piece in enumerate(pieces[:-1], 1):
        _check(session.transmit(piece, f"{description} (chained part {i}/{len(pieces)})"), step)
    return session.transmit(pieces[-1], f"{description} (chained part {len(pieces)}/{len(pieces)})")


def parse_general_authenticate(data: bytes, tag: int, step: str) -> bytes:
    """The value of ``tag`` inside the card's 7C answer."""
    found = optional_general_authenticate(data, tag, step)
    if found is None:
        raise AccessControlError(f"The card's PACE answer lacks tag {tag:02X}.", step=step)
    return found


def optional_general_authenticate(data: bytes, tag: int, step: str) -> bytes | None:
    """The value of ``tag`` inside the card's 7C answer, None when the answer has none."""
    try:
        node = _tlv.decode(data)
    except ParseError:
        node = None
    if node is None or node.tag != 0x7C:
        raise AccessControlError("The card's PACE answer is malformed.", step=step)
    found = node.find(tag)
    return found.value if found.present else None


def _check(resp: ResponseAPDU, step: str) -> None:
    if resp.is_success:
        return
    if step == "mse_set_at" and resp.sw in (SW_WRONG_DATA, SW_LC_INCONSISTENT):
        raise PaceParameterRejected(step=step, sw=resp.sw)
    if is_access_denied(resp.sw):
        raise AccessDeniedError(step=step, sw=resp.sw)
    raise AccessControlError(f"The card stopped PACE at step {step}.", step=step, sw=resp.sw)


@dataclass
class PaceResult:
    oid: str
    parameter_id: int | None
    password_reference: int
    used_tag84: bool
    k_enc: bytes
    k_mac: bytes
    sm: SecureMessaging
    chip_ephemeral_public_key: bytes
    terminal_ephemeral_public_key: bytes
    mapping: str = "GM"
    # CAM only: the chip's mapping key PK_Map,IC and the decrypted CA_IC, checked later against
    # the static key in a verified EF.CardSecurity (crypto.chip_auth_mapping).
    chip_mapping_public_key: bytes | None = None
    chip_authentication_data: bytes | None = None
    chip_authentication_data_error: str | None = None  # 'cam_data_missing' | 'cam_data_malformed'

    @property
    def access_protocol(self) -> str:
        return "PACE-CAN" if self.password_reference == 2 else "PACE-MRZ"


def run(
    session: Session,
    key: CanKey | MrzKey,
    oid: str,
    parameter_id: int | None,
    *,
    use_tag84: bool = False,
    rng: Rng = os.urandom,
    keygen: KeyGen | None = None,
    extended_length: bool = True,
) -> PaceResult:
    """Perform PACE and start secure messaging on the session (SSC = 0).

    ``keygen(domain) -> private key`` is called twice (mapping key, then the
    ephemeral key); by default it draws from ``rng``. ``extended_length=False``
    (the card does not offer it) sends long GENERAL AUTHENTICATE data chained.
    """

    def send(cmd: CommandAPDU, description: str, step: str) -> ResponseAPDU:
        return send_general_authenticate(
            session, cmd, description, step, extended_length=extended_length
        )

    alg = algorithm(oid)
    domain = domain_for(alg, parameter_id)
    keygen = keygen or (lambda d: random_private_key(rng, d.order))
    session.end_secure_messaging()
    step = "mse_set_at"
    try:
        resp = session.transmit(
            build_mse_set_at(oid, key.password_reference, parameter_id, use_tag84),
            "PACE MSE:Set AT",
        )
        _check(resp, step)

        step = "encrypted_nonce"
        resp = session.transmit(build_general_authenticate(None), "PACE GA encrypted nonce")
        _check(resp, step)
        z = parse_general_authenticate(resp.data, 0x80, step)
        k_pi = derive_k_pi(key.pace_password, alg.cipher)
        s = decrypt_nonce(k_pi, z, alg.cipher)

        step = "map_nonce"
        pk_map_ic_raw: bytes | None = None
        if alg.mapping == "IM":
            assert isinstance(domain, EcDomain)  # algorithm() allows IM with ECDH only
            t = rng(pace_im.NONCE_LENGTH)
            resp = send(build_general_authenticate(0x81, t), "PACE GA map nonce (IM)", step)
            _check(resp, step)
            optional_general_authenticate(resp.data, 0x82, step)  # '82' is empty, if present
            mapped: Domain = domain.with_generator(pace_im.map_generator(domain.curve, s, t))
        else:
            sk_map = keygen(domain)
            resp = send(
                build_general_authenticate(0x81, domain.encode(domain.public(sk_map))),
                "PACE GA map nonce",
                step,
            )
            _check(resp, step)
            pk_map_ic_raw = parse_general_authenticate(resp.data, 0x82, step)
            pk_map_ic = domain.decode(pk_map_ic_raw)
            mapped = domain.map_generator(int.from_bytes(s, "big"), domain.agree(sk_map, pk_map_ic))

        step = "key_agreement"
        sk_eph = keygen(mapped)
        pk_ifd = mapped.encode(mapped.public(sk_eph))
        resp = send(build_general_authenticate(0x83, pk_ifd), "PACE GA key agreement", step)
        _check(resp, step)
        pk_ic = parse_general_authenticate(resp.data, 0x84, step)
        if pk_ic == pk_ifd:
            raise AccessControlError("The card echoed the terminal's ephemeral key.", step=step)
        shared = mapped.shared_secret(sk_eph, mapped.decode(pk_ic))
        k_enc, k_mac = session_keys(shared, alg.cipher)

        step = "mutual_authentication"
        t_ifd = auth_token(k_mac, alg.cipher, oid, mapped, pk_ic)
        resp = session.transmit(
            build_general_authenticate(0x85, t_ifd, last=True), "PACE GA mutual authentication"
        )
        _check(resp, step)
        t_ic = parse_general_authenticate(resp.data, 0x86, step)
        if not hmac.compare_digest(t_ic, auth_token(k_mac, alg.cipher, oid, mapped, pk_ifd)):
            raise AccessDeniedError(step=step)
        ca_ic, cam_error = None, None
        if alg.mapping == "CAM":
            # The channel is open either way: a missing or broken A_IC is a verdict on the
            # chip's authenticity (crypto.chip_auth_mapping), not a failed access.
            a_ic = optional_general_authenticate(resp.data, pace_cam.TAG_ENCRYPTED_CA_DATA, step)
            if a_ic is None:
                cam_error = "cam_data_missing"
            else:
                try:
                    ca_ic = pace_cam.decrypt_chip_authentication_data(k_enc, a_ic)
                except pace_cam.ChipAuthenticationDataError:
                    cam_error = "cam_data_malformed"
    except CardError:
        raise
    except (ValueError, ArithmeticError) as exc:
        # An invalid point, group element or cryptogram from the card.
        raise AccessControlError(
            f"The card sent an invalid value during PACE ({step}).", step=step
        ) from exc
    sm = SecureMessaging.from_keys(alg.cipher, k_enc, k_mac, 0)
    session.start_secure_messaging(sm)
    return PaceResult(
        oid,
        parameter_id,
        key.password_reference,
        use_tag84 and parameter_id is not None,
        k_enc,
        k_mac,
        sm,
        pk_ic,
        pk_ifd,
        alg.mapping,
        pk_map_ic_raw if alg.mapping == "CAM" else None,
        ca_ic,
        cam_error,
    )


def run_with_fallback(
    session: Session,
    key: CanKey | MrzKey,
    oid: str,
    parameter_id: int | None,
    *,
    first_use_tag84: bool = True,
    rng: Rng = os.urandom,
    keygen: KeyGen | None = None,
    extended_length: bool = True,
) -> PaceResult:
    """``run``, retried once the other way round when MSE:Set AT answers 6A80/6A87.

    Some chips require the parameter id (tag 84), others reject it.
    """
    try:
        return run(
            session,
            key,
            oid,
            parameter_id,
            use_tag84=first_use_tag84,
            rng=rng,
            keygen=keygen,
            extended_length=extended_length,
        )
    except PaceParameterRejected:
        if parameter_id is None:  # nothing to toggle: tag 84 is never sent without an id
            raise
        return run(
            session,
            key,
            oid,
            parameter_id,
            use_tag84=not first_use_tag84,
            rng=rng,
            keygen=keygen,
            extended_length=extended_length,
        )
