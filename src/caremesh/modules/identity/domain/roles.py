"""The roles a caremesh user has, and which of them are staff (multi-factor required)."""

from __future__ import annotations

CLINICIAN = "clinician"
NURSE = "nurse"
PHARMACIST = "pharmacist"
BILLING = "billing"
CARE_COORDINATOR = "care-coordinator"
RESEARCHER = "researcher"
ADMIN = "admin"
PATIENT = "patient"

ROLES = (CLINICIAN, NURSE, PHARMACIST, BILLING, CARE_COORDINATOR, RESEARCHER, ADMIN, PATIENT)
STAFF_ROLES = frozenset(ROLES) - {PATIENT}

# What a user of each role may be granted at most, whatever the app asks for; the FHIR API and
# module APIs still check role and scope on every interaction (authorization is enforced there).
ROLE_SCOPE_CEILING = {
    CLINICIAN: "user/*.cruds patient/*.cruds",
    NURSE: "user/*.cruds patient/*.cruds",
    PHARMACIST: "user/*.cruds patient/*.cruds",
    CARE_COORDINATOR: "user/*.cruds patient/*.cruds",
    BILLING: "user/*.rs patient/*.rs",
    RESEARCHER: "user/*.rs",
    ADMIN: "user/*.cruds patient/*.cruds",
    PATIENT: "patient/*.rs patient/*.cu",
}


def scope_ceiling(role: str) -> str:
    return ROLE_SCOPE_CEILING.get(role, "")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    return role


def requires_mfa(role: str) -> bool:
    return role in STAFF_ROLES
