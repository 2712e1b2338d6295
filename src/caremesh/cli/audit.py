"""``caremesh audit verify``: prove each module's audit chain, name the first tampered record."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.table import Table

from caremesh.cli.common import TopologyOption, console, load_topology, run, whole_topology
from caremesh.kernel.audit.signing import default_signer
from caremesh.kernel.audit.verify import Verdict, verify_chain

app = typer.Typer(help="Audit trail: verify the hash chains and signed checkpoints.", no_args_is_help=True)


@app.command("verify")
def verify_command(
    topology: TopologyOption = None,
    module: Annotated[str | None, typer.Option(help="Only this module's chain.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per chain.")] = False,
) -> None:
    """Exit 0 when every chain holds; 1 naming the module, the seq and what failed otherwise."""
    topo = load_topology(topology)

    async def main() -> dict[str, Verdict]:
        verdicts: dict[str, Verdict] = {}
        signer = default_signer()
        async with whole_topology(topo, migrate=False) as runtime:
            for name, db in sorted(runtime.databases.items()):
                if module is None or name == module:
                    verdicts[name] = await verify_chain(db, signer)
        return verdicts

    verdicts = run(main)
    if as_json:
        for name, verdict in verdicts.items():
            typer.echo(orjson.dumps({"module": name, "ok": verdict.ok, "records": verdict.records,
                                     "checkpoints": verdict.checkpoints, "failed_seq": verdict.failed_seq,
                                     "problem": verdict.problem}).decode())  # fmt: skip
    else:
        table = Table("module", "records", "checkpoints", "verdict")
        for name, verdict in verdicts.items():
            failed = f"[red]seq {verdict.failed_seq}: {verdict.problem}[/red]"
            text = "[green]intact[/green]" if verdict.ok else failed
            table.add_row(name, str(verdict.records), str(verdict.checkpoints), text)
        console.print(table)
    if not all(verdict.ok for verdict in verdicts.values()):
        raise typer.Exit(1)
