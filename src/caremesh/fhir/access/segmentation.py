"""Privacy segmentation: which security labels withhold a resource, and the redisclosure notice.

A resource labelled in ``meta.security`` with a sensitivity code (42 CFR Part 2 / substance use,
psychiatry, HIV, sexual and domestic violence) or a confidentiality of R or V is disclosed only to
its patient, to caremesh services, and to a recipient an active Consent of the patient permits for
the request's purpose of use and that label (:mod:`caremesh.fhir.access.consent`).
"""

from __future__ import annotations

from typing import Any

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"

Label = tuple[str, str]  # (system, code)

PART2: frozenset[Label] = frozenset({(ACT_CODE, "42CFRPart2"), (ACT_CODE, "ETH")})
SENSITIVE: frozenset[Label] = PART2 | frozenset(
    {(ACT_CODE, "PSY"), (ACT_CODE, "HIV"), (ACT_CODE, "SDV"), (CONFIDENTIALITY, "R"), (CONFIDENTIALITY, "V")}
)
# Consent to the stricter confidentiality level also releases the laxer one.
IMPLIED: dict[Label, frozenset[Label]] = {(CONFIDENTIALITY, "V"): frozenset({(CONFIDENTIALITY, "R")})}

TREATMENT = "TREAT"
EMERGENCY_TREATMENT = "ETREAT"

# Cheap pre-filter on stored JSON: a body without this key carries no label at all.
SECURITY_KEY = b'"security"'

# The notice 42 CFR 2.32(a)(1) requires with each disclosure made with the patient's consent.
REDISCLOSURE_NOTICE = (
    "42 CFR Part 2: This record which has been disclosed to you is protected by federal "
    "confidentiality rules (42 CFR part 2). These rules prohibit you from using or disclosing this "
    "record, or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except as "
    "provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or "
    "2.65. In addition, the Federal rules prohibit you from making any other use or disclosure of "
    "this record unless at least one of the following applies: Further use or disclosure is "
    "expressly permitted by the written consent of the individual whose information is being "
    "disclosed in this record or as otherwise permitted by 42 CFR part 2. A general authorization "
    "for the release of medical or other information is NOT sufficient for this purpose (see 42 "
    "CFR 2.31). The Federal rules restrict any use of the information to investigate or prosecute "
    "with regard to a crime any patient with a substance use disorder, except as provided at 42 "
    "CFR 2.12(c)(5) and 2.65."
)


def sensitive_labels(resource: dict[str, Any]) -> frozenset[Label]:
    """The labels of ``resource`` that withhold it; empty when it may be disclosed as usual."""
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return frozenset()
    security = meta.get("security")
    if not isinstance(security, list):
        return frozenset()
    found = {
        (coding.get("system"), coding.get("code"))
        for coding in security
        if isinstance(coding, dict)
    }
    return frozenset(label for label in SENSITIVE if label in found)


def may_carry_labels(body: bytes | None) -> bool:
    return body is not None and SECURITY_KEY in body


def is_part2(labels: frozenset[Label]) -> bool:
    return not labels.isdisjoint(PART2)


def label_text(label: Label) -> str:
    return label[1]
