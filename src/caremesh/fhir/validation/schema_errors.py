"""jsonschema-rs errors turned into OperationOutcome issues with FHIRPath-style locations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from caremesh.fhir.outcome import Issue
from caremesh.fhir.validation.describe import clip, echo, expression, json_type
from caremesh.fhir.validation.schema import NULLABLE_SUFFIX

_MAX_CODES_LISTED = 12

# What each primitive's pattern demands, in words a client developer can act on.
FORMATS = {
    "date": "a date YYYY, YYYY-MM or YYYY-MM-DD",
    "dateTime": "a dateTime YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone",
    "instant": "an instant YYYY-MM-DDThh:mm:ss(.sss) with a time zone",
    "time": "a time hh:mm:ss",
    "id": "an id of 1 to 64 letters, digits, '-' or '.'",
    "code": "a code without leading, trailing or repeated whitespace",
    "uri": "a uri without whitespace",
    "url": "a url without whitespace",
    "canonical": "a canonical url without whitespace",
    "oid": "an oid urn:oid:1.2.3",
    "uuid": "a uuid urn:uuid:...",
    "string": "a non-empty string",
    "markdown": "a non-empty string",
    "base64Binary": "base64 data",
}
_JSON_TYPES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
}


def _primitive(schema_path: list[str | int]) -> str:
    # ["definitions", "date", "pattern"] -> "date" (also for the nullable array-item variants)
    name = str(schema_path[-2]) if len(schema_path) >= 2 else "value"
    return name.removesuffix(NULLABLE_SUFFIX)


def _type_issue(error: Any, location: str) -> Issue:
    expected = [t for t in error.kind.types if t != "null"]
    found = json_type(error.instance)
    if expected == ["array"]:
        text = f"Element repeats: expected an array, found {found}"
    elif isinstance(error.instance, list):
        text = (
            f"Element does not repeat: expected {_JSON_TYPES.get(expected[0], expected[0])}, found an array"
        )
    else:
        wanted = " or ".join(_JSON_TYPES.get(t, t) for t in expected)
        shown = echo(error.instance) if isinstance(error.instance, str | int | float) else found
        text = f"Expected {wanted}, found {shown}"
    return Issue(code="structure", diagnostics=text, expression=(location,))


def _enum_issue(error: Any, location: str) -> Issue:
    options = [str(o) for o in error.kind.options]
    listed = "|".join(options[:_MAX_CODES_LISTED]) + ("|..." if len(options) > _MAX_CODES_LISTED else "")
    text = f"Invalid code {echo(error.instance)} (required binding): expected one of {listed}"
    return Issue(code="code-invalid", diagnostics=text, expression=(location,))


def _pattern_issue(error: Any, location: str) -> Issue:
    primitive = _primitive(list(error.schema_path))
    wanted = FORMATS.get(primitive, f"a valid {primitive}")
    text = f"Invalid {primitive} {echo(error.instance)}: expected {wanted}"
    return Issue(code="value", diagnostics=text, expression=(location,))


def _range_issue(error: Any, location: str) -> Issue:
    primitive = _primitive(list(error.schema_path))
    bound = "at least" if error.kind.name == "minimum" else "at most"
    text = f"Invalid {primitive} {echo(error.instance)}: must be {bound} {error.kind.limit}"
    return Issue(code="value", diagnostics=text, expression=(location,))


def _issues(error: Any, root: str) -> list[Issue]:
    path = list(error.instance_path)
    location = expression(root, path)
    kind = error.kind.name
    if kind == "additionalProperties":
        return [
            Issue(
                code="structure",
                diagnostics=f"Unknown element {echo(k)}",
                expression=(f"{location}.{clip(k)}",),
            )
            for k in error.kind.unexpected
        ]
    if kind == "required":
        name = error.kind.property
        text = f"Missing required element '{name}'"
        return [Issue(code="required", diagnostics=text, expression=(f"{location}.{name}",))]
    if kind == "type":
        return [_type_issue(error, location)]
    if kind == "enum":
        return [_enum_issue(error, location)]
    if kind in ("pattern", "minLength"):
        return [_pattern_issue(error, location)]
    if kind == "format":
        text = f"Invalid {_primitive(list(error.schema_path))} {echo(error.instance)}: not a calendar date"
        return [Issue(code="value", diagnostics=text, expression=(location,))]
    if kind in ("minimum", "maximum"):
        return [_range_issue(error, location)]
    if kind == "minItems":
        text = "Empty array: leave the element out instead"
        return [Issue(code="structure", diagnostics=text, expression=(location,))]
    if kind == "minProperties":
        text = "Empty object: an element must have a value or children"
        return [Issue(code="structure", diagnostics=text, expression=(location,))]
    return [Issue(code="structure", diagnostics=str(error.message)[:200], expression=(location,))]


def schema_issues(errors: Iterable[Any], root: str) -> list[Issue]:
    """Issues for a resource's schema errors; a value is reported once: not again for the pattern
    a value of the wrong JSON type cannot match, nor for the calendar of a date of the wrong shape."""
    collected = list(errors)
    mistyped = {tuple(e.instance_path) for e in collected if e.kind.name == "type"}
    misshapen = {tuple(e.instance_path) for e in collected if e.kind.name == "pattern"}
    issues: list[Issue] = []
    for error in collected:
        path = tuple(error.instance_path)
        if (error.kind.name != "type" and path in mistyped) or (
            error.kind.name == "format" and path in misshapen
        ):
            continue
        issues.extend(_issues(error, root))
    return issues
