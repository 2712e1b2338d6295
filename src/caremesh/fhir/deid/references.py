"""References, identifiers and addresses rewritten for a de-identified extract."""

from __future__ import annotations

import re
from typing import Any

from caremesh.fhir.deid.generalize import zip3
from caremesh.fhir.deid.pseudonyms import Pseudonymizer
from caremesh.fhir.deid.rules import PSEUDONYM_SYSTEM

# [base/]Type/id[/_history/vid]: the base (a server URL) and the version are both dropped.
_LITERAL = re.compile(r"^(?:.*/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")
_CONDITIONAL = re.compile(r"^([A-Z][A-Za-z]+)\?")


def rewrite_reference(reference: str, pseudonyms: Pseudonymizer) -> str | None:
    """The pseudonymous form of a reference; None when it cannot be kept safely."""
    if reference.startswith("#"):
        return reference  # a contained resource: local, identifies nothing
    if reference.startswith("urn:uuid:"):
        return "urn:uuid:" + pseudonyms.resource_id(reference[9:])
    literal = _LITERAL.match(reference)
    if literal:
        return f"{literal[1]}/{pseudonyms.resource_id(literal[2])}"
    conditional = _CONDITIONAL.match(reference)
    if conditional:  # "Practitioner?identifier=...|123": one pseudonym per query
        return f"{conditional[1]}/{pseudonyms.resource_id(reference)}"
    return None


def pseudonymous_identifier(identifier: Any, pseudonyms: Pseudonymizer) -> dict[str, Any] | None:
    """Any identifier (MRN, SSN, licence, plan, account, device...) -> a keyed pseudonym; the
    ``type`` (e.g. "SS") stays so analysts know what kind of number it was."""
    if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
        return None
    result: dict[str, Any] = {
        "system": PSEUDONYM_SYSTEM,
        "value": pseudonyms.identifier(str(identifier.get("system", "")), identifier["value"]),
    }
    kind = identifier.get("type")
    if isinstance(kind, dict) and isinstance(kind.get("coding"), list):
        result["type"] = {"coding": [_code_only(c) for c in kind["coding"] if isinstance(c, dict)]}
    if identifier.get("use") in ("usual", "official", "temp", "secondary", "old"):
        result["use"] = identifier["use"]
    return result


def _code_only(coding: dict[str, Any]) -> dict[str, Any]:
    return {k: coding[k] for k in ("system", "code", "display") if isinstance(coding.get(k), str)}


def generalised_address(address: Any) -> dict[str, Any] | None:
    """State and country stay; the ZIP code keeps three digits (``000`` in small areas); street,
    city, district, geolocation and free text go."""
    if not isinstance(address, dict):
        return None
    kept = {k: address[k] for k in ("use", "type", "state", "country") if isinstance(address.get(k), str)}
    postal = address.get("postalCode")
    if isinstance(postal, str) and (three := zip3(postal)) is not None:
        kept["postalCode"] = three
    return kept or None
