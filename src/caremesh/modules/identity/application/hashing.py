"""Password and secret hashing (argon2id) and one-way digests of bearer values.

argon2id parameters follow OWASP's minimum (19 MiB, 2 passes, 1 lane): on this project's 2-core
reference machine one hash takes ~25 ms (see docs/security.md), slow enough to make offline
guessing expensive, fast enough that logins do not queue. Hashing runs in a worker thread.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)


def hash_secret(value: str) -> str:
    return HASHER.hash(value)


def verify_secret(stored_hash: str, value: str) -> bool:
    try:
        return HASHER.verify(stored_hash, value)
    except (VerificationError, InvalidHashError):
        return False


def digest(value: str) -> str:
    """SHA-256 of a high-entropy bearer value (code, refresh token, session id): enough to look it
    up, useless to whoever reads the table."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


class SecretVerifier:
    """Client secrets are random 256-bit values, so argon2 protects the stored hash, not a guessable
    secret; once a (client, hash, secret) triple verified, a keyed digest of it is remembered so
    the token endpoint does not pay ~25 ms per request. A changed stored hash misses the cache."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._key = secrets.token_bytes(32)
        self._verified: set[bytes] = set()
        self._max = max_entries
        self._lock = threading.Lock()

    def verify(self, client_id: str, stored_hash: str | None, secret: str | None) -> bool:
        if not stored_hash or not secret:
            return False
        mark = hmac.new(self._key, f"{client_id}\0{stored_hash}\0{secret}".encode(), hashlib.sha256).digest()
        with self._lock:
            if mark in self._verified:
                return True
        if not verify_secret(stored_hash, secret):
            return False
        with self._lock:
            if len(self._verified) >= self._max:
                self._verified.clear()
            self._verified.add(mark)
        return True
