"""Typed errors of the terminal side.

Every error a user can meet carries the step that failed, the file (when one
was being read), the status word (when the card gave one) and a plain
sentence in ``message``; callers show ``message`` and never a traceback.
"""

from __future__ import annotations

from typing import Any

from crypto.errors import DecodeError


class CardError(Exception):
    """Base of every terminal-side error."""

    code = "card_error"
    default_message = "The card could not be read."

    def __init__(
        self,
        message: str | None = None,
        *,
        step: str | None = None,
        file: str | None = None,
        sw: int | None = None,
    ):
        self.message = message or self.default_message
        self.step = step
        self.file = file
        self.sw = sw
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.step:
            parts.append(f"step={self.step}")
        if self.file:
            parts.append(f"file={self.file}")
        if self.sw is not None:
            parts.append(f"sw={self.sw:04X}")
        return " ".join(parts) if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "step": self.step,
            "file": self.file,
            "sw": None if self.sw is None else f"{self.sw:04X}",
        }


class NoReaderError(CardError):
    code = "no_reader"
    default_message = "No card reader is connected."


class NoCardError(CardError):
    code = "no_card"
    default_message = "No card was placed on the reader in time."


class CardRemovedError(CardError):
    code = "card_removed"
    default_message = "The card was taken away from the reader before reading finished."


class CardTimeoutError(CardError):
    code = "card_timeout"
    default_message = "The card stopped answering."


class AccessDeniedError(CardError):
    """The card refused the access key (CAN or MRZ data): never retried in a loop."""

    code = "access_key_rejected"
    default_message = "Access key rejected: check the CAN or the MRZ data and try again."


class AccessControlError(CardError):
    """PACE/BAC failed for a reason other than a wrong key (protocol or card fault)."""

    code = "access_control_failed"
    default_message = "The secure channel to the card could not be opened."


class SecureMessagingError(CardError):
    """A protected response failed its MAC, lacked DO'99', or came back in plain."""

    code = "secure_messaging_error"
    default_message = "The card's answer failed the secure-messaging check."


class StatusWordError(CardError):
    """The card answered a command with an unexpected status word."""

    code = "unexpected_status"
    default_message = "The card answered with an unexpected status."


class FileNotFoundOnCard(StatusWordError):
    code = "file_not_found"
    default_message = "The file is not on the card."


class FileAccessDenied(StatusWordError):
    code = "file_access_denied"
    default_message = "The card does not allow reading this file."


class ParseError(CardError, DecodeError):
    """A file's bytes are not well-formed (TLV, ASN.1 or field content).

    Also a ``crypto.errors.DecodeError`` (the lower layer's decoding error): the verification
    side catches both with one clause, and ``crypto.der`` raises the plain ``DecodeError``.
    """

    code = "parse_error"
    default_message = "A file on the card is malformed."


class ChipAuthenticationError(CardError):
    code = "chip_authentication_failed"
    default_message = "Chip Authentication did not establish a new secure channel."


class MalformedResponseError(CardError):
    """The card (or the reader) answered with fewer than the two status-word bytes."""

    code = "malformed_response"
    default_message = "The card sent a malformed answer."
