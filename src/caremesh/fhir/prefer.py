"""The ``Prefer`` request header (RFC 7240) as FHIR uses it: ``return`` and ``handling``."""

from __future__ import annotations

from dataclasses import dataclass

RETURN_MINIMAL = "minimal"
RETURN_REPRESENTATION = "representation"
RETURN_OUTCOME = "OperationOutcome"
_RETURNS = {value.lower(): value for value in (RETURN_MINIMAL, RETURN_REPRESENTATION, RETURN_OUTCOME)}


@dataclass(frozen=True, slots=True)
class Prefer:
    return_: str = RETURN_REPRESENTATION
    handling: str = "lenient"
    respond_async: bool = False


def _preferences(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in header.split(","):
        # Parameters after ';' refine a preference; FHIR defines none, so they are ignored.
        name, _, value = item.split(";", 1)[0].strip().partition("=")
        if name:
            found.setdefault(name.strip().lower(), value.strip().strip('"'))
    return found


def parse_prefer(header: str | None) -> Prefer:
    """Unknown or malformed preferences are ignored, as RFC 7240 asks of a server."""
    if not header:
        return Prefer()
    found = _preferences(header)
    handling = found.get("handling", "lenient").lower()
    return Prefer(
        return_=_RETURNS.get(found.get("return", "").lower(), RETURN_REPRESENTATION),
        handling=handling if handling in ("strict", "lenient") else "lenient",
        respond_async="respond-async" in found,
    )
