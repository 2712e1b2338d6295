"""JSON views: devices as FHIR R4 Device resources (plus registry fields), readings, dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from caremesh.modules.monitoring.adapters.reading_sql import Bucket, Point
from caremesh.modules.monitoring.adapters.rejected_sql import RejectedRow
from caremesh.modules.monitoring.application.ports import LatestValue
from caremesh.modules.monitoring.domain.device_types import DEVICE_TYPES
from caremesh.modules.monitoring.domain.devices import Assignment, Device
from caremesh.modules.monitoring.domain.reading import METRIC_UNITS

SERIAL_SYSTEM = "https://caremesh.dev/fhir/sid/device-serial"
_FHIR_STATUS = {"active": "active", "inactive": "inactive", "retired": "inactive"}


def device_json(device: Device, assignments: Sequence[Assignment] | None) -> dict[str, Any]:
    device_type = DEVICE_TYPES.get(device.type)
    body: dict[str, Any] = {
        "resourceType": "Device",
        "id": device.id,
        "identifier": [{"system": SERIAL_SYSTEM, "value": device.serial}],
        "status": _FHIR_STATUS.get(device.status, "unknown"),
        "serialNumber": device.serial,
        "type": {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": device_type.snomed if device_type else "",
                    "display": device_type.display if device_type else device.type,
                }
            ],
            "text": device.type,
        },
        "registry": {
            "status": device.status,
            "type": device.type,
            "created_at": device.created_at.isoformat(),
        },
    }
    if device.manufacturer:
        body["manufacturer"] = device.manufacturer
    if device.model:
        body["modelNumber"] = device.model
    if assignments is not None:
        current = next((a for a in assignments if a.end_at is None), None)
        if current is not None:
            body["patient"] = {"reference": f"Patient/{current.patient_id}"}
        body["registry"]["assignments"] = [assignment_json(a) for a in assignments]
    return body


def assignment_json(assignment: Assignment) -> dict[str, Any]:
    return {
        "device_id": assignment.device_id,
        "patient_id": assignment.patient_id,
        "start_at": assignment.start_at.isoformat(),
        "end_at": assignment.end_at.isoformat() if assignment.end_at else None,
    }


def point_json(point: Point | LatestValue) -> dict[str, Any]:
    return {
        "metric": point.metric,
        "value": point.value,
        "unit": METRIC_UNITS[point.metric],
        "measured_at": point.measured_at.isoformat(),
        "reading_id": point.reading_id,
        "device_id": point.device_id,
        "flags": list(point.flags),
    }


def bucket_json(bucket: Bucket) -> dict[str, Any]:
    return {
        "metric": bucket.metric,
        "start": bucket.start.isoformat(),
        "min": bucket.minimum,
        "max": bucket.maximum,
        "mean": round(bucket.mean, 3),
        "count": bucket.count,
        "unit": METRIC_UNITS[bucket.metric],
    }


def rejected_json(row: RejectedRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "batch_id": row.batch_id,
        "received_at": row.received_at.isoformat(),
        "device_id": row.device_id,
        "format": row.format,
        "reason": row.reason,
        "message": row.message,
        "payload": row.payload,
        "status": row.status,
        "attempts": row.attempts,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "resolved_by": row.resolved_by,
        "reading_id": row.reading_id,
    }
