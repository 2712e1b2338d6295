"""POST /v1/monitoring/readings (devices and gateways) and the time-series queries (care team)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from caremesh.kernel.clock import require_aware, utcnow
from caremesh.kernel.errors import InvalidRequest
from caremesh.kernel.http import problem
from caremesh.kernel.security.principal import Principal
from caremesh.modules.monitoring.api.access import device_token, require_gateway, require_staff
from caremesh.modules.monitoring.api.representations import bucket_json, point_json
from caremesh.modules.monitoring.application.ingest import Ingestion, PayloadRejected
from caremesh.modules.monitoring.application.registry import Registry
from caremesh.modules.monitoring.application.series import Series

MAX_BODY_BYTES = 4 * 1024 * 1024
JSON = "application/json"


def _window(start: datetime | None, end: datetime | None, default_days: int) -> tuple[datetime, datetime]:
    try:
        end = utcnow() if end is None else require_aware(end, "to")
        start = end - timedelta(days=default_days) if start is None else require_aware(start, "from")
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return start, end


def add_reading_routes(router: APIRouter, ingestion: Ingestion, registry: Registry, series: Series) -> None:
    @router.post("/v1/monitoring/readings", responses={207: {"description": "some readings rejected"}})
    async def post_readings(request: Request, format: str = Query("caremesh-v1", max_length=40)) -> Response:
        if ingestion.format(format) is None:
            raise InvalidRequest(f"unknown format {format!r}", details={"known": sorted(ingestion.formats)})
        token = device_token(request)
        device = await registry.authenticate(token) if token is not None else None
        if device is None:
            await require_gateway(request)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:  # refuse before reading it
            return problem(413, "payload-too-large", f"a batch is at most {MAX_BODY_BYTES} bytes")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return problem(413, "payload-too-large", f"a batch is at most {MAX_BODY_BYTES} bytes")
        try:
            result = await ingestion.ingest_bytes(body, format, device)
        except PayloadRejected as exc:
            return problem(400, "malformed-payload", exc.message, rejected_id=exc.rejected_id)
        return Response(orjson.dumps(result.as_json()), status_code=result.status, media_type=JSON)

    @router.get("/v1/monitoring/patients/{patient_id}/latest")
    async def latest(patient_id: str, _: Principal = Depends(require_staff)) -> dict[str, Any]:
        return {"patient_id": patient_id, "items": [point_json(v) for v in await series.latest(patient_id)]}

    @router.get("/v1/monitoring/patients/{patient_id}/readings")
    async def readings(
        patient_id: str,
        metric: str | None = Query(None, max_length=20),
        start: datetime | None = Query(None, alias="from"),
        end: datetime | None = Query(None, alias="to"),
        limit: int = Query(1000, ge=1, le=10_000),
        _: Principal = Depends(require_staff),
    ) -> dict[str, Any]:
        window = _window(start, end, 30)
        points = await series.range(patient_id, metric, *window, limit=limit)
        return {"patient_id": patient_id, "from": window[0].isoformat(), "to": window[1].isoformat(),
                "items": [point_json(p) for p in points]}  # fmt: skip

    @router.get("/v1/monitoring/patients/{patient_id}/readings/downsampled")
    async def downsampled(
        patient_id: str,
        metric: str = Query(..., max_length=20),
        bucket: int = Query(3600, description="bucket width in seconds"),
        start: datetime | None = Query(None, alias="from"),
        end: datetime | None = Query(None, alias="to"),
        _: Principal = Depends(require_staff),
    ) -> dict[str, Any]:
        window = _window(start, end, 30)
        buckets = await series.downsampled(patient_id, metric, *window, bucket)
        return {"patient_id": patient_id, "metric": metric, "bucket_seconds": bucket,
                "items": [bucket_json(b) for b in buckets]}  # fmt: skip
