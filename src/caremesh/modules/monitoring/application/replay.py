"""Replaying a dead-lettered reading after a fix (a registration, an assignment, a corrected payload)."""

from __future__ import annotations

from typing import Any

import orjson

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, NotFound, Unprocessable
from caremesh.modules.monitoring.adapters import device_sql, rejected_sql
from caremesh.modules.monitoring.application.ingest import Ingestion, PayloadRejected
from caremesh.modules.monitoring.application.metrics import REPLAYS
from caremesh.modules.monitoring.application.outcomes import REJECTED, BatchResult, Outcome


async def replay(ingestion: Ingestion, rejected_id: str, by: str, payload: Any | None = None) -> Outcome:
    """Run the dead letter (or a corrected ``payload``) through the pipeline again.

    Validated as of the original receipt (a reading is not too old because the fix took a day);
    stored and marked replayed in one transaction, or left open with the new reason.
    """
    async with ingestion.db.read() as conn:
        row = await rejected_sql.rejected_by_id(conn, rejected_id)
        if row is None:
            raise NotFound("no such rejected reading")
        if row.status != rejected_sql.OPEN:
            raise Conflict(f"the rejected reading is {row.status} already")
        device = None if row.device_id is None else await device_sql.device_by_id(conn, row.device_id)
    if ingestion.format(row.format) is None:
        raise Unprocessable(f"format {row.format!r} is not installed")
    document = payload if payload is not None else _load(row.payload)
    text = orjson.dumps(document).decode()

    async def settle(conn: Connection, result: BatchResult) -> None:
        if len(result.outcomes) > 1:
            raise Unprocessable("a replay payload must hold exactly one reading")  # rolls the batch back
        first = result.outcomes[0] if result.outcomes else None
        if first is None or first.outcome == REJECTED:
            reason = first.reason if first and first.reason else "malformed"
            message = first.message if first and first.message else "the payload holds no reading"
            await rejected_sql.mark_failed_again(
                conn, rejected_id, reason=reason, message=message, payload=text
            )
            return
        await rejected_sql.mark_replayed(
            conn, rejected_id, now=ingestion.clock(), by=by, reading_id=first.reading_id, payload=text
        )

    try:
        result = await ingestion.ingest(
            document,
            row.format,
            device,
            received_at=row.received_at,
            dead_letter=False,
            in_transaction=settle,
        )
    except PayloadRejected as exc:
        REPLAYS.labels(outcome="rejected").inc()
        raise Unprocessable(f"the payload is still unreadable: {exc.message}") from None
    if not result.outcomes:
        raise Unprocessable("the payload holds no reading")
    outcome = result.outcomes[0]
    REPLAYS.labels(outcome=outcome.outcome).inc()
    return outcome


def _load(payload: str) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise Unprocessable("the stored payload is not JSON; replay it with a corrected payload") from None
