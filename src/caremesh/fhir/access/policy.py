"""The access decision for one interaction on one resource type: scopes AND roles, confinement.

``decide`` answers before any data is read, so a refusal never depends on whether a resource
exists. When the caller is confined to a patient (a patient user, or a token holding only
``patient/`` scopes for the type) the decision names that patient; the REST layer then checks that
every resource read or written is in the patient's compartment.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Protocol

from caremesh.fhir.access.groups import group_of, in_compartment_definition, is_shared
from caremesh.fhir.access.roles import PATIENT_ROLE, ROLE_POLICIES, known_roles
from caremesh.fhir.access.scopes import Restriction, ScopeSet
from caremesh.fhir.definitions import Definitions

ANY_TYPE = "*"


class Interaction(StrEnum):
    CREATE = "create"
    READ = "read"
    VREAD = "vread"
    HISTORY = "history"
    SEARCH = "search"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"
    EVERYTHING = "everything"
    EXPORT = "export"


LETTERS: dict[Interaction, str] = {
    Interaction.CREATE: "c", Interaction.READ: "r", Interaction.VREAD: "r", Interaction.HISTORY: "r",
    Interaction.SEARCH: "rs", Interaction.UPDATE: "u", Interaction.PATCH: "u", Interaction.DELETE: "d",
    Interaction.EVERYTHING: "rs", Interaction.EXPORT: "rs",
}  # fmt: skip


class Actor(Protocol):
    """The caller, as the kernel's Principal describes it."""

    @property
    def kind(self) -> str: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...
    @property
    def roles(self) -> tuple[str, ...]: ...
    @property
    def patient(self) -> str | None: ...
    @property
    def fhir_user(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not (for the audit), never shown in detail to the caller
    patient: str | None = None  # confine to this patient's compartment
    restrictions: tuple[Restriction, ...] = ()  # granular scopes: a resource must satisfy one
    break_glass: bool = False  # allowed only because of an emergency-access grant

    @property
    def confined(self) -> bool:
        return self.patient is not None


@cache
def _scope_set(scopes: tuple[str, ...]) -> ScopeSet:
    return ScopeSet.parse(scopes)


def patient_of(actor: Actor) -> str | None:
    """The patient the caller acts for: launch context, or the Patient the user is."""
    if actor.patient:
        return actor.patient
    kind, _, ident = (actor.fhir_user or "").partition("/")
    return ident if kind == "Patient" and ident else None


def may_break_glass(actor: Actor) -> bool:
    return any(ROLE_POLICIES[role].may_break_glass for role in known_roles(actor.roles))


def decide(
    definitions: Definitions,
    actor: Actor,
    interaction: Interaction,
    resource_type: str,
    *,
    break_glass: bool = False,
) -> Decision:
    if actor.kind == "service":
        return Decision(True)  # a caremesh process, authenticated with the deployment's service key
    letters = LETTERS[interaction]
    grant = _scope_set(actor.scopes).grant_all(resource_type, letters)
    if not grant.allowed:
        return Decision(False, "scope")
    confined = grant.patient_only
    elevated = False
    if actor.kind == "user" and actor.roles:
        verdict = _role_verdict(definitions, actor, resource_type, letters)
        if verdict is None:
            if not (break_glass and letters in ("r", "rs") and may_break_glass(actor)):
                return Decision(False, "role")
            elevated = True
        confined = confined or verdict == PATIENT_ROLE
    if not confined:
        return Decision(True, restrictions=grant.restrictions, break_glass=elevated)
    return _confined(definitions, actor, resource_type, letters, grant.restrictions)


def _role_verdict(definitions: Definitions, actor: Actor, resource_type: str, letters: str) -> str | None:
    """ "staff" when a staff role allows it, "patient" when only the patient role does, else None."""
    roles = known_roles(actor.roles)
    staff = [role for role in roles if role != PATIENT_ROLE]
    if _roles_allow(definitions, staff, resource_type, letters):
        return "staff"
    if PATIENT_ROLE in roles and _roles_allow(definitions, [PATIENT_ROLE], resource_type, letters):
        return PATIENT_ROLE
    return None


def _roles_allow(definitions: Definitions, roles: list[str], resource_type: str, letters: str) -> bool:
    if not roles:
        return False
    # Every type ("*"): every group must allow it.
    types = definitions.resource_types if resource_type == ANY_TYPE else frozenset({resource_type})
    for res_type in types:
        group = group_of(definitions, res_type)
        allowed = set().union(*(ROLE_POLICIES[role].letters(group, res_type) for role in roles))
        if not set(letters) <= allowed:
            return False
    return True


def _confined(
    definitions: Definitions,
    actor: Actor,
    resource_type: str,
    letters: str,
    restrictions: tuple[Restriction, ...],
) -> Decision:
    patient = patient_of(actor)
    if patient is None:
        return Decision(False, "no-patient-context")
    if resource_type != ANY_TYPE and not in_compartment_definition(definitions, resource_type):
        if is_shared(definitions, resource_type) and set(letters) <= set("rs"):
            return Decision(True, restrictions=restrictions)
        return Decision(False, "outside-compartment")
    return Decision(True, patient=patient, restrictions=restrictions)
