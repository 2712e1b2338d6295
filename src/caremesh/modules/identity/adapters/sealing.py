"""Secrets at rest (private signing keys, TOTP seeds): AES-256-GCM under a key derived with HKDF
from the deployment secret. The associated data binds a sealed value to its row, so a sealed
value copied to another row does not open."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"


class Sealer:
    def __init__(self, deployment_secret: str, *, purpose: str = "caremesh identity sealing") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
            deployment_secret.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, bound_to: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext, bound_to.encode())
        return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, *, bound_to: str) -> bytes:
        version, _, payload = sealed.partition(".")
        if version != VERSION:
            raise ValueError("unknown sealing version")
        raw = base64.urlsafe_b64decode(payload)
        return self._aead.decrypt(raw[:12], raw[12:], bound_to.encode())
