"""Group commit of audit records: concurrent requests share one transaction, each waits for it.

The first record of a batch starts the batch's commit task; the task waits for the previous batch
to finish (one writer, the chain is sequential), closes its batch and writes every record that
joined meanwhile in one transaction. A lone request therefore pays one commit and no added delay;
under load, batches grow by themselves. A request's PHI is sent only after its batch committed:
when the commit fails every waiter gets :class:`AuditUnavailable` (503) instead of the data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import structlog

from caremesh.kernel.audit.record import AuditRecord
from caremesh.kernel.audit.signing import Signer, default_signer
from caremesh.kernel.audit.store import Head, append, chained, insert
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import CaremeshError

log = structlog.get_logger(__name__)


_WRITERS: weakref.WeakKeyDictionary[Database, AuditWriter] = weakref.WeakKeyDictionary()


class AuditUnavailable(CaremeshError):
    status = 503
    code = "audit-unavailable"


@dataclass
class _Batch:
    done: asyncio.Future[None]
    records: list[AuditRecord] = field(default_factory=list)


class AuditWriter:
    def __init__(
        self,
        db: Database,
        *,
        signer: Signer | None = None,
        checkpoint_every: int | None = None,
        max_batch: int = 500,
    ) -> None:
        self.db = db
        self._signer = signer
        # A signed checkpoint every N records (CAREMESH_AUDIT_CHECKPOINT_EVERY, default 1000).
        self.checkpoint_every = checkpoint_every or int(
            os.environ.get("CAREMESH_AUDIT_CHECKPOINT_EVERY", "1000")
        )
        self.max_batch = max_batch
        self._open: _Batch | None = None
        self._lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches_committed = 0
        self._head: Head | None = None  # the chain's head as this writer last committed it
        self._lease: tuple[AbstractAsyncContextManager[Connection], Connection] | None = None

    @classmethod
    def of(cls, db: Database) -> AuditWriter:
        """The process's writer for ``db``: sharing one keeps its batches (and its head) whole."""
        writer = _WRITERS.get(db)
        if writer is None:
            writer = _WRITERS[db] = cls(db)
        return writer

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = default_signer()
        return self._signer

    async def record(self, *records: AuditRecord) -> None:
        """Return once ``records`` are committed; raise AuditUnavailable if they cannot be."""
        batch = self._open
        if batch is None or len(batch.records) >= self.max_batch:
            batch = self._open = _Batch(asyncio.get_running_loop().create_future())
            task = asyncio.create_task(self._commit(batch), name="audit-commit")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.records.extend(records)
        await asyncio.shield(batch.done)

    async def record_best_effort(self, *records: AuditRecord) -> None:
        """For refusals: the caller gets its 403 whether or not the record could be written."""
        with contextlib.suppress(AuditUnavailable):  # already logged by the commit
            await self.record(*records)

    async def _append(self, records: list[AuditRecord]) -> None:
        """PostgreSQL, the usual case: one autocommit statement after the head this writer last
        committed (one round trip). Should another writer have appended since, those seqs exist
        and the primary key refuses the statement; then, and for checkpoints, SQLite, or an
        unknown head, one transaction that locks, reads the head and appends."""
        after, self._head = self._head, None
        if after is not None and self.db.dialect == "postgres":
            rows = chained(records, after)
            if not rows.crosses_checkpoint(self.checkpoint_every):
                try:
                    await insert(await self._leased(), rows)
                except Exception as error:
                    await self._release()  # the connection may be broken: never reuse it
                    log.info("audit head moved; appending under the lock", error=type(error).__name__)
                else:
                    self._head = rows.end
                    return
        async with self.db.transaction() as conn:
            new_head = await append(conn, records, signer=self.signer, checkpoint_every=self.checkpoint_every)
        self._head = new_head

    async def _commit(self, batch: _Batch) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._open is batch:
                self._open = None
            try:
                await self._append(batch.records)
            except Exception as error:  # any failure: no waiter may return its PHI
                log.error("audit write failed", count=len(batch.records), error=type(error).__name__)
                batch.done.set_exception(
                    AuditUnavailable("the audit trail cannot be written; try again later")
                )
                batch.done.add_done_callback(lambda f: f.exception())
            else:
                self.batches_committed += 1
                batch.done.set_result(None)
            finally:
                if self._open is None:  # idle: the connection goes back to the pool
                    await self._release()

    async def _leased(self) -> Connection:
        """A connection kept from one batch to the next while batches keep coming, so under load
        a commit never queues for the pool behind the reads it is auditing."""
        if self._lease is None:
            lease = self.db.read()
            self._lease = (lease, await lease.__aenter__())
        return self._lease[1]

    async def _release(self) -> None:
        if self._lease is not None:
            lease, self._lease = self._lease[0], None
            await lease.__aexit__(None, None, None)
