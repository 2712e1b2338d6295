"""Ingestion: parse, validate, store a batch in one transaction, answer per reading after commit.

Everything a batch writes (values, dead letters, observer effects such as alerts, the
ReadingsAccepted events for the EHR) commits together; outcomes are returned only afterwards,
so a device that sees "stored" can forget the reading, and one that sees nothing resends it
(a resend is a duplicate, never a second row).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters import reading_sql, rejected_sql
from caremesh.modules.monitoring.adapters.partitions import Partitions
from caremesh.modules.monitoring.application.batch_devices import BatchDevices, resolve
from caremesh.modules.monitoring.application.events import accepted_events
from caremesh.modules.monitoring.application.formats import FormatError, ReadingFormat
from caremesh.modules.monitoring.application.metrics import READINGS, REJECTIONS
from caremesh.modules.monitoring.application.outcomes import DUPLICATE, STORED, BatchResult, Outcome
from caremesh.modules.monitoring.application.pipeline import (
    Checked,
    check_entries,
    earliest_per_series,
    flag_jumps,
)
from caremesh.modules.monitoring.application.ports import LatestCache, LatestValue, ReadingsObserver
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed
from caremesh.modules.monitoring.domain.devices import Device
from caremesh.modules.monitoring.domain.reading import Reading
from caremesh.modules.monitoring.domain.validation import ReadingValidator, ValidationPolicy

MAX_DEAD_LETTER_BYTES = 256 * 1024
InTransaction = Callable[[Connection, BatchResult], Awaitable[None]]


class PayloadRejected(Exception):
    """The document as a whole is unreadable (kept in the dead-letter store when attributable)."""

    def __init__(self, message: str, rejected_id: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.rejected_id = rejected_id


@dataclass(frozen=True)
class _Batch:
    checked: list[Checked]
    accepted: list[Reading]
    result: BatchResult
    document: Any
    format: ReadingFormat
    devices: BatchDevices


@dataclass
class Ingestion:
    db: Database
    outbox: Outbox
    formats: Mapping[str, ReadingFormat]
    validators: tuple[ReadingValidator, ...]
    cache: LatestCache
    policy: ValidationPolicy = field(default_factory=ValidationPolicy)
    observers: list[ReadingsObserver] = field(default_factory=list)
    clock: Clock = utcnow

    def __post_init__(self) -> None:
        self.partitions = Partitions(self.db)

    def format(self, name: str) -> ReadingFormat | None:
        return self.formats.get(name)

    async def ingest_bytes(self, body: bytes, format_name: str, device: Device | None) -> BatchResult:
        """A request body from an authenticated device (``device``) or gateway (``None``)."""
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise await self._unreadable(
                body.decode(errors="replace"), format_name, device, "not JSON"
            ) from None
        return await self.ingest(document, format_name, device)

    async def ingest(
        self,
        document: Any,
        format_name: str,
        device: Device | None,
        *,
        received_at: datetime | None = None,
        dead_letter: bool = True,
        in_transaction: InTransaction | None = None,
    ) -> BatchResult:
        reading_format = self.formats[format_name]
        try:
            parsed = reading_format.parse(document)
        except FormatError as exc:
            if not dead_letter:
                raise PayloadRejected(str(exc), None) from None
            raise await self._unreadable(_dump(document), format_name, device, str(exc)) from None
        devices = await resolve(self.db, parsed, device)
        now = self.clock()
        received_at = received_at or now
        checked = check_entries(parsed.entries, devices, self.validators, self.policy, received_at, now)
        accepted = [c.reading for c in checked if c.reading is not None]
        await self.partitions.ensure({r.measured_at for r in accepted})
        single = devices.single
        result = BatchResult(new_id(), single.id if single else parsed.device)
        batch = _Batch(checked, accepted, result, document, reading_format, devices)
        stored = await self._store(batch, dead_letter, in_transaction)
        await self._refresh_cache(stored)
        _count(result)
        return result

    async def _store(
        self, batch: _Batch, dead_letter: bool, in_transaction: InTransaction | None
    ) -> list[Reading]:
        checked, accepted, result = batch.checked, batch.accepted, batch.result
        async with self.db.transaction() as conn:
            previous = await reading_sql.previous_values(conn, earliest_per_series(accepted))
            flagged = {r.reading_id: r for r in flag_jumps(accepted, previous)}
            inserted = await reading_sql.insert_values(conn, _value_rows(checked, flagged))
            stored: list[Reading] = []
            rejected: list[rejected_sql.RejectedRow] = []
            for item in checked:
                outcome = _outcome(item, flagged, inserted, stored)
                if outcome.reason is not None and dead_letter:
                    row = _dead_letter(item, outcome, result, batch.document, batch.format, self.clock())
                    outcome.rejected_id = row.id
                    rejected.append(row)
                result.outcomes.append(outcome)
            await rejected_sql.insert_rejected(conn, rejected)
            if stored:
                for observer in self.observers:
                    await observer.on_accepted(conn, stored)
                await self.outbox.add(conn, *accepted_events(result.batch_id, stored, batch.devices.type_of))
            if in_transaction is not None:
                await in_transaction(conn, result)
        return stored

    async def _unreadable(
        self, payload: str, format_name: str, device: Device | None, message: str
    ) -> PayloadRejected:
        row = rejected_sql.RejectedRow(
            id=new_id(), batch_id=new_id(), received_at=self.clock(),
            device_id=device.id if device else None, format=format_name, reason="malformed",
            message=message[:500], payload=payload[:MAX_DEAD_LETTER_BYTES],
        )  # fmt: skip
        async with self.db.transaction() as conn:
            await rejected_sql.insert_rejected(conn, [row])
        REJECTIONS.labels(reason="malformed-payload").inc()
        return PayloadRejected(message, row.id)

    async def _refresh_cache(self, stored: Sequence[Reading]) -> None:
        newest: dict[tuple[str, str], tuple[Reading, float]] = {}
        for r in stored:  # only the newest value per series can change the cache
            for metric, value in r.values.items():
                key = (r.patient_id, metric)
                seen = newest.get(key)
                if seen is None or seen[0].measured_at < r.measured_at:
                    newest[key] = (r, value)
        by_patient: dict[str, list[LatestValue]] = {}
        for (patient_id, metric), (r, value) in newest.items():
            flags = tuple(sorted(r.flags))
            by_patient.setdefault(patient_id, []).append(
                LatestValue(metric, value, r.measured_at, r.reading_id, r.device_id, flags)
            )
        for patient_id, values in by_patient.items():
            await self.cache.update(patient_id, values)


def _value_rows(checked: list[Checked], flagged: dict[str, Reading]) -> list[reading_sql.ValueRow]:
    rows: list[reading_sql.ValueRow] = []
    for item in checked:
        if item.reading is None:
            continue
        r = flagged[item.reading.reading_id]
        flags = ",".join(sorted(r.flags))
        client_ref = item.entry.client_ref
        for metric, value in r.values.items():
            rows.append((r.device_id, r.kind, metric, r.measured_at, r.reading_id, r.patient_id, value,
                         r.received_at, flags, client_ref))  # fmt: skip
    return rows


def _outcome(
    item: Checked, flagged: dict[str, Reading], inserted: set[str], stored: list[Reading]
) -> Outcome:
    notes = item.entry.notes if isinstance(item.entry, Candidate) else ()
    outcome = Outcome(item.index, item.entry.client_ref, device_id=item.device_id, notes=notes)
    if item.rejection is not None:
        outcome.reason, outcome.message = item.rejection.reason, item.rejection.message
        return outcome
    assert item.reading is not None
    reading = flagged[item.reading.reading_id]
    outcome.reading_id, outcome.flags = reading.reading_id, tuple(sorted(reading.flags))
    if reading.reading_id in inserted:
        inserted.discard(reading.reading_id)  # a second copy in the same batch is a duplicate
        outcome.outcome = STORED
        stored.append(reading)
    else:
        outcome.outcome = DUPLICATE
    return outcome


def _dead_letter(
    item: Checked, outcome: Outcome, result: BatchResult, document: Any, fmt: ReadingFormat, now: datetime
) -> rejected_sql.RejectedRow:
    entry: Candidate | Malformed = item.entry
    single = fmt.single(document, entry.raw)
    return rejected_sql.RejectedRow(
        id=new_id(), batch_id=result.batch_id, received_at=now, device_id=item.device_id,
        format=fmt.name, reason=outcome.reason or "", message=(outcome.message or "")[:500],
        payload=_dump(single)[:MAX_DEAD_LETTER_BYTES],
    )  # fmt: skip


def _dump(document: Any) -> str:
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        return str(document)


def _count(result: BatchResult) -> None:
    for key, count in result.summary.items():
        if count:
            READINGS.labels(outcome=key).inc(count)
    for outcome in result.outcomes:
        if outcome.reason is not None:
            REJECTIONS.labels(reason=outcome.reason).inc()
