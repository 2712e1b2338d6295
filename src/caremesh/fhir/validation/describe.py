"""Wording shared by the checks: locations in FHIRPath style and short echoes of client values.

Diagnostics go back to the client and may be logged by proxies, so a value is echoed only when it
is a short scalar, and always cut to ECHO_LIMIT characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ECHO_LIMIT = 40


def clip(text: str) -> str:
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "..."


def echo(value: Any) -> str:
    if isinstance(value, str):
        return f"'{clip(value)}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return echo(str(value))[1:-1]
    return json_type(value)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def expression(root: str, segments: Iterable[str | int]) -> str:
    """``Patient`` + ``["name", 0, "_given", 1]`` -> ``Patient.name[0].given[1]``: a primitive's
    ``_name`` twin holds the same element's id and extensions, so it is located as ``name``."""
    parts = [root]
    for segment in segments:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        else:
            parts.append("." + (segment[1:] if segment.startswith("_") else segment))
    return "".join(parts)


def choice_name(group: str) -> str:
    return f"{group}[x]"
