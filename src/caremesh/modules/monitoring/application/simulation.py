"""Synthetic device readings for the simulator, the demo and benchmarks (no real patient data).

Each patient has a cuff, a scale, a glucose meter, a pulse oximeter and a thermometer. Values
follow circadian patterns (morning blood-pressure surge, morning weight, post-meal glucose) with
per-patient baselines. With faults, a known share of readings is duplicated, skewed into the
future, out of range, sent with a wrong unit or malformed, and every fault says the outcome it
must produce, so a run can be reconciled exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DEVICE_TYPES = ("bp-cuff", "scale", "glucose-meter", "pulse-oximeter", "thermometer")
# Local hours at which each device type is used on a normal day (jittered by up to 25 minutes).
SCHEDULE: dict[str, tuple[float, ...]] = {
    "bp-cuff": (7.0, 19.0),
    "scale": (7.2,),
    "glucose-meter": (6.8, 9.5, 13.5, 19.5),
    "pulse-oximeter": (8.0, 14.0, 21.0),
    "thermometer": (7.5, 20.0),
}
FAULTS = ("duplicate", "clock-skew", "out-of-range", "wrong-unit", "malformed")


@dataclass(frozen=True)
class SimDevice:
    patient: str
    serial: str
    type: str


@dataclass
class SimReading:
    device: SimDevice
    body: dict[str, Any]  # a caremesh-v1 reading
    expected: str  # "stored", "duplicate" or "rejected"
    fault: str | None = None


@dataclass(frozen=True)
class Baseline:
    systolic: float
    diastolic: float
    pulse: float
    weight: float
    glucose: float
    spo2: float
    temperature: float
    imperial: bool  # a US scale and thermometer: lb and degF

    @staticmethod
    def draw(rng: random.Random) -> Baseline:
        return Baseline(
            systolic=rng.uniform(115, 150), diastolic=rng.uniform(70, 92), pulse=rng.uniform(58, 82),
            weight=rng.uniform(55, 115), glucose=rng.uniform(95, 150), spo2=rng.uniform(94, 98.5),
            temperature=rng.uniform(36.3, 36.9), imperial=rng.random() < 0.3,
        )  # fmt: skip


@dataclass
class Plan:
    devices: list[SimDevice]
    readings: list[SimReading] = field(default_factory=list)

    def expected(self) -> dict[str, int]:
        counts = {"stored": 0, "duplicate": 0, "rejected": 0}
        for reading in self.readings:
            counts[reading.expected] += 1
        return counts


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 1), "unit": unit}


def _values(kind: str, base: Baseline, hour: float, rng: random.Random) -> dict[str, Any]:
    morning = math.exp(-(((hour - 7.5) / 2.0) ** 2))  # peaks on waking
    if kind == "bp-cuff":
        return {"systolic": _quantity(base.systolic + 12 * morning + rng.gauss(0, 5), "mm[Hg]"),
                "diastolic": _quantity(base.diastolic + 6 * morning + rng.gauss(0, 3), "mm[Hg]"),
                "heart_rate": _quantity(base.pulse + rng.gauss(0, 4), "/min")}  # fmt: skip
    if kind == "scale":
        kg = base.weight + 0.4 * morning + rng.gauss(0, 0.2)
        return {"weight": _quantity(kg / 0.45359237, "[lb_av]") if base.imperial else _quantity(kg, "kg")}
    if kind == "glucose-meter":
        mg = base.glucose + (45 if hour >= 9 else 0) + rng.gauss(0, 12)  # fasting first thing, meals later
        # Meters outside the US report mmol/L.
        return {"glucose": _quantity(mg, "mg/dL") if base.imperial else _quantity(mg / 18.016, "mmol/L")}
    if kind == "pulse-oximeter":
        return {"spo2": _quantity(min(100.0, base.spo2 + rng.gauss(0, 0.8)), "%"),
                "heart_rate": _quantity(base.pulse + rng.gauss(0, 5), "/min")}  # fmt: skip
    celsius = base.temperature + 0.3 * math.sin((hour - 10) / 24 * 2 * math.pi) + rng.gauss(0, 0.1)
    return {
        "temperature": _quantity(celsius * 9 / 5 + 32, "[degF]")
        if base.imperial
        else _quantity(celsius, "Cel")
    }


_KIND = {"bp-cuff": "blood-pressure", "scale": "weight", "glucose-meter": "glucose",
         "pulse-oximeter": "pulse-oximetry", "thermometer": "temperature"}  # fmt: skip


def _apply_fault(reading: SimReading, fault: str, rng: random.Random) -> None:
    reading.fault, reading.expected = fault, "rejected"
    body = reading.body
    if fault == "clock-skew":  # a device clock hours ahead of real time
        at = datetime.fromisoformat(body["measured_at"])
        body["measured_at"] = (at + timedelta(days=2)).isoformat()
    elif fault == "out-of-range":
        metric = next(iter(body["values"]))
        body["values"][metric]["value"] = {"systolic": 420, "weight": 900, "glucose": 2500, "spo2": 130,
                                           "temperature": 60}[metric]  # fmt: skip
    elif fault == "wrong-unit":
        metric = next(iter(body["values"]))
        body["values"][metric]["unit"] = "mm[Hg]" if metric != "systolic" else "kg"
    elif fault == "malformed":
        del body["measured_at"]


def build_plan(
    patients: int, hours: float, *, now: datetime, run_id: str, faults: bool = False,
    rate: float | None = None, seed: int = 7, fault_share: float = 0.08, patient_prefix: str | None = None,
) -> Plan:  # fmt: skip
    """Readings of ``patients`` over the ``hours`` before ``now`` (``rate``: readings/device/hour)."""
    rng = random.Random(seed)
    plan = Plan(devices=[])
    start = now - timedelta(hours=hours)
    for p in range(patients):
        patient = f"{patient_prefix}{p + 1:04d}" if patient_prefix else f"sim-{run_id}-pat-{p:04d}"
        base = Baseline.draw(rng)
        for device_type in DEVICE_TYPES:
            device = SimDevice(patient, f"SIM-{run_id}-{p:04d}-{device_type}", device_type)
            plan.devices.append(device)
            for at in _moments(device_type, start, now, rate, rng):
                body = {
                    "id": f"{device.serial}-{int(at.timestamp())}",
                    "kind": _KIND[device_type],
                    "measured_at": at.isoformat(),
                    "values": _values(device_type, base, at.hour + at.minute / 60, rng),
                }
                plan.readings.append(SimReading(device, body, "stored"))
    if faults:
        _inject_faults(plan, rng, fault_share)
    return plan


def _moments(
    device_type: str, start: datetime, end: datetime, rate: float | None, rng: random.Random
) -> list[datetime]:
    if rate:
        step = timedelta(hours=1 / rate)
        count = int((end - start) / step)
        return [start + step * (i + 0.5) for i in range(count)]
    moments = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for hour in SCHEDULE[device_type]:
            at = day + timedelta(hours=hour, seconds=rng.randint(-1500, 1500))
            if start <= at < end:
                moments.append(at.replace(microsecond=0))
        day += timedelta(days=1)
    return moments


def _inject_faults(plan: Plan, rng: random.Random, share: float) -> None:
    originals = list(plan.readings)
    for reading in originals:
        if rng.random() >= share:
            continue
        fault = rng.choice(FAULTS)
        if fault == "duplicate":  # the device resends a reading it already sent
            copy = {**reading.body, "values": {k: dict(v) for k, v in reading.body["values"].items()}}
            plan.readings.append(SimReading(reading.device, copy, "duplicate", fault))
        else:
            _apply_fault(reading, fault, rng)
