"""Every sentence the kiosk and the statistics page show, in Vietnamese (default) and English.

One table, used twice: the templates render the default language on the
server (the screen reads even before the script runs) and the script gets the
same table as JSON for the language switch. Reason keys come from
``kiosk_ui.reasons``; a test checks that every key has both languages.
"""

from __future__ import annotations

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

STRINGS: dict[str, dict[str, str]] = {
    # --- frame and idle ---------------------------------------------------------------------
    "title": {"vi": "Xác thực căn cước công dân", "en": "Citizen ID card check"},
    "switch_language": {"vi": "English", "en": "Tiếng Việt"},
    "welcome": {"vi": "Xin chào", "en": "Welcome"},
    "idle_text": {
        "vi": "Kiểm tra thẻ căn cước gắn chip của bạn tại đây.",
        "en": "Check your chip ID card here.",
    },
    "start": {"vi": "Bắt đầu", "en": "Start"},
    "waiting_desk": {
        "vi": "Vui lòng chờ nhân viên quầy bắt đầu.",
        "en": "Please wait for the desk staff to start.",
    },
    "cancel": {"vi": "Hủy", "en": "Cancel"},
    "finish": {"vi": "Xong", "en": "Done"},
    "try_again": {"vi": "Thử lại", "en": "Try again"},
    # --- privacy notice ---------------------------------------------------------------------
    "privacy_title": {"vi": "Thông tin được đọc", "en": "What is read"},
    "privacy_text": {
        "vi": "Máy đọc chip trên thẻ của bạn để kiểm tra thẻ là thật. Chỉ những thông tin dưới đây "
        "được gửi cho đơn vị yêu cầu. Ảnh và số trên thẻ không được lưu lại trên máy.",
        "en": "The kiosk reads the chip of your card to check that the card is genuine. Only the "
        "details below go to the organisation that asked. Photos and card numbers are not "
        "kept on this kiosk.",
    },
    "privacy_idle": {
        "vi": "Máy đọc chip trên thẻ để kiểm tra thẻ là thật. Trước khi đọc, màn hình cho bạn biết "
        "những thông tin nào được đọc và gửi cho ai. Ảnh và số trên thẻ không được lưu lại trên "
        "máy.",
        "en": "The kiosk reads the chip of the card to check that it is genuine. Before reading, "
        "the screen tells you which details are read and who receives them. Photos and card "
        "numbers are not kept on this kiosk.",
    },
    "privacy_walk_up": {
        "vi": "Kết quả chỉ hiện trên màn hình này và không gửi cho đơn vị nào. Thông tin được kiểm "
        "tra:",
        "en": "The result is shown only on this screen and sent to no organisation. Details "
        "checked:",
    },
    "privacy_requester": {"vi": "Đơn vị yêu cầu", "en": "Requested by"},
    "privacy_face": {
        "vi": "Camera chụp vài ảnh khuôn mặt để so với ảnh trong chip; ảnh bị xóa ngay sau đó.",
        "en": "The camera takes a few pictures of your face to compare with the chip photo; "
        "they are deleted straight after.",
    },
    "attr_id_number": {"vi": "Số định danh", "en": "ID number"},
    "attr_full_name": {"vi": "Họ và tên", "en": "Full name"},
    "attr_birth_date": {"vi": "Ngày sinh", "en": "Date of birth"},
    "attr_sex": {"vi": "Giới tính", "en": "Sex"},
    "attr_nationality": {"vi": "Quốc tịch", "en": "Nationality"},
    "attr_residence": {"vi": "Nơi thường trú", "en": "Place of residence"},
    "attr_ethnicity": {"vi": "Dân tộc", "en": "Ethnicity"},
    "attr_religion": {"vi": "Tôn giáo", "en": "Religion"},
    "attr_place_of_origin": {"vi": "Quê quán", "en": "Place of origin"},
    "attr_issue_date": {"vi": "Ngày cấp", "en": "Date of issue"},
    "attr_expiry_date": {"vi": "Có giá trị đến", "en": "Date of expiry"},
    # --- access key -------------------------------------------------------------------------
    "delete": {"vi": "Xóa", "en": "Delete"},
    "confirm": {"vi": "Tiếp tục", "en": "Continue"},
    "mrz_title": {
        "vi": "Nhập thông tin ở mặt sau thẻ",
        "en": "Enter the details from the back of the card",
    },
    "mrz_document_number": {
        "vi": "9 số cuối của số định danh",
        "en": "Last 9 digits of the ID number",
    },
    "mrz_birth_date": {"vi": "Ngày sinh (YYMMDD)", "en": "Date of birth (YYMMDD)"},
    "mrz_expiry_date": {"vi": "Ngày hết hạn (YYMMDD)", "en": "Date of expiry (YYMMDD)"},
    "key_invalid": {
        "vi": "Số đã nhập không hợp lệ, vui lòng kiểm tra và nhập lại.",
        "en": "What was typed is not valid; please check it and type it again.",
    },
    "scan_unreadable": {
        "vi": "Không đọc được dòng mã trên thẻ. Vui lòng quét lại, hoặc nhập bằng bàn phím.",
        "en": "The code lines of the card could not be read. Please scan again, or type them in.",
    },
    "key_incomplete": {"vi": "Vui lòng nhập đủ số.", "en": "Please enter all the digits."},
    # --- card and progress ------------------------------------------------------------------
    "place_card": {
        "vi": "Đặt thẻ lên đầu đọc và giữ yên",
        "en": "Place your card on the reader and keep it still",
    },
    "reading_title": {
        "vi": "Đang đọc thẻ, vui lòng không nhấc thẻ",
        "en": "Reading the card, do not lift it",
    },
    "step_connect": {"vi": "Kết nối thẻ", "en": "Connect"},
    "step_access_control": {"vi": "Mở khóa chip", "en": "Access control"},
    "step_read_files": {"vi": "Đọc dữ liệu", "en": "Reading files"},
    "step_chip_authentication": {"vi": "Xác thực chip", "en": "Chip authentication"},
    "step_verifying": {"vi": "Kiểm tra chữ ký", "en": "Verifying"},
    "step_face": {"vi": "Khuôn mặt", "en": "Face"},
    "step_done": {"vi": "xong", "en": "done"},
    "step_active": {"vi": "đang làm", "en": "in progress"},
    "step_waiting": {"vi": "chờ", "en": "waiting"},
    # --- camera -----------------------------------------------------------------------------
    "camera_title": {"vi": "Nhìn thẳng vào camera", "en": "Look straight at the camera"},
    "camera_starting": {"vi": "Đang mở camera…", "en": "Starting the camera…"},
    "camera_checking": {
        "vi": "Đang so khuôn mặt với ảnh trong chip…",
        "en": "Comparing your face with the chip photo…",
    },
    "hint_ok": {"vi": "Tốt lắm, giữ yên", "en": "Good, keep still"},
    "hint_several_faces": {
        "vi": "Chỉ một người đứng trước camera",
        "en": "Only one person in front of the camera",
    },
    "hint_not_frontal": {"vi": "Nhìn thẳng vào camera", "en": "Look straight at the camera"},
    "hint_blurred": {"vi": "Giữ yên", "en": "Hold still"},
    "hint_too_bright": {
        "vi": "Tránh ánh sáng chiếu thẳng vào mặt",
        "en": "Avoid direct light on your face",
    },
    "liveness_title": {
        "vi": "Làm theo hướng dẫn trên màn hình",
        "en": "Follow the prompts on the screen",
    },
    "liveness_front": {"vi": "Nhìn thẳng vào camera", "en": "Look straight at the camera"},
    "liveness_left": {"vi": "Quay đầu sang trái", "en": "Turn your head to the left"},
    "liveness_right": {"vi": "Quay đầu sang phải", "en": "Turn your head to the right"},
    "liveness_back": {"vi": "Quay lại nhìn thẳng", "en": "Back to the front"},
    "liveness_step_of": {"vi": "Bước {i}/{n}", "en": "Step {i} of {n}"},
    "liveness_seconds_left": {"vi": "Còn {n} giây", "en": "{n} seconds left"},
    # --- result -----------------------------------------------------------------------------
    "verified": {"vi": "Đã xác thực", "en": "Verified"},
    "not_verified": {"vi": "Chưa xác thực được", "en": "Not verified"},
    "verified_text": {
        "vi": "Thẻ là thật và thông tin đã được gửi cho đơn vị yêu cầu.",
        "en": "The card is genuine and the details were sent to the organisation that asked.",
    },
    "verified_text_walk_up": {
        "vi": "Thẻ là thật. Kết quả chỉ hiện trên màn hình này.",
        "en": "The card is genuine. The result is shown only on this screen.",
    },
    "chip_photo": {"vi": "Ảnh trong chip", "en": "Chip photo"},
    "live_photo": {"vi": "Ảnh vừa chụp", "en": "Live picture"},
    "reset_in": {
        "vi": "Màn hình sẽ tự xóa sau {n} giây.",
        "en": "The screen clears itself in {n} seconds.",
    },
    # --- statistics page --------------------------------------------------------------------
    "stats_title": {"vi": "Thống kê xác thực", "en": "Verification statistics"},
    "stats_days": {"vi": "{n} ngày gần nhất", "en": "Last {n} days"},
    "stats_total": {"vi": "Lượt xác thực", "en": "Verifications"},
    "stats_success_rate": {"vi": "Tỉ lệ thành công", "en": "Success rate"},
    "stats_average_total": {"vi": "Thời gian trung bình", "en": "Average time"},
    "stats_per_day": {"vi": "Lượt xác thực mỗi ngày", "en": "Verifications per day"},
    "stats_succeeded": {"vi": "Thành công", "en": "Succeeded"},
    "stats_failed": {"vi": "Không thành công", "en": "Not verified"},
    "stats_failure_reasons": {"vi": "Lý do không thành công", "en": "Failure reasons"},
    "stats_step_times": {
        "vi": "Thời gian trung bình mỗi bước (ms)",
        "en": "Average time per step (ms)",
    },
    "why_wrong_key": {"vi": "Sai số CAN hoặc MRZ", "en": "Wrong CAN or MRZ"},
    "why_access_failed": {"vi": "Không mở được chip", "en": "Chip could not be opened"},
    "why_card_removed": {"vi": "Thẻ bị nhấc ra khi đọc", "en": "Card lifted while reading"},
    "why_no_card": {"vi": "Không có thẻ trên đầu đọc", "en": "No card on the reader"},
    "why_no_reader": {"vi": "Đầu đọc chưa sẵn sàng", "en": "Card reader not ready"},
    "why_key_timeout": {"vi": "Hết giờ nhập CAN/MRZ", "en": "CAN or MRZ not typed in time"},
    "why_cancelled": {"vi": "Người dùng đã hủy", "en": "Cancelled by the person"},
    "why_read_failed": {"vi": "Không đọc hết dữ liệu chip", "en": "Chip data not read completely"},
    "why_service_problem": {"vi": "Sự cố của máy", "en": "Kiosk problem"},
    "why_chip": {"vi": "Chip không chứng minh là thật", "en": "Chip not proven genuine"},
    "why_chip_unchecked": {"vi": "Không kiểm tra được chip", "en": "Chip could not be checked"},
    "why_face_no_match": {"vi": "Khuôn mặt không khớp", "en": "Face does not match"},
    "why_face_undetermined": {"vi": "Ảnh mặt không đủ rõ", "en": "Face picture not clear enough"},
    "why_liveness_failed": {"vi": "Không qua kiểm tra người thật", "en": "Liveness check failed"},
    "why_liveness_not_performed": {
        "vi": "Chưa kiểm tra người thật",
        "en": "Liveness check not done",
    },
    "why_liveness_steps_not_seen": {"vi": "Không thấy quay đầu", "en": "Head turns not seen"},
    "why_liveness_wrong_direction": {"vi": "Quay đầu sai hướng", "en": "Head turned the wrong way"},
    "why_liveness_identity": {"vi": "Khuôn mặt thay đổi", "en": "Face changed during the check"},
    "why_liveness_several_faces": {"vi": "Nhiều khuôn mặt", "en": "Several faces in view"},
    "why_liveness_outside_window": {
        "vi": "Ảnh ngoài thời gian cho phép",
        "en": "Pictures outside the time allowed",
    },
    "why_liveness_unclear": {"vi": "Không thấy rõ khuôn mặt", "en": "Face not seen clearly"},
    "why_other": {"vi": "Lý do khác", "en": "Other reason"},
    "stats_empty": {"vi": "Chưa có dữ liệu.", "en": "No data yet."},
    "stats_error": {"vi": "Không tải được thống kê.", "en": "The statistics could not be loaded."},
    "stats_refresh": {"vi": "Tải lại", "en": "Refresh"},
}

# Issue 10's plain words (and the next step) for every reason, QR, demo and statistics labels.
from kiosk_ui.strings_plain import PLAIN_STRINGS  # noqa: E402 (merged into the table above)

STRINGS.update(PLAIN_STRINGS)


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The sentence for ``key`` in ``lang`` (falls back to Vietnamese, then to the key itself)."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    out = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return out.format(**values) if values else out
