"""The hash chain: each record's hash covers the previous hash, its sequence number and its body.

``hash = SHA-256(prev_hash || "\\n" || seq || "\\n" || body)`` over the stored body text (the
canonical JSON of the AuditEvent: sorted keys, no spaces), so any change to any column that
carries meaning, or a removed or reordered row, breaks the chain from that row on.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> str:
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode()


def link_hash(prev_hash: str, seq: int, body: str) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode())
    digest.update(b"\n%d\n" % seq)
    digest.update(body.encode())
    return digest.hexdigest()
