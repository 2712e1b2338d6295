"""Key-encryption keys (KEKs) for field encryption, and the ring that holds them during rotation.

A KEK never encrypts data itself: it wraps the random per-value data keys (envelope encryption),
so rotating it means re-wrapping 32-byte data keys, not re-encrypting records. KEKs come either
from the deployment secret (HKDF-SHA256, one key per key id, so a new id is a new key) or from key
files (32 random bytes, base64, one file per key id: ``<kid>.key``) kept outside the database,
e.g. mounted from a secrets manager. The ring names one *active* key for new writes and keeps
the retired ones for reading what they wrapped until ``rotate`` has moved everything over.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32  # AES-256
_KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyringError(ValueError):
    """A key id or key file is malformed, or a ciphertext names a key the ring does not hold."""


@dataclass(frozen=True, repr=False)
class Kek:
    kid: str
    key: bytes

    def __post_init__(self) -> None:
        if not _KID.match(self.kid):
            raise KeyringError("a key id is 1-32 characters of A-Z a-z 0-9 _ -")
        if len(self.key) != KEY_BYTES:
            raise KeyringError("a key-encryption key is 32 bytes")

    def __repr__(self) -> str:  # never print key material
        return f"Kek(kid={self.kid!r})"


def derive(secret: str | bytes, label: str, length: int = KEY_BYTES) -> bytes:
    """A purpose-bound key from the deployment secret (HKDF-SHA256, ``label`` as info)."""
    material = secret.encode() if isinstance(secret, str) else secret
    if len(material) < 16:
        raise KeyringError("the deployment secret is too short to derive keys from")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"caremesh-kdf-v1", info=label.encode())
    return hkdf.derive(material)


def kek_from_secret(secret: str | bytes, kid: str) -> Kek:
    return Kek(kid, derive(secret, f"caremesh/field-encryption/kek/{kid}"))


def new_key_file(directory: Path, kid: str) -> Path:
    """Write a fresh random KEK as ``<kid>.key`` (mode 0600); refuses to overwrite one."""
    Kek(kid, bytes(KEY_BYTES))  # validates the id
    path = directory / f"{kid}.key"
    with path.open("x") as handle:
        handle.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode())
    path.chmod(0o600)
    return path


def kek_from_file(path: Path) -> Kek:
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyringError(f"key file {path.name} is not base64") from exc
    return Kek(path.stem, key)


class KeyRing:
    def __init__(self, keys: Iterable[Kek], *, active: str) -> None:
        self._keys: Mapping[str, Kek] = {k.kid: k for k in keys}
        if active not in self._keys:
            raise KeyringError(f"the active key id {active!r} is not in the ring")
        self.active = self._keys[active]

    def get(self, kid: str) -> Kek:
        try:
            return self._keys[kid]
        except KeyError:
            raise KeyringError(f"no key {kid!r} in the ring (retired too early?)") from None

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @classmethod
    def from_secret(cls, secret: str | bytes, kids: Iterable[str], *, active: str) -> KeyRing:
        return cls((kek_from_secret(secret, kid) for kid in kids), active=active)

    @classmethod
    def from_directory(cls, directory: Path, *, active: str) -> KeyRing:
        return cls((kek_from_file(p) for p in sorted(directory.glob("*.key"))), active=active)
