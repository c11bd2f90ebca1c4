"""Every result code of the gateway (``maKetQua``), and every reason of our own, as one entry:
a stable reason code, the insurance status it gives, and a plain Vietnamese and English sentence.

The statuses: ``eligible`` (the visit can go ahead on insurance), ``not_eligible``,
``record_mismatch`` (the insurance record disagrees with the population data on the chip),
``unavailable`` (no trustworthy answer: the citizen is not to blame) and ``not_checked``.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("eligible", "not_eligible", "record_mismatch", "unavailable", "not_checked")


@dataclass(frozen=True)
class Outcome:
    reason: str  # stable code, what the audit log and the kiosk screen key on
    status: str
    vi: str
    en: str

    def message(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


def _o(reason: str, status: str, vi: str, en: str) -> Outcome:
    return Outcome(reason, status, vi, en)


_STAFF_CHECK_VI = "Nhân viên cần kiểm tra thẻ và giấy tờ tùy thân."
_RETRY_VI = "Chưa kiểm tra được BHYT, nhân viên sẽ kiểm tra giúp."
_RETRY_EN = "The insurance could not be checked now; staff will check it."

GATEWAY_CODES: dict[str, Outcome] = {
    "000": _o("card_valid", "eligible", "Thẻ BHYT còn hiệu lực.", "The insurance card is valid."),
    "001": _o(
        "card_defence_ministry",
        "eligible",
        "Thẻ do BHXH Bộ Quốc phòng quản lý. " + _STAFF_CHECK_VI,
        "The card is managed by the Defence ministry's insurance: staff check the card and papers.",
    ),
    "002": _o(
        "card_public_security",
        "eligible",
        "Thẻ do BHXH Bộ Công an quản lý. " + _STAFF_CHECK_VI,
        "The card is managed by the Public Security ministry's insurance: staff check the card "
        "and papers.",
    ),
    "003": _o(
        "card_replaced_old_expired",
        "eligible",
        "Thẻ cũ đã hết hạn, đã có thẻ mới: khám theo thẻ mới.",
        "The old card expired and a new card was issued: the visit goes on the new card.",
    ),
    "004": _o(
        "card_replaced_old_valid",
        "eligible",
        "Thẻ cũ còn hạn và đã có thẻ mới.",
        "The old card is still valid and a new card was issued.",
    ),
    "010": _o(
        "card_expired",
        "not_eligible",
        "Thẻ BHYT đã hết hạn. Hãy gia hạn thẻ tại cơ quan BHXH hoặc đại lý thu.",
        "The insurance card has expired. Renew it at the social-insurance office or an agent.",
    ),
    "050": _o(
        "card_not_found",
        "not_eligible",
        "Không tìm thấy thẻ BHYT theo số CCCD. Hãy hỏi cơ quan BHXH.",
        "No insurance card was found for this ID number. Ask the social-insurance office.",
    ),
    "051": _o(
        "card_number_wrong",
        "not_eligible",
        "Mã thẻ BHYT không đúng. Hãy hỏi cơ quan BHXH.",
        "The insurance card number is wrong. Ask the social-insurance office.",
    ),
    "052": _o(
        "province_code_wrong",
        "not_eligible",
        "Mã tỉnh trên thẻ BHYT không đúng. Hãy hỏi cơ quan BHXH.",
        "The province code of the insurance card is wrong. Ask the social-insurance office.",
    ),
    "053": _o(
        "benefit_code_wrong",
        "not_eligible",
        "Mã quyền lợi trên thẻ BHYT không đúng. Hãy hỏi cơ quan BHXH.",
        "The benefit code of the insurance card is wrong. Ask the social-insurance office.",
    ),
    "054": _o(
        "staff_not_registered",
        "unavailable",
        "Chưa kiểm tra được BHYT: tài khoản cán bộ của ki-ốt chưa đăng ký. "
        "Nhân viên sẽ kiểm tra giúp.",
        "The kiosk's staff ID number is not registered for this facility: fix its configuration.",
    ),
    "055": _o(
        "staff_name_mismatch",
        "unavailable",
        "Chưa kiểm tra được BHYT: họ tên cán bộ của ki-ốt không khớp. Nhân viên sẽ kiểm tra giúp.",
        "The kiosk's staff name does not match its staff ID number: fix its configuration.",
    ),
    "060": _o(
        "name_wrong_on_record",
        "record_mismatch",
        "Thông tin BHYT của bạn ghi sai họ tên; hãy mang phiếu này đến cơ quan BHXH.",
        "Your insurance record has a wrong full name; take this form to the social-insurance "
        "office.",
    ),
    "061": _o(
        "name_wrong_on_record_first_letter",
        "record_mismatch",
        "Thông tin BHYT của bạn ghi sai họ tên; hãy mang phiếu này đến cơ quan BHXH.",
        "Your insurance record has a wrong full name; take this form to the social-insurance "
        "office.",
    ),
    "070": _o(
        "birth_date_wrong_on_record",
        "record_mismatch",
        "Thông tin BHYT của bạn ghi sai ngày sinh; hãy mang phiếu này đến cơ quan BHXH.",
        "Your insurance record has a wrong birth date; take this form to the social-insurance "
        "office.",
    ),
    "080": _o(
        "sex_wrong_on_record",
        "record_mismatch",
        "Thông tin BHYT của bạn ghi sai giới tính; hãy mang phiếu này đến cơ quan BHXH.",
        "Your insurance record has a wrong sex; take this form to the social-insurance office.",
    ),
    "090": _o(
        "facility_wrong_on_record",
        "record_mismatch",
        "Nơi đăng ký KCB ban đầu trên thẻ BHYT không đúng; hãy hỏi cơ quan BHXH.",
        "The first-contact facility on record is wrong; ask the social-insurance office.",
    ),
    "100": _o("card_register_error", "unavailable", _RETRY_VI, _RETRY_EN),
    "101": _o("gateway_server_error", "unavailable", _RETRY_VI, _RETRY_EN),
    "110": _o(
        "card_withdrawn",
        "not_eligible",
        "Thẻ BHYT đã bị thu hồi. Hãy hỏi cơ quan BHXH.",
        "The insurance card was withdrawn. Ask the social-insurance office.",
    ),
    "120": _o(
        "card_reduced_other_province",
        "not_eligible",
        "Thẻ BHYT đã báo giảm (chuyển ngoại tỉnh). Hãy hỏi cơ quan BHXH.",
        "The card was reported as reduced (moved to another province). Ask the office.",
    ),
    "121": _o(
        "card_reduced_same_province",
        "not_eligible",
        "Thẻ BHYT đã báo giảm (chuyển nội tỉnh). Hãy hỏi cơ quan BHXH.",
        "The card was reported as reduced (moved within the province). Ask the office.",
    ),
    "122": _o(
        "card_reduced_reenrolled",
        "not_eligible",
        "Thẻ BHYT đã báo giảm (tham gia lại). Hãy hỏi cơ quan BHXH.",
        "The card was reported as reduced (re-enrolled). Ask the office.",
    ),
    "123": _o(
        "card_reduced_stopped",
        "not_eligible",
        "Thẻ BHYT đã báo giảm (dừng tham gia). Hãy hỏi cơ quan BHXH.",
        "The card was reported as reduced (participation stopped). Ask the office.",
    ),
    "124": _o(
        "card_reduced",
        "not_eligible",
        "Thẻ BHYT đã báo giảm. Hãy hỏi cơ quan BHXH.",
        "The card was reported as reduced. Ask the social-insurance office.",
    ),
    "130": _o(
        "child_without_card",
        "not_eligible",
        "Trẻ em chưa có thẻ BHYT: nhân viên sẽ quyết định.",
        "A child without an insurance card: staff decide.",
    ),
    "205": _o(
        "request_format_rejected",
        "unavailable",
        _RETRY_VI,
        "The gateway rejected the request's format (a fault on our side); staff will check.",
    ),
    "401": _o(
        "gateway_auth_failed",
        "unavailable",
        _RETRY_VI,
        "The gateway did not accept the facility account; staff will check.",
    ),
}


def _ours(reason: str, status: str, en: str, vi: str = _RETRY_VI) -> Outcome:
    return Outcome(reason, status, vi, en)


# Reasons without a gateway answer to go by: the gateway was not asked, or its answer is unusable.
OWN_REASONS: dict[str, Outcome] = {
    o.reason: o
    for o in (
        _ours(
            "chip_not_verified",
            "not_checked",
            "The chip's data was not proved genuine, so the insurance was not looked up.",
            "Thẻ CCCD chưa được xác thực nên chưa tra cứu BHYT.",
        ),
        _ours(
            "chip_data_missing",
            "not_checked",
            "The chip gave no ID number, name or birth date to look the insurance up with.",
            "Thẻ CCCD không có đủ số, họ tên, ngày sinh để tra cứu BHYT.",
        ),
        _ours("gateway_timeout", "unavailable", "The insurance gateway did not answer in time."),
        _ours("gateway_unreachable", "unavailable", "The insurance gateway could not be reached."),
        _ours(
            "gateway_skipped",
            "unavailable",
            "The insurance gateway failed moments ago and is skipped for a short while.",
        ),
        _ours("gateway_http_error", "unavailable", "The insurance gateway answered with an error."),
        _ours("answer_not_json", "unavailable", "The insurance gateway's answer was not JSON."),
        _ours("answer_too_large", "unavailable", "The insurance gateway's answer was too large."),
        _ours(
            "answer_incomplete",
            "unavailable",
            "The insurance gateway's answer lacks fields the result needs.",
        ),
        _ours(
            "answer_bad_date",
            "unavailable",
            "The insurance gateway's answer has a date in an unexpected format.",
        ),
        _ours(
            "answer_inconsistent",
            "unavailable",
            "The insurance gateway called the card valid but its dates say otherwise.",
        ),
        _ours(
            "unknown_result_code",
            "unavailable",
            "The insurance gateway answered with a result code this service does not know.",
        ),
        _ours(
            "gateway_auth_failed",
            "unavailable",
            "The gateway did not accept the facility account; staff will check.",
        ),
    )
}


def outcome_for_code(code: str) -> Outcome:
    """The entry of a gateway result code; an unknown code is ``unavailable``, never eligible."""
    return GATEWAY_CODES.get(code) or OWN_REASONS["unknown_result_code"]


def own(reason: str) -> Outcome:
    return OWN_REASONS[reason]
