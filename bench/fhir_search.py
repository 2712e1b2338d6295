"""FHIR search latency on the Synthea record set, SQLite and PostgreSQL.

Loads ``--bundles`` Synthea bundles (``urn:uuid:`` references made local, as a transaction
would) ``--copies`` times (each copy with its own ids, for the 10x scaling run) into a fresh
store: resources plus their real index rows (``Indexer`` + ``write_entries``), then ANALYZE.
Then times ``search()`` (engine level, one connection, no HTTP) for each scenario ``--repeat``
times with parameters drawn from the data, and reports p50/p99/mean in milliseconds:

* ``patient_by_family``   Patient?family=<a family name's first 4 letters>
* ``obs_by_subject_code`` Observation?subject=Patient/<id>&code=http://loinc.org|<code>
* ``obs_by_date_range``   Observation?date=ge<day>&date=lt<day + 1>
* ``obs_chain_family``    Observation?subject:Patient.family=<family>&code=<code>
* ``obs_include_subject`` Observation?subject=Patient/<id>&_include=Observation:subject&_count=50

    .venv/bin/python bench/fhir_search.py [OUTPUT.json] [--bundles 300] [--copies 1] [--repeat 200]
        [--dialects sqlite,postgres] [--tarball PATH]

PostgreSQL: a fresh database (admin URL ``CAREMESH_BENCH_POSTGRES``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from caremesh.fhir.definitions import load
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.search.engine import search
from caremesh.fhir.storage.index_rows import write_entries
from caremesh.kernel.db import Connection, Database, open_database
from caremesh.kernel.db.migrations import migrate

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARBALL = ROOT.parent / "shared" / "testdata" / "synthea-r4" / "bundles.tar.gz"
ADMIN = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BASE_URL = "http://bench.test/fhir/R4"
DEFINITIONS = load()


def bundles(tarball: Path, count: int) -> Iterator[bytes]:
    with tarfile.open(tarball) as archive:
        members = sorted((m for m in archive.getmembers() if m.name.endswith(".json")), key=lambda m: m.name)
        for member in members[:count]:
            yield archive.extractfile(member).read()  # type: ignore[union-attr]


def resources_of(text: bytes, suffix: str) -> list[dict[str, Any]]:
    """The bundle's resources with ``urn:uuid:X`` references turned into ``Type/X<suffix>``."""
    for entry in orjson.loads(text)["entry"]:
        resource = entry["resource"]
        text = text.replace(
            entry["fullUrl"].encode(), f"{resource['resourceType']}/{resource['id']}{suffix}".encode()
        )
    out = [entry["resource"] for entry in orjson.loads(text)["entry"]]
    for resource in out:
        resource["id"] += suffix
    return out


async def write_batch(conn: Connection, indexer: Indexer, batch: list[dict[str, Any]], now: datetime) -> None:
    await conn.executemany(
        "INSERT INTO fhir_resource (res_type, res_id, version, last_updated, deleted, body) "
        "VALUES ($1, $2, 1, $3, 0, $4)",
        [(r["resourceType"], r["id"], now, orjson.dumps(r)) for r in batch],
    )
    for resource in batch:
        await write_entries(conn, resource["resourceType"], resource["id"], indexer.entries(resource))


def _first(seen: set[tuple[str, str]], resource: dict[str, Any]) -> bool:
    key = (resource["resourceType"], resource["id"])
    if key in seen:
        return False
    seen.add(key)
    return True


async def load_store(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    await migrate(db, "fhir", "caremesh.fhir.storage.migrations")
    indexer = Indexer(DEFINITIONS, base_url=BASE_URL)
    started, count, now = time.perf_counter(), 0, datetime.now(UTC)
    seen: set[tuple[str, str]] = set()  # bundles share practitioners and organizations
    for copy in range(args.copies):
        for text in bundles(args.tarball, args.bundles):
            batch = [r for r in resources_of(text, f"-c{copy}" if copy else "") if _first(seen, r)]
            async with db.transaction() as conn:
                await write_batch(conn, indexer, batch, now)
            count += len(batch)
    seconds = time.perf_counter() - started
    async with db.transaction() as conn:
        await conn.execute("ANALYZE")
    return {"resources": count, "load_seconds": round(seconds, 1), "resources_per_s": round(count / seconds)}


async def samples(db: Database) -> dict[str, list[Any]]:
    async with db.read() as conn:
        families = [
            r[0]
            for r in await conn.fetch(
                "SELECT DISTINCT value FROM fhir_sp_string WHERE res_type = 'Patient' AND param = 'family'"
            )
        ]
        pairs = [
            (r[0], r[1])
            for r in await conn.fetch(
                "SELECT s.target_id, t.code FROM fhir_sp_reference s JOIN fhir_sp_token t "
                "ON t.res_type = s.res_type AND t.res_id = s.res_id AND t.param = 'code' "
                "WHERE s.res_type = 'Observation' AND s.param = 'subject' AND t.system = 'http://loinc.org' "
                "LIMIT 5000"
            )
        ]
        days = [
            r[0]
            for r in await conn.fetch(
                "SELECT low FROM fhir_sp_date WHERE res_type = 'Observation' AND param = 'date' LIMIT 5000"
            )
        ]
    return {"families": families, "pairs": pairs, "days": days}  # fmt: skip


Scenario = Callable[[], tuple[str, list[tuple[str, str]]]]


def scenarios(data: dict[str, list[Any]]) -> dict[str, Scenario]:
    def family_prefix() -> tuple[str, list[tuple[str, str]]]:
        return "Patient", [("family", random.choice(data["families"])[:4])]

    def subject_code() -> tuple[str, list[tuple[str, str]]]:
        patient, code = random.choice(data["pairs"])
        return "Observation", [("subject", f"Patient/{patient}"), ("code", f"http://loinc.org|{code}")]

    def date_range() -> tuple[str, list[tuple[str, str]]]:
        start = random.choice(data["days"]).astimezone(UTC).date()
        return "Observation", [("date", f"ge{start.isoformat()}"), ("date", f"lt{start + timedelta(days=1)}")]

    def chain() -> tuple[str, list[tuple[str, str]]]:
        family, code = random.choice(data["families"]), random.choice(data["pairs"])[1]
        return "Observation", [("subject:Patient.family", family), ("code", code)]

    def include() -> tuple[str, list[tuple[str, str]]]:
        patient = random.choice(data["pairs"])[0]
        return "Observation", [
            ("subject", f"Patient/{patient}"),
            ("_include", "Observation:subject"),
            ("_count", "50"),
        ]

    return {
        "patient_by_family": family_prefix,
        "obs_by_subject_code": subject_code,
        "obs_by_date_range": date_range,
        "obs_chain_family": chain,
        "obs_include_subject": include,
    }


async def measure(
    db: Database, make: Callable[[], tuple[str, list[tuple[str, str]]]], repeat: int
) -> dict[str, Any]:
    timings, found = [], 0
    async with db.read() as conn:
        for _ in range(repeat):
            resource_type, params = make()
            started = time.perf_counter()
            result = await search(
                conn, definitions=DEFINITIONS, resource_type=resource_type, params=params, base_url=BASE_URL
            )
            timings.append((time.perf_counter() - started) * 1000)
            found += len(result.matches) + len(result.included)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "mean_results": round(found / repeat, 1),
    }


async def run_dialect(url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = open_database(url, "clinical")
    await db.connect()
    try:
        report: dict[str, Any] = {"load": await load_store(db, args)}
        made = scenarios(await samples(db))
        random.seed(7)
        report["searches"] = {name: await measure(db, make, args.repeat) for name, make in made.items()}
        return report
    finally:
        await db.close()


async def with_postgres(run: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    name = f"caremesh_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        return await run(ADMIN.rsplit("/", 1)[0] + f"/{name}")
    finally:
        admin = await asyncpg.connect(ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "bundles": args.bundles, "copies": args.copies, "repeat": args.repeat,
    }  # fmt: skip
    for dialect in args.dialects.split(","):
        if dialect == "sqlite":
            with tempfile.TemporaryDirectory() as directory:
                report["sqlite"] = await run_dialect(f"sqlite:///{directory}", args)
        elif dialect == "postgres":
            report["postgres"] = await with_postgres(lambda url: run_dialect(url, args))
        print(json.dumps({dialect: report.get(dialect)}, indent=2), flush=True)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--bundles", type=int, default=300)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--dialects", default="sqlite,postgres")
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL)
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments))
    if arguments.output:
        arguments.output.write_text(json.dumps(result, indent=2) + "\n")
