"""Keyed pseudonyms: the same source value maps to the same pseudonym within one extract, so one
patient's records stay linked, while nothing maps back. The key lives only as long as the
``Pseudonymizer`` (a fresh random key per extract unless one is given) and no table of pairs is
ever kept; without the key, a pseudonym is an HMAC-SHA256 output and reveals nothing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid


class Pseudonymizer:
    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and len(key) < 32:
            raise ValueError("a pseudonym key is at least 32 bytes")
        self._key = key if key is not None else secrets.token_bytes(32)

    def _digest(self, domain: str, value: str) -> bytes:
        return hmac.new(self._key, f"{domain}\x00{value}".encode(), hashlib.sha256).digest()

    def resource_id(self, value: str) -> str:
        """A UUID-shaped id (a valid FHIR id and ``urn:uuid:``), one per source id."""
        return str(uuid.UUID(bytes=self._digest("id", value)[:16], version=4))

    def identifier(self, system: str, value: str) -> str:
        return self._digest("identifier", f"{system}|{value}").hex()[:32]

    def oid(self, value: str) -> str:
        """A DICOM-style UID under the UUID arc 2.25 (for ImagingStudy UIDs)."""
        return f"2.25.{int.from_bytes(self._digest('uid', value)[:16], 'big')}"
