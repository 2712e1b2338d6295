"""Blind indexes: a keyed HMAC-SHA256 of a normalised value, stored beside its ciphertext, so an
encrypted SSN can be found by equality without decrypting every row.

The index is deterministic (that is what makes it searchable) and so reveals which rows share a
value; it is keyed (unlike a plain hash, which a 10^9-entry SSN table reverses in minutes) and
domain-separated per kind of value, so an SSN index cannot be compared with a licence index. Its
key is separate from the encryption keys: rotating it means recomputing every index, which
``BlindIndex.compute`` under the new key does from the decrypted values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata

from caremesh.kernel.crypto.keys import derive

_NON_ALNUM = re.compile(r"[^0-9A-Z]")


def normalise(kind: str, value: str) -> str:
    """Spellings of one identifier map to one index: ``123-45-6789`` and ``123 45 6789`` are the
    same SSN; licence numbers compare case-insensitively without separators."""
    text = unicodedata.normalize("NFKC", value).upper()
    if kind == "us-ssn":
        return re.sub(r"\D", "", text)
    return _NON_ALNUM.sub("", text)


class BlindIndex:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a blind-index key is at least 32 bytes")
        self._key = key

    @classmethod
    def from_secret(cls, secret: str | bytes) -> BlindIndex:
        return cls(derive(secret, "caremesh/field-encryption/blind-index"))

    def compute(self, kind: str, value: str) -> str:
        message = kind.encode() + b"\x00" + normalise(kind, value).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
