"""Who is calling: a relying party (API key) or the kiosk screen (kiosk token).

API keys come in ``Authorization: Bearer <key>`` or ``X-API-Key``; the key
implies the relying party and so the profile. The kiosk screen, served by
this app, proves itself with a random per-start token, sent as the
``cccd_kiosk`` cookie (so ``EventSource`` works) or ``X-Kiosk-Token``.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Literal, overload

from flask import current_app, request

from edge.api.errors import Forbidden, OperatorUnauthorized, Unauthorized
from edge.config import RelyingParty

KIOSK_COOKIE = "cccd_kiosk"


def _service():
    return current_app.extensions["cccd_edge"]


def api_key_from_request() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None


@overload
def relying_party(optional: Literal[False] = False) -> RelyingParty: ...
@overload
def relying_party(optional: bool) -> RelyingParty | None: ...
def relying_party(optional: bool = False) -> RelyingParty | None:
    key = api_key_from_request()
    rp = _service().config.relying_party_for_key(key) if key else None
    if rp is None and not optional:
        raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="cccd-edge"'})
    return rp


def kiosk_token(app=None) -> str:
    """The token the kiosk screen must present; kiosk_ui sets it as the ``cccd_kiosk`` cookie."""
    app = app or current_app
    return app.extensions["cccd_edge"].kiosk_token


def is_kiosk() -> bool:
    given = request.headers.get("X-Kiosk-Token") or request.cookies.get(KIOSK_COOKIE) or ""
    return bool(given) and hmac.compare_digest(given, _service().kiosk_token)


def require_kiosk() -> None:
    if not is_kiosk():
        raise Unauthorized("This endpoint is for the kiosk screen only.")


# --- operators (/v1/stats, /stats, /metrics) -------------------------------------------------

OPERATOR_REALM = 'Basic realm="cccd-edge operators", charset="UTF-8"'


def operator_key_from_request() -> str | None:
    """``X-Operator-Key``, ``Authorization: Bearer``, or the password of ``Authorization: Basic``
    (so a browser on the statistics page asks once and sends it with the page's own fetches)."""
    key = request.headers.get("X-Operator-Key", "").strip()
    if key:
        return key
    auth = request.authorization
    if auth is not None:
        if auth.type == "bearer" and auth.token:
            return auth.token.strip()
        if auth.type == "basic" and auth.password:
            return auth.password
    return None


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def require_operator() -> None:
    """With ``operator_key_sha256`` set, the key is required; unset, only loopback clients pass."""
    config = _service().config
    if config.operator_key_sha256:
        if not config.operator_key_ok(operator_key_from_request()):
            raise OperatorUnauthorized(headers={"WWW-Authenticate": OPERATOR_REALM})
        return
    if not is_loopback(request.remote_addr):
        raise Forbidden(
            "Statistics and metrics are served to this machine only; set operator_key_sha256 "
            "to open them to others with a key."
        )


class AddressSet:
    """Client addresses and CIDRs, tested with ``in`` (what kiosk_ui's ``allowed_addresses``
    does)."""

    def __init__(self, entries):
        self.entries = tuple(entries)
        self._networks = tuple(ipaddress.ip_network(e, strict=False) for e in self.entries)

    def __contains__(self, address: object) -> bool:
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        candidates = [ip] + ([mapped] if mapped is not None else [])
        return any(
            c in net for c in candidates for net in self._networks if c.version == net.version
        )

    def __iter__(self):
        return iter(self.entries)

    def __repr__(self) -> str:
        return f"AddressSet({list(self.entries)!r})"
