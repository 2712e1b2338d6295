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

from caremesh.contracts.monitoring import ReadingsAccepted
from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import CaremeshError, InvalidRequest
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters import reading_sql, rejected_sql
from caremesh.modules.monitoring.adapters.partitions import Partitions
from caremesh.modules.monitoring.application.batch_devices import BatchDevices, resolve
from caremesh.modules.monitoring.application.batch_rows import (
    MAX_DEAD_LETTER_BYTES,
    dump,
    outcome_of,
    value_rows,
)
from caremesh.modules.monitoring.application.batch_rows import dead_letter as dead_letter_row
from caremesh.modules.monitoring.application.events import accepted_events
from caremesh.modules.monitoring.application.formats import FormatError, ReadingFormat
from caremesh.modules.monitoring.application.metrics import READINGS, REJECTIONS
from caremesh.modules.monitoring.application.outcomes import BatchResult
from caremesh.modules.monitoring.application.pipeline import (
    Checked,
    check_entries,
    earliest_per_series,
    flag_jumps,
)
from caremesh.modules.monitoring.application.ports import LatestCache, LatestValue, ReadingsObserver
from caremesh.modules.monitoring.domain.devices import Device
from caremesh.modules.monitoring.domain.reading import Reading
from caremesh.modules.monitoring.domain.validation import ReadingValidator, ValidationPolicy

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
        batch = await self._prepare(document, format_name, device, received_at, dead_letter)
        await self._commit([batch], dead_letter, in_transaction)
        return batch.result

    async def ingest_many(
        self, documents: Sequence[tuple[Any, Device]], format_name: str
    ) -> list[BatchResult | CaremeshError]:
        """Several devices' documents (e.g. MQTT messages that arrived together) in ONE transaction.

        Each document gets its own answer, in order: its BatchResult, or the error that refused it as
        a whole (unreadable, another device named) without affecting the others. Whatever was
        accepted commits together, so the caller acknowledges every document only after this returns.
        """
        answers: list[BatchResult | CaremeshError] = []
        batches: list[_Batch] = []
        for document, device in documents:
            try:
                batch = await self._prepare(document, format_name, device, None, True)
            except (PayloadRejected, CaremeshError) as exc:
                answers.append(exc if isinstance(exc, CaremeshError) else _as_error(exc))
                continue
            batches.append(batch)
            answers.append(batch.result)
        await self._commit(batches, True, None)
        return answers

    async def _prepare(
        self, document: Any, format_name: str, device: Device | None, received_at: datetime | None,
        dead_letter: bool,
    ) -> _Batch:  # fmt: skip
        reading_format = self.formats[format_name]
        try:
            parsed = reading_format.parse(document)
        except FormatError as exc:
            if not dead_letter:
                raise PayloadRejected(str(exc), None) from None
            raise await self._unreadable(dump(document), format_name, device, str(exc)) from None
        devices = await resolve(self.db, parsed, device)
        now = self.clock()
        checked = check_entries(
            parsed.entries, devices, self.validators, self.policy, received_at or now, now
        )
        accepted = [c.reading for c in checked if c.reading is not None]
        single = devices.single
        result = BatchResult(new_id(), single.id if single else parsed.device)
        return _Batch(checked, accepted, result, document, reading_format, devices)

    async def _commit(
        self, batches: Sequence[_Batch], dead_letter: bool, in_transaction: InTransaction | None
    ) -> None:
        if not batches:
            return
        await self.partitions.ensure({r.measured_at for b in batches for r in b.accepted})
        stored = await self._store(batches, dead_letter, in_transaction)
        await self._refresh_cache(stored)
        for batch in batches:
            _count(batch.result)

    async def _store(
        self, batches: Sequence[_Batch], dead_letter: bool, in_transaction: InTransaction | None
    ) -> list[Reading]:
        accepted = [r for b in batches for r in b.accepted]
        async with self.db.transaction() as conn:
            previous = await reading_sql.previous_values(conn, earliest_per_series(accepted))
            flagged = {r.reading_id: r for r in flag_jumps(accepted, previous)}
            rows = [row for b in batches for row in value_rows(b.checked, flagged)]
            inserted = await reading_sql.insert_values(conn, rows)
            stored: list[Reading] = []
            rejected: list[rejected_sql.RejectedRow] = []
            events: list[ReadingsAccepted] = []
            for batch in batches:
                stored_here = self._outcomes(batch, flagged, inserted, rejected, dead_letter)
                stored += stored_here
                events += accepted_events(batch.result.batch_id, stored_here, batch.devices.type_of)
            await rejected_sql.insert_rejected(conn, rejected)
            if stored:
                for observer in self.observers:
                    await observer.on_accepted(conn, stored)
                await self.outbox.add(conn, *events)
            if in_transaction is not None:
                await in_transaction(conn, batches[0].result)
        return stored

    def _outcomes(
        self, batch: _Batch, flagged: dict[str, Reading], inserted: set[str],
        rejected: list[rejected_sql.RejectedRow], dead_letter: bool,
    ) -> list[Reading]:  # fmt: skip
        """Fill the batch's per-reading answers; return its newly stored readings."""
        stored: list[Reading] = []
        for item in batch.checked:
            outcome = outcome_of(item, flagged, inserted, stored)
            if outcome.reason is not None and dead_letter:
                row = dead_letter_row(item, outcome, batch.result, batch.document, batch.format, self.clock())
                outcome.rejected_id = row.id
                rejected.append(row)
            batch.result.outcomes.append(outcome)
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


def _as_error(exc: PayloadRejected) -> CaremeshError:
    details: dict[str, object] = {"rejected_id": exc.rejected_id} if exc.rejected_id else {}
    return InvalidRequest(exc.message, details=details)


def _count(result: BatchResult) -> None:
    for key, count in result.summary.items():
        if count:
            READINGS.labels(outcome=key).inc(count)
    for outcome in result.outcomes:
        if outcome.reason is not None:
            REJECTIONS.labels(reason=outcome.reason).inc()
