"""The device registry: register devices, assign them to patients, issue and revoke credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import Conflict, InvalidRequest, NotFound, Unauthorized
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters import device_sql
from caremesh.modules.monitoring.domain.device_types import DEVICE_TYPES
from caremesh.modules.monitoring.domain.devices import (
    ACTIVE,
    STATUSES,
    TOKEN_PREFIX,
    Assignment,
    Device,
    hash_token,
    new_device_token,
)


@dataclass(frozen=True)
class NewDevice:
    serial: str
    type: str
    manufacturer: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class IssuedCredential:
    credential_id: str
    token: str  # shown once; only its hash is stored


class Registry:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    async def register(self, new: NewDevice) -> Device:
        if new.type not in DEVICE_TYPES:
            raise InvalidRequest(
                f"unknown device type {new.type[:40]!r}", details={"known": sorted(DEVICE_TYPES)}
            )
        device = Device(new_id(), new.serial, new.type, ACTIVE, new.manufacturer, new.model, self.clock())
        async with self.db.transaction() as conn:
            if await device_sql.device_by_serial(conn, new.serial) is not None:
                raise Conflict("a device with this serial is registered already")
            await device_sql.insert_device(conn, device)
        return device

    async def get(self, device_id: str) -> tuple[Device, list[Assignment]]:
        async with self.db.read() as conn:
            device = await device_sql.device_by_id(conn, device_id)
            if device is None:
                raise NotFound("no such device")
            return device, await device_sql.assignments_of(conn, device_id)

    async def set_status(self, device_id: str, status: str) -> Device:
        if status not in STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(STATUSES)}")
        async with self.db.transaction() as conn:
            await self._require(conn, device_id)
            await device_sql.set_status(conn, device_id, status, self.clock())
            device = await device_sql.device_by_id(conn, device_id)
        assert device is not None
        return device

    async def assign(self, device_id: str, patient_id: str, start_at: datetime | None, by: str) -> Assignment:
        """Give the device to ``patient_id`` from ``start_at`` (now by default), ending any current one."""
        start = start_at or self.clock()
        async with self.db.transaction() as conn:
            await self._require(conn, device_id, lock=True)
            history = await device_sql.assignments_of(conn, device_id)
            if any(a.start_at >= start for a in history):
                raise Conflict("the device has an assignment starting at or after start_at")
            await device_sql.close_assignment(conn, device_id, start)
            await device_sql.open_assignment(conn, device_id, patient_id, start, by)
        return Assignment(device_id, patient_id, start, None)

    async def unassign(self, device_id: str, end_at: datetime | None) -> None:
        async with self.db.transaction() as conn:
            await self._require(conn, device_id, lock=True)
            if await device_sql.close_assignment(conn, device_id, end_at or self.clock()) == 0:
                raise Conflict("the device is not assigned to anyone")

    async def issue_credential(self, device_id: str, by: str) -> IssuedCredential:
        token = new_device_token()
        async with self.db.transaction() as conn:
            await self._require(conn, device_id)
            credential_id = await device_sql.insert_credential(
                conn, device_id, hash_token(token), self.clock(), by
            )
        return IssuedCredential(credential_id, token)

    async def revoke(self, device_id: str, by: str, credential_id: str | None = None) -> int:
        async with self.db.transaction() as conn:
            await self._require(conn, device_id)
            return await device_sql.revoke_credentials(conn, device_id, self.clock(), by, credential_id)

    async def authenticate(self, token: str) -> Device:
        """The device a token belongs to; 401 for unknown or revoked tokens."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            raise Unauthorized("unknown device credential")
        async with self.db.read() as conn:
            match = await device_sql.device_by_token_hash(conn, hash_token(token))
        if match is None:
            raise Unauthorized("unknown device credential")
        if match.revoked:
            raise Unauthorized(
                "the device credential has been revoked", details={"reason": "revoked-credential"}
            )
        return match.device

    async def _require(self, conn: Connection, device_id: str, *, lock: bool = False) -> Device:
        device = await device_sql.device_by_id(conn, device_id, lock=lock)
        if device is None:
            raise NotFound("no such device")
        return device
