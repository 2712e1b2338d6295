"""Accepted monitoring readings as FHIR R4 Observations (vital-signs profile, LOINC, UCUM)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caremesh.contracts.monitoring import AcceptedReading

READING_SYSTEM = "https://caremesh.dev/fhir/sid/rpm-reading"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
_SD = "http://hl7.org/fhir/StructureDefinition/"
VITALS = _SD + "vitalsigns"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# metric -> (LOINC code, display, profile or None, category); glucose is a laboratory value, not a vital sign.
_CODES: Mapping[str, tuple[str, str, str | None, str]] = {
    "glucose": ("2339-0", "Glucose [Mass/volume] in Blood", None, "laboratory"),
    "heart_rate": ("8867-4", "Heart rate", _SD + "heartrate", "vital-signs"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry",
             _SD + "oxygensat", "vital-signs"),
    "weight": ("29463-7", "Body weight", _SD + "bodyweight", "vital-signs"),
    "temperature": ("8310-5", "Body temperature", _SD + "bodytemp",
                    "vital-signs"),
}  # fmt: skip
_BP = (
    "85354-9",
    "Blood pressure panel with all children optional",
    _SD + "bp",
)
_BP_PARTS = {
    "systolic": ("8480-6", "Systolic blood pressure"),
    "diastolic": ("8462-4", "Diastolic blood pressure"),
}
_UNIT_DISPLAY = {"mm[Hg]": "mmHg", "/min": "beats/minute", "Cel": "C", "%": "%", "kg": "kg", "mg/dL": "mg/dL"}


def observation_id(reading_id: str, metric: str | None = None) -> str:
    """Deterministic, so a redelivered or replayed reading lands on the same Observation."""
    return f"rpm-{reading_id}" if metric is None else f"rpm-{reading_id}-{metric.replace('_', '-')}"


def observations(reading: AcceptedReading) -> list[dict[str, Any]]:
    """One Observation per reading; a blood-pressure panel carries its pulse as its own Observation."""
    if reading.kind == "blood-pressure":
        found = [_bp_panel(reading)]
        if "heart_rate" in reading.values:
            found.append(_single(reading, "heart_rate", observation_id(reading.reading_id, "heart_rate")))
        return found
    metrics = list(reading.values)
    main = metrics[0] if reading.kind != "pulse-oximetry" else "spo2"
    found = [_single(reading, main, observation_id(reading.reading_id))]
    found += [
        _single(reading, m, observation_id(reading.reading_id, m))
        for m in metrics
        if m != main and m in _CODES
    ]
    return found


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": _UNIT_DISPLAY.get(unit, unit), "system": UCUM, "code": unit}


def _base(reading: AcceptedReading, resource_id: str, profile: str | None, category: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id,
        "identifier": [{"system": READING_SYSTEM, "value": resource_id.removeprefix("rpm-")}],
        "status": "final",
        "category": [{"coding": [{"system": _CATEGORY, "code": category}]}],
        "subject": {"reference": f"Patient/{reading.patient_id}"},
        "effectiveDateTime": reading.measured_at.isoformat(),
        "device": {"reference": f"Device/{reading.device_id}", "display": reading.device_type},
    }
    if profile is not None:
        body["meta"] = {"profile": [VITALS, profile]}
    return body


def _single(reading: AcceptedReading, metric: str, resource_id: str) -> dict[str, Any]:
    code, display, profile, category = _CODES[metric]
    body = _base(reading, resource_id, profile, category)
    body["code"] = {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}
    body["valueQuantity"] = _quantity(reading.values[metric], reading.units[metric])
    return body


def _bp_panel(reading: AcceptedReading) -> dict[str, Any]:
    code, display, profile = _BP
    body = _base(reading, observation_id(reading.reading_id), profile, "vital-signs")
    body["code"] = {"coding": [{"system": LOINC, "code": code, "display": display}], "text": "Blood pressure"}
    body["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": part_code, "display": part_display}]},
            "valueQuantity": _quantity(reading.values[metric], reading.units[metric]),
        }
        for metric, (part_code, part_display) in _BP_PARTS.items()
        if metric in reading.values
    ]
    return body


DEVICE_SYSTEM = "https://caremesh.dev/fhir/sid/rpm-device"


def device_resource(device_id: str, device_type: str) -> dict[str, Any]:
    """A minimal Device for an RPM device, so Observation.device resolves (the registry is monitoring's)."""
    return {
        "resourceType": "Device",
        "id": device_id,
        "identifier": [{"system": DEVICE_SYSTEM, "value": device_id}],
        "status": "active",
        "type": {"text": device_type},
    }
