"""``caremesh fhir load``: Bundles, directories, archives and NDJSON, on both dialects."""

from __future__ import annotations

import asyncio
import gzip
import io
import tarfile
from pathlib import Path

import orjson
import pytest
from tests.support.synthea import iter_bundle_bytes
from typer.testing import CliRunner

from caremesh.cli.main import app
from caremesh.kernel.db import open_database
from caremesh.modules.clinical.application.medication_orders_demo import SCENARIOS

runner = CliRunner()


@pytest.fixture
def topology_file(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CAREMESH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    path = tmp_path / "fhir-load.toml"
    path.write_text(f"""
name = "fhir-load-test"
[infrastructure]
database = "{database_url}"
bus = "inprocess"
[processes.app]
modules = ["clinical"]
""")
    return path


def _counts(database_url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        db = open_database(database_url, "clinical")
        await db.connect()
        try:
            async with db.read() as conn:
                rows = await conn.fetch(
                    "SELECT res_type, COUNT(*) AS n FROM fhir_resource WHERE deleted = 0 GROUP BY res_type"
                )
        finally:
            await db.close()
        return {row["res_type"]: int(row["n"]) for row in rows}

    return asyncio.run(read())


def _archive(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def _entries_by_type(bundles: list[bytes]) -> dict[str, int]:
    found: dict[str, int] = {}
    for body in bundles:
        for entry in orjson.loads(body)["entry"]:
            kind = entry["resource"]["resourceType"]
            found[kind] = found.get(kind, 0) + 1
    return found


def test_loads_an_archive_a_directory_and_ndjson(
    tmp_path: Path, topology_file: Path, database_url: str
) -> None:
    synthea = [content for _, content in iter_bundle_bytes(limit=3)]
    archive = _archive(tmp_path / "bundles.tar.gz", [("a.json", synthea[0]), ("b.json", synthea[1])])
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "c.json").write_bytes(synthea[2])
    lines = [
        {"resourceType": "Patient", "id": "ndjson-1", "name": [{"family": "Lineone"}]},
        {"resourceType": "Patient", "name": [{"family": "Linetwo"}]},
    ]
    (folder / "patients.ndjson").write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    practitioner = {"resourceType": "Practitioner", "id": "gz-1", "name": [{"family": "Zipped"}]}
    (folder / "more.ndjson.gz").write_bytes(gzip.compress(orjson.dumps(practitioner)))

    for target in (archive, folder):
        result = runner.invoke(app, ["fhir", "load", str(target), "--topology", str(topology_file)])
        assert result.exit_code == 0, result.output
        assert "resources/s" in result.output

    expected = _entries_by_type(synthea)
    expected["Patient"] += 2
    expected["Practitioner"] += 1
    assert _counts(database_url) == expected


def test_failures_are_named_and_exit_non_zero(tmp_path: Path, topology_file: Path, database_url: str) -> None:
    invalid = {"resourceType": "Patient", "gender": "x"}
    bad = {"resourceType": "Bundle", "type": "transaction",
           "entry": [{"request": {"method": "POST", "url": "Patient"}, "resource": invalid}]}  # fmt: skip
    (tmp_path / "broken.json").write_bytes(orjson.dumps(bad))
    lines = b'{"resourceType":"Patient"}\nnot json\n{"resourceType":"Patient","id":"p-3","gender":"x"}\n'
    (tmp_path / "lines.ndjson").write_bytes(lines + b'{"resourceType":"Patient","id":"p-4"}\n')
    result = runner.invoke(app, ["fhir", "load", str(tmp_path), "--topology", str(topology_file)])
    assert result.exit_code == 1, result.output
    assert "broken.json" in result.output
    assert "gender" in result.output
    assert "line 2" in result.output
    assert "line 3: 400" in result.output
    assert _counts(database_url) == {"Patient": 2}  # the valid NDJSON lines; the transaction rolled back


def test_a_missing_path_is_refused(tmp_path: Path, topology_file: Path) -> None:
    result = runner.invoke(
        app, ["fhir", "load", str(tmp_path / "nowhere.json"), "--topology", str(topology_file)]
    )
    assert result.exit_code == 2


def test_demo_load_brings_synthea_patients_once(topology_file: Path, database_url: str) -> None:
    first = runner.invoke(app, ["demo", "load", "--topology", str(topology_file)])
    assert first.exit_code == 0, first.output
    counts = _counts(database_url)
    # Ten Synthea patients, plus one synthetic patient per kind of medication-order alert.
    assert counts["Patient"] == 10 + len(SCENARIOS)
    assert counts["Observation"] > 100
    again = runner.invoke(app, ["demo", "load", "--topology", str(topology_file)])
    assert again.exit_code == 0, again.output
    assert "'bundles_skipped': 10" in again.output
    assert _counts(database_url) == counts


def _token_rows(database_url: str) -> int:
    async def read() -> int:
        db = open_database(database_url, "clinical")
        await db.connect()
        try:
            async with db.transaction() as conn:
                count = int(await conn.fetchval("SELECT COUNT(*) FROM fhir_sp_token"))
                await conn.execute("DELETE FROM fhir_sp_token")  # as if written before an index migration
                return count
        finally:
            await db.close()

    return asyncio.run(read())


def test_reindex_rebuilds_the_search_index_from_stored_resources(
    tmp_path: Path, topology_file: Path, database_url: str
) -> None:
    bundle = tmp_path / "one.json"
    bundle.write_bytes(next(iter_bundle_bytes(limit=1))[1])
    loaded = runner.invoke(app, ["fhir", "load", str(bundle), "--topology", str(topology_file)])
    assert loaded.exit_code == 0, loaded.output
    before = _token_rows(database_url)
    assert before > 0

    result = runner.invoke(app, ["fhir", "reindex", "--topology", str(topology_file)])

    assert result.exit_code == 0, result.output
    assert f"reindexed {sum(_counts(database_url).values())} resources" in result.output
    assert _token_rows(database_url) == before
