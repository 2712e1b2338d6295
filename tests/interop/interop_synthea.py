"""Synthea transaction bundles turned into plain PUTs (update-as-create with each resource's own id).

Synthea links entries by ``urn:uuid:`` fullUrls; without a transaction to resolve them, the test
rewrites each such reference to the entry's ``Type/id`` before sending. That is the only change
made to a resource, so a read-back must equal exactly what was sent, apart from ``meta``.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from tests.support.synthea import iter_bundle_bytes

_PATIENT = re.compile(rb'"resourceType"\s*:\s*"Patient"')


@dataclass
class LoadedBundle:
    name: str
    patient_id: str
    sent: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (type, id) -> JSON sent

    def ids_of(self, resource_type: str) -> set[str]:
        return {res_id for res_type, res_id in self.sent if res_type == resource_type}


def smallest_patient_bundles(count: int) -> list[tuple[str, bytes]]:
    """The ``count`` smallest bundles that hold a patient (some hold only organizations): small
    enough to keep the suite quick, large enough to have encounters, observations, conditions."""
    with_patient = ((name, raw) for name, raw in iter_bundle_bytes() if _PATIENT.search(raw))
    return heapq.nsmallest(count, with_patient, key=lambda item: len(item[1]))


def _local_references(entries: list[dict[str, Any]]) -> dict[str, str]:
    return {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for entry in entries
        if str(entry.get("fullUrl", "")).startswith("urn:uuid:")
    }


def _rewrite(value: Any, local: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: local.get(item, item)
            if key == "reference" and isinstance(item, str)
            else _rewrite(item, local)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(item, local) for item in value]
    return value


def as_puts(name: str, raw: bytes) -> LoadedBundle:
    bundle = orjson.loads(raw)
    entries = bundle["entry"]
    local = _local_references(entries)
    patients = [e["resource"]["id"] for e in entries if e["resource"]["resourceType"] == "Patient"]
    assert len(patients) == 1, (name, patients)
    loaded = LoadedBundle(name=name, patient_id=patients[0])
    for entry in entries:
        resource = _rewrite(entry["resource"], local)
        key = (resource["resourceType"], resource["id"])
        assert key not in loaded.sent, (name, key)
        loaded.sent[key] = orjson.dumps(resource)
        assert b'"reference":"urn:uuid:' not in loaded.sent[key], (name, key)  # all resolved
    return loaded
