"""/v1/monitoring/devices: the registry (care-team or admin bearer tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from caremesh.kernel.clock import require_aware
from caremesh.kernel.errors import InvalidRequest
from caremesh.kernel.security.principal import Principal
from caremesh.modules.monitoring.adapters import device_sql
from caremesh.modules.monitoring.api.access import require_staff
from caremesh.modules.monitoring.api.representations import assignment_json, device_json
from caremesh.modules.monitoring.application.registry import NewDevice, Registry
from caremesh.modules.monitoring.domain.device_types import DEVICE_TYPES, METRIC_RANGES, DeviceType
from caremesh.modules.monitoring.domain.reading import METRIC_UNITS, READING_KINDS


class DeviceIn(BaseModel):
    serial: str = Field(min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=40)
    manufacturer: str | None = Field(None, max_length=128)
    model: str | None = Field(None, max_length=128)


class AssignmentIn(BaseModel):
    patient_id: str = Field(min_length=1, max_length=64)
    start_at: datetime | None = None


class EndIn(BaseModel):
    end_at: datetime | None = None


class StatusIn(BaseModel):
    status: str = Field(min_length=1, max_length=20)


class RevokeIn(BaseModel):
    credential_id: str | None = Field(None, max_length=64)


def _aware(value: datetime | None, name: str) -> datetime | None:
    try:
        return None if value is None else require_aware(value, name)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def _device_type_json(device_type: DeviceType) -> dict[str, Any]:
    metrics = [m for kind in device_type.kinds for m in READING_KINDS[kind]]
    return {
        "code": device_type.code,
        "display": device_type.display,
        "kinds": list(device_type.kinds),
        "metrics": {
            m: {"unit": METRIC_UNITS[m], "low": METRIC_RANGES[m].low, "high": METRIC_RANGES[m].high}
            for m in metrics
        },
    }


def add_device_routes(router: APIRouter, registry: Registry) -> None:
    @router.get("/v1/monitoring/device-types")
    async def device_types() -> dict[str, Any]:
        return {"items": [_device_type_json(t) for t in DEVICE_TYPES.values()]}

    @router.post("/v1/monitoring/devices", status_code=201)
    async def register(body: DeviceIn, _: Principal = Depends(require_staff)) -> dict[str, Any]:
        device = await registry.register(NewDevice(body.serial, body.type, body.manufacturer, body.model))
        return device_json(device, [])

    @router.get("/v1/monitoring/devices")
    async def list_devices(
        patient_id: str | None = Query(None, max_length=64),
        after: str | None = Query(None, max_length=64),
        limit: int = Query(50, ge=1, le=500),
        _: Principal = Depends(require_staff),
    ) -> dict[str, Any]:
        async with registry.db.read() as conn:
            devices = await device_sql.list_devices(conn, patient_id=patient_id, after=after, limit=limit)
        return {"items": [device_json(d, None) for d in devices],
                "next": devices[-1].id if len(devices) == limit else None}  # fmt: skip

    @router.get("/v1/monitoring/devices/{device_id}")
    async def get_device(device_id: str, _: Principal = Depends(require_staff)) -> dict[str, Any]:
        device, assignments = await registry.get(device_id)
        return device_json(device, assignments)

    @router.post("/v1/monitoring/devices/{device_id}/status")
    async def set_status(
        device_id: str, body: StatusIn, _: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        return device_json(await registry.set_status(device_id, body.status), None)

    @router.post("/v1/monitoring/devices/{device_id}/assignments", status_code=201)
    async def assign(
        device_id: str, body: AssignmentIn, principal: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        start = _aware(body.start_at, "start_at")
        return assignment_json(await registry.assign(device_id, body.patient_id, start, principal.subject))

    @router.post("/v1/monitoring/devices/{device_id}/unassign", status_code=204)
    async def unassign(device_id: str, body: EndIn, _: Principal = Depends(require_staff)) -> None:
        await registry.unassign(device_id, _aware(body.end_at, "end_at"))

    @router.post("/v1/monitoring/devices/{device_id}/credentials", status_code=201)
    async def issue(device_id: str, principal: Principal = Depends(require_staff)) -> dict[str, Any]:
        issued = await registry.issue_credential(device_id, principal.subject)
        # The token is shown exactly once; only its hash is kept.
        return {"credential_id": issued.credential_id, "token": issued.token, "scheme": "Device"}

    @router.post("/v1/monitoring/devices/{device_id}/credentials/revoke")
    async def revoke(
        device_id: str, body: RevokeIn, principal: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        return {"revoked": await registry.revoke(device_id, principal.subject, body.credential_id)}
