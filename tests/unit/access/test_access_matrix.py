"""The authorization matrix, generated: every role x every R4 type x every interaction.

``POLICY`` (access_policy_table.py) is the declared policy: what the security design says each
role may do with each group of resource types. The cases are generated from it and from the spec's
own list of types, and each is checked against :func:`decide`. Nothing is hand-listed per case.
"""

from __future__ import annotations

from itertools import combinations

import pytest
from tests.unit.access.access_policy_table import BREAK_GLASS, PATIENT_WRITES, POLICY

from caremesh.fhir.access.groups import group_of, in_compartment_definition, is_shared
from caremesh.fhir.access.policy import LETTERS, Interaction, decide
from caremesh.fhir.access.scopes import LETTERS as ALL_LETTERS
from caremesh.fhir.definitions import load
from caremesh.kernel.security.principal import Principal

DEFINITIONS = load()
TYPES = sorted(DEFINITIONS.resource_types)


def user(role: str) -> Principal:
    if role == "patient":
        return Principal("pat-1", "app", "user", ("patient/*.cruds",), roles=(role,), patient="p1")
    return Principal(f"{role}-1", "app", "user", ("user/*.cruds",), roles=(role,))


def expected(role: str, res_type: str, interaction: Interaction) -> bool:
    needed = set(LETTERS[interaction])
    if role == "patient":
        letters = PATIENT_WRITES.get(res_type, POLICY[role].get(group_of(DEFINITIONS, res_type), ""))
        if not in_compartment_definition(DEFINITIONS, res_type):
            return is_shared(DEFINITIONS, res_type) and needed <= set("rs") and needed <= set(letters)
        return needed <= set(letters)
    return needed <= set(POLICY[role].get(group_of(DEFINITIONS, res_type), ""))


@pytest.mark.parametrize("role", sorted(POLICY))
def test_every_type_and_interaction_for_the_role(role: str) -> None:
    actor = user(role)
    wrong = []
    for res_type in TYPES:
        for interaction in Interaction:
            decision = decide(DEFINITIONS, actor, interaction, res_type)
            if decision.allowed != expected(role, res_type, interaction):
                wrong.append((res_type, str(interaction), decision.allowed))
            elif decision.allowed and role == "patient" and in_compartment_definition(DEFINITIONS, res_type):
                assert decision.patient == "p1", (res_type, interaction)
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("role", sorted(POLICY))
def test_break_glass_widens_reads_only_for_roles_that_may(role: str) -> None:
    actor = user(role)
    for res_type in TYPES:
        for interaction in Interaction:
            if expected(role, res_type, interaction) or role == "patient":
                continue
            decision = decide(DEFINITIONS, actor, interaction, res_type, break_glass=True)
            reads = set(LETTERS[interaction]) <= set("rs")
            assert decision.allowed == (role in BREAK_GLASS and reads), (res_type, interaction)
            assert decision.break_glass == decision.allowed


def test_every_type_interaction_and_scope_letter_set() -> None:
    subsets = ["".join(c) for n in range(1, 6) for c in combinations(ALL_LETTERS, n)]
    for res_type in TYPES:
        for letters in subsets:
            actor = Principal("app", "app", "client", (f"system/{res_type}.{letters}",))
            for interaction in Interaction:
                allowed = decide(DEFINITIONS, actor, interaction, res_type).allowed
                assert allowed == (set(LETTERS[interaction]) <= set(letters)), (
                    res_type,
                    letters,
                    interaction,
                )
                other = "Patient" if res_type != "Patient" else "Observation"
                assert not decide(DEFINITIONS, actor, interaction, other).allowed


def test_patient_scopes_confine_and_need_a_patient_context() -> None:
    app = Principal("app", "app", "client", ("patient/Observation.rs",), patient="p7")
    assert decide(DEFINITIONS, app, Interaction.READ, "Observation").patient == "p7"
    orphan = Principal("app", "app", "client", ("patient/Observation.rs",))
    assert not decide(DEFINITIONS, orphan, Interaction.READ, "Observation").allowed
    wide = Principal("app", "app", "client", ("patient/Observation.rs", "user/Observation.rs"), patient="p7")
    assert decide(DEFINITIONS, wide, Interaction.READ, "Observation").patient is None


def test_unknown_roles_grant_nothing_and_services_pass() -> None:
    stranger = Principal("u", "app", "user", ("user/*.cruds",), roles=("janitor",))
    assert not any(decide(DEFINITIONS, stranger, i, "Observation").allowed for i in Interaction)
    service = Principal("svc", "svc", "service", ())
    assert all(decide(DEFINITIONS, service, i, "Observation").allowed for i in Interaction)
    nobody = Principal("u", "app", "user", ())
    assert not any(decide(DEFINITIONS, nobody, i, t).allowed for i in Interaction for t in TYPES)
