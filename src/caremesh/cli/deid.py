"""``caremesh deid NDJSON_IN NDJSON_OUT``: a HIPAA Safe Harbor extract of an NDJSON export."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated

import typer

from caremesh.cli.common import console
from caremesh.fhir.deid import Deidentifier, deidentify_file

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Base64 pseudonym key (>= 32 bytes). Only to keep pseudonyms stable across extracts "
        "of one study: whoever holds it can link those extracts. Default: a fresh key, discarded.",
    ),
]


def _read_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except (OSError, binascii.Error, ValueError) as exc:
        console.print(f"[red]cannot read a base64 key from {path}[/red]")
        raise typer.Exit(2) from exc
    if len(key) < 32:
        console.print("[red]the pseudonym key must be at least 32 bytes[/red]")
        raise typer.Exit(2)
    return key


def deid_command(
    source: Annotated[Path, typer.Argument(help="NDJSON, one FHIR R4 resource per line.")],
    target: Annotated[Path, typer.Argument(help="Where the de-identified NDJSON is written.")],
    key_file: KeyFileOption = None,
) -> None:
    """Write a Safe Harbor de-identified copy of SOURCE to TARGET (see docs/security-edge.md)."""
    if not source.is_file():
        console.print(f"[red]{source} is not a file[/red]")
        raise typer.Exit(2)
    if target.resolve() == source.resolve():
        console.print("[red]the extract must not overwrite its source[/red]")
        raise typer.Exit(2)
    summary = deidentify_file(source, target, Deidentifier(key=_read_key(key_file)))
    console.print(f"de-identified {summary.resources} resources into {target}")
    if summary.rejected_lines:
        shown = ", ".join(str(n) for n in summary.rejected_lines[:20])
        console.print(f"[yellow]{len(summary.rejected_lines)} lines were not FHIR resources and were "
                      f"left out (lines {shown})[/yellow]")  # fmt: skip
        raise typer.Exit(1)
