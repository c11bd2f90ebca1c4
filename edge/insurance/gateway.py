"""HTTP client for the BHYT gateway: the token call and the card-check call.

Bounded in time and in bytes: one check (token call, renewal and retry included) never takes
longer than ``settings.timeout`` (4 s), an answer larger than ``max_answer_bytes`` is refused
unread, a network error is retried once on a fresh connection, and when the gateway cannot be
reached (or refuses the account) it is skipped for ``breaker_seconds`` (30 s) and every check
says so instead of waiting. Connections are kept alive and reused (a small pool shared by the
service's threads), the token is taken once per lifetime and renewed once on ``401``.

Nothing here logs a URL (the credentials travel in the query string), a body or an answer:
only reason codes and durations.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from edge.insurance.settings import InsuranceSettings

log = logging.getLogger("cccd_edge.insurance")

TOKEN_PATH = "/api/token/take"
CHECK_PATH = "/api/egw/KQNhanLichSuKCB2024"
READ_CHUNK = 64 * 1024
POOL_SIZE = 32  # idle connections kept; more threads than this simply open their own
DEFAULT_TOKEN_LIFETIME = 1800.0  # when the gateway does not say (seconds)
MAX_TOKEN_LIFETIME = 24 * 3600.0
TOKEN_MARGIN = 0.1  # renew after 90 % of the lifetime, before the gateway refuses it


@dataclass(frozen=True)
class GatewayReply:
    """Either the gateway's JSON answer or the reason there is none (an ``OWN_REASONS`` code)."""

    answer: dict[str, Any] | None = None
    failure: str | None = None
    retry_in: float | None = None  # with ``gateway_skipped``: seconds until the gateway is tried


class _GatewayFailureError(Exception):
    def __init__(self, reason: str, *, opens_breaker: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.opens_breaker = opens_breaker


@dataclass(frozen=True)
class _Token:
    access: str
    id_token: str
    renew_at: float


def md5_hex(text: str) -> str:
    # The gateway's own requirement (the password travels as its MD5 hex), not our security.
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class GatewayClient:
    def __init__(
        self, settings: InsuranceSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        parts = urlsplit(settings.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._base = parts.path.rstrip("/")
        self._settings = settings
        self._password_md5 = md5_hex(settings.password)
        self._clock = clock
        self._ssl = ssl.create_default_context() if self._https else None
        self._pool: list[http.client.HTTPConnection] = []
        self._pool_lock = threading.Lock()
        self._token: _Token | None = None
        self._token_lock = threading.Lock()
        self._open_until = 0.0
        self._breaker_lock = threading.Lock()
        # Counters for the benchmark and /metrics-like questions (no personal data).
        self.token_calls = 0
        self.check_calls = 0

    # --- the check ------------------------------------------------------------------------
    def check(self, card_id: str, full_name: str, birth_date: str) -> GatewayReply:
        """Ask the gateway about one card; ``birth_date`` already ``dd/MM/yyyy`` (or ``yyyy``)."""
        now = self._clock()
        with self._breaker_lock:
            open_until = self._open_until
        if now < open_until:
            return GatewayReply(failure="gateway_skipped", retry_in=round(open_until - now, 1))
        deadline = now + self._settings.timeout
        body = {
            "maThe": card_id,
            "hoTen": full_name,
            "ngaySinh": birth_date,
            "hoTenCb": self._settings.staff_name,
            "cccdCb": self._settings.staff_id,
        }
        try:
            token = self._current_token(deadline)
            status, answer = self._check_once(token, body, deadline)
            if status == 401 or _code(answer) == "401":
                self._forget(token)  # renewed once: a second refusal is the account's problem
                token = self._current_token(deadline)
                status, answer = self._check_once(token, body, deadline)
                if status == 401 or _code(answer) == "401":
                    raise _GatewayFailureError("gateway_auth_failed")
            if status != 200:
                raise _GatewayFailureError("gateway_http_error")
            if answer is None:
                raise _GatewayFailureError("answer_not_json")
            return GatewayReply(answer=answer)
        except _GatewayFailureError as failure:
            if failure.opens_breaker:
                self._open_breaker(failure.reason)
            else:
                log.warning("insurance gateway check failed", extra={"code": failure.reason})
            return GatewayReply(failure=failure.reason)

    def _check_once(
        self, token: _Token, body: dict[str, str], deadline: float
    ) -> tuple[int, dict[str, Any] | None]:
        query = urlencode(
            {
                "token": token.access,
                "id_token": token.id_token,
                "username": self._settings.username,
                "password": self._password_md5,
            }
        )
        self.check_calls += 1
        return self._post(f"{self._base}{CHECK_PATH}?{query}", body, deadline)

    # --- the token --------------------------------------------------------------------------
    def _current_token(self, deadline: float) -> _Token:
        # One thread takes the token while the others wait for it: one token call per lifetime.
        if not self._token_lock.acquire(timeout=max(deadline - self._clock(), 0.001)):
            raise _GatewayFailureError("gateway_timeout")
        try:
            token = self._token
            if token is not None and self._clock() < token.renew_at:
                return token
            self.token_calls += 1
            status, answer = self._post(
                f"{self._base}{TOKEN_PATH}",
                {"username": self._settings.username, "password": self._password_md5},
                deadline,
            )
            key = (answer or {}).get("APIKey")
            if (
                status != 200
                or _code(answer) != "200"
                or not isinstance(key, dict)
                or not isinstance(key.get("access_token"), str)
                or not isinstance(key.get("id_token"), str)
            ):
                # A refused account is not retried at every visit: skipped like an outage.
                raise _GatewayFailureError("gateway_auth_failed", opens_breaker=True)
            lifetime = _lifetime(key.get("expires_in"))
            token = _Token(
                key["access_token"],
                key["id_token"],
                self._clock() + lifetime * (1 - TOKEN_MARGIN),
            )
            self._token = token
            return token
        finally:
            self._token_lock.release()

    def _forget(self, token: _Token) -> None:
        with self._token_lock:
            if self._token is token:  # another thread may have renewed it already
                self._token = None

    # --- HTTP ---------------------------------------------------------------------------------
    def _post(
        self, target: str, body: dict[str, str], deadline: float
    ) -> tuple[int, dict[str, Any] | None]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
        }
        for attempt in (1, 2):
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise _GatewayFailureError("gateway_timeout", opens_breaker=True)
            conn = self._connection()
            try:
                conn.timeout = remaining  # connect (a new connection) ...
                if conn.sock is not None:
                    conn.sock.settimeout(remaining)  # ... or send and read on a reused one
                conn.request("POST", target, body=data, headers=headers)
                resp = conn.getresponse()
                raw = self._read(conn, resp, deadline)
            except TimeoutError:
                conn.close()
                raise _GatewayFailureError("gateway_timeout", opens_breaker=True) from None
            except (OSError, http.client.HTTPException):
                conn.close()
                if attempt == 1:
                    continue  # once, on a fresh connection (a kept-alive one may have been closed)
                raise _GatewayFailureError("gateway_unreachable", opens_breaker=True) from None
            if resp.will_close:
                conn.close()
            else:
                self._give_back(conn)
            return resp.status, _json_object(raw)
        raise _GatewayFailureError("gateway_unreachable", opens_breaker=True)  # not reached

    def _read(
        self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, deadline: float
    ) -> bytes:
        cap = self._settings.max_answer_bytes
        length = resp.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > cap:
            conn.close()
            raise _GatewayFailureError("answer_too_large")
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise TimeoutError
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
            chunk = resp.read(min(READ_CHUNK, cap + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                conn.close()
                raise _GatewayFailureError("answer_too_large")

    def _connection(self) -> http.client.HTTPConnection:
        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, context=self._ssl)
        return http.client.HTTPConnection(self._host, self._port)

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._pool_lock:
            if len(self._pool) < POOL_SIZE:
                self._pool.append(conn)
                return
        conn.close()

    # --- the circuit breaker ------------------------------------------------------------------
    def _open_breaker(self, reason: str) -> None:
        seconds = self._settings.breaker_seconds
        with self._breaker_lock:
            self._open_until = self._clock() + seconds
        log.warning(
            f"insurance gateway skipped for {seconds:g} s after a failure",
            extra={"code": reason},
        )

    @property
    def skipping(self) -> bool:
        with self._breaker_lock:
            return self._clock() < self._open_until

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()


def _code(answer: dict[str, Any] | None) -> str | None:
    """``maKetQua`` as a three-digit string ("0" and 0 are "000"); None when absent or odd."""
    if not answer:
        return None
    value = answer.get("maKetQua")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip().isdigit():
        return None
    return value.strip().zfill(3)


def result_code(answer: dict[str, Any]) -> str | None:
    return _code(answer)


def _lifetime(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME
    if seconds != seconds or seconds <= 0:  # NaN or nonsense
        return DEFAULT_TOKEN_LIFETIME
    return min(seconds, MAX_TOKEN_LIFETIME)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
