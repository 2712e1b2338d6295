"""The ReadingsAccepted events a batch emits: one per patient, for the EHR sync and other consumers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from caremesh.contracts.monitoring import AcceptedReading, ReadingsAccepted
from caremesh.modules.monitoring.domain.reading import METRIC_UNITS, Reading


def accepted_events(
    batch_id: str, readings: Sequence[Reading], device_type: Callable[[str], str]
) -> list[ReadingsAccepted]:
    by_patient: dict[str, list[AcceptedReading]] = {}
    for r in readings:
        by_patient.setdefault(r.patient_id, []).append(
            AcceptedReading(
                reading_id=r.reading_id,
                patient_id=r.patient_id,
                device_id=r.device_id,
                device_type=device_type(r.device_id),
                kind=r.kind,
                measured_at=r.measured_at,
                values=dict(r.values),
                units={metric: METRIC_UNITS[metric] for metric in r.values},
            )
        )
    return [
        ReadingsAccepted(batch_id=batch_id, patient_id=patient, readings=items)
        for patient, items in by_patient.items()
    ]
