"""Devices, their assignment to patients over time, and their credentials."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

ACTIVE, INACTIVE, RETIRED = "active", "inactive", "retired"
STATUSES = (ACTIVE, INACTIVE, RETIRED)
TOKEN_PREFIX = "cmd_"  # noqa: S105 - recognisable in secret scanners and logs that must never show it

# Reading ids are derived from the dedupe key, so a resent reading gets the id it already has
# (and the EHR's Observation id derived from it stays the same across redeliveries).
_READING_NAMESPACE = uuid.UUID("6f1d3b52-58b4-4c84-9c0a-3f5b8f0e2c11")


@dataclass(frozen=True)
class Device:
    id: str
    serial: str
    type: str
    status: str
    manufacturer: str | None
    model: str | None
    created_at: datetime


@dataclass(frozen=True)
class Assignment:
    device_id: str
    patient_id: str
    start_at: datetime
    end_at: datetime | None  # None: still assigned

    def covers(self, moment: datetime) -> bool:
        return self.start_at <= moment and (self.end_at is None or moment < self.end_at)


def patient_at(assignments: Sequence[Assignment], moment: datetime) -> str | None:
    """The patient the device was with at ``moment`` (readings are attributed to them)."""
    for assignment in assignments:
        if assignment.covers(moment):
            return assignment.patient_id
    return None


def new_device_token() -> str:
    """256 random bits: shown once to the person pairing the device, stored only as a hash."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A fast hash suffices: the token is 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


_NAMESPACE_BYTES = _READING_NAMESPACE.bytes


def reading_id(device_id: str, kind: str, measured_at: datetime) -> str:
    """UUIDv5 (RFC 9562) of the dedupe key, computed without building uuid.UUID objects (hot path)."""
    name = f"{device_id}|{kind}|{measured_at.timestamp():.6f}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
