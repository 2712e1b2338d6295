"""Reading the time series: latest per metric (cache first), range, downsampled range."""

from __future__ import annotations

from datetime import datetime

from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import InvalidRequest
from caremesh.modules.monitoring.adapters import reading_sql
from caremesh.modules.monitoring.application.ports import LatestCache, LatestValue
from caremesh.modules.monitoring.domain.reading import METRIC_UNITS

MAX_RANGE_DAYS = 400
MAX_POINTS = 10_000


class Series:
    def __init__(self, db: Database, cache: LatestCache) -> None:
        self.db = db
        self.cache = cache

    async def latest(self, patient_id: str) -> list[LatestValue]:
        cached = await self.cache.get(patient_id)
        if cached is not None:
            return cached
        async with self.db.read() as conn:
            points = await reading_sql.latest(conn, patient_id, list(METRIC_UNITS))
        values = [
            LatestValue(p.metric, p.value, p.measured_at, p.reading_id, p.device_id, p.flags) for p in points
        ]
        await self.cache.fill(patient_id, values)
        return values

    async def range(
        self, patient_id: str, metric: str | None, start: datetime, end: datetime, limit: int = MAX_POINTS
    ) -> list[reading_sql.Point]:
        _check_window(metric, start, end)
        async with self.db.read() as conn:
            return await reading_sql.value_range(conn, patient_id, metric, start, end, limit)

    async def downsampled(
        self, patient_id: str, metric: str, start: datetime, end: datetime, bucket_seconds: int
    ) -> list[reading_sql.Bucket]:
        _check_window(metric, start, end)
        if not 60 <= bucket_seconds <= 31 * 86400:
            raise InvalidRequest("bucket must be between 60 seconds and 31 days")
        async with self.db.read() as conn:
            return await reading_sql.downsampled(conn, patient_id, metric, start, end, bucket_seconds)


def _check_window(metric: str | None, start: datetime, end: datetime) -> None:
    if metric is not None and metric not in METRIC_UNITS:
        raise InvalidRequest(f"unknown metric; one of {', '.join(METRIC_UNITS)}")
    if end <= start:
        raise InvalidRequest("'to' must be after 'from'")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidRequest(f"a range spans at most {MAX_RANGE_DAYS} days")
