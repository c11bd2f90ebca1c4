"""HL7 FHIR R4 ``Coverage`` from the ``insurance`` result, beside the chip's ``Patient``.

Present when the gateway named a card: ``active`` for an eligible card, ``cancelled`` for one
that cannot be used (expired, withdrawn, reduced). The beneficiary is the Patient of the same
result, referred to by its CCCD identifier (the Patient carries no server id); the payor is
Vietnam Social Security; the class says the benefit level (character 3 of the card number).
"""

from __future__ import annotations

from typing import Any

from edge.fhir import CCCD_SYSTEM

BHYT_CARD_SYSTEM = "urn:vn:bhyt:card"
FACILITY_SYSTEM = "urn:vn:bhyt:facility"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
_STATUS = {"eligible": "active", "not_eligible": "cancelled"}


def coverage_from_insurance(insurance: dict[str, Any], id_number: str | None) -> dict | None:
    status = _STATUS.get(insurance.get("status") or "")
    card = insurance.get("card_number")
    if status is None or not card or not id_number:
        return None
    coverage: dict[str, Any] = {
        "resourceType": "Coverage",
        "identifier": [{"use": "official", "system": BHYT_CARD_SYSTEM, "value": card}],
        "status": status,
        "subscriberId": card,
        "beneficiary": {
            "type": "Patient",
            "identifier": {"system": CCCD_SYSTEM, "value": id_number},
        },
        "relationship": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                    "code": "self",
                }
            ]
        },
        "payor": [{"display": "Bảo hiểm xã hội Việt Nam (BHXH)"}],
    }
    period = {
        k: v
        for k, v in (("start", insurance.get("valid_from")), ("end", insurance.get("valid_to")))
        if v
    }
    if period:
        coverage["period"] = period
    level = card[2] if len(card) >= 3 and card[2].isdigit() else None
    if level:
        coverage["class"] = [
            {
                "type": {"coding": [{"system": COVERAGE_CLASS, "code": "plan"}]},
                "value": level,
                "name": f"Mức hưởng {level}",
            }
        ]
    facility = insurance.get("first_contact_facility") or {}
    if facility.get("code"):
        # The registered first-contact facility: where the card is honoured in full.
        coverage["network"] = facility["code"]
    return coverage
