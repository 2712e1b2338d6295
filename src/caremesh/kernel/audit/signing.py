"""The key that signs checkpoints of the audit chain (Ed25519, from ``cryptography``).

The private key lives outside the database (``$CAREMESH_VAR_DIR/audit/signing-key.pem``, or
``CAREMESH_AUDIT_SIGNING_KEY`` pointing elsewhere), so someone who can write the database cannot
forge a checkpoint: rewriting the chain before the newest checkpoint is always detected.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caremesh.kernel.security.tokens import var_dir


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return f"caremesh-audit-checkpoint:{seq}:{head_hash}".encode()


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, seq: int, head_hash: str) -> str:
        return base64.b64encode(self.key.sign(checkpoint_message(seq, head_hash))).decode()

    def verify(self, seq: int, head_hash: str, signature: str) -> bool:
        try:
            self.key.public_key().verify(base64.b64decode(signature), checkpoint_message(seq, head_hash))
        except (InvalidSignature, ValueError):
            return False
        return True


def key_path() -> Path:
    configured = os.environ.get("CAREMESH_AUDIT_SIGNING_KEY")
    return Path(configured) if configured else var_dir() / "audit" / "signing-key.pem"


@cache
def _load(path: Path) -> Signer:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            with path.open("xb") as handle:
                handle.write(pem)
            path.chmod(0o600)
        except FileExistsError:
            pass  # another process of the topology made it first
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return Signer(key)


def default_signer() -> Signer:
    return _load(key_path().resolve())
