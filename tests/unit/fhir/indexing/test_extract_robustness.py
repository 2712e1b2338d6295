"""Whatever JSON arrives under a resource's real element names, indexing returns entries, never fails.

Validation normally rejects such resources first; indexing must still not be the place where a
malformed body turns into a 500.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caremesh.fhir.definitions import load
from caremesh.fhir.indexing.extract import Indexer

_DEFINITIONS = load()
_INDEXER = Indexer(_DEFINITIONS)
_TYPES = [
    "Patient",
    "Observation",
    "Condition",
    "Encounter",
    "DocumentReference",
    "MolecularSequence",
    "Bundle",
]
_ELEMENT_NAMES = sorted(
    {
        key
        for resource_type in _TYPES
        for key in _DEFINITIONS.schema["definitions"][resource_type]["properties"]
        if not key.startswith("_")
    }
    | {"reference", "system", "code", "value", "coding", "start", "end", "low", "high", "family", "given"}
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "#x", "Patient/1", "2020-02-30", "2020-01-01T10:00:00+14:00", "0001", "9999-12-31"]),
    st.text(max_size=8),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_ELEMENT_NAMES), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_TYPES), st.dictionaries(st.sampled_from(_ELEMENT_NAMES), _json, max_size=8))
def test_arbitrary_element_values_never_break_indexing(resource_type: str, body: dict[str, Any]) -> None:
    resource = {**body, "resourceType": resource_type}
    entries = _INDEXER.entries(resource)
    assert len(entries) == len(set(entries))
    for entry in entries:
        for bound in ("low", "high", "value"):
            found = getattr(entry, bound, None)
            assert not isinstance(found, Decimal) or found.is_finite()
