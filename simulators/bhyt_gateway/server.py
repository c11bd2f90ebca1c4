"""The simulator's HTTP server: the token and card-check calls, and a control API.

One process, one free port, keep-alive connections (HTTP/1.1) like a real gateway behind a
load balancer. ``/_sim/mode`` switches the case, ``/_sim/state`` tells a test what arrived
(counts, the last request's body and query), ``/_sim/revoke`` forgets every token so the next
check answers ``401``. The control API exists only here, never in the real contract.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulators.bhyt_gateway.records import MODES, InsuranceRecord, bent, records_for_citizens

TOKEN_PATH = "/api/token/take"
CHECK_PATH = "/api/egw/KQNhanLichSuKCB2024"
MAX_REQUEST = 64 * 1024
HUGE_BYTES = 6 * 1024 * 1024

# The staff member the demo facility has registered (synthetic: no real person).
DEFAULT_STAFF_ID = "001190000001"
DEFAULT_STAFF_NAME = "Nguyễn Thị Nhân Viên"
DEFAULT_USERNAME = "01013_BV"

_FIXED_CODES = {
    "defence": "001",
    "police": "002",
    "replaced_expired": "003",
    "replaced_valid": "004",
    "expired": "010",
    "card_number_wrong": "051",
    "wrong_sex": "080",
    "wrong_facility": "090",
    "register_error": "100",
    "server_error": "101",
    "withdrawn": "110",
    "moved": "120",
    "child": "130",
    "format_error": "205",
    "unknown_code": "999",
}
_NOTES = {
    "000": "Thông tin thẻ chính xác.",
    "001": "Thẻ do BHXH Bộ Quốc phòng quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân.",
    "002": "Thẻ do BHXH Bộ Công an quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân.",
    "003": "Thẻ cũ hết giá trị sử dụng và được cấp thẻ mới.",
    "004": "Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới.",
    "010": "Thẻ hết giá trị sử dụng.",
    "050": "Không thấy thông tin thẻ.",
    "051": "Mã thẻ không đúng.",
    "054": "Số CCCD của cán bộ không đúng với tài khoản của cơ sở KCB.",
    "055": "Họ tên cán bộ không khớp với số CCCD.",
    "070": "Ngày sinh không đúng.",
    "080": "Giới tính không đúng.",
    "090": "Nơi đăng ký KCB ban đầu không đúng.",
    "100": "Lỗi khi lấy dữ liệu số thẻ.",
    "101": "Lỗi server.",
    "110": "Thẻ đã thu hồi.",
    "120": "Thẻ đã báo giảm chuyển ngoại tỉnh.",
    "130": "Trẻ em không xuất trình thẻ.",
    "205": "Lỗi sai định dạng tham số.",
    "999": "Mã kết quả mới.",
}


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _ddmmyyyy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class SimulatorState:
    mode: str = "correct"
    delay: float = 10.0
    token_calls: int = 0
    check_calls: int = 0
    last_request: dict[str, Any] | None = None
    last_token_request: Any = None
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # access -> (id, expiry)


class GatewaySimulator:
    """The server object: ``start()`` in a thread (tests in process) or ``serve_forever()``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        username: str = DEFAULT_USERNAME,
        password: str = "",
        staff_id: str = DEFAULT_STAFF_ID,
        staff_name: str = DEFAULT_STAFF_NAME,
        token_lifetime: int = 3600,
        mode: str = "correct",
        delay: float = 10.0,
        today: date | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
        self.username = username
        self.password_md5 = md5_hex(password)
        self.staff_id = staff_id
        self.staff_name = staff_name
        self.token_lifetime = token_lifetime
        self.today = today
        self.state = SimulatorState(mode=mode, delay=delay)
        self.lock = threading.Lock()
        self.httpd = _Server((host, port), _Handler)
        self.httpd.simulator = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GatewaySimulator:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def set_mode(self, mode: str, delay: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        with self.lock:
            self.state.mode = mode
            if delay is not None:
                self.state.delay = delay

    # --- the two calls of the contract ----------------------------------------------------
    def take_token(self, body: Any) -> dict[str, Any]:
        with self.lock:
            self.state.token_calls += 1
            self.state.last_token_request = body
            mode = self.state.mode
        if (
            mode == "bad_credentials"
            or not isinstance(body, dict)
            or body.get("username") != self.username
            or body.get("password") != self.password_md5
        ):
            return {"maKetQua": "401", "APIKey": None}
        access, id_token = secrets.token_hex(24), secrets.token_hex(16)
        with self.lock:
            self.state.tokens[access] = (id_token, time.monotonic() + self.token_lifetime)
        return {
            "maKetQua": "200",
            "APIKey": {
                "access_token": access,
                "id_token": id_token,
                "token_type": "Bearer",
                "username": self.username,
                "expires_in": self.token_lifetime,
            },
        }

    def authorised(self, query: dict[str, str]) -> bool:
        with self.lock:
            known = self.state.tokens.get(query.get("token", ""))
        return (
            known is not None
            and known[1] > time.monotonic()
            and query.get("id_token") == known[0]
            and query.get("username") == self.username
            and query.get("password") == self.password_md5
        )

    def check_card(self, body: Any, mode: str) -> dict[str, Any]:
        today = self.today or date.today()
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str)
            for k in ("maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb")
        ):
            return {"maKetQua": "205", "ghiChu": _NOTES["205"]}
        birth = body["ngaySinh"]
        if not re.fullmatch(r"\d{2}/\d{2}/\d{4}|\d{4}", birth):
            return {"maKetQua": "205", "ghiChu": _NOTES["205"]}
        if body["cccdCb"] != self.staff_id:
            return {"maKetQua": "054", "ghiChu": _NOTES["054"]}
        if _nfc(body["hoTenCb"]) != _nfc(self.staff_name):
            return {"maKetQua": "055", "ghiChu": _NOTES["055"]}
        record = records_for_citizens(today).get(body["maThe"].strip())
        if record is None or mode == "not_found":
            return {"maKetQua": "050", "ghiChu": _NOTES["050"]}
        record = bent(record, mode, today)
        if mode in _FIXED_CODES:
            code = _FIXED_CODES[mode]
        elif _nfc(body["hoTen"]) != _nfc(record.full_name):
            code = "061" if mode == "wrong_name_first_letter" else "060"
        elif birth != (
            str(record.birth_date.year) if len(birth) == 4 else _ddmmyyyy(record.birth_date)
        ):
            code = "070"
        else:
            code = "000"
        if code in ("051",):
            return {"maKetQua": code, "ghiChu": _NOTES[code]}
        note = _NOTES.get(code, "")
        if code in ("060", "061"):
            note = f"Họ tên không đúng, họ tên đúng : {record.full_name}"
        answer = _answer(record, code, note, today)
        if mode == "missing_fields":
            for key in ("gtTheTu", "gtTheDen", "maThe"):
                answer.pop(key, None)
        if mode == "odd_dates":
            answer["gtTheTu"] = record.valid_from.isoformat()
            answer["gtTheDen"] = record.valid_to.strftime("%m/%d/%Y %H:%M")
        return answer


def _answer(record: InsuranceRecord, code: str, note: str, today: date) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "maKetQua": code,
        "ghiChu": note,
        "maThe": record.card_number,
        "hoTen": record.full_name,
        "ngaySinh": _ddmmyyyy(record.birth_date),
        "gioiTinh": record.sex,
        "diaChi": record.address,
        "maDKBD": record.facility_code,
        "tenDKBDMoi": record.facility_name,
        "cqBHXH": f"Bảo hiểm xã hội tỉnh mã {record.office}",
        "gtTheTu": _ddmmyyyy(record.valid_from),
        "gtTheDen": _ddmmyyyy(record.valid_to),
        "maKV": record.area_code,
        "ngayDu5Nam": _ddmmyyyy(record.five_years_since),
        "maSoBHXH": record.social_insurance_number,
        "maTheCu": None,
        "maTheMoi": None,
        "gtTheTuMoi": None,
        "gtTheDenMoi": None,
        "maDKBDMoi": None,
        "dsLichSuKCB2018": None,
        "dsLichSuKT2018": None,
    }
    if code in ("003", "004"):
        answer.update(
            maTheCu=record.card_number,
            maTheMoi="HC4" + record.card_number[3:],
            gtTheTuMoi=_ddmmyyyy(date(today.year, 1, 1)),
            gtTheDenMoi=_ddmmyyyy(date(today.year, 12, 31)),
            maDKBDMoi=record.facility_code,
        )
    return answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled answer must not keep the process (or a test) alive
    allow_reuse_address = True
    simulator: GatewaySimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a capped read, a timeout) is an expected case here, not news.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients reuse connections
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK wait)
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # The query string carries credentials: the simulator logs nothing either.
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_REQUEST)) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def do_GET(self) -> None:
        sim = self.server.simulator
        if urlsplit(self.path).path == "/_sim/state":
            with sim.lock:
                state = {
                    "mode": sim.state.mode,
                    "delay": sim.state.delay,
                    "token_calls": sim.state.token_calls,
                    "check_calls": sim.state.check_calls,
                    "last_request": sim.state.last_request,
                    "last_token_request": sim.state.last_token_request,
                }
            self._json(200, state)
            return
        self._json(404, {"maKetQua": "404"})

    def do_POST(self) -> None:
        sim = self.server.simulator
        url = urlsplit(self.path)
        body = self._body()
        if url.path == "/_sim/mode":
            try:
                sim.set_mode(str((body or {}).get("mode")), (body or {}).get("delay"))
            except ValueError as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, {"mode": sim.state.mode})
            return
        if url.path == "/_sim/revoke":
            with sim.lock:
                sim.state.tokens.clear()
            self._json(200, {"revoked": True})
            return
        if url.path == "/_sim/reset":
            with sim.lock:
                sim.state = SimulatorState(mode="correct", delay=sim.state.delay)
            self._json(200, {"reset": True})
            return
        if url.path == TOKEN_PATH:
            self._json(200, sim.take_token(body))
            return
        if url.path != CHECK_PATH:
            self._json(404, {"maKetQua": "404"})
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with sim.lock:
            sim.state.check_calls += 1
            sim.state.last_request = {"query": query, "body": body}
            mode, delay = sim.state.mode, sim.state.delay
        if not sim.authorised(query):
            self._json(401, {"maKetQua": "401", "ghiChu": "Chưa xác thực tài khoản."})
            return
        self._fault_or_answer(sim, body, mode, delay)

    def _fault_or_answer(self, sim: GatewaySimulator, body: Any, mode: str, delay: float) -> None:
        if mode == "stall":
            time.sleep(delay)
            self.close_connection = True
            return
        if mode == "drop":
            self.close_connection = True
            return
        if mode == "slow":
            time.sleep(delay)
        if mode == "http_error":
            self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            return
        if mode == "non_json":
            self._send(200, b"<html>Service temporarily unavailable</html>", "text/html")
            return
        if mode == "huge":
            filler = json.dumps([{"maCSKCB": "01013", "tenBenh": "x" * 1000}] * 10)
            parts = [filler] * (HUGE_BYTES // len(filler) + 1)
            payload = '{"maKetQua": "000", "dsLichSuKCB2018": [' + ",".join(parts) + "]}"
            self._send(200, payload.encode())
            return
        self._json(200, sim.check_card(body, mode))
