"""The Withings "measure" format (Measure - Getmeas), as vendor gateways forward it.

``{"measuregrps": [{"grpid": 1, "date": 1764054600, "measures": [{"type": 10, "value": 128,
"unit": 0}, ...]}]}``, optionally wrapped as ``{"status": 0, "body": {...}}``. A group is one
reading; a measure's value is ``value * 10^unit`` in the vendor's fixed unit for its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from caremesh.modules.monitoring.application.formats import FormatError
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed, Measurement, ParsedBatch

# Withings measure type -> (metric, UCUM unit the vendor reports it in).
MEASURE_TYPES: Mapping[int, tuple[str, str]] = {
    1: ("weight", "kg"),
    9: ("diastolic", "mm[Hg]"),
    10: ("systolic", "mm[Hg]"),
    11: ("heart_rate", "/min"),
    54: ("spo2", "%"),
    71: ("temperature", "Cel"),
}
MAX_GROUPS = 5000


def _kind(metrics: set[str]) -> str | None:
    # The group's defining metric names the kind; a pulse alone belongs to no reading kind here.
    for metric, kind in (
        ("systolic", "blood-pressure"),
        ("diastolic", "blood-pressure"),
        ("spo2", "pulse-oximetry"),
        ("weight", "weight"),
        ("temperature", "temperature"),
    ):
        if metric in metrics:
            return kind
    return None


class WithingsMeasure:
    name = "withings"

    def parse(self, document: Any) -> ParsedBatch:
        if not isinstance(document, dict):
            raise FormatError("document: must be a JSON object")
        if document.get("status", 0) != 0:
            raise FormatError(f"vendor status {str(document.get('status'))[:10]} is not a success")
        body = document.get("body", document)
        groups = body.get("measuregrps") if isinstance(body, dict) else None
        if not isinstance(groups, list) or not groups or not isinstance(body, dict):
            raise FormatError("document: measuregrps must be a non-empty array")
        if len(groups) > MAX_GROUPS:
            raise FormatError(f"document: at most {MAX_GROUPS} measure groups per request")
        device = body.get("deviceid") if isinstance(body.get("deviceid"), str) else None
        return ParsedBatch(device=device, entries=[_group(g) for g in groups])

    def single(self, document: Any, entry: Mapping[str, Any]) -> Mapping[str, Any]:
        body = document.get("body", document) if isinstance(document, dict) else {}
        device = body.get("deviceid") if isinstance(body, dict) else None
        return {"measuregrps": [entry], **({"deviceid": device} if isinstance(device, str) else {})}


def _group(group: Any) -> Candidate | Malformed:
    if not isinstance(group, dict):
        return Malformed(None, "measure group: not an object", {"value": group})
    client_ref = str(group["grpid"])[:128] if "grpid" in group else None
    date, measures = group.get("date"), group.get("measures")
    if not isinstance(date, int) or isinstance(date, bool) or not 0 < date < 2**33:
        return Malformed(client_ref, "date: must be epoch seconds", group)
    if not isinstance(measures, list) or not measures:
        return Malformed(client_ref, "measures: must be a non-empty array", group)
    values: dict[str, Measurement] = {}
    ignored: list[str] = []
    for measure in measures:
        parsed = _measure(measure)
        if isinstance(parsed, str):
            return Malformed(client_ref, parsed, group)
        if parsed is None:
            ignored.append(str(measure.get("type"))[:10])
            continue
        metric, quantity = parsed
        values[metric] = quantity
    kind = _kind(set(values))
    if kind is None:
        return Malformed(client_ref, "measures: no blood pressure, SpO2, weight or temperature", group)
    notes = (f"ignored vendor measure types {', '.join(ignored)}",) if ignored else ()
    return Candidate(client_ref, kind, datetime.fromtimestamp(date, UTC), values, group, notes)


def _measure(measure: Any) -> tuple[str, Measurement] | str | None:
    """(metric, quantity); ``None`` for a type this format does not map; a message if malformed."""
    if not isinstance(measure, dict):
        return "measures: each measure must be an object"
    kind, value, unit = measure.get("type"), measure.get("value"), measure.get("unit")
    if not (_integer(kind) and _integer(value) and _integer(unit)):
        return "measures: type, value and unit must be integers"
    assert isinstance(kind, int) and isinstance(value, int) and isinstance(unit, int)
    if kind not in MEASURE_TYPES:
        return None
    if not -10 <= unit <= 10:
        return "measures: unit exponent out of range"
    metric, ucum = MEASURE_TYPES[kind]
    return metric, Measurement(value * 10.0**unit, ucum)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
