"""A reading as a payload format parsed it, before validation; and why a reading was rejected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Measurement:
    value: float
    unit: str | None  # as reported; None means the metric's canonical unit


@dataclass(frozen=True)
class Candidate:
    """One reading from a device payload: metrics measured together at one moment."""

    client_ref: str | None  # the sender's own id for the reading (for its bookkeeping)
    kind: str
    measured_at: datetime
    measurements: Mapping[str, Measurement]
    raw: Mapping[str, Any]  # a single-reading document in the source format (dead letter, replay)
    notes: tuple[str, ...] = ()  # e.g. vendor measure types that were not understood
    device: str | None = None  # a gateway's batch names each reading's device (id or serial)


@dataclass(frozen=True)
class Malformed:
    """An entry of the payload that could not be read as a reading at all."""

    client_ref: str | None
    message: str
    raw: Mapping[str, Any]
    device: str | None = None


@dataclass(frozen=True)
class ParsedBatch:
    device: str | None  # the device the document names (None: the authenticated device)

    def device_of(self, entry: Candidate | Malformed) -> str | None:
        return entry.device or self.device
    entries: list[Candidate | Malformed] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    """Why a reading was not accepted; ``reason`` is a stable code, ``message`` explains it."""

    reason: str
    message: str


# Reason codes (stable: shown to the care team, counted in metrics, filtered in the API).
MALFORMED = "malformed"
UNKNOWN_DEVICE = "unknown-device"
DEVICE_MISMATCH = "device-mismatch"
REVOKED_CREDENTIAL = "revoked-credential"
UNASSIGNED = "unassigned-device"
UNSUPPORTED_KIND = "unsupported-kind"
UNIT = "invalid-unit"
OUT_OF_RANGE = "out-of-range"
FUTURE = "timestamp-in-future"
TOO_OLD = "timestamp-too-old"
INACTIVE_DEVICE = "inactive-device"
