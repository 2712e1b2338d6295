"""Synthetic labelled records, Consents and clinician tokens for the segmentation tests."""

from __future__ import annotations

from typing import Any

from access_harness import FULL, AccessApp, observation_body, patient_body

from caremesh.kernel.security.tokens import issue_token

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PART2 = {"system": ACT_CODE, "code": "42CFRPart2"}
REDISCLOSURE = "x-caremesh-redisclosure"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
IRCP = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]}


def staff(practitioner: str, roles: tuple[str, ...] = ("clinician",)) -> dict[str, str]:
    bearer = issue_token(
        subject=f"user-{practitioner}",
        client_id="segmentation-tests",
        kind="user",
        scopes=FULL,
        extra_claims={"roles": list(roles), "fhirUser": f"Practitioner/{practitioner}"},
    )
    return {"authorization": f"Bearer {bearer}"}


def patient_user(patient: str) -> dict[str, str]:
    bearer = issue_token(
        subject=f"user-patient-{patient}",
        client_id="segmentation-tests",
        kind="user",
        scopes=["patient/*.rs"],
        extra_claims={"roles": ["patient"], "patient": patient, "fhirUser": f"Patient/{patient}"},
    )
    return {"authorization": f"Bearer {bearer}"}


def labelled(body: dict[str, Any], *labels: dict[str, str]) -> dict[str, Any]:
    return {**body, "meta": {"security": list(labels)}}


def consent(
    patient: str,
    *,
    actor: dict[str, Any] | None = None,
    purpose: str = "TREAT",
    labels: tuple[dict[str, str], ...] = (PART2,),
    status: str = "active",
    period: dict[str, str] | None = None,
    nested: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    provision: dict[str, Any] = {
        "type": "permit",
        "actor": [actor or {"role": IRCP, "reference": {"reference": "Practitioner/p1"}}],
        "purpose": [{"system": ACT_REASON, "code": purpose}],
    }
    if labels:
        provision["securityLabel"] = list(labels)
    if period is not None:
        provision["period"] = period
    if nested is not None:
        provision["provision"] = nested
    return {
        "resourceType": "Consent",
        "status": status,
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{patient}"},
        "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
        "provision": provision,
    }


async def record_with_part2(app: AccessApp) -> tuple[str, str, str]:
    """A patient, one ordinary and one 42 CFR Part 2 Observation of theirs: (patient, plain, part2)."""
    alice = await app.create(patient_body("Segmented"))
    plain = await app.create(observation_body(alice))
    part2 = await app.create(labelled(observation_body(alice, "social-history"), PART2))
    return alice, plain, part2


def entry_ids(bundle: dict[str, Any]) -> set[str]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])}
