"""AES-256-GCM envelope encryption of single fields (SSN, driver's licence number, ...).

Each value gets its own random data key (DEK); the value is sealed with the DEK and the DEK is
sealed with the ring's active key-encryption key. Both seals authenticate the same associated
data, the value's *place*: (resource type, resource id, field). A ciphertext copied into another
record or another field therefore fails to open instead of silently moving an SSN between
patients. The result is one ASCII token that fits a TEXT column or a JSON string:

    cm1.<kid>.<b64url(dek nonce | sealed DEK)>.<b64url(nonce | sealed value)>

Rotation: make a new key active (new writes use it), keep the old one in the ring, run
``rotate`` over stored tokens (re-wraps the DEK only: the value's ciphertext is unchanged), then
retire the old key.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caremesh.kernel.crypto.keys import KEY_BYTES, KeyRing, KeyringError

VERSION = "cm1"
_NONCE = 12


class DecryptionError(ValueError):
    """The token was altered, belongs to another place, or its key is not available."""


@dataclass(frozen=True)
class FieldContext:
    """Where a value lives; bound into its ciphertext as associated data."""

    resource_type: str
    resource_id: str
    field: str

    def aad(self, kid: str | None = None) -> bytes:
        """The value's associated data; the wrapped data key's also names the key id. A JSON
        array is an unambiguous encoding ("a|b","c" and "a","b|c" differ)."""
        return orjson.dumps([VERSION, kid, self.resource_type, self.resource_id, self.field])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)


@dataclass(frozen=True)
class _Parsed:
    kid: str
    wrapped_dek: bytes
    sealed_value: bytes


def _parse(token: str) -> _Parsed:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise DecryptionError("not a caremesh field ciphertext")
    try:
        return _Parsed(parts[1], _unb64(parts[2]), _unb64(parts[3]))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("malformed field ciphertext") from exc


def is_ciphertext(value: str) -> bool:
    return value.startswith(VERSION + ".") and value.count(".") == 3


class FieldCipher:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def encrypt(self, plaintext: str, context: FieldContext) -> str:
        kek = self.ring.active
        dek = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        wrapped = _seal(kek.key, dek, context.aad(kek.kid))
        sealed = _seal(dek, plaintext.encode(), context.aad())
        return f"{VERSION}.{kek.kid}.{_b64(wrapped)}.{_b64(sealed)}"

    def decrypt(self, token: str, context: FieldContext) -> str:
        parsed = _parse(token)
        dek = self._unwrap(parsed, context)
        try:
            return _open(dek, parsed.sealed_value, context.aad()).decode()
        except (InvalidTag, ValueError, UnicodeDecodeError) as exc:
            raise DecryptionError("field ciphertext failed authentication") from exc

    def needs_rotation(self, token: str) -> bool:
        return _parse(token).kid != self.ring.active.kid

    def rotate(self, token: str, context: FieldContext) -> str:
        """The token with its data key re-wrapped under the active key (unchanged if it already
        is). The sealed value is kept as it is; it is authenticated first, so a tampered token
        is refused rather than carried forward."""
        parsed = _parse(token)
        active = self.ring.active
        if parsed.kid == active.kid:
            return token
        dek = self._unwrap(parsed, context)
        try:
            _open(dek, parsed.sealed_value, context.aad())
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("field ciphertext failed authentication") from exc
        wrapped = _seal(active.key, dek, context.aad(active.kid))
        return f"{VERSION}.{active.kid}.{_b64(wrapped)}.{_b64(parsed.sealed_value)}"

    def _unwrap(self, parsed: _Parsed, context: FieldContext) -> bytes:
        try:
            kek = self.ring.get(parsed.kid)
        except KeyringError as exc:
            raise DecryptionError("the key that sealed this field is not in the ring") from exc
        try:
            dek = _open(kek.key, parsed.wrapped_dek, context.aad(parsed.kid))
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("field ciphertext failed authentication") from exc
        if len(dek) != KEY_BYTES:
            raise DecryptionError("field ciphertext failed authentication")
        return dek
