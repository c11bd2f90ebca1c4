"""HL7 FHIR R4 ``Patient`` from the chip's verified attributes.

Only what the hospital profile carries: identifier (the 12-digit CCCD number
under the system ``urn:vn:cccd``), name, birthDate, gender and address. The
name is kept as printed on the card in ``text`` and split Vietnamese-style:
the first word is the family name, the rest the given names.
"""

from __future__ import annotations

CCCD_SYSTEM = "urn:vn:cccd"
# Vietnamese sex values on the chip (DG13) and in MRZ/ISO form -> FHIR AdministrativeGender.
_GENDER = {
    "nam": "male",
    "m": "male",
    "male": "male",
    "nữ": "female",
    "nu": "female",
    "f": "female",
    "female": "female",
}


def fhir_gender(sex: str | None) -> str:
    if not sex:
        return "unknown"
    return _GENDER.get(
        sex.strip().lower(), "other" if sex.strip() not in ("<", "X", "x") else "unknown"
    )


def patient_from_person(person: dict, *, verified_at: str | None = None) -> dict:
    """A FHIR R4 Patient resource (a JSON-ready dict) built only from ``person``'s verified
    values."""
    patient: dict = {"resourceType": "Patient"}
    if verified_at:
        patient["meta"] = {
            "lastUpdated": verified_at,
            "tag": [{"system": "urn:cccd-edge", "code": "chip-verified"}],
        }
    if person.get("id_number"):
        patient["identifier"] = [
            {
                "use": "official",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "NI",
                            "display": "National unique individual identifier",
                        }
                    ],
                    "text": "CCCD",
                },
                "system": CCCD_SYSTEM,
                "value": person["id_number"],
            }
        ]
    full_name = (person.get("full_name") or "").strip()
    if full_name:
        words = full_name.split()
        name = {"use": "official", "text": " ".join(words), "family": words[0]}
        if len(words) > 1:
            name["given"] = words[1:]
        patient["name"] = [name]
    if "sex" in person:
        patient["gender"] = fhir_gender(person.get("sex"))
    if person.get("birth_date"):
        patient["birthDate"] = person["birth_date"]
    if person.get("residence"):
        patient["address"] = [
            {"use": "home", "type": "physical", "text": person["residence"], "country": "VN"}
        ]
    return patient
