"""Signed results: JWS compact serialisation with ES256 (RFC 7515, RFC 7518 §3.4).

The kiosk key is a P-256 key made on first start and kept in the instance
folder with 0600 permissions; its public half is published as a JWKS
(RFC 7517) at ``/v1/keys`` with ``kid`` = the RFC 7638 thumbprint, so a
relying party can check a result offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from edge.secretfile import create_once

ALG = "ES256"
COORD_LEN = 32  # P-256 coordinates and r, s are 32 bytes each in JOSE


class SignatureError(Exception):
    """A JWS did not verify or is not well formed; ``message`` says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise SignatureError("A JWS part is not base64url.") from exc


def _canonical(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode(
        "utf-8"
    )


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict:
    numbers = public_key.public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(COORD_LEN, "big")),
        "y": b64url(numbers.y.to_bytes(COORD_LEN, "big")),
    }
    # RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
    thumb = hashlib.sha256(_canonical({k: jwk[k] for k in ("crv", "kty", "x", "y")})).digest()
    return {**jwk, "kid": b64url(thumb), "use": "sig", "alg": ALG}


def key_from_jwk(jwk: dict) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise SignatureError("Only EC P-256 keys are supported.")
    x = int.from_bytes(b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    try:
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError as exc:
        raise SignatureError("The JWK is not a point on P-256.") from exc


class KioskKey:
    """The kiosk's signing key; ``load_or_create`` keeps it in one PEM file (0600)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("ES256 needs a P-256 key")
        self._key = private_key
        self.jwk = public_jwk(private_key.public_key())
        self.kid: str = self.jwk["kid"]

    @classmethod
    def generate(cls) -> KioskKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def load_or_create(cls, path: str | Path) -> KioskKey:
        def make() -> bytes:
            return ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )

        pem = create_once(path, make)
        return cls(serialization.load_pem_private_key(pem, password=None))  # type: ignore[arg-type]

    def jwks(self) -> dict:
        return {"keys": [self.jwk]}

    def sign(self, payload: dict, *, typ: str = "JWT") -> str:
        header = {"alg": ALG, "kid": self.kid, "typ": typ}
        signing_input = f"{b64url(_canonical(header))}.{b64url(_canonical(payload))}".encode(
            "ascii"
        )
        der = self._key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        # JOSE wants the fixed-width r||s, not DER (RFC 7518 §3.4).
        raw = r.to_bytes(COORD_LEN, "big") + s.to_bytes(COORD_LEN, "big")
        return f"{signing_input.decode('ascii')}.{b64url(raw)}"


def verify_jws(token: str, jwks: dict) -> dict:
    """Check a compact ES256 JWS against a JWKS; return the payload or raise ``SignatureError``."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise SignatureError("A compact JWS has three parts.")
    try:
        header = json.loads(b64url_decode(parts[0]))
    except ValueError as exc:
        raise SignatureError("The JWS header is not JSON.") from exc
    if not isinstance(header, dict) or header.get("alg") != ALG:
        raise SignatureError("Only ES256 is accepted.")
    key = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if key is None:
        raise SignatureError("No key in the JWKS has the JWS's kid.")
    sig = b64url_decode(parts[2])
    if len(sig) != 2 * COORD_LEN:
        raise SignatureError("An ES256 signature is 64 bytes.")
    der = encode_dss_signature(
        int.from_bytes(sig[:COORD_LEN], "big"), int.from_bytes(sig[COORD_LEN:], "big")
    )
    try:
        key_from_jwk(key).verify(
            der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature as exc:
        raise SignatureError("The signature does not verify.") from exc
    try:
        return json.loads(b64url_decode(parts[1]))
    except ValueError as exc:
        raise SignatureError("The JWS payload is not JSON.") from exc
