"""Build ``caremesh/fhir/data/summary-elements.json``: per R4 resource type, its summary elements
(``isSummary``) and its mandatory elements (min >= 1), as top-level JSON property names.

The bundled R4 files carry neither flag; the FHIR models of ``fhir.resources`` (R4B, a dev
dependency) do, generated from the HL7 StructureDefinitions. R4B keeps R4's elements and flags for
all but a few types, so only names the R4 JSON schema defines are kept, and the 18 types R4B
dropped (MedicinalProduct*, Substance* details, *EvidenceSynthesis) are left out: for those the
engine falls back to its heuristic (see ``caremesh.fhir.search.summary``).

Regenerate after changing the definitions::

    .venv/bin/python tests/unit/fhir/search/fhir_summary_table.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from caremesh.fhir.definitions import Definitions, load

TABLE = Path(__file__).parents[4] / "src" / "caremesh" / "fhir" / "data" / "summary-elements.json"


def _flags(extra: dict[str, Any], required: bool) -> tuple[bool, bool]:
    summary = bool(extra.get("summary_element_property"))
    mandatory = required or bool(extra.get("element_required")) or bool(extra.get("one_of_many_required"))
    return summary, mandatory


def _type_entry(definitions: Definitions, resource_type: str, model: Any) -> dict[str, list[str]]:
    schema = definitions.schema["definitions"][resource_type]
    names = {name for name in schema["properties"] if not name.startswith("_") and name != "resourceType"}
    summary, mandatory = set(), set(schema.get("required", ())) - {"resourceType"}
    for field_name, field in model.model_fields.items():
        name = field.alias or field_name
        if name not in names:
            continue
        is_summary, is_mandatory = _flags(field.json_schema_extra or {}, field.is_required())
        if is_summary:
            summary.add(name)
        if is_mandatory:
            mandatory.add(name)
    return {"summary": sorted(summary), "mandatory": sorted(mandatory)}


def build_table(definitions: Definitions | None = None) -> dict[str, dict[str, list[str]]]:
    from fhir.resources.R4B import get_fhir_model_class  # dev dependency: only to generate

    definitions = definitions or load()
    table = {}
    for resource_type in sorted(definitions.resource_types):
        try:
            model = get_fhir_model_class(resource_type)
        except ValueError:
            continue  # not in R4B
        table[resource_type] = _type_entry(definitions, resource_type, model)
    return table


def encoded(table: dict[str, dict[str, list[str]]]) -> bytes:
    """One type per line: small, and a diff shows which type changed."""
    lines = [orjson.dumps(name) + b":" + orjson.dumps(entry) for name, entry in table.items()]
    return b"{\n" + b",\n".join(lines) + b"\n}\n"


if __name__ == "__main__":
    TABLE.write_bytes(encoded(build_table()))
    print(f"wrote {TABLE}")
