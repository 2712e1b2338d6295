"""Daily dose and route from FHIR dosageInstruction; anything not computable is None, never a guess."""

from __future__ import annotations

from typing import Any

import pytest

from caremesh.modules.cds.application.dosage import daily_dose, route_of


def sig(value: float, unit: str = "mg", *, sequence: int | None = None, **repeat: Any) -> dict[str, Any]:
    instruction: dict[str, Any] = {
        "doseAndRate": [
            {"doseQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org"}}
        ],
        "timing": {"repeat": repeat},
    }
    if sequence is not None:
        instruction["sequence"] = sequence
    return instruction


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        (sig(1000, frequency=4, period=1, periodUnit="d"), (4000.0, "mg")),
        (sig(500, frequency=1, period=6, periodUnit="h"), (2000.0, "mg")),
        (sig(15, frequency=1, period=1, periodUnit="wk"), (15 / 7, "mg")),
        (sig(0.6, frequency=1, frequencyMax=3, period=1, periodUnit="d"), (1.8, "mg")),
        (sig(2, when=["MORN", "NIGHT"]), (4.0, "mg")),
        (
            {
                "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg"}}],
                "timing": {"code": {"coding": [{"code": "BID"}]}},
            },
            (10.0, "mg"),
        ),
        (
            {
                "doseAndRate": [
                    {"doseRange": {"low": {"value": 1, "unit": "g"}, "high": {"value": 2, "unit": "g"}}}
                ],
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
            },
            (4.0, "g"),
        ),
    ],
)
def test_computable_sigs(instruction: dict[str, Any], expected: tuple[float, str]) -> None:
    value, unit = daily_dose([instruction])  # type: ignore[misc]
    assert (round(value, 6), unit) == (round(expected[0], 6), expected[1])


def test_concurrent_lines_add_up_and_a_taper_counts_its_highest_step() -> None:
    morning_evening = [
        sig(1, frequency=1, period=1, periodUnit="d"),
        sig(2, frequency=1, period=1, periodUnit="d"),
    ]
    assert daily_dose(morning_evening) == (3.0, "mg")
    taper = [
        sig(40, sequence=1, frequency=1, period=1, periodUnit="d"),
        sig(20, sequence=2, frequency=1, period=1, periodUnit="d"),
    ]
    assert daily_dose(taper) == (40.0, "mg")


@pytest.mark.parametrize(
    "instructions",
    [
        [],
        [{"text": "as directed"}],
        [sig(1, "tablet")],  # no timing repeat at all
        [sig(1, frequency=1, period=1, periodUnit="d"), sig(5, "mL", frequency=1, period=1, periodUnit="d")],
    ],
)
def test_not_computable(instructions: list[dict[str, Any]]) -> None:
    assert daily_dose(instructions) is None


def test_route() -> None:
    oral = {
        "route": {
            "coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}]
        }
    }
    iv = {"route": {"text": "intravenous"}}
    assert route_of([oral]) == "oral"
    assert route_of([iv]) == "intravenous"
    assert route_of([{}]) is None
