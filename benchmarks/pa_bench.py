"""Passive-authentication timings: prints figures, asserts nothing.

    .venv/bin/python benchmarks/pa_bench.py [--runs N]

1. Importing the German master list with its signature checked; opening the persisted store.
2. Per document of ../shared/pki/documents (and the BSI reference set), in the same run:
   - ``cccd-edge``: ``crypto.passive_auth.verify`` on the raw EF.SOD bytes (parsing included),
     with the store loaded (the DSC->CSCA signature is cached by the store after the first
     run, as on a kiosk);
   - ``plain``: a plain asn1crypto + cryptography check of the same SOD, written straight
     here: parse, messageDigest = hash(eContent), signature over the DER signedAttrs with
     the embedded DSC's key, and the DG hashes of the DGs present compared with the SOD's.
     No chain, no trust store, no report: the floor a full verification is compared with.
   Then the median over all documents of each (target: cccd-edge <= 2 ms).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ecdsa  # noqa: E402 - after the path set-up above
from asn1crypto import algos as a_algos  # noqa: E402
from asn1crypto import cms as a_cms  # noqa: E402
from asn1crypto import core  # noqa: E402
from asn1crypto import keys as a_keys  # noqa: E402
from asn1crypto import x509 as a_x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

from crypto import passive_auth  # noqa: E402
from crypto.certs import Certificate  # noqa: E402
from crypto.truststore import TrustStore  # noqa: E402

SHARED = ROOT.parent / "shared" / "pki"
AT = datetime(2026, 1, 1, tzinfo=UTC)
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# Explicit EC parameters (brainpool in most eMRTD DSCs) -> the named curve cryptography knows.
NAMED = {
    ecdsa.BRAINPOOLP256r1.curve.p(): ec.BrainpoolP256R1(),
    ecdsa.BRAINPOOLP384r1.curve.p(): ec.BrainpoolP384R1(),
    ecdsa.BRAINPOOLP512r1.curve.p(): ec.BrainpoolP512R1(),
    ecdsa.NIST256p.curve.p(): ec.SECP256R1(),
    ecdsa.NIST384p.curve.p(): ec.SECP384R1(),
    ecdsa.NIST521p.curve.p(): ec.SECP521R1(),
}


class _Hash(core.Sequence):
    _fields: ClassVar = [("n", core.Integer), ("h", core.OctetString)]


class _Hashes(core.SequenceOf):
    _child_spec = _Hash


class _LSO(core.Sequence):
    """LDSSecurityObject, declared here so the plain check needs nothing of cccd-edge."""

    _fields: ClassVar = [
        ("v", core.Integer),
        ("alg", a_algos.DigestAlgorithm),
        ("hashes", _Hashes),
        ("info", core.Any, {"optional": True}),
    ]


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up (and the store's signature cache)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _plain_key(spki: a_keys.PublicKeyInfo):
    alg = spki["algorithm"]
    if alg["algorithm"].native == "rsa":
        n = spki["public_key"].parsed
        return rsa.RSAPublicNumbers(n["public_exponent"].native, n["modulus"].native).public_key()
    params = alg["parameters"]
    if params.name == "named":
        curve = ec.get_curve_for_oid(ec.ObjectIdentifier(params.chosen.dotted))()
    else:
        curve = NAMED[params.chosen["field_id"]["parameters"].native]
    point = spki["public_key"].contents[1:]  # the BIT STRING's unused-bits byte dropped
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)


def plain_check(raw: bytes, dgs: dict[int, bytes]) -> None:
    """Parse and check one SOD with asn1crypto + cryptography only (raises when it fails)."""
    body = raw[2:-2] if raw[1] == 0x80 else raw[2 + (raw[1] & 0x7F if raw[1] & 0x80 else 0) :]
    sd = a_cms.ContentInfo.load(body)["content"]
    econtent = sd["encap_content_info"]["content"].native
    si = sd["signer_infos"][0]
    digest_alg = si["digest_algorithm"]["algorithm"].native
    attrs = si["signed_attrs"]
    md = next(a["values"][0].native for a in attrs if a["type"].native == "message_digest")
    if md != hashlib.new(digest_alg, econtent).digest():
        raise ValueError("message digest")
    cert: a_x509.Certificate = sd["certificates"][0].chosen
    key = _plain_key(cert["tbs_certificate"]["subject_public_key_info"])
    signed = b"\x31" + attrs.dump()[1:]  # [0] IMPLICIT -> SET OF, as signed
    sig_alg = si["signature_algorithm"]
    signature = si["signature"].native
    if isinstance(key, rsa.RSAPublicKey):
        if sig_alg["algorithm"].native == "rsassa_pss":
            p = sig_alg["parameters"]
            h = HASHES[p["hash_algorithm"]["algorithm"].native]()
            mgf = HASHES[p["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
            pad = padding.PSS(padding.MGF1(mgf), p["salt_length"].native)
            key.verify(signature, signed, pad, h)
        else:
            # rsaEncryption alone: the hash comes from the digestAlgorithm
            plain_rsa = sig_alg["algorithm"].native in ("rsa", "rsassa_pkcs1v15")
            digest = HASHES[digest_alg if plain_rsa else sig_alg.hash_algo]()
            key.verify(signature, signed, padding.PKCS1v15(), digest)
    else:
        key.verify(signature, signed, ec.ECDSA(HASHES[sig_alg.hash_algo]()))
    lso = _LSO.load(econtent)
    alg = lso["alg"]["algorithm"].native
    listed = {h["n"].native: h["h"].native for h in lso["hashes"]}
    for n, data in dgs.items():
        if listed.get(n) != hashlib.new(alg, data).digest():
            raise ValueError(f"DG{n}")


def _documents() -> list[tuple[str, bytes, dict[int, bytes]]]:
    out = []
    folders = [*sorted((SHARED / "documents").iterdir()), SHARED / "bsi-tr03105-5"]
    for folder in folders:
        raw = (folder / "EF_SOD.bin").read_bytes()
        dgs = {}
        for f in folder.glob("*.bin"):
            stem = f.stem.replace("Datagroup", "DG")
            if stem.startswith("DG") and stem[2:].isdigit():
                dgs[int(stem[2:])] = f.read_bytes()
        if folder.name.startswith("bsi"):
            dgs.pop(15, None)  # DG15 is not in that SOD
        out.append((folder.name, raw, dgs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    ml = next((SHARED / "master-lists").glob("DE_ML_*.ml")).read_bytes()
    root = Certificate.from_bytes((SHARED / "master-lists" / "DE_ROOT_CA_CSCA07.cer").read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trust.sqlite"
        t = time.perf_counter()
        with TrustStore.open(path) as store:
            added = store.import_master_list(ml, roots=[root]).added
        print(
            f"import German master list ({added} CSCAs, signature checked, persisted): "
            f"{(time.perf_counter() - t) * 1000:.0f} ms  (target <= 2000 ms)"
        )
        starts = []
        for _ in range(5):
            t = time.perf_counter()
            store = TrustStore.open(path)
            n = len(store)
            starts.append((time.perf_counter() - t) * 1000)
            store.close()
        print(
            f"open persisted store ({n} certificates): median {statistics.median(starts):.1f} ms"
            f"  (target <= 200 ms)"
        )
        store = TrustStore.open(path)
        ours, plain = [], []
        print(f"{'document':<16}{'cccd-edge PA':>14}{'plain check':>14}  verdict / currency")
        for name, raw, dgs in _documents():
            res = passive_auth.verify(raw, dgs, store, at=AT)
            plain_check(raw, dgs)  # raises if the plain check disagrees with a genuine SOD
            mine = median_ms(functools.partial(passive_auth.verify, raw, dgs, store, at=AT), runs)
            base = median_ms(functools.partial(plain_check, raw, dgs), runs)
            ours.append(mine)
            plain.append(base)
            print(
                f"{name:<16}{mine:>11.2f} ms{base:>11.2f} ms  {res.status.value} / {res.currency}"
            )
        store.close()
        print(
            f"{'median':<16}{statistics.median(ours):>11.2f} ms{statistics.median(plain):>11.2f} ms"
            f"  (target: cccd-edge <= 2 ms per document)"
        )


if __name__ == "__main__":
    main()
