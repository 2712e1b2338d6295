"""Daily dose from a FHIR R4 MedicationRequest.dosageInstruction, when the sig makes it computable.

dose (doseQuantity, or the high end of doseRange) x frequency per period, converted to a day.
Instructions with the same ``sequence`` run concurrently and add up; different sequences run one
after another (a taper), so the highest one counts. Worst case is taken where FHIR gives ranges
(frequencyMax, the shorter period). Anything not computable gives None: no guess.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

DAYS_PER_UNIT = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0}
# HL7 v3 GTSAbbreviation codes used in Timing.code: doses per day.
TIMING_CODES = {
    "QD": 1,
    "BID": 2,
    "TID": 3,
    "QID": 4,
    "AM": 1,
    "PM": 1,
    "QOD": 0.5,
    "Q4H": 6,
    "Q6H": 4,
    "Q8H": 3,
}
ORAL_ROUTE_CODES = {"26643006", "PO"}


def daily_dose(instructions: list[dict[str, Any]]) -> tuple[float, str] | None:
    by_sequence: dict[object, list[tuple[float, str]]] = defaultdict(list)
    for instruction in instructions:
        per_day = _instruction_per_day(instruction)
        if per_day is None:
            return None  # one part unknown makes the total unknown
        by_sequence[instruction.get("sequence")].append(per_day)
    totals: list[tuple[float, str]] = []
    for parts in by_sequence.values():
        units = {unit for _, unit in parts}
        if len(units) != 1:
            return None
        totals.append((sum(value for value, _ in parts), units.pop()))
    if not totals or len({unit for _, unit in totals}) != 1:
        return None
    return max(totals)


def route_of(instructions: list[dict[str, Any]]) -> str | None:
    for instruction in instructions:
        route = instruction.get("route")
        if not isinstance(route, dict):
            continue
        codes = {str(c.get("code")) for c in route.get("coding", []) if isinstance(c, dict)}
        text = " ".join(
            [str(route.get("text", ""))] + [str(c.get("display", "")) for c in route.get("coding", [])]
        ).lower()
        if codes & ORAL_ROUTE_CODES or "oral" in text or "by mouth" in text:
            return "oral"
        if text.strip():
            return text.strip()
    return None


def _instruction_per_day(instruction: dict[str, Any]) -> tuple[float, str] | None:
    dose = _dose(instruction)
    per_day = _times_per_day(instruction.get("timing"))
    if dose is None or per_day is None:
        return None
    return dose[0] * per_day, dose[1]


def _dose(instruction: dict[str, Any]) -> tuple[float, str] | None:
    for dose_and_rate in instruction.get("doseAndRate", []) or []:
        quantity = dose_and_rate.get("doseQuantity") or (dose_and_rate.get("doseRange") or {}).get("high")
        if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
            unit = quantity.get("code") or quantity.get("unit")
            if isinstance(unit, str) and unit:
                return float(quantity["value"]), unit
    return None


def _times_per_day(timing: Any) -> float | None:
    if not isinstance(timing, dict):
        return None
    repeat = timing.get("repeat") or {}
    frequency = repeat.get("frequencyMax") or repeat.get("frequency")
    period, unit = repeat.get("period"), repeat.get("periodUnit")
    if isinstance(period, int | float) and period > 0 and unit in DAYS_PER_UNIT:
        return float(frequency or 1) / (period * DAYS_PER_UNIT[unit])
    when = repeat.get("when") or repeat.get("timeOfDay")
    if isinstance(when, list) and when:
        return float(len(when))
    code = timing.get("code") or {}
    for coding in code.get("coding", []) if isinstance(code, dict) else []:
        if coding.get("code") in TIMING_CODES:
            return float(TIMING_CODES[coding["code"]])
    return None
