"""An attacker with database access drops the triggers and edits the trail: verify names the row."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import orjson
import pytest
from tests.integration.access.access_harness import patient_body, running, token

from caremesh.kernel.audit.chain import link_hash
from caremesh.kernel.audit.signing import default_signer
from caremesh.kernel.audit.verify import verify_chain
from caremesh.kernel.db.base import Database

CAREMESH = str(Path(sys.executable).with_name("caremesh"))


@pytest.fixture(autouse=True)
def _checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREMESH_AUDIT_CHECKPOINT_EVERY", "4")


async def _drop_triggers(db: Database) -> None:
    async with db.transaction() as conn:
        if db.dialect == "postgres":
            for table in ("audit_event", "audit_patient"):
                await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for name in (
                "audit_event_no_update",
                "audit_event_no_delete",
                "audit_patient_no_update",
                "audit_patient_no_delete",
            ):
                await conn.execute(f"DROP TRIGGER {name}")


async def _trail(database_url: str, reads: int = 9) -> None:
    async with running(database_url) as app:
        alice = await app.create(patient_body("Alpha"))
        for _ in range(reads):
            assert (await app.get(f"Patient/{alice}", token())).status_code == 200


async def _cli_verify(database_url: str, tmp_path: Path) -> tuple[int, str]:
    topology = tmp_path / "audit-verify.toml"
    topology.write_text(
        f'name = "audit-verify"\n[infrastructure]\ndatabase = "{database_url}"\nbus = "inprocess"\n'
        '[processes.app]\nmodules = ["clinical"]\n'
    )
    env = {**os.environ, "CAREMESH_LOG_LEVEL": "WARNING"}
    env.pop("CAREMESH_DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        CAREMESH,
        "audit",
        "verify",
        "--topology",
        str(topology),
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_cli_proves_an_intact_chain_and_names_the_edited_record(
    database_url: str, tmp_path: Path
) -> None:
    await _trail(database_url)
    code, out = await _cli_verify(database_url, tmp_path)
    assert code == 0, out
    async with running(database_url) as app:
        await _drop_triggers(app.db)
        async with app.db.transaction() as conn:
            await conn.execute("UPDATE audit_event SET body = replace(body, '\"R\"', '\"U\"') WHERE seq = 6")
    code, out = await _cli_verify(database_url, tmp_path)
    assert code == 1
    verdict = next(orjson.loads(line) for line in out.splitlines() if line.startswith("{"))
    assert verdict["failed_seq"] == 6 and "hash" in verdict["problem"]


async def test_each_kind_of_tampering_is_found(database_url: str) -> None:
    await _trail(database_url)
    attacks = {
        "UPDATE audit_event SET subject = 'nobody' WHERE seq = 3": (3, "column subject"),
        "DELETE FROM audit_patient WHERE seq = 5": (5, "patient index"),
        "DELETE FROM audit_event WHERE seq = 7": (7, "missing"),
        "DELETE FROM audit_event WHERE seq >= 8": (8, "checkpoint at 8"),
    }
    async with running(database_url) as app:
        await _drop_triggers(app.db)
        signer = default_signer()
        assert (await verify_chain(app.db, signer)).ok
        # Attacks are applied newest-first, so each verdict names the attack just made (the
        # earliest broken row) without a fresh database per attack.
        for statement, (seq, problem) in sorted(attacks.items(), key=lambda item: -item[1][0]):
            async with app.db.transaction() as conn:
                await conn.execute(statement)
            verdict = await verify_chain(app.db, signer)
            assert (verdict.failed_seq, problem in (verdict.problem or "")) == (seq, True), verdict


async def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(database_url: str) -> None:
    await _trail(database_url)
    async with running(database_url) as app:
        await _drop_triggers(app.db)
        # The attacker edits record 2 and recomputes every hash after it: the links hold again,
        # but the checkpoint at seq 4 was signed over the old head and they cannot re-sign it.
        async with app.db.transaction() as conn:
            rows = await conn.fetch("SELECT seq, body, prev_hash FROM audit_event ORDER BY seq")
            prev = rows[0]["prev_hash"]
            for row in rows:
                body = row["body"].replace('"R"', '"U"') if row["seq"] == 2 else row["body"]
                new_hash = link_hash(prev, row["seq"], body)
                await conn.execute(
                    "UPDATE audit_event SET body = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
                    body,
                    prev,
                    new_hash,
                    row["seq"],
                )
                prev = new_hash
        verdict = await verify_chain(app.db, default_signer())
        assert verdict.failed_seq == 4 and "checkpoint" in (verdict.problem or "")
