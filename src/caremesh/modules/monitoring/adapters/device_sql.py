"""SQL for the device registry: devices, assignments, credentials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection, Row
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.domain.devices import Assignment, Device

_DEVICE_COLUMNS = "id, serial, type, status, manufacturer, model, created_at"


@dataclass(frozen=True)
class CredentialMatch:
    device: Device
    revoked: bool


def _device(row: Row) -> Device:
    return Device(
        id=row["id"],
        serial=row["serial"],
        type=row["type"],
        status=row["status"],
        manufacturer=row["manufacturer"],
        model=row["model"],
        created_at=row["created_at"],
    )


def _assignment(row: Row) -> Assignment:
    return Assignment(row["device_id"], row["patient_id"], row["start_at"], row["end_at"])


async def insert_device(conn: Connection, device: Device) -> None:
    await conn.execute(
        f"INSERT INTO devices ({_DEVICE_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        device.id,
        device.serial,
        device.type,
        device.status,
        device.manufacturer,
        device.model,
        device.created_at,
    )


async def device_by_id(conn: Connection, device_id: str, *, lock: bool = False) -> Device | None:
    suffix = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id = $1{suffix}", device_id)
    return None if row is None else _device(row)


async def device_by_serial(conn: Connection, serial: str) -> Device | None:
    row = await conn.fetchrow(f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE serial = $1", serial)
    return None if row is None else _device(row)


async def list_devices(
    conn: Connection, *, patient_id: str | None, after: str | None, limit: int
) -> list[Device]:
    if patient_id is not None:
        rows = await conn.fetch(
            f"SELECT {', '.join('d.' + c.strip() for c in _DEVICE_COLUMNS.split(','))} FROM devices d "
            "JOIN device_assignments a ON a.device_id = d.id AND a.end_at IS NULL "
            "WHERE a.patient_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3",
            patient_id,
            after or "",
            limit,
        )
    else:
        rows = await conn.fetch(
            f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id > $1 ORDER BY id LIMIT $2", after or "", limit
        )
    return [_device(r) for r in rows]


async def set_status(conn: Connection, device_id: str, status: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE devices SET status = $2, updated_at = $3 WHERE id = $1", device_id, status, now
    )


async def assignments_of(conn: Connection, device_id: str) -> list[Assignment]:
    rows = await conn.fetch(
        "SELECT device_id, patient_id, start_at, end_at FROM device_assignments "
        "WHERE device_id = $1 ORDER BY start_at DESC",
        device_id,
    )
    return [_assignment(r) for r in rows]


async def close_assignment(conn: Connection, device_id: str, end_at: datetime) -> int:
    return await conn.execute(
        "UPDATE device_assignments SET end_at = $2 WHERE device_id = $1 AND end_at IS NULL",
        device_id,
        end_at,
    )


async def open_assignment(
    conn: Connection, device_id: str, patient_id: str, start_at: datetime, assigned_by: str
) -> None:
    await conn.execute(
        "INSERT INTO device_assignments (id, device_id, patient_id, start_at, end_at, assigned_by) "
        "VALUES ($1, $2, $3, $4, NULL, $5)",
        new_id(),
        device_id,
        patient_id,
        start_at,
        assigned_by,
    )


async def insert_credential(
    conn: Connection, device_id: str, token_hash: str, now: datetime, created_by: str
) -> str:
    credential_id = new_id()
    await conn.execute(
        "INSERT INTO device_credentials (id, device_id, token_hash, created_at, created_by) "
        "VALUES ($1, $2, $3, $4, $5)",
        credential_id,
        device_id,
        token_hash,
        now,
        created_by,
    )
    return credential_id


async def revoke_credentials(
    conn: Connection, device_id: str, now: datetime, revoked_by: str, credential_id: str | None = None
) -> int:
    sql = (
        "UPDATE device_credentials SET revoked_at = $2, revoked_by = $3 "
        "WHERE device_id = $1 AND revoked_at IS NULL"
    )
    if credential_id is None:
        return await conn.execute(sql, device_id, now, revoked_by)
    return await conn.execute(sql + " AND id = $4", device_id, now, revoked_by, credential_id)


async def credentials_of(conn: Connection, device_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT id, created_at, created_by, revoked_at, revoked_by FROM device_credentials "
        "WHERE device_id = $1 ORDER BY created_at",
        device_id,
    )


async def device_by_token_hash(conn: Connection, token_hash: str) -> CredentialMatch | None:
    row = await conn.fetchrow(
        f"SELECT {', '.join('d.' + c.strip() for c in _DEVICE_COLUMNS.split(','))}, c.revoked_at "
        "FROM device_credentials c JOIN devices d ON d.id = c.device_id WHERE c.token_hash = $1",
        token_hash,
    )
    return None if row is None else CredentialMatch(_device(row), row["revoked_at"] is not None)


def _in_list(first: int, count: int) -> str:
    return ", ".join(f"${i}" for i in range(first, first + count))


async def devices_by_names(conn: Connection, names: Sequence[str]) -> dict[str, Device]:
    """Devices named by id or serial (a gateway may use either); name -> device."""
    found: dict[str, Device] = {}
    for start in range(0, len(names), 400):
        chunk = list(names[start : start + 400])
        marks = _in_list(1, len(chunk))
        rows = await conn.fetch(
            f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id IN ({marks}) OR serial IN ({marks})", *chunk
        )
        for device in map(_device, rows):
            found[device.id] = found[device.serial] = device
    return found


async def assignments_of_many(conn: Connection, device_ids: Sequence[str]) -> dict[str, list[Assignment]]:
    found: dict[str, list[Assignment]] = {device_id: [] for device_id in device_ids}
    for start in range(0, len(device_ids), 400):
        chunk = list(device_ids[start : start + 400])
        rows = await conn.fetch(
            "SELECT device_id, patient_id, start_at, end_at FROM device_assignments "
            f"WHERE device_id IN ({_in_list(1, len(chunk))}) ORDER BY start_at DESC",
            *chunk,
        )
        for row in rows:
            found[row["device_id"]].append(_assignment(row))
    return found
