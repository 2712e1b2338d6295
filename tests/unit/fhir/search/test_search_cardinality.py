"""Which parameters hold one value per resource (from the schema), and which AND-ed ranges merge."""

from __future__ import annotations

from datetime import UTC, datetime

from caremesh.fhir.definitions import load
from caremesh.fhir.search.cardinality import single_valued
from caremesh.fhir.search.criteria import Leaf
from caremesh.fhir.search.query import parse_query


def test_single_valued_parameters() -> None:
    definitions = load()
    cases = {
        ("Observation", "date"): True,  # Observation.effective[x]
        ("Patient", "birthdate"): True,
        ("MedicationRequest", "authoredon"): True,
        ("Patient", "death-date"): True,  # (Patient.deceased.ofType(dateTime))
        ("RiskAssessment", "probability"): False,  # prediction repeats
        ("Patient", "family"): False,  # name repeats
        ("Condition", "onset-date"): False,  # two expressions: not a plain path
    }
    for (resource_type, code), expected in cases.items():
        param = definitions.param(resource_type, code)
        assert param is not None
        assert single_valued(definitions, resource_type, param) is expected, (resource_type, code)


def test_only_single_valued_ranges_are_merged() -> None:
    def criteria(resource_type: str, params: list[tuple[str, str]]) -> list:
        now = datetime(2025, 1, 1, tzinfo=UTC)
        return parse_query(
            load(), resource_type, params, base_url="http://x", handling="strict", now=now
        ).criteria

    merged = criteria("Observation", [("date", "ge2020"), ("date", "lt2021"), ("code", "1")])
    dates = [c for c in merged if isinstance(c, Leaf) and c.param.code == "date"]
    assert len(dates) == 1 and dates[0].same_row and len(dates[0].values) == 2
    separate = criteria("RiskAssessment", [("probability", "lt0.2"), ("probability", "gt0.8")])
    assert len(separate) == 2 and not any(c.same_row for c in separate)
    alternatives = criteria("Observation", [("date", "2020,2021"), ("date", "lt2022")])
    assert len(alternatives) == 2  # an OR list stays a criterion of its own
