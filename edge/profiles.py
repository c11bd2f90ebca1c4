"""Relying-party profiles and data minimisation.

A relying party sees only the attributes its purpose needs (Personal Data
Protection Law: collect only what the purpose needs). The profile is implied
by the caller's API key, never chosen by the request. Anything not listed
here is dropped before the result is signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.report import PERSON_FIELDS

# Attributes a profile may name: the keys of ``DocumentReport.person`` (edge/report.py).
KNOWN_ATTRIBUTES = frozenset(PERSON_FIELDS)


EXPIRED_NOTICE = "The document is genuine but has expired; accepted for identification only."


@dataclass(frozen=True)
class Profile:
    name: str
    attributes: tuple[str, ...]
    face_verdict: bool = False  # the face verdict is part of the result
    face_match_default: bool = False  # face match required unless the request says otherwise
    fhir_patient: bool = False  # add an HL7 FHIR R4 Patient
    record_comparison: bool = False  # compare with the caller's record when one is given
    # A genuine but expired document (``document_currency`` "expired") is accepted, with a
    # notice; when False it is refused with reason code ``document_expired``.
    accept_expired_document: bool = False
    description: str = ""

    def currency_decision(self, document_currency: str) -> tuple[bool, dict | None]:
        """(accepted, notice) for the document's currency: only ``expired`` can be refused."""
        if str(document_currency) != "expired":
            return True, None
        if not self.accept_expired_document:
            return False, None
        return True, {"code": "document_expired", "message": EXPIRED_NOTICE}

    def minimise(self, person: dict | None) -> dict:
        """Only this profile's attributes; absent ones come back as ``None``, never guessed."""
        person = person or {}
        return {name: person.get(name) for name in self.attributes}


PROFILES: dict[str, Profile] = {
    "hospital": Profile(
        "hospital",
        ("id_number", "full_name", "birth_date", "sex", "residence"),
        face_verdict=True,
        fhir_patient=True,
        record_comparison=True,
        accept_expired_document=True,  # a patient is identified with an expired card too
        description="Patient registration and health-insurance (BHYT) look-up.",
    ),
    "airport": Profile(
        "airport",
        ("full_name", "id_number", "birth_date", "nationality"),
        face_verdict=True,
        face_match_default=True,
        accept_expired_document=False,  # travel needs a current document
        description="Passenger enrolment and boarding with a face match.",
    ),
    "school": Profile(
        "school",
        ("full_name", "id_number"),
        accept_expired_document=True,
        description="Identify the payer at a school fee desk.",
    ),
}


class UnknownProfile(ValueError):
    """The configuration names a profile that does not exist."""


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfile(
            f"Unknown relying-party profile {name!r}; known: {', '.join(sorted(PROFILES))}."
        ) from None
