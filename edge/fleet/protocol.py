"""What the kiosk and the fleet service agree on: signed requests, limits, what may be shipped.

Every kiosk request carries ``Authorization: Fleet <JWS>`` (ES256, the kiosk's result-signing
key, ``edge.signing``) and ``X-CCCD-Kiosk: <kiosk id>``. The JWS payload binds the request:

    {"kiosk_id", "method", "path", "ts" (Unix seconds), "nonce", "body_sha256"}

so a body changed in transit, a request replayed (same nonce within the window) or sent with a
clock off by more than ``MAX_SKEW_S`` is refused. Batches are retried with a fresh nonce; the
server counts each event once by (kiosk id, event id), so a retry never counts twice.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from typing import Any

from edge.signing import KioskKey

MAX_SKEW_S = 300  # clock difference tolerated between a kiosk and the fleet service
NONCE_WINDOW_S = 2 * MAX_SKEW_S  # nonces are remembered this long: older requests fail on ts
MAX_BATCH_EVENTS = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
AUTH_SCHEME = "Fleet"
KIOSK_HEADER = "X-CCCD-Kiosk"
JWS_TYPE = "cccd-fleet+jwt"
BUNDLE_TYPE = "cccd-trust-bundle+jwt"

# Never shipped, whatever columns the audit row grows: the keyed ID hash stays on the kiosk, and
# personal fields are refused by name on both sides (defence in depth; the audit row has none).
PRIVATE_FIELDS = frozenset(
    {
        "id_hmac",
        "id_number",
        "full_name",
        "name",
        "date_of_birth",
        "birth_date",
        "address",
        "photo",
        "face_image",
        "can",
        "mrz",
        "access_key",
    }
)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def new_nonce() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")


def sign_request(
    key: KioskKey,
    kiosk_id: str,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request (a new nonce each call)."""
    payload = {
        "kiosk_id": kiosk_id,
        "method": method.upper(),
        "path": path,
        "ts": int(time.time() if now is None else now),
        "nonce": nonce or new_nonce(),
        "body_sha256": body_digest(body),
    }
    return {
        "Authorization": f"{AUTH_SCHEME} {key.sign(payload, typ=JWS_TYPE)}",
        KIOSK_HEADER: kiosk_id,
    }


def shippable(row: dict[str, Any]) -> dict[str, Any]:
    """The audit row as shipped: every column except the private ones."""
    return {k: v for k, v in row.items() if k not in PRIVATE_FIELDS}
