"""SMART scopes, password policy, lockout backoff, session rules and sealing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from caremesh.kernel.security.smart_scopes import (
    granted,
    normalize,
    parse_resource_scope,
    split_scopes,
    within,
)
from caremesh.modules.identity.adapters.sealing import Sealer
from caremesh.modules.identity.domain import lockout
from caremesh.modules.identity.domain.passwords import password_problems
from caremesh.modules.identity.domain.sessions import SessionPolicy


@pytest.mark.parametrize(
    ("v1", "v2"),
    [
        ("patient/Observation.read", "patient/Observation.rs"),
        ("user/*.write", "user/*.cud"),
        ("system/*.*", "system/*.cruds"),
        ("patient/Observation.sr", "patient/Observation.rs"),
        ("patient/Observation.rs?category=laboratory", "patient/Observation.rs?category=laboratory"),
        ("openid", "openid"),
    ],
)
def test_v1_scopes_map_to_v2(v1: str, v2: str) -> None:
    assert normalize(v1) == v2


@pytest.mark.parametrize(
    "text", ["patient/Observation.xyz", "patient/Observation.rr", "nurse/*.rs", "user/obs.rs"]
)
def test_malformed_resource_scopes_are_not_resource_scopes(text: str) -> None:
    assert parse_resource_scope(text) is None


def test_granted_keeps_what_the_client_may_have() -> None:
    allowed = "patient/*.rs user/Observation.cruds launch/patient openid"
    requested = "patient/Observation.read user/Observation.rs user/Patient.rs launch/patient fhirUser"
    assert granted(allowed, requested) == ["patient/Observation.rs", "user/Observation.rs", "launch/patient"]


def test_granular_category_scopes_are_honoured() -> None:
    allowed = "patient/Observation.rs?category=laboratory"
    assert granted(allowed, "patient/Observation.rs?category=laboratory") == [allowed]
    assert granted(allowed, "patient/Observation.rs") == []  # wider than the grant
    assert granted(allowed, "patient/Observation.rs?category=vital-signs") == []
    assert granted("patient/Observation.rs", allowed) == [allowed]  # narrower is fine


scope_text = st.builds(
    lambda ctx, rtype, perms: f"{ctx}/{rtype}.{''.join(p for p in 'cruds' if p in perms)}",
    st.sampled_from(["patient", "user", "system"]),
    st.sampled_from(["*", "Observation", "Patient", "Condition"]),
    st.sets(st.sampled_from("cruds"), min_size=1),
)


@given(st.lists(scope_text, max_size=5), st.lists(scope_text, max_size=5))
def test_granted_is_never_wider_than_allowed_or_requested(allowed: list[str], requested: list[str]) -> None:
    result = granted(" ".join(allowed), " ".join(requested))
    assert set(result) <= set(split_scopes(" ".join(requested)))
    allowed_parsed = [parse_resource_scope(a) for a in allowed]
    for item in result:
        parsed = parse_resource_scope(item)
        assert parsed is not None
        assert any(a is not None and a.covers(parsed) for a in allowed_parsed)


def test_password_policy() -> None:
    common = frozenset({"password1234"})
    assert password_problems("Synthetic-Long-Pass", username="jdoe", common=common) == []
    assert password_problems("short", username="jdoe", common=common)
    assert password_problems("PASSWORD1234", username="x", common=common) == ["is a commonly used password"]
    assert password_problems("my-jdoe-password", username="jdoe", common=common) == [
        "must not contain the username"
    ]


def test_lockout_backoff_doubles_and_is_capped() -> None:
    assert [lockout.lock_duration(n) for n in range(5)] == [None] * 5
    assert lockout.lock_duration(5) == timedelta(seconds=30)
    assert lockout.lock_duration(6) == timedelta(seconds=60)
    assert lockout.lock_duration(7) == timedelta(seconds=120)
    assert lockout.lock_duration(40) == lockout.CAP


def test_session_expires_absolutely_and_when_idle() -> None:
    policy = SessionPolicy(absolute=timedelta(hours=8), idle=timedelta(minutes=15))
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    expires = policy.expires_at(start)
    assert policy.is_active(expires_at=expires, last_seen_at=start, now=start + timedelta(minutes=14))
    assert not policy.is_active(expires_at=expires, last_seen_at=start, now=start + timedelta(minutes=15))
    late = start + timedelta(hours=8)
    assert not policy.is_active(expires_at=expires, last_seen_at=late - timedelta(minutes=1), now=late)


def test_sealed_values_open_only_for_their_row_and_secret() -> None:
    sealer = Sealer("deployment-secret-one")
    sealed = sealer.seal(b"JBSWY3DPEHPK3PXP", bound_to="user-1")
    assert "JBSWY3DP" not in sealed
    assert sealer.open(sealed, bound_to="user-1") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidTag):
        sealer.open(sealed, bound_to="user-2")
    with pytest.raises(InvalidTag):
        Sealer("another-secret").open(sealed, bound_to="user-1")


def test_within_narrows_to_a_ceiling() -> None:
    ceiling = "user/*.rs patient/Observation.cruds"
    requested = ["user/*.cruds", "patient/*.rs", "system/*.rs", "openid", "user/Patient.c"]
    assert within(ceiling, requested) == ["user/*.rs", "patient/Observation.rs", "openid"]
