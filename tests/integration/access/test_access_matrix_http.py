"""The authorization matrix over HTTP: every role x a representative type per group x interaction.

Generated from the declared policy table (tests/unit/access/access_policy_table.py): for each case
a fresh patient and target resource are made with a full-access token, then the role's token tries
read, search, update, create and delete; allowed cases must succeed, denied ones get 403.
"""

from __future__ import annotations

from typing import Any

import httpx
from access_harness import FULL, AccessApp, observation_body, patient_body, running, token
from tests.unit.access.access_policy_table import PATIENT_WRITES, POLICY

GROUP_OF = {
    "Observation": "clinical",
    "DocumentReference": "notes",
    "MedicationRequest": "medication",
    "Appointment": "administrative",
    "Patient": "administrative",
    "Claim": "financial",
    "Practitioner": "reference",
}
SHARED = {"Practitioner"}
NEEDS = {"read": "r", "search": "rs", "update": "u", "create": "c", "delete": "d"}


def body(res_type: str, patient: str) -> dict[str, Any]:
    subject = {"reference": f"Patient/{patient}"}
    return {
        "Observation": lambda: observation_body(patient),
        "DocumentReference": lambda: {
            "resourceType": "DocumentReference",
            "status": "current",
            "subject": subject,
            "content": [{"attachment": {"contentType": "text/plain", "data": "eA=="}}],
        },
        "MedicationRequest": lambda: {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "x"},
            "subject": subject,
        },
        "Appointment": lambda: {
            "resourceType": "Appointment",
            "status": "booked",
            "participant": [{"actor": subject, "status": "accepted"}],
        },
        "Patient": lambda: patient_body("Matrix"),
        "Claim": lambda: {
            "resourceType": "Claim",
            "status": "active",
            "use": "claim",
            "created": "2024-01-01",
            "type": {"coding": [{"code": "oral"}]},
            "patient": subject,
            "provider": {"display": "x"},
            "priority": {"coding": [{"code": "normal"}]},
            "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "x"}}],
        },
        "Practitioner": lambda: {"resourceType": "Practitioner", "name": [{"family": "Doc"}]},
    }[res_type]()


def expected(role: str, res_type: str, interaction: str) -> bool:
    letters = POLICY[role].get(GROUP_OF[res_type], "")
    if role == "patient":
        letters = PATIENT_WRITES.get(res_type, letters)
        if res_type in SHARED:
            letters = "".join(ch for ch in letters if ch in "rs")
    return set(NEEDS[interaction]) <= set(letters)


async def attempt(app: AccessApp, role: str, res_type: str) -> list[tuple[str, bool, int]]:
    patient = await app.create(patient_body("Matrix"))
    target = patient if res_type == "Patient" else await app.create(body(res_type, patient))
    headers = token(
        ["patient/*.cruds"] if role == "patient" else FULL,
        roles=[role],
        patient=patient if role == "patient" else None,
        subject=f"{role}-matrix",
    )
    outcomes: list[tuple[str, httpx.Response]] = [
        ("read", await app.get(f"{res_type}/{target}", headers)),
        ("search", await app.get(f"{res_type}?_id={target}", headers)),
        ("update", await app.put(f"{res_type}/{target}", {**body(res_type, patient), "id": target}, headers)),
        ("create", await app.post(res_type, body(res_type, patient), headers)),
        ("delete", await app.delete(f"{res_type}/{target}", headers)),
    ]
    return [(name, expected(role, res_type, name), response.status_code) for name, response in outcomes]


async def test_every_role_on_every_group_for_every_interaction(database_url: str) -> None:
    wrong = []
    async with running(database_url) as app:
        for role in sorted(POLICY):
            for res_type in GROUP_OF:
                for interaction, allowed, status in await attempt(app, role, res_type):
                    if (status < 300) != allowed or (not allowed and status != 403):
                        wrong.append((role, res_type, interaction, allowed, status))
    assert not wrong, wrong
