"""The wrong-record report: a correction request the citizen takes to the social-insurance office.

Built on request from a finished result whose ``insurance.status`` is ``record_mismatch``, never
stored: a JSON document (each wrong field with the chip's verified value and the value on
record, the verification time, the kiosk) signed with the kiosk's JWS key, and the same as a
printable A4 page in Vietnamese that carries the signature for the office to check.
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

from edge.signing import KioskKey

DOCUMENT_TYPE = "bhyt_record_correction_request"
FIELD_LABELS = {
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "sex": "Giới tính",
    "residence": "Nơi cư trú / địa chỉ",
}
HOW_LABELS = {
    "diacritics": "sai dấu tiếng Việt",
    "case": "sai chữ hoa / chữ thường",
    "abbreviation": "viết tắt",
    "day_month_swapped": "đảo ngày và tháng",
    "other": "khác với dữ liệu trên CCCD",
}


def correction_document(claims: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """The request's content: who, which card, which fields, when and where it was verified."""
    insurance = claims["insurance"]
    attributes = claims.get("attributes") or {}
    issued = int(time.time() if now is None else now)
    return {
        "type": DOCUMENT_TYPE,
        "verification_id": claims.get("jti"),
        "kiosk_id": claims.get("iss"),
        "verified_at": _iso(int(claims.get("iat") or issued)),
        "issued_at": _iso(issued),
        "holder": {
            "id_number": attributes.get("id_number"),
            "full_name": attributes.get("full_name"),
        },
        "insurance": {
            "card_number": insurance.get("card_number"),
            "code": insurance.get("code"),
            "reason": insurance.get("reason"),
        },
        "fields": [
            {
                "field": m["field"],
                "label": FIELD_LABELS.get(m["field"], m["field"]),
                "chip": m.get("chip"),
                "insurance": m.get("insurance"),
                "how": m.get("how"),
            }
            for m in insurance.get("mismatches") or []
        ],
        "statement": (
            "Dữ liệu trên chip CCCD đã được xác thực chữ ký số của cơ quan cấp (xác thực thụ động) "
            "tại ki-ốt; đề nghị cơ quan BHXH điều chỉnh thông tin thẻ BHYT theo dữ liệu này."
        ),
    }


def signed_correction(claims: dict[str, Any], key: KioskKey, *, now: float | None = None) -> dict:
    document = correction_document(claims, now=now)
    return {"document": document, "jws": key.sign(document, typ="JWT")}


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _vn_date(value: Any, field: str) -> str:
    text = "" if value is None else str(value)
    if field == "birth_date" and len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:]}/{text[5:7]}/{text[:4]}"
    return text


def correction_html(signed: dict[str, Any]) -> str:
    """The printable page (A4, Vietnamese); every value escaped."""
    doc = signed["document"]
    rows = (
        "\n".join(
            "<tr><th scope='row'>{label}</th><td class='chip'>{chip}</td><td>{rec}</td>"
            "<td>{how}</td></tr>".format(
                label=escape(f["label"]),
                chip=escape(_vn_date(f["chip"], f["field"])),
                rec=escape(_vn_date(f["insurance"], f["field"]) or "(không rõ)"),
                how=escape(HOW_LABELS.get(f.get("how") or "other", "khác")),
            )
            for f in doc["fields"]
        )
        or "<tr><td colspan='4'>Cổng giám định BHYT báo thông tin thẻ không khớp.</td></tr>"
    )
    holder, card = doc["holder"], doc["insurance"]
    meta = "\n".join(
        f"<tr><th scope='row'>{escape(label)}</th><td>{escape(str(value or ''))}</td></tr>"
        for label, value in (
            ("Họ và tên (theo CCCD)", holder.get("full_name")),
            ("Số CCCD", holder.get("id_number")),
            ("Mã thẻ BHYT", card.get("card_number")),
            ("Mã kết quả cổng giám định", card.get("code")),
            ("Thời điểm xác thực", doc["verified_at"]),
            ("Ki-ốt", doc["kiosk_id"]),
        )
    )
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>Phiếu đề nghị điều chỉnh thông tin thẻ BHYT</title>
<style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: "Noto Serif", "Times New Roman", serif; font-size: 12pt; color: #000; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 4mm; }}
.sub {{ text-align: center; margin-bottom: 8mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 4mm 0; }}
th, td {{ border: 1px solid #000; padding: 2mm; text-align: left; vertical-align: top; }}
td.chip {{ font-weight: bold; }}
.sig {{ font-family: monospace; font-size: 7pt; word-break: break-all; margin-top: 6mm; }}
.meta td, .meta th {{ border: none; padding: 1mm 2mm; }}
@media screen {{ body {{ max-width: 180mm; margin: 10mm auto; }} }}
</style>
</head>
<body>
<h1>PHIẾU ĐỀ NGHỊ ĐIỀU CHỈNH THÔNG TIN THẺ BẢO HIỂM Y TẾ</h1>
<p class="sub">Kính gửi: Cơ quan Bảo hiểm xã hội</p>
<table class="meta">
{meta}
</table>
<p>Thông tin trên thẻ BHYT khác với dữ liệu trên chip CCCD:</p>
<table class="fields">
<thead><tr><th>Thông tin</th><th>Đúng (theo chip CCCD)</th><th>Đang ghi trên thẻ BHYT</th>
<th>Sai ở đâu</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p>{escape(doc["statement"])}</p>
<p>Mã xác thực (chữ ký số của ki-ốt, kiểm tra bằng khóa công khai tại /v1/keys):</p>
<p class="sig">{escape(signed["jws"])}</p>
</body>
</html>
"""
