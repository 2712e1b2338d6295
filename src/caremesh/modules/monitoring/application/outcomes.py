"""What ingestion answers for each reading of a batch (and only after the batch committed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

STORED, DUPLICATE, REJECTED = "stored", "duplicate", "rejected"


@dataclass
class Outcome:
    index: int
    client_ref: str | None
    outcome: str = REJECTED
    reading_id: str | None = None
    reason: str | None = None
    message: str | None = None
    rejected_id: str | None = None
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    device_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "outcome": self.outcome}
        if self.client_ref is not None:
            body["id"] = self.client_ref
        for key in ("device_id", "reading_id", "reason", "message", "rejected_id"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        if self.flags:
            body["flags"] = list(self.flags)
        if self.notes:
            body["notes"] = list(self.notes)
        return body


@dataclass
class BatchResult:
    batch_id: str
    device_id: str | None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(o.outcome for o in self.outcomes)
        return {key: counts.get(key, 0) for key in (STORED, DUPLICATE, REJECTED)}

    @property
    def status(self) -> int:
        # 207: some readings of the batch were not accepted; each outcome says which and why.
        return 207 if any(o.outcome == REJECTED for o in self.outcomes) else 200

    def as_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "device": self.device_id,
            "summary": self.summary,
            "results": [o.as_json() for o in self.outcomes],
        }
