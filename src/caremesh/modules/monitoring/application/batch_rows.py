"""What a stored batch turns into: value rows, per-reading outcomes, dead-letter rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters import reading_sql, rejected_sql
from caremesh.modules.monitoring.application.formats import ReadingFormat
from caremesh.modules.monitoring.application.outcomes import DUPLICATE, STORED, BatchResult, Outcome
from caremesh.modules.monitoring.application.pipeline import Checked
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed
from caremesh.modules.monitoring.domain.reading import Reading

MAX_DEAD_LETTER_BYTES = 256 * 1024


def value_rows(checked: list[Checked], flagged: dict[str, Reading]) -> list[reading_sql.ValueRow]:
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


def outcome_of(
    item: Checked, flagged: dict[str, Reading], inserted: set[str], stored: list[Reading]
) -> Outcome:
    """The answer for one entry; a stored reading is appended to ``stored``."""
    notes = item.entry.notes if isinstance(item.entry, Candidate) else ()
    outcome = Outcome(item.index, item.entry.client_ref, device_id=item.device_id, notes=notes)
    if item.rejection is not None:
        outcome.reason, outcome.message = item.rejection.reason, item.rejection.message
        return outcome
    assert item.reading is not None
    reading = flagged[item.reading.reading_id]
    outcome.reading_id, outcome.flags = reading.reading_id, tuple(sorted(reading.flags))
    if reading.reading_id in inserted:
        inserted.discard(reading.reading_id)  # a second copy in the same transaction is a duplicate
        outcome.outcome = STORED
        stored.append(reading)
    else:
        outcome.outcome = DUPLICATE
    return outcome


def dead_letter(
    item: Checked, outcome: Outcome, result: BatchResult, document: Any, fmt: ReadingFormat, now: datetime
) -> rejected_sql.RejectedRow:
    entry: Candidate | Malformed = item.entry
    single = fmt.single(document, entry.raw)
    return rejected_sql.RejectedRow(
        id=new_id(), batch_id=result.batch_id, received_at=now, device_id=item.device_id,
        format=fmt.name, reason=outcome.reason or "", message=(outcome.message or "")[:500],
        payload=dump(single)[:MAX_DEAD_LETTER_BYTES],
    )  # fmt: skip


def dump(document: Any) -> str:
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        return str(document)
