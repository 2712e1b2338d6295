"""Turning parsed entries into accepted readings or rejections (no I/O: the checks before storage)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from caremesh.modules.monitoring.domain import candidate as reasons
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed, Rejection
from caremesh.modules.monitoring.domain.device_types import DeviceType
from caremesh.modules.monitoring.domain.devices import ACTIVE, Assignment, Device, patient_at, reading_id
from caremesh.modules.monitoring.domain.reading import Reading
from caremesh.modules.monitoring.domain.validation import (
    Normalised,
    ReadingValidator,
    ValidationPolicy,
    is_implausible_jump,
    normalise_candidate,
    validate,
)

IMPLAUSIBLE_JUMP = "implausible-jump"


@dataclass(frozen=True)
class Checked:
    """An entry after validation: a reading to store, or why it is rejected."""

    index: int
    entry: Candidate | Malformed
    device_id: str | None  # the device the entry was attributed to (None: unknown)
    reading: Reading | None = None
    rejection: Rejection | None = None


@dataclass(frozen=True)
class DeviceContext:
    """What validation needs to know about the device of an entry."""

    device: Device
    device_type: DeviceType | None
    assignments: Sequence[Assignment]


def check_entries(
    entries: Sequence[Candidate | Malformed],
    device_of: Callable[[Candidate | Malformed], DeviceContext | None],
    validators: tuple[ReadingValidator, ...],
    policy: ValidationPolicy,
    reference_time: datetime,
    received_at: datetime,
) -> list[Checked]:
    checked = []
    for index, entry in enumerate(entries):
        context = device_of(entry)
        device_id = context.device.id if context else None
        outcome = _check(entry, context, validators, policy, reference_time, received_at)
        if isinstance(outcome, Rejection):
            checked.append(Checked(index, entry, device_id, rejection=outcome))
        else:
            checked.append(Checked(index, entry, device_id, reading=outcome))
    return checked


def _check(
    entry: Candidate | Malformed,
    context: DeviceContext | None,
    validators: tuple[ReadingValidator, ...],
    policy: ValidationPolicy,
    now: datetime,
    received_at: datetime,
) -> Reading | Rejection:
    if isinstance(entry, Malformed):
        return Rejection(reasons.MALFORMED, entry.message)
    if context is None or context.device_type is None:
        return Rejection(reasons.UNKNOWN_DEVICE, "the device is not registered")
    device, device_type = context.device, context.device_type
    if device.status != ACTIVE:
        return Rejection(reasons.INACTIVE_DEVICE, f"the device is {device.status}")
    normalised = normalise_candidate(entry, device_type)
    if isinstance(normalised, Rejection):
        return normalised
    rejection = validate(normalised, device_type, validators, now, policy)
    if rejection is not None:
        return rejection
    patient = patient_at(context.assignments, entry.measured_at)
    if patient is None:
        return Rejection(reasons.UNASSIGNED, "the device was with no patient at measured_at")
    return _reading(normalised, device, patient, received_at)


def _reading(normalised: Normalised, device: Device, patient_id: str, received_at: datetime) -> Reading:
    item = normalised.candidate
    return Reading(
        reading_id=reading_id(device.id, item.kind, item.measured_at),
        patient_id=patient_id,
        device_id=device.id,
        kind=item.kind,
        measured_at=item.measured_at,
        values=normalised.values,
        received_at=received_at,
    )


def flag_jumps(
    readings: Sequence[Reading], previous: dict[tuple[str, str], tuple[float, datetime]]
) -> list[Reading]:
    """``readings`` (any order) with ``implausible-jump`` flags against the value measured before each."""
    last = dict(previous)
    flagged: dict[str, Reading] = {}
    for reading in sorted(readings, key=lambda r: r.measured_at):
        jumped = False
        for metric, value in reading.values.items():
            key = (reading.patient_id, metric)
            jumped |= is_implausible_jump(metric, value, reading.measured_at, last.get(key))
            last[key] = (value, reading.measured_at)
        flagged[reading.reading_id] = (
            Reading(**{**reading.__dict__, "flags": reading.flags | {IMPLAUSIBLE_JUMP}})
            if jumped
            else reading
        )
    return [flagged[r.reading_id] for r in readings]


def earliest_per_series(readings: Sequence[Reading]) -> list[tuple[str, str, datetime]]:
    """(patient, metric, earliest measured_at in the batch): what to look up the previous value for."""
    earliest: dict[tuple[str, str], datetime] = {}
    for reading in readings:
        for metric in reading.values:
            key = (reading.patient_id, metric)
            if key not in earliest or reading.measured_at < earliest[key]:
                earliest[key] = reading.measured_at
    return [(patient, metric, at) for (patient, metric), at in earliest.items()]
