"""``caremesh migrate``, ``caremesh demo load`` and ``caremesh token``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import Progress

from caremesh.bootstrap import load_definition, migrate_module
from caremesh.cli.common import (
    TopologyOption,
    console,
    load_topology,
    run,
    subscribe_in_process,
    whole_topology,
)
from caremesh.kernel.db import open_database
from caremesh.kernel.security.tokens import issue_token

demo_app = typer.Typer(help="Demo data (synthetic patients only).", no_args_is_help=True)

DEMO_USER = "demo-clinician"
DEMO_CLIENT = "caremesh-demo"
DEMO_SCOPES = ["user/*.cruds"]


def migrate_command(topology: TopologyOption = None) -> None:
    """Apply pending migrations to every module database of the topology."""
    topo = load_topology(topology)

    async def main() -> None:
        with Progress(console=console) as progress:
            task = progress.add_task("migrating", total=len(topo.modules))
            for name in topo.modules:
                db = open_database(topo.database_url_of(name), name)
                await db.connect()
                try:
                    applied = await migrate_module(db, load_definition(name))
                finally:
                    await db.close()
                progress.console.print(f"  {name}: {applied} migration(s) applied")
                progress.advance(task)

    run(main)


@demo_app.command("load")
def demo_load(topology: TopologyOption = None) -> None:
    """Load the demo data of every module (idempotent) and deliver the events it caused."""
    topo = load_topology(topology)

    async def main() -> None:
        async with whole_topology(topo) as runtime:
            subscribe_in_process(runtime)
            with Progress(console=console) as progress:
                task = progress.add_task("demo data", total=len(runtime.contexts))
                for name, ctx in runtime.contexts.items():
                    definition = runtime.definitions[name]
                    if definition.demo is not None:
                        summary = await definition.demo(ctx)
                        progress.console.print(f"  {name}: {summary}")
                    progress.advance(task)
            delivered = await runtime.drain_outboxes()
            console.print(f"  events published: {delivered}")

    run(main)


def token_command(
    subject: Annotated[str, typer.Option(help="Who the token speaks for.")] = DEMO_USER,
    client_id: Annotated[str, typer.Option(help="The client the token is issued to.")] = DEMO_CLIENT,
    hours: Annotated[int, typer.Option(help="Lifetime in hours.")] = 12,
    role: Annotated[
        list[str] | None, typer.Option(help="A role the token carries (clinician, pharmacist, ...).")
    ] = None,
    scope: Annotated[list[str] | None, typer.Option(help="SMART scopes (default: user/*.cruds).")] = None,
    patient: Annotated[str | None, typer.Option(help="Launch context: the patient id.")] = None,
) -> None:
    """Print a development bearer token signed with this deployment's shared secret."""
    claims: dict[str, object] = {"roles": list(role)} if role else {}
    if patient:
        claims["patient"] = patient
    typer.echo(issue_token(
        subject=subject, client_id=client_id, kind="user", scopes=list(scope or DEMO_SCOPES),
        ttl=timedelta(hours=hours), extra_claims=claims,
    ))
