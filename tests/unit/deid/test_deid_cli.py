"""``caremesh deid`` on small files: bad lines are reported (never copied), keys, refusals."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
from typer.testing import CliRunner

from caremesh.cli.main import app

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Canary"}], "birthDate": "1970-02-03"}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["deid", *args])
    return result.exit_code, result.output


def test_lines_that_are_not_resources_are_reported_and_left_out(tmp_path: Path) -> None:
    source, target = tmp_path / "in.ndjson", tmp_path / "out.ndjson"
    source.write_bytes(orjson.dumps(PATIENT) + b"\n{not json\n\n[1, 2]\n" + orjson.dumps(PATIENT) + b"\n")
    code, output = _run(str(source), str(target))
    assert code == 1
    assert "2 lines" in output and "lines 2, 4" in output
    lines = target.read_bytes().splitlines()
    assert len(lines) == 2
    assert b"Canary" not in target.read_bytes() and b"not json" not in target.read_bytes()
    assert orjson.loads(lines[0])["birthDate"] == "1970"


def test_a_key_file_makes_pseudonyms_repeatable_and_without_one_they_differ(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(orjson.dumps(PATIENT) + b"\n")
    key = tmp_path / "study.key"
    key.write_text(base64.b64encode(b"s" * 32).decode())
    ids = []
    for name, extra in (("a", ["--key-file", str(key)]), ("b", ["--key-file", str(key)]), ("c", [])):
        code, _ = _run(str(source), str(tmp_path / f"{name}.ndjson"), *extra)
        assert code == 0
        ids.append(orjson.loads((tmp_path / f"{name}.ndjson").read_bytes())["id"])
    assert ids[0] == ids[1] != ids[2]


def test_refusals(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(orjson.dumps(PATIENT) + b"\n")
    short_key = tmp_path / "short.key"
    short_key.write_text(base64.b64encode(b"x" * 8).decode())
    assert _run(str(source), str(source))[0] == 2  # would overwrite its own source
    assert _run(str(tmp_path / "missing.ndjson"), str(tmp_path / "o.ndjson"))[0] == 2
    assert _run(str(source), str(tmp_path / "o.ndjson"), "--key-file", str(short_key))[0] == 2
    assert not (tmp_path / "o.ndjson").exists()


def test_the_files_of_one_export_stay_linked_through_a_shared_deidentifier(tmp_path: Path) -> None:
    from caremesh.fhir.deid import Deidentifier, deidentify_file

    observation = {"resourceType": "Observation", "id": "o1", "status": "final",
                   "code": {"coding": [{"code": "x"}]}, "subject": {"reference": "Patient/p1"}}  # fmt: skip
    (tmp_path / "Patient.ndjson").write_bytes(orjson.dumps(PATIENT) + b"\n")
    (tmp_path / "Observation.ndjson").write_bytes(orjson.dumps(observation) + b"\n")
    job = Deidentifier()
    for kind in ("Patient", "Observation"):
        deidentify_file(tmp_path / f"{kind}.ndjson", tmp_path / f"{kind}.deid.ndjson", job)
    patient = orjson.loads((tmp_path / "Patient.deid.ndjson").read_bytes())
    linked = orjson.loads((tmp_path / "Observation.deid.ndjson").read_bytes())
    assert linked["subject"]["reference"] == f"Patient/{patient['id']}"
    assert patient["id"] != "p1"
