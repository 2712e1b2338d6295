"""``caremesh users``: create users (password policy, TOTP enrolment for staff) and demo logins."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from caremesh.cli.clients import identity_services
from caremesh.cli.common import TopologyOption, console, load_topology, run
from caremesh.modules.identity.application.demo import load_demo
from caremesh.modules.identity.domain.errors import DuplicateName
from caremesh.modules.identity.domain.passwords import WeakPassword
from caremesh.modules.identity.domain.roles import ROLES

app = typer.Typer(help="Users of the identity module.", no_args_is_help=True)


@app.command("create")
def create_command(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    patient_id: Annotated[str | None, typer.Option(help="The Patient a patient user is.")] = None,
    fhir_user: Annotated[str | None, typer.Option(help="e.g. Practitioner/123.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    topology: TopologyOption = None,
) -> None:
    """Create a user; staff get a TOTP seed to enrol in an authenticator app (shown once)."""
    topo = load_topology(topology)

    async def main() -> Any:
        async with identity_services(topo) as deps:
            return await deps.users.create(
                username=username, password=password, role=role, patient_id=patient_id, fhir_user=fhir_user
            )

    try:
        created = run(main)
    except WeakPassword as exc:
        console.print(f"[red]password rejected: {'; '.join(exc.reasons)}[/red]")
        raise typer.Exit(2) from exc
    except (DuplicateName, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    body = {
        "user_id": created.user_id,
        "username": created.username,
        "role": created.role,
        "totp_secret": created.totp_secret,
    }
    if as_json:
        typer.echo(json.dumps(body))
        return
    console.print(f"user_id      {created.user_id}\nrole         {created.role}")
    if created.totp_secret:
        console.print(f"TOTP secret  {created.totp_secret}   (enrol it now; shown once)")


@app.command("demo")
def demo_command(topology: TopologyOption = None) -> None:
    """Create one demo user per role (synthetic; known passwords and TOTP seeds) and print them."""
    topo = load_topology(topology)

    async def main() -> dict[str, Any]:
        async with identity_services(topo) as deps:
            return await load_demo(deps.users)

    summary = run(main)
    print_demo_logins(summary["logins"])


def print_demo_logins(logins: list[dict[str, Any]]) -> None:
    console.print("  demo logins (synthetic; TOTP seed for staff → any authenticator app):")
    for login in logins:
        seed = login["totp_seed"] or "-"
        line = f"    {login['role']:<17} {login['username']:<24} {login['password']:<36} totp {seed}"
        console.print(line, soft_wrap=True)
