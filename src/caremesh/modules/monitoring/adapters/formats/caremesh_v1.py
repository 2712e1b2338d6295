"""caremesh JSON v1: the documented device payload (schema: caremesh_v1.schema.json)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime
from importlib.resources import files
from typing import Any

import jsonschema_rs

from caremesh.modules.monitoring.application.formats import FormatError
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed, Measurement, ParsedBatch

SCHEMA: dict[str, Any] = json.loads(
    files("caremesh.modules.monitoring.adapters.formats").joinpath("caremesh_v1.schema.json").read_text()
)


def _validators() -> tuple[Any, Any]:
    # The envelope is checked once; each reading on its own, so one bad reading rejects only itself.
    envelope = copy.deepcopy(SCHEMA)
    envelope["properties"]["readings"]["items"] = {}
    reading = {**SCHEMA["$defs"]["reading"], "$defs": SCHEMA["$defs"]}
    return jsonschema_rs.validator_for(envelope), jsonschema_rs.validator_for(reading)


def _first_error(validator: Any, instance: Any) -> str | None:
    for error in validator.iter_errors(instance):
        path = "/".join(str(p) for p in error.instance_path)
        return f"{path or 'document'}: {error.message}"[:300]
    return None


class CaremeshV1:
    name = "caremesh-v1"

    def __init__(self) -> None:
        self._envelope, self._reading = _validators()

    def parse(self, document: Any) -> ParsedBatch:
        problem = _first_error(self._envelope, document)
        if problem is not None:
            raise FormatError(problem)
        entries: list[Candidate | Malformed] = [self._entry(item) for item in document["readings"]]
        return ParsedBatch(device=document.get("device"), entries=entries)

    def _entry(self, item: Any) -> Candidate | Malformed:
        client_ref = _client_ref(item)
        device = (
            item.get("device") if isinstance(item, dict) and isinstance(item.get("device"), str) else None
        )
        if not self._reading.is_valid(item):
            return Malformed(client_ref, _first_error(self._reading, item) or "invalid reading", item, device)
        try:
            measured_at = datetime.fromisoformat(item["measured_at"].replace("Z", "+00:00"))
        except ValueError:
            return Malformed(client_ref, "measured_at: not a valid date-time", item, device)
        measurements = {
            metric: Measurement(float(q["value"]), q.get("unit")) for metric, q in item["values"].items()
        }
        return Candidate(client_ref, item["kind"], measured_at, measurements, item, device=device)

    def single(self, document: Any, entry: Mapping[str, Any]) -> Mapping[str, Any]:
        device = document.get("device") if isinstance(document, dict) else None
        return {"device": device, "readings": [entry]} if device else {"readings": [entry]}


def _client_ref(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return str(item["id"])[:128]
    return None
