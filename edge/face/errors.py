"""Typed errors of the face matcher.

Each error has a stable ``code`` (used by the API, the kiosk screen and the
audit log) and a plain sentence in ``message`` that can be shown to the person
at the kiosk. They never carry image data or embeddings.
"""

from __future__ import annotations

from typing import Any


class FaceError(Exception):
    """Base of every face-matching error."""

    code = "face_error"
    default_message = "The face could not be checked."

    def __init__(self, message: str | None = None, **details: Any):
        self.message = message or self.default_message
        # Non-personal facts only (sizes, measured values, thresholds).
        self.details = details
        super().__init__(self.message)

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": dict(self.details)}


# --- image input -----------------------------------------------------------


class ImageError(FaceError):
    code = "image_error"
    default_message = "The image could not be read."


class CorruptImageError(ImageError):
    code = "corrupt_image"
    default_message = "The image is damaged or incomplete."


class UnsupportedFormatError(ImageError):
    code = "unsupported_format"
    default_message = "The image format is not supported; use JPEG, JPEG 2000 or PNG."


class ImageTooLargeError(ImageError):
    code = "image_too_large"
    default_message = "The image is too large to process."


# --- face quality (one per gate) -------------------------------------------


class QualityError(FaceError):
    code = "quality"
    default_message = "The picture is not good enough to compare faces."


class NoFaceError(QualityError):
    code = "no_face"
    default_message = "No face was found in the picture."


class MultipleFacesError(QualityError):
    code = "several_faces"
    default_message = (
        "More than one face is in the picture; only the card holder should face the camera."
    )


class FaceTooSmallError(QualityError):
    code = "face_too_small"
    default_message = "The face is too small in the picture; come closer to the camera."


class NotFrontalError(QualityError):
    code = "not_frontal"
    default_message = "The face is not turned towards the camera; look straight at it."


class BlurredError(QualityError):
    code = "blurred"
    default_message = "The picture is blurred; hold still."


class TooDarkError(QualityError):
    code = "too_dark"
    default_message = "The face is too dark; more light is needed."


class TooBrightError(QualityError):
    code = "too_bright"
    default_message = "The face is too bright; avoid direct light on the face."


# --- configuration ---------------------------------------------------------


class ModelsUnavailableError(FaceError):
    code = "models_unavailable"
    default_message = "The face models are not installed on this kiosk."


class NoFramesError(FaceError):
    code = "no_frames"
    default_message = "No camera pictures were received."
