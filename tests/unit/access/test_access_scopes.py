"""SMART scope parsing: v2 letters, v1 mapping, granular restrictions, and never widening."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from caremesh.fhir.access.scopes import LETTERS, ResourceScope, ScopeSet, parse_scope
from caremesh.fhir.definitions import load

TYPES = sorted(load().resource_types)
SUBSETS = ["".join(c) for n in range(1, 6) for c in combinations(LETTERS, n)]


def test_v2_scopes_parse_for_every_type_and_every_letter_set() -> None:
    for res_type in [*TYPES, "*"]:
        for letters in SUBSETS:
            for context in ("patient", "user", "system"):
                scope = parse_scope(f"{context}/{res_type}.{letters}")
                assert scope == ResourceScope(context, res_type, frozenset(letters)), (res_type, letters)


def test_v1_permissions_map_to_v2_letters() -> None:
    assert parse_scope("patient/Observation.read") == ResourceScope("patient", "Observation", frozenset("rs"))
    assert parse_scope("user/*.write") == ResourceScope("user", "*", frozenset("cud"))
    assert parse_scope("system/*.*") == ResourceScope("system", "*", frozenset("cruds"))


def test_granular_scopes_keep_their_restriction() -> None:
    scope = parse_scope(
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
    )
    assert scope is not None
    assert scope.restriction == (
        ("category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"),
    )


@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes_and_only_wellformed_scopes_grant(text: str) -> None:
    scope = parse_scope(text)
    if scope is not None:
        assert scope.permissions and scope.permissions <= set(LETTERS)
        assert text.strip().split("/", 1)[0] == scope.context


@given(st.permutations(list(LETTERS)), st.integers(min_value=2, max_value=5))
def test_letters_out_of_order_are_refused_not_reordered(order: list[str], size: int) -> None:
    letters = "".join(order[:size])
    parsed = parse_scope(f"user/Observation.{letters}")
    in_order = "".join(sorted(letters, key=LETTERS.index)) == letters
    assert (parsed is not None) == in_order


@given(st.sampled_from(TYPES), st.sampled_from(SUBSETS), st.sampled_from(list(LETTERS)))
def test_a_scope_grants_exactly_its_letters_on_exactly_its_type(
    res_type: str, letters: str, wanted: str
) -> None:
    scopes = ScopeSet.parse([f"patient/{res_type}.{letters}"])
    assert scopes.grant(res_type, wanted).allowed == (wanted in letters)
    other = next(t for t in TYPES if t != res_type)
    assert not scopes.grant(other, wanted).allowed


def test_malformed_scopes_grant_nothing() -> None:
    malformed = (
        "user/Observation.rr",
        "user/Observation.sr",
        "user/observation.rs",
        "user/Observation.",
        "admin/Observation.rs",
        "user/Observation.rs?",
        "user/Observation.rs?category=",
        "openid",
        "launch/patient",
        "user/Observation.x",
        "patient/Observation.rs extra",
    )
    for text in malformed:
        assert parse_scope(text) is None, text


def test_wider_context_wins_and_restrictions_merge() -> None:
    scopes = ScopeSet.parse(["patient/Observation.rs", "user/Observation.r"])
    assert not scopes.grant("Observation", "r").patient_only
    assert scopes.grant("Observation", "s").patient_only
    granular = ScopeSet.parse(
        ["user/Observation.rs?category=laboratory", "user/Observation.rs?category=vital-signs"]
    )
    assert granular.grant("Observation", "r").restrictions == (
        (("category", "laboratory"),),
        (("category", "vital-signs"),),
    )
    assert (
        ScopeSet.parse([*granular_texts(), "user/Observation.r"]).grant("Observation", "r").restrictions == ()
    )


def granular_texts() -> list[str]:
    return ["user/Observation.rs?category=laboratory"]
