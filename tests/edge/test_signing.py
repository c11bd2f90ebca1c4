import base64
import hashlib
import json
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from edge.signing import KioskKey, SignatureError, b64url, key_from_jwk, verify_jws


def _dec(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_sign_and_verify_round_trip():
    key = KioskKey.generate()
    token = key.sign({"nonce": "n-1", "attributes": {"full_name": "Nguyễn Văn An"}})
    assert verify_jws(token, key.jwks()) == {
        "nonce": "n-1",
        "attributes": {"full_name": "Nguyễn Văn An"},
    }


def test_jws_is_es256_with_raw_r_s_checked_by_cryptography_directly():
    key = KioskKey.generate()
    token = key.sign({"a": 1})
    h, p, s = token.split(".")
    header = json.loads(_dec(h))
    assert header == {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    sig = _dec(s)
    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    key_from_jwk(key.jwk).verify(der, f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))


def test_kid_is_rfc7638_thumbprint():
    key = KioskKey.generate()
    jwk = key.jwk
    canonical = '{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}'.format(jwk["x"], jwk["y"])
    assert key.kid == b64url(hashlib.sha256(canonical.encode()).digest())


@pytest.mark.parametrize("tamper", ["payload", "signature", "header"])
def test_tampered_token_fails(tamper):
    key = KioskKey.generate()
    h, p, s = key.sign({"iat": 1, "attributes": {"id_number": "001093047064"}}).split(".")
    if tamper == "payload":
        p = b64url(json.dumps({"iat": 1, "attributes": {"id_number": "001093047065"}}).encode())
    elif tamper == "signature":
        s = s[:-2] + ("AA" if s[-2:] != "AA" else "BB")
    else:
        h = b64url(json.dumps({"alg": "none", "kid": key.kid}).encode())
    with pytest.raises(SignatureError):
        verify_jws(f"{h}.{p}.{s}", key.jwks())


def test_other_key_does_not_verify():
    token = KioskKey.generate().sign({"x": 1})
    other = KioskKey.generate()
    with pytest.raises(SignatureError, match="kid"):
        verify_jws(token, other.jwks())


def test_key_file_created_0600_and_reloaded(tmp_path):
    path = tmp_path / "inst" / "kiosk-signing-key.pem"
    first = KioskKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = KioskKey.load_or_create(path)
    assert second.kid == first.kid
    assert verify_jws(second.sign({"k": 2}), first.jwks()) == {"k": 2}


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!.!!.!!"])
def test_malformed_tokens(token):
    with pytest.raises(SignatureError):
        verify_jws(token, KioskKey.generate().jwks())


def test_two_workers_starting_at_once_share_one_key(tmp_path):
    import threading

    path = tmp_path / "kiosk-signing-key.pem"
    kids, barrier = [], threading.Barrier(4)

    def start():
        barrier.wait()
        kids.append(KioskKey.load_or_create(path).kid)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(kids) == 4 and len(set(kids)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["kiosk-signing-key.pem"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
