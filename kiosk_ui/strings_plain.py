"""Sentences added or reworded for issue 10: plain words and the next step on every failure.

Merged into ``kiosk_ui.strings.STRINGS`` (no key is in both tables): each reason says
what happened and what the person can do ("thử lại", "hỏi nhân viên"), never a technical term.
"""

from __future__ import annotations

TRY_AGAIN_VI = " Bấm “Thử lại”."
ASK_STAFF_VI = " Vui lòng hỏi nhân viên."
TRY_AGAIN_EN = " Press “Try again”."
ASK_STAFF_EN = " Please ask a member of staff."


def _r(vi: str, en: str, *, retry: bool) -> dict[str, str]:
    return {
        "vi": vi + (TRY_AGAIN_VI if retry else ASK_STAFF_VI),
        "en": en + (TRY_AGAIN_EN if retry else ASK_STAFF_EN),
    }


PLAIN_STRINGS: dict[str, dict[str, str]] = {
    # Where no "Try again" button is offered (a desk started it), the next step is the staff.
    "suffix_try_again": {"vi": TRY_AGAIN_VI, "en": TRY_AGAIN_EN},
    "suffix_ask_staff": {"vi": ASK_STAFF_VI, "en": ASK_STAFF_EN},
    # --- access key: the 6 digits explained, the QR code first ----------------------------------
    "can_title": {
        "vi": "Nhập 6 số cuối của số định danh",
        "en": "Enter the last 6 digits of the ID number",
    },
    "can_help": {
        "vi": "6 số cuối của số định danh, in ở mặt trước thẻ.",
        "en": "The last 6 digits of the ID number, printed on the front of the card.",
    },
    "use_mrz": {"vi": "Dùng mã ở mặt sau thẻ", "en": "Use the code on the back"},
    "use_can": {"vi": "Nhập 6 số ở mặt trước", "en": "Type the 6 digits on the front"},
    "qr_title": {
        "vi": "Đưa mã QR ở mặt trước thẻ vào camera",
        "en": "Show the QR code on the front of your card to the camera",
    },
    "qr_help": {
        "vi": "Hoặc quét mã QR bằng máy quét, hoặc nhập số bằng bàn phím bên dưới.",
        "en": "Or scan the QR code with the scanner, or type the digits on the keypad.",
    },
    "qr_not_cccd": {
        "vi": "Mã QR này không phải mã của thẻ căn cước. Hãy đưa mặt trước thẻ vào camera, "
        "hoặc nhập 6 số cuối của số định danh.",
        "en": "This QR code is not from an ID card. Show the front of the card to the camera, "
        "or type the last 6 digits of the ID number.",
    },
    "qr_read": {"vi": "Đã đọc mã QR. Đặt thẻ lên đầu đọc.", "en": "QR code read. Place the card."},
    "qr_warning": {
        "vi": "Lưu ý: họ tên hoặc ngày sinh trong mã QR khác với trong chip.",
        "en": "Note: the name or date of birth in the QR code differs from the chip.",
    },
    "qr_id_mismatch": _r(
        "Mã QR thuộc một thẻ khác với thẻ đặt trên đầu đọc.",
        "The QR code belongs to a different card from the one on the reader.",
        retry=True,
    ),
    "camera_unavailable": {
        "vi": "Không mở được camera. Vui lòng hỏi nhân viên.",
        "en": "The camera could not be started. Please ask a member of staff.",
    },
    "camera_denied": {
        "vi": "Không dùng được camera. Bạn vẫn có thể nhập 6 số bằng bàn phím.",
        "en": "The camera cannot be used. You can still type the 6 digits on the keypad.",
    },
    # --- demo: the person's own photo as the chip photo -----------------------------------------
    "demo_title": {"vi": "Thử với khuôn mặt của bạn", "en": "Try it with your own face"},
    "demo_text": {
        "vi": "Máy demo chụp một ảnh của bạn và tạo thẻ ảo có ảnh đó (chỉ trong bộ nhớ, "
        "xóa khi kết thúc).",
        "en": "The demo takes one picture of you and makes a virtual card with it (in memory only, "
        "deleted at the end).",
    },
    "demo_can": {"vi": "Thẻ demo (thẻ ảo) có 6 số:", "en": "The demo (virtual) card's 6 digits:"},
    "demo_take_photo": {"vi": "Chụp ảnh của tôi", "en": "Take my photo"},
    "demo_photo_taken": {
        "vi": "Đã tạo thẻ ảo với ảnh của bạn.",
        "en": "A virtual card with your photo was made.",
    },
    "demo_no_face": _r(
        "Không thấy khuôn mặt trong ảnh vừa chụp.",
        "No face was found in the picture just taken.",
        retry=True,
    ),
    # With the head-turn check: about 3 pictures a second until every turn is seen ({n} at most).
    "privacy_face_liveness": {
        "vi": "Trong lúc bạn quay đầu theo hướng dẫn, camera chụp tối đa {n} ảnh khuôn mặt "
        "(khoảng 3 ảnh mỗi giây) để kiểm tra và so với ảnh trong chip; ảnh bị xóa ngay sau đó.",
        "en": "While you turn your head as shown, the camera takes at most {n} pictures of your "
        "face (about 3 a second) to check them against the chip photo; they are deleted "
        "straight after.",
    },
    # --- camera feedback --------------------------------------------------------------------
    "hint_no_face": {"vi": "Đưa khuôn mặt vào khung", "en": "Put your face inside the frame"},
    "hint_face_too_small": {"vi": "Lại gần hơn", "en": "Come closer"},
    "hint_too_dark": {
        "vi": "Đủ sáng chưa? Cần thêm ánh sáng",
        "en": "Enough light? More is needed",
    },
    "liveness_seen": {"vi": "Tốt lắm!", "en": "Well done!"},
    # --- result: the card and the face, each with its own verdict --------------------------------
    "card_genuine": {"vi": "Thẻ thật", "en": "Genuine card"},
    "card_expired": {"vi": "Thẻ thật nhưng đã hết hạn", "en": "Genuine card, but expired"},
    "card_not_genuine": {"vi": "Thẻ không xác thực được", "en": "Card not verified"},
    "face_matched": {"vi": "Khuôn mặt khớp", "en": "Face matches"},
    "face_not_matched": {"vi": "Khuôn mặt chưa xác nhận", "en": "Face not confirmed"},
    "face_skipped": {"vi": "Bỏ qua bước khuôn mặt", "en": "Face step skipped"},
    "verified_face_walk_up": {
        "vi": "Thẻ là thật và khuôn mặt khớp với ảnh trong chip. "
        "Kết quả chỉ hiện trên màn hình này.",
        "en": "The card is genuine and your face matches the chip photo. "
        "The result is shown only on this screen.",
    },
    "took_seconds": {"vi": "Mất {s} giây", "en": "Took {s} seconds"},
    "reason_card_expired": _r(
        "Thẻ thật nhưng đã hết hạn, nên không dùng được ở đây.",
        "The card is genuine but has expired, so it cannot be used here.",
        retry=False,
    ),
    "reason_card_expired_accepted": {
        "vi": "Thẻ thật nhưng đã hết hạn. Đơn vị vẫn chấp nhận; nên làm thẻ mới sớm.",
        "en": "The card is genuine but has expired. It is still accepted here; "
        "please renew it soon.",
    },
    "reason_face_not_seen": _r(
        "Thẻ là thật, nhưng camera không thấy khuôn mặt của bạn.",
        "The card is genuine, but the camera did not see your face.",
        retry=True,
    ),
    "reason_face_chip_photo": _r(
        "Thẻ là thật, nhưng ảnh trong chip không đủ rõ để so khuôn mặt.",
        "The card is genuine, but the photo in its chip is not clear enough to compare faces.",
        retry=False,
    ),
    "reason_face_skipped_card": {
        "vi": "Không kiểm tra khuôn mặt vì thẻ chưa xác thực được.",
        "en": "The face was not checked because the card could not be verified.",
    },
    "reason_face_no_match": _r(
        "Thẻ là thật, nhưng khuôn mặt không khớp với ảnh trong chip.",
        "The card is genuine, but the face does not match the photo in the chip.",
        retry=False,
    ),
    "reason_liveness_failed": _r(
        "Thẻ là thật, nhưng máy không thấy bạn quay đầu theo hướng dẫn.",
        "The card is genuine, but your head was not seen turning as asked.",
        retry=True,
    ),
    "reason_face_undetermined": _r(
        "Thẻ là thật, nhưng ảnh khuôn mặt chưa đủ rõ để so.",
        "The card is genuine, but the face picture was not clear enough to compare.",
        retry=True,
    ),
    "reason_wrong_can": _r(
        "6 số vừa nhập không khớp với thẻ này. "
        "Kiểm tra 6 số cuối của số định danh ở mặt trước thẻ.",
        "The 6 digits do not match this card. "
        "Check the last 6 digits of the ID number on the front.",
        retry=True,
    ),
    "reason_wrong_mrz": _r(
        "Mã ở mặt sau không khớp với thẻ này.",
        "The code from the back does not match this card.",
        retry=True,
    ),
    "reason_access_failed": _r(
        "Máy không mở được chip của thẻ.", "The chip could not be opened.", retry=False
    ),
    "reason_card_removed": _r(
        "Thẻ bị nhấc ra trong lúc đọc. Giữ yên thẻ trên đầu đọc.",
        "The card was lifted during the reading. Keep it still on the reader.",
        retry=True,
    ),
    "reason_no_card": _r(
        "Không thấy thẻ trên đầu đọc. Đặt thẻ lên chỗ có hình thẻ.",
        "No card was found on the reader. Lay it on the marked spot.",
        retry=True,
    ),
    "reason_no_reader": _r(
        "Đầu đọc thẻ chưa sẵn sàng.", "The card reader is not ready.", retry=False
    ),
    "reason_timeout": _r("Đã hết thời gian chờ.", "The time ran out.", retry=True),
    "reason_cancelled": {
        "vi": "Đã hủy. Bạn có thể bắt đầu lại.",
        "en": "Cancelled. You can start again.",
    },
    "reason_read_failed": _r(
        "Không đọc hết được thẻ. Giữ yên thẻ trên đầu đọc.",
        "The card could not be read to the end. Keep it still on the reader.",
        retry=True,
    ),
    "reason_document_invalid": _r(
        "Thẻ này không xác thực được: dữ liệu trên chip không đúng như khi cấp.",
        "This card could not be verified: the data on its chip is not as it was issued.",
        retry=False,
    ),
    "reason_issuer_unknown": _r(
        "Máy chưa xác nhận được nơi cấp thẻ này.",
        "This kiosk could not confirm who issued the card.",
        retry=False,
    ),
    "reason_chip_not_genuine": _r(
        "Chip của thẻ không chứng minh được là chip thật.",
        "The card's chip could not prove it is genuine.",
        retry=False,
    ),
    "reason_chip_unchecked": _r(
        "Máy không kiểm tra được chip của thẻ.",
        "The kiosk could not check the card's chip.",
        retry=False,
    ),
    "reason_busy": {
        "vi": "Máy đang phục vụ người khác. Chờ một chút rồi bấm “Bắt đầu”.",
        "en": "The kiosk is serving someone else. Wait a moment, then press “Start”.",
    },
    "reason_service_problem": _r("Máy đang gặp sự cố.", "The kiosk has a problem.", retry=False),
    "reason_unknown": _r(
        "Không xác thực được thẻ.", "The card could not be verified.", retry=False
    ),
    "session_lost": {
        "vi": "Phiên trước đã kết thúc. Bấm “Bắt đầu” để làm lại.",
        "en": "The previous session ended. Press “Start” to begin again.",
    },
    "speak": {"vi": "Đọc to", "en": "Read aloud"},
    # --- statistics ---------------------------------------------------------------------------
    "stats_period": {"vi": "Khoảng thời gian", "en": "Period"},
    "stats_today": {"vi": "Hôm nay", "en": "Today"},
    "stats_7_days": {"vi": "7 ngày", "en": "7 days"},
    "stats_30_days": {"vi": "30 ngày", "en": "30 days"},
    "stats_outcomes": {"vi": "Kết quả mỗi lượt", "en": "Outcome of each verification"},
    "stats_first_cause": {
        "vi": "Lý do không thành công (nguyên nhân đầu tiên)",
        "en": "Why verifications failed (first cause)",
    },
    "stats_per_hour": {"vi": "Lượt xác thực theo giờ", "en": "Verifications per hour"},
    "stats_abandoned": {"vi": "Bỏ dở", "en": "Abandoned"},
    "stats_insurance": {"vi": "Bảo hiểm y tế", "en": "Health insurance"},
    "stats_per_kiosk": {"vi": "Lượt xác thực theo máy", "en": "Verifications per kiosk"},
    "stats_csv": {"vi": "Tải bảng (CSV)", "en": "Download table (CSV)"},
    "stats_count": {"vi": "Số lượt", "en": "Count"},
    "stats_label": {"vi": "Mục", "en": "Item"},
    "stats_hour": {"vi": "Giờ", "en": "Hour"},
    "outcome_verified": {"vi": "Xác thực được", "en": "Verified"},
    "outcome_failed": {"vi": "Không xác thực được", "en": "Not verified"},
    "outcome_abandoned": {"vi": "Bỏ dở", "en": "Abandoned"},
    "insurance_eligible": {"vi": "Có quyền lợi", "en": "Eligible"},
    "insurance_not_eligible": {"vi": "Không có quyền lợi", "en": "Not eligible"},
    "insurance_record_mismatch": {"vi": "Hồ sơ không khớp", "en": "Record mismatch"},
    "insurance_unavailable": {"vi": "Không tra cứu được", "en": "Could not be checked"},
    "step_time_access_key_entry": {"vi": "Nhập số", "en": "Typing the digits"},
    "step_time_wait_for_card": {"vi": "Chờ đặt thẻ", "en": "Waiting for the card"},
    "step_time_read": {"vi": "Đọc thẻ (tổng)", "en": "Card read (total)"},
    "step_time_read_connect": {"vi": "Kết nối thẻ", "en": "Connecting"},
    "step_time_read_access_control": {"vi": "Mở khóa chip", "en": "Unlocking the chip"},
    "step_time_read_read_files": {"vi": "Đọc dữ liệu", "en": "Reading the data"},
    "step_time_read_chip_authentication": {"vi": "Xác thực chip", "en": "Chip check"},
    "step_time_read_active_authentication": {"vi": "Kiểm tra chip sao chép", "en": "Clone check"},
    "step_time_read_parse": {"vi": "Giải mã dữ liệu", "en": "Decoding the data"},
    "step_time_verify": {"vi": "Kiểm tra chữ ký", "en": "Signature check"},
    "step_time_face": {"vi": "Khuôn mặt", "en": "Face"},
    "step_time_sign": {"vi": "Ký kết quả", "en": "Signing the result"},
    "why_issuer_unknown": {"vi": "Chưa xác nhận được nơi cấp", "en": "Issuer not confirmed"},
    "why_document_invalid": {"vi": "Dữ liệu thẻ không đúng", "en": "Card data not as issued"},
    "why_revoked": {"vi": "Thẻ đã bị thu hồi", "en": "Card revoked"},
    "why_face_chip_photo": {"vi": "Ảnh trong chip không rõ", "en": "Chip photo unusable"},
    "why_face_not_seen": {"vi": "Camera không thấy mặt", "en": "No face seen by the camera"},
    "why_card_expired": {"vi": "Thẻ hết hạn", "en": "Card expired"},
}
