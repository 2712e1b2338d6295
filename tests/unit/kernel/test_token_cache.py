"""The memo of verified tokens: bounded in age, size and the token's own expiry; revocation wins."""

from __future__ import annotations

import time

import pytest

from caremesh.kernel.errors import Unauthorized
from caremesh.kernel.security import tokens
from caremesh.kernel.security.token_cache import VerifiedTokens


def _valid() -> bool:
    return True


def test_a_remembered_token_is_answered_until_its_age_limit() -> None:
    cache: VerifiedTokens[str] = VerifiedTokens(max_age=0.05)
    cache.put("t", "ctx", "claims", expires_at=time.time() + 3600, still_valid=_valid)
    assert cache.get("t", "ctx") == "claims"
    assert cache.get("t", "other-secret") is None
    time.sleep(0.06)
    assert cache.get("t", "ctx") is None


def test_never_past_the_tokens_expiry_and_never_when_already_expired() -> None:
    cache: VerifiedTokens[str] = VerifiedTokens(max_age=60)
    cache.put("old", "ctx", "claims", expires_at=time.time() - 1, still_valid=_valid)
    assert cache.get("old", "ctx") is None
    cache.put("soon", "ctx", "claims", expires_at=time.time() + 0.05, still_valid=_valid)
    time.sleep(0.06)
    assert cache.get("soon", "ctx") is None


def test_a_revoked_token_is_forgotten_at_once() -> None:
    revoked = False
    cache: VerifiedTokens[str] = VerifiedTokens()
    cache.put("t", "ctx", "claims", expires_at=time.time() + 3600, still_valid=lambda: not revoked)
    assert cache.get("t", "ctx") == "claims"
    revoked = True
    assert cache.get("t", "ctx") is None


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: VerifiedTokens[str] = VerifiedTokens(max_entries=2)
    for name in ("a", "b"):
        cache.put(name, "ctx", name, expires_at=time.time() + 3600, still_valid=_valid)
    assert cache.get("a", "ctx") == "a"
    cache.put("c", "ctx", "c", expires_at=time.time() + 3600, still_valid=_valid)
    assert cache.get("b", "ctx") is None
    assert cache.get("a", "ctx") == "a"


def test_a_cached_dev_token_is_refused_once_the_secret_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue_token(subject="u", client_id="c", kind="user", scopes=["user/*.rs"])
    assert tokens.verify_token(token).subject == "u"
    monkeypatch.setenv("CAREMESH_SECRET", "another-secret-for-this-test-0123456789")
    with pytest.raises(Unauthorized):
        tokens.verify_token(token)


def test_a_cached_user_token_is_refused_once_dev_tokens_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue_token(subject="u", client_id="c", kind="user", scopes=["user/*.rs"])
    assert tokens.verify_token(token).subject == "u"
    monkeypatch.setenv("CAREMESH_DEV_TOKENS", "off")
    with pytest.raises(Unauthorized):
        tokens.verify_token(token)
