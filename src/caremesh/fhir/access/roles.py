"""What each staff or patient role may do, per group of resource types (the declared policy table).

Letters are SMART's ``cruds``. A role grants nothing the token's scopes do not also grant: the
effective permission is scope AND role. ``may_break_glass`` roles can read beyond their table
(never write) with a stated reason; researchers get no identified data here at all (the
de-identification service serves them), privacy officers only the audit API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from caremesh.fhir.access.groups import ADMINISTRATIVE, CLINICAL, FINANCIAL, MEDICATION, NOTES, REFERENCE

PATIENT_ROLE = "patient"


@dataclass(frozen=True)
class RolePolicy:
    groups: Mapping[str, str]  # group -> letters
    types: Mapping[str, str] = field(default_factory=dict)  # per-type exceptions to the group
    may_break_glass: bool = False

    def letters(self, group: str, resource_type: str) -> str:
        return self.types.get(resource_type, self.groups.get(group, ""))


_ALL, _RS = "cruds", "rs"
ROLE_POLICIES: Mapping[str, RolePolicy] = MappingProxyType({
    "clinician": RolePolicy(
        {CLINICAL: _ALL, NOTES: _ALL, MEDICATION: _ALL, ADMINISTRATIVE: _ALL, FINANCIAL: _RS, REFERENCE: _RS},
        may_break_glass=True,
    ),
    "nurse": RolePolicy(
        {CLINICAL: "crus", NOTES: "crus", MEDICATION: "crus", ADMINISTRATIVE: "crus", REFERENCE: "rs"},
        may_break_glass=True,
    ),
    "pharmacist": RolePolicy(
        {CLINICAL: "rs", MEDICATION: _ALL, ADMINISTRATIVE: "rs", REFERENCE: "rs"},
    ),
    "care-coordinator": RolePolicy(
        {CLINICAL: "rs", MEDICATION: "rs", ADMINISTRATIVE: "crus", REFERENCE: "rs"},
    ),
    "billing": RolePolicy({FINANCIAL: _ALL, ADMINISTRATIVE: "rs", REFERENCE: "rs"}),
    "researcher": RolePolicy({}),
    "admin": RolePolicy({REFERENCE: _ALL}),
    "privacy-officer": RolePolicy({}),
    PATIENT_ROLE: RolePolicy(
        {CLINICAL: _RS, NOTES: _RS, MEDICATION: _RS, ADMINISTRATIVE: _RS, FINANCIAL: _RS, REFERENCE: _RS},
        types={"QuestionnaireResponse": "crus", "Communication": "crus", "Observation": "crus",
               "Patient": "rus"},
    ),
})  # fmt: skip
ROLE_ALIASES = MappingProxyType(
    {"physician": "clinician", "practitioner": "clinician", "administrator": "admin"}
)


def known_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
    named = (ROLE_ALIASES.get(role, role) for role in roles)
    return tuple(role for role in dict.fromkeys(named) if role in ROLE_POLICIES)
