"""Which device each entry of a batch belongs to: the credential's device, or the ones a gateway names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import Forbidden
from caremesh.modules.monitoring.adapters import device_sql
from caremesh.modules.monitoring.application.pipeline import DeviceContext
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed, ParsedBatch
from caremesh.modules.monitoring.domain.device_types import device_type
from caremesh.modules.monitoring.domain.devices import Device


@dataclass(frozen=True)
class BatchDevices:
    parsed: ParsedBatch
    by_name: dict[str, DeviceContext]  # id and serial -> context
    credential: DeviceContext | None  # the device of a device token

    def __call__(self, entry: Candidate | Malformed) -> DeviceContext | None:
        name = self.parsed.device_of(entry)
        if self.credential is not None and name is None:
            return self.credential
        return None if name is None else self.by_name.get(name)

    @property
    def single(self) -> Device | None:
        """The one device of the batch, if there is exactly one."""
        if self.credential is not None:
            return self.credential.device
        devices = {c.device.id: c.device for c in self.by_name.values()}
        names = {self.parsed.device_of(e) for e in self.parsed.entries}
        return next(iter(devices.values())) if len(devices) == 1 and len(names) == 1 else None

    def type_of(self, device_id: str) -> str:
        return self._types.get(device_id, "")

    @cached_property
    def _types(self) -> dict[str, str]:  # asked once per accepted reading: a dict, not a scan
        contexts = [c for c in (self.credential, *self.by_name.values()) if c is not None]
        return {c.device.id: c.device.type for c in contexts}


async def resolve(db: Database, parsed: ParsedBatch, credential: Device | None) -> BatchDevices:
    """Look up every device the batch names (one query), with their assignment histories."""
    names = sorted({n for n in map(parsed.device_of, parsed.entries) if n is not None})
    if credential is not None and any(n not in (credential.id, credential.serial) for n in names):
        raise Forbidden("the document names another device than the credential")
    async with db.read() as conn:
        devices = [credential] if credential is not None else []
        found = await device_sql.devices_by_names(conn, names) if credential is None else {}
        devices += list({d.id: d for d in found.values()}.values())
        assignments = await device_sql.assignments_of_many(conn, [d.id for d in devices])
    contexts = {d.id: DeviceContext(d, device_type(d.type), assignments[d.id]) for d in devices}
    by_name = {name: contexts[device.id] for name, device in found.items()}
    if credential is not None:
        by_name = {credential.id: contexts[credential.id], credential.serial: contexts[credential.id]}
    return BatchDevices(parsed, by_name, contexts[credential.id] if credential is not None else None)
