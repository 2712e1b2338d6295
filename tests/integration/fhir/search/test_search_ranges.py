"""Date, number and quantity parameters with every prefix; _lastUpdated; on both dialects."""

from __future__ import annotations

import pytest
from search_data import patient, record
from search_store import Store


@pytest.fixture
async def loaded(store: Store) -> Store:
    await store.put_all(record())
    return store


async def test_dates_compare_as_intervals(loaded: Store) -> None:
    # birthDate p1 1980-05-17, p2 1975 (the whole year), p3 2001-11-30
    assert await loaded.id_set("Patient", "birthdate=1980") == {"p1"}
    assert await loaded.id_set("Patient", "birthdate=1980-05-17") == {"p1"}
    assert await loaded.id_set("Patient", "birthdate=1975-06") == set()  # 1975 is wider than June
    assert await loaded.id_set("Patient", "birthdate=ne1980") == {"p2", "p3"}
    assert await loaded.id_set("Patient", "birthdate=ge1975") == {"p1", "p2", "p3"}
    assert await loaded.id_set("Patient", "birthdate=gt1975") == {"p1", "p3"}
    assert await loaded.id_set("Patient", "birthdate=lt1980-05-17") == {"p2"}
    assert await loaded.id_set("Patient", "birthdate=le1980-05-17") == {"p1", "p2"}
    assert await loaded.id_set("Patient", "birthdate=sa1980") == {"p3"}
    assert await loaded.id_set("Patient", "birthdate=eb1980") == {"p2"}
    assert await loaded.id_set("Patient", "birthdate=ap1980") == {"p1", "p2"}  # +-10% of ~45 years


async def test_a_date_range_with_times_and_zones(loaded: Store) -> None:
    assert await loaded.id_set("Observation", "date=ge2020-01-01&date=lt2020-02-01") == {"o1", "o4"}
    assert await loaded.id_set("Observation", "date=2020-01-20T06:30:00Z") == {"o4"}  # written +02:00
    assert await loaded.id_set("Observation", "date=2020-01-20T08:30:00%2B02:00".replace("%2B", "+")) == {
        "o4"
    }
    assert await loaded.id_set("Observation", "date=lt2020") == {"o5"}
    assert await loaded.id_set("Observation", "date=2021") == {"o3"}  # 2021-06-01 lies in 2021
    assert await loaded.id_set("Observation", "date=2020-01,2021-06") == {"o1", "o3", "o4"}


async def test_dates_before_the_year_1000_order_correctly(store: Store) -> None:
    await store.put(patient("old", "Ancient", "A", birthDate="0500-03-01"))
    await store.put(patient("new", "Modern", "M", birthDate="1990-03-01"))
    assert await store.id_set("Patient", "birthdate=lt1000") == {"old"}
    assert await store.id_set("Patient", "birthdate=gt1000") == {"new"}


async def test_quantities(loaded: Store) -> None:
    # value-quantity: o1 120, o2 135.5, o3 150, o4 80 (mmHg)
    assert await loaded.id_set("Observation", "value-quantity=120") == {"o1"}
    assert await loaded.id_set("Observation", "value-quantity=gt130") == {"o2", "o3"}
    assert await loaded.id_set("Observation", "value-quantity=le80") == {"o4"}
    assert await loaded.id_set("Observation", "value-quantity=135.5|http://unitsofmeasure.org|mm[Hg]") == {
        "o2"
    }
    assert await loaded.id_set("Observation", "value-quantity=135.5||mmHg") == {"o2"}  # the unit as written
    assert await loaded.id_set("Observation", "value-quantity=135.5||mm[Hg]") == {"o2"}
    assert await loaded.id_set("Observation", "value-quantity=135.5||kg") == set()
    assert await loaded.id_set("Observation", "value-quantity=ap140") == {"o2", "o3"}  # 126..154
    assert await loaded.id_set("Observation", "value-quantity:missing=true") == {"o5"}


async def test_numbers(store: Store) -> None:
    for rid, probability in (("ra1", 0.25), ("ra2", 0.8), ("ra3", 0.5)):
        await store.put(
            {"resourceType": "RiskAssessment", "id": rid, "status": "final",
             "subject": {"reference": "Patient/p1"}, "prediction": [{"probabilityDecimal": probability}]}
        )  # fmt: skip
    assert await store.id_set("RiskAssessment", "probability=gt0.5") == {"ra2"}
    assert await store.id_set("RiskAssessment", "probability=ge0.5") == {"ra2", "ra3"}
    assert await store.id_set("RiskAssessment", "probability=0.25") == {"ra1"}
    assert await store.id_set("RiskAssessment", "probability=lt0.3,gt0.7") == {"ra1", "ra2"}
    assert await store.id_set("RiskAssessment", "probability=ne0.5") == {"ra1", "ra2"}


async def test_last_updated(store: Store) -> None:
    await store.put(patient("a", "A", "A"), updated="2024-01-01T00:00:00Z")
    await store.put(patient("b", "B", "B"), updated="2024-06-15T12:00:00Z")
    assert await store.id_set("Patient", "_lastUpdated=gt2024-03-01") == {"b"}
    assert await store.id_set("Patient", "_lastUpdated=2024-01-01") == {"a"}
    assert await store.id_set("Patient", "_lastUpdated=ge2024-01-01&_lastUpdated=lt2025") == {"a", "b"}
    assert await store.id_set(None, "_lastUpdated=gt2024-03-01") == {"b"}


async def test_and_ed_ranges_on_a_repeating_element_may_match_different_values(store: Store) -> None:
    # RiskAssessment.prediction repeats: "< 0.2 and > 0.8" holds through two different predictions.
    await store.put(
        {"resourceType": "RiskAssessment", "id": "two", "status": "final",
         "prediction": [{"probabilityDecimal": 0.1}, {"probabilityDecimal": 0.9}]}
    )  # fmt: skip
    assert await store.id_set("RiskAssessment", "probability=lt0.2&probability=gt0.8") == {"two"}
    # Observation.effective does not repeat: both bounds must hold for its one value.
    await store.put_all(record())
    assert await store.id_set("Observation", "date=gt2020-01-16&date=lt2020-02-01") == {"o4"}
