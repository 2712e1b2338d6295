"""Cryptography for data at rest and in transit: field envelope encryption with key rotation,
blind indexes for searching encrypted identifiers, and the TLS >= 1.2 policy."""

from caremesh.kernel.crypto.blind_index import BlindIndex
from caremesh.kernel.crypto.envelope import DecryptionError, FieldCipher, FieldContext, is_ciphertext
from caremesh.kernel.crypto.keys import (
    Kek,
    KeyRing,
    KeyringError,
    kek_from_file,
    kek_from_secret,
    new_key_file,
)
from caremesh.kernel.crypto.tls import client_ssl_context, server_ssl_context

__all__ = [
    "BlindIndex",
    "DecryptionError",
    "FieldCipher",
    "FieldContext",
    "Kek",
    "KeyRing",
    "KeyringError",
    "client_ssl_context",
    "is_ciphertext",
    "kek_from_file",
    "kek_from_secret",
    "new_key_file",
    "server_ssl_context",
]
