"""The `caremesh` command against a throw-away all-in-one topology."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caremesh.bootstrap import build_runtime
from caremesh.cli.main import app
from caremesh.kernel import topology
from caremesh.kernel.events.consumer import deliver
from caremesh.kernel.events.envelope import Envelope

runner = CliRunner()


@pytest.fixture
def topology_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CAREMESH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    path = tmp_path / "cli.toml"
    path.write_text(f"""
name = "cli-test"
[infrastructure]
database = "sqlite:///{tmp_path}/var"
bus = "inprocess"
[processes.app]
modules = ["scheduling", "notify"]
""")
    return path


def test_migrate_then_demo_load_is_idempotent(topology_file: Path) -> None:
    migrated = runner.invoke(app, ["migrate", "--topology", str(topology_file)])
    assert migrated.exit_code == 0, migrated.output
    assert "scheduling:" in migrated.output and "notify:" in migrated.output
    first = runner.invoke(app, ["demo", "load", "--topology", str(topology_file)])
    second = runner.invoke(app, ["demo", "load", "--topology", str(topology_file)])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert "'appointments': 4" in first.output
    assert "'appointments': 0" in second.output


def _poison_notify(topology_file: Path) -> str:
    async def main() -> str:
        runtime = build_runtime(topology.load(str(topology_file)))
        await runtime.open()
        try:
            [subscription] = [
                s for s in runtime.contexts["notify"].subscriptions if s.consumer == "notify.appointments"
            ]
            envelope = Envelope(
                id="evt-poison-1", type="scheduling.AppointmentBooked", version=1, source="scheduling",
                aggregate_id="a1", occurred_at=__import__("caremesh.kernel.clock").kernel.clock.utcnow(),
                payload={"appointment_id": "a1"},
            )
            await deliver(subscription, [envelope])
            return subscription.consumer
        finally:
            await runtime.stop()

    return asyncio.run(main())


def test_dead_letters_are_listed_and_a_still_broken_replay_says_so(topology_file: Path) -> None:
    consumer = _poison_notify(topology_file)
    table = runner.invoke(app, ["events", "dead-letters", "--topology", str(topology_file)])
    assert (table.exit_code == 0 and "dead" not in table.output.lower()) or "notify" in table.output
    listed = runner.invoke(app, ["events", "dead-letters", "--json", "--topology", str(topology_file)])
    assert listed.exit_code == 0, listed.output
    [letter] = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert letter["consumer"] == consumer and letter["event_id"] == "evt-poison-1"
    assert "invalid scheduling.AppointmentBooked payload" in letter["reason"]
    letter_id = letter["id"]
    replayed = runner.invoke(app, ["events", "replay", letter_id, "--topology", str(topology_file)])
    assert replayed.exit_code == 1
    assert "failed again" in replayed.output
    unknown = runner.invoke(app, ["events", "replay", "no-such-id", "--topology", str(topology_file)])
    assert unknown.exit_code == 1 and "no dead letter" in unknown.output


def test_backlog_and_token(topology_file: Path) -> None:
    backlog = runner.invoke(app, ["events", "backlog", "--topology", str(topology_file)])
    assert backlog.exit_code == 0 and "scheduling" in backlog.output
    token = runner.invoke(app, ["token"])
    assert token.exit_code == 0 and token.output.count(".") == 2


def test_unknown_topology_is_a_clear_error() -> None:
    result = runner.invoke(app, ["migrate", "--topology", "nope"])
    assert result.exit_code == 2 and "no topology file" in result.output


def test_token_carries_the_roles_scopes_and_patient_asked_for() -> None:
    from caremesh.kernel.security.tokens import verify_token

    result = runner.invoke(
        app, ["token", "--role", "pharmacist", "--scope", "patient/*.rs", "--patient", "pat-demo-0001"]
    )
    assert result.exit_code == 0, result.output
    claims = verify_token(result.output.strip())
    assert claims.raw["roles"] == ["pharmacist"]
    assert claims.scopes == ("patient/*.rs",)
    assert claims.raw["patient"] == "pat-demo-0001"
