"""``caremesh events``: outbox backlog, dead letters, replay."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import orjson
import typer
from rich.table import Table

from caremesh.cli.common import TopologyOption, console, load_topology, run, whole_topology
from caremesh.kernel.events import dead_letters

app = typer.Typer(help="Events: outbox backlog, dead letters and replay.", no_args_is_help=True)


@app.command("dead-letters")
def list_command(
    topology: TopologyOption = None,
    include_replayed: Annotated[bool, typer.Option(help="Also list replayed ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List the events consumers gave up on, with the reason."""
    topo = load_topology(topology)

    async def main() -> list[dead_letters.DeadLetter]:
        found: list[dead_letters.DeadLetter] = []
        async with whole_topology(topo) as runtime:
            for db in runtime.databases.values():
                found += await dead_letters.list_dead_letters(db, include_replayed=include_replayed)
        return found

    letters = run(main)
    if as_json:
        for letter in letters:
            typer.echo(orjson.dumps(dataclasses.asdict(letter)).decode())
        return
    table = Table("id", "module", "consumer", "event type", "attempts", "failed at", "reason")
    for letter in letters:
        table.add_row(
            letter.id, letter.module, letter.consumer, letter.event_type, str(letter.attempts),
            letter.failed_at.isoformat(timespec="seconds"), letter.reason,
        )
    console.print(table if letters else "no dead letters")


@app.command("replay")
def replay_command(dead_letter_id: str, topology: TopologyOption = None) -> None:
    """Re-drive one dead letter through its consumer (safe to repeat: the inbox dedupes)."""
    topo = load_topology(topology)

    async def main() -> bool:
        async with whole_topology(topo) as runtime:
            for ctx in runtime.contexts.values():
                letter = await dead_letters.find_dead_letter(ctx.db, dead_letter_id)
                if letter is None:
                    continue
                subscription = next(s for s in ctx.subscriptions if s.consumer == letter.consumer)
                return await dead_letters.replay(ctx.db, subscription, dead_letter_id)
        console.print(f"[red]no dead letter {dead_letter_id}[/red]")
        raise typer.Exit(1)

    if run(main):
        console.print(f"[green]replayed {dead_letter_id}[/green]")
    else:
        console.print(f"[red]{dead_letter_id} failed again; see `caremesh events dead-letters`[/red]")
        raise typer.Exit(1)


@app.command("backlog")
def backlog_command(topology: TopologyOption = None) -> None:
    """Events committed but not yet published, per module."""
    topo = load_topology(topology)

    async def main() -> dict[str, int]:
        counts: dict[str, int] = {}
        async with whole_topology(topo) as runtime:
            for name, db in runtime.databases.items():
                async with db.read() as conn:
                    counts[name] = int(
                        await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    )
        return counts

    table = Table("module", "unpublished events")
    for name, count in run(main).items():
        table.add_row(name, str(count))
    console.print(table)
