"""A small synthetic clinical record set shared by the search tests."""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MRN = "http://hospital.test/mrn"


def patient(pid: str, family: str, given: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": [given]}], **extra}


def observation(
    oid: str, subject: str, code: str, when: str, value: float | None = None, **extra: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code, "display": f"Test {code}"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": when,
    }
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}
    return {**resource, **extra}


CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
P1_META = {
    "tag": [{"system": "http://tags.test", "code": "vip"}],
    "security": [{"system": CONFIDENTIALITY, "code": "R"}],
    "profile": ["http://profiles.test/StructureDefinition/patient"],
}

ORG1, ORG2 = {"reference": "Organization/org1"}, {"reference": "Organization/org2"}
PATIENTS = [
    patient("p1", "Müller", "Anna", gender="female", birthDate="1980-05-17", meta=P1_META,
            identifier=[{"system": MRN, "value": "MRN-1"}], managingOrganization=ORG1),
    patient("p2", "Mueller", "Bernd", gender="male", birthDate="1975",
            identifier=[{"system": MRN, "value": "MRN-2"}], managingOrganization=ORG2),
    patient("p3", "Smith", "Carla", gender="female", birthDate="2001-11-30", active=True,
            identifier=[{"value": "NOSYSTEM-3"}]),
]  # fmt: skip

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "resourceType": "Organization",
        "id": "org1",
        "name": "General Hospital",
        "partOf": {"reference": "Organization/org0"},
    },
    {"resourceType": "Organization", "id": "org2", "name": "Small Clinic"},
    {"resourceType": "Organization", "id": "org0", "name": "Health Network"},
]

OBSERVATIONS = [
    observation("o1", "Patient/p1", "8480-6", "2020-01-15T10:00:00Z", 120),
    observation("o2", "Patient/p1", "8480-6", "2020-02-15T10:00:00Z", 135.5),
    observation("o3", "Patient/p2", "8480-6", "2021-06-01", 150),
    observation("o4", "Patient/p2", "8462-4", "2020-01-20T08:30:00+02:00", 80),
    observation("o5", "Patient/p3", "29463-7", "2019-12-31T23:59:59Z"),
]


def record() -> list[dict[str, Any]]:
    return [*ORGANIZATIONS, *PATIENTS, *OBSERVATIONS]
