"""The Bulk Data export service a host module wires in: kick-off, status, cancel, files, worker.

Jobs are rows in the host's database, so they survive a restart: the worker takes accepted jobs
and any running job that stopped advancing (its process died), which starts over. NDJSON files
are written under ``directory/<job id>/`` and deleted with a cancelled job.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.operations.bulk_export import jobs
from caremesh.fhir.operations.bulk_export.jobs import ExportJob
from caremesh.fhir.operations.bulk_export.scope import Scope, group_members, pages, types_of
from caremesh.fhir.outcome import FhirError
from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.ids import new_id

log = structlog.get_logger(__name__)
_FILE = re.compile(r"[A-Z][A-Za-z]{0,63}\.ndjson")
STALE_AFTER = timedelta(seconds=60)
RETENTION = timedelta(hours=24)  # finished jobs and their files are removed after this long


class BulkExport:
    def __init__(
        self, engine: FhirEngine, directory: Path, *, max_active: int = 4, poll_seconds: float = 1.0,
        retention: timedelta = RETENTION, clock: Clock = utcnow,
    ) -> None:  # fmt: skip
        self.engine = engine
        self.directory = directory
        self.max_active = max_active
        self.poll_seconds = poll_seconds
        self.retention = retention
        self._clock = clock
        self._wake = asyncio.Event()

    async def kick_off(
        self, *, level: str, request_url: str, types: tuple[str, ...] | None, since: datetime | None,
        group_id: str | None = None,
    ) -> str:  # fmt: skip
        engine = self.engine
        types_of(engine.definitions, engine.resource_types, level, types)  # 400 for a type out of scope
        if group_id is not None:
            await group_members(engine.db, group_id)  # 404 for an unknown group
        now = self._clock()
        job = ExportJob(new_id(), jobs.ACCEPTED, request_url, level, group_id, types, since, now)
        async with engine.db.transaction() as conn:
            if await jobs.count_active(conn) >= self.max_active:
                raise FhirError.single(429, "throttled", "too many exports are running; retry later")
            await jobs.insert(conn, job)
        self._wake.set()
        return job.id

    async def job(self, job_id: str) -> ExportJob:
        async with self.engine.db.read() as conn:
            found = await jobs.get(conn, job_id)
        if found is None or found.state == jobs.CANCELLED:
            raise FhirError.single(404, "not-found", "no such export job")
        return found

    async def cancel(self, job_id: str) -> None:
        await self.job(job_id)
        async with self.engine.db.transaction() as conn:
            every_state = (jobs.ACCEPTED, jobs.RUNNING, jobs.COMPLETED, jobs.FAILED)
            await jobs.set_state(conn, job_id, jobs.CANCELLED, self._clock(), only_if=every_state)
        shutil.rmtree(self.directory / job_id, ignore_errors=True)

    async def file(self, job_id: str, name: str) -> Path:
        job = await self.job(job_id)
        path = self.directory / job.id / name
        if job.state != jobs.COMPLETED or not _FILE.fullmatch(name) or not path.is_file():
            raise FhirError.single(404, "not-found", "no such export file")
        return path

    async def work(self) -> None:
        """The host's background worker: run jobs one at a time, forever."""
        while True:
            try:
                ran = await self.run_once()
            except Exception:  # a broken job must not stop the worker; it is logged and retried
                log.exception("fhir export worker step failed")
                ran = False
            if not ran:
                await self.purge()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def purge(self) -> None:
        """Remove finished jobs older than the retention, with their files: disk use stays bounded."""
        async with self.engine.db.transaction() as conn:
            expired = await jobs.take_expired(conn, self._clock() - self.retention)
        for job_id in expired:
            shutil.rmtree(self.directory / job_id, ignore_errors=True)

    async def run_once(self) -> bool:
        now = self._clock()
        async with self.engine.db.transaction() as conn:
            job = await jobs.claim(conn, now, now - STALE_AFTER)
        if job is None:
            return False
        try:
            output = await self._export(job)
        except FhirError as error:
            await self._finish(job.id, jobs.FAILED, error="; ".join(i.diagnostics for i in error.issues))
            return True
        if output is not None:
            await self._finish(job.id, jobs.COMPLETED, output=output)
        return True

    async def _finish(self, job_id: str, state: str, **result: Any) -> None:
        async with self.engine.db.transaction() as conn:
            await jobs.set_state(conn, job_id, state, self._clock(), only_if=(jobs.RUNNING,), **result)

    async def _export(self, job: ExportJob) -> list[dict[str, Any]] | None:
        """Write the job's files; None when it was cancelled meanwhile."""
        engine = self.engine
        types = types_of(engine.definitions, engine.resource_types, job.level, job.types)
        members = await group_members(engine.db, job.group_id) if job.group_id else None
        scope = Scope(types, job.since, members, compartment=job.level != "system")
        folder = self.directory / job.id
        shutil.rmtree(folder, ignore_errors=True)  # a restarted job starts over
        folder.mkdir(parents=True)
        output: list[dict[str, Any]] = []
        for done, kind in enumerate(types):
            count = 0
            path = folder / f"{kind}.ndjson"
            with path.open("wb") as sink:
                async for page in pages(engine.db, engine.definitions, kind, scope):
                    sink.write(b"".join(body + b"\n" for body in page))
                    count += len(page)
            if count:
                output.append({"type": kind, "file": path.name, "count": count})
            else:
                path.unlink()
            async with engine.db.transaction() as conn:
                if not await jobs.set_progress(conn, job.id, f"{done + 1}/{len(types)} types", self._clock()):
                    shutil.rmtree(folder, ignore_errors=True)
                    return None
        return output
