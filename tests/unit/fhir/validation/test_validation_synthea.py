"""Real data raises no false positives: every Synthea resource validates clean, alone and in its bundle."""

from __future__ import annotations

import re
from typing import Any

from caremesh.fhir.validation import Validator

_UUID_REFERENCE = re.compile(r"^urn:uuid:(.+)$")


def _as_stored(resource: dict[str, Any], ids_by_url: dict[str, str]) -> dict[str, Any]:
    """What a transaction stores: ``urn:uuid:`` references rewritten to ``Type/id``."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ids_by_url.get(v, v) if k == "reference" else rewrite(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return rewrite(resource)


def test_every_entry_of_the_bundles_validates_clean(
    validator: Validator, synthea_bundles: list[dict[str, Any]]
) -> None:
    checked = 0
    for bundle in synthea_bundles:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert validator.validate(resource, resource_type=resource["resourceType"], in_bundle=True) == []
            checked += 1
    assert checked > 1000  # a handful of patients' whole records, of many resource types


def test_whole_transaction_bundles_validate_clean(
    validator: Validator, synthea_bundles: list[dict[str, Any]]
) -> None:
    for bundle in synthea_bundles:
        assert validator.validate(bundle, resource_type="Bundle") == []


def test_resources_as_stored_after_a_transaction_validate_clean(
    validator: Validator, synthea_bundles: list[dict[str, Any]]
) -> None:
    bundle = synthea_bundles[0]
    ids_by_url = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
        if _UUID_REFERENCE.match(e["fullUrl"])
    }
    for entry in bundle["entry"]:
        assert validator.validate(_as_stored(entry["resource"], ids_by_url)) == []


def test_urn_references_of_synthea_need_the_bundle_context(
    validator: Validator, synthea_bundles: list[dict[str, Any]]
) -> None:
    encounter = next(
        e["resource"] for e in synthea_bundles[0]["entry"] if e["resource"]["resourceType"] == "Encounter"
    )
    issues = validator.validate(encounter)
    assert issues and {i.code for i in issues} == {"invalid"}
    assert "Encounter.subject.reference" in {i.expression[0] for i in issues}
