"""Safe Harbor over the Synthea sample: through ``caremesh deid`` no canary of the source survives
anywhere in the output, and every output resource still validates as FHIR R4.

A sample of the 300 bundles runs by default (seconds); CAREMESH_DEID_FULL=1 runs all of them.
"""

from __future__ import annotations

import os
import re
from typing import Any

import orjson
import pytest
from deid_synthea import canaries, exported_resources, strings, terminology_texts
from typer.testing import CliRunner

from caremesh.cli.main import app
from caremesh.fhir.definitions import load
from caremesh.fhir.validation import Validator

# Not inside a longer token: pseudonym UUIDs such as "cbfe2012-05a8-..." hold digit runs too.
DATE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z-])(1[89]|20)[0-9]{2}-(0[1-9]|1[0-2])(?![0-9A-Za-z])")
TOKEN = re.compile(r"[0-9A-Za-z]+")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FULL = os.environ.get("CAREMESH_DEID_FULL") == "1"
CANARY_BUNDLES = 300 if FULL else 25
VALIDATED_BUNDLES = 300 if FULL else 25
# (source resources per patient, de-identified output)
Extract = tuple[list[list[dict[str, Any]]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Extract:
    directory = tmp_path_factory.mktemp("deid")
    source, target = directory / "export.ndjson", directory / "deid.ndjson"
    patients = list(exported_resources(CANARY_BUNDLES))
    with source.open("wb") as handle:
        for resources in patients:
            handle.writelines(orjson.dumps(r) + b"\n" for r in resources)
    result = CliRunner().invoke(app, ["deid", str(source), str(target)])
    assert result.exit_code == 0, result.output
    output = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    assert len(output) == sum(len(p) for p in patients)
    return patients, output


def test_no_canary_of_the_source_survives(extract: Extract) -> None:
    patients, output = extract
    # Canaries can only hide inside string values: search each distinct one once.
    text = "\n".join(set(strings(output)))
    sought = set().union(*(canaries(resources) for resources in patients))
    assert len(sought) > 1000
    # A canary that is also a word of the terminology (a family name "Brain" in "Brain natriuretic
    # peptide") cannot be told apart from it, so it is not evidence of a leak.
    ambiguous = sought & set(TOKEN.findall(" ".join(terminology_texts(r for p in patients for r in p))))
    assert len(ambiguous) < len(sought) / 100
    sought -= ambiguous
    # Ids and other UUID-shaped values: one pass collects every UUID-shaped token of the output.
    uuids = {c for c in sought if UUID.fullmatch(c)}
    assert uuids.isdisjoint(UUID.findall(text))
    sought -= uuids
    # Whole tokens only ("Ann" is not found in "Annual"): a canary is sought as a run of tokens,
    # first in the set of output tokens (fast), then as text where all its tokens occur.
    tokens = set(TOKEN.findall(text))
    leaks = [
        c for c in sought
        if set(TOKEN.findall(c)) <= tokens
        and re.search(rf"(?<![0-9A-Za-z]){re.escape(c)}(?![0-9A-Za-z])", text)
    ]  # fmt: skip
    assert leaks == []


def test_no_date_more_precise_than_a_year_survives(extract: Extract) -> None:
    _, output = extract
    dated = [s for s in strings(output) if DATE_IN_TEXT.search(s)]
    assert dated == []


def test_patients_stay_linked_and_the_output_is_labelled(extract: Extract) -> None:
    _, output = extract
    patient_ids = {r["id"] for r in output if r["resourceType"] == "Patient"}
    subjects = {
        r["subject"]["reference"].split("/", 1)[1]
        for r in output
        if r["resourceType"] in ("Observation", "Encounter", "Condition") and "subject" in r
    }
    assert subjects and subjects <= patient_ids  # every subject points at a patient of the extract
    assert all({"PSEUDED", "REDACTED"} <= {s["code"] for s in r["meta"]["security"]} for r in output)


def test_the_output_still_validates_as_fhir(extract: Extract) -> None:
    patients, output = extract
    validator = Validator(load())
    assert validator.validate({"resourceType": "Patient", "birthDate": "04/07/1961"})  # it does judge
    count = sum(len(p) for p in patients[:VALIDATED_BUNDLES])
    problems = [
        (resource["resourceType"], issue.diagnostics)
        for resource in output[:count]
        for issue in validator.validate(resource)
        if issue.severity in ("error", "fatal")
    ]
    assert problems == []
