"""Result parameters: _count _offset _sort _include _revinclude _total _summary _elements _type."""

from __future__ import annotations

from dataclasses import dataclass, field

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.search.criteria import Scope, UnknownParameter, invalid
from caremesh.fhir.search.lookup import lookup_param
from caremesh.fhir.search.params import or_values, unescape

DEFAULT_COUNT = 20
MAX_COUNT = 1000
CONTROL_NAMES = frozenset(
    {"_count", "_offset", "_sort", "_include", "_revinclude", "_total", "_summary", "_elements", "_type"}
    | {"_include:iterate", "_revinclude:iterate", "_include:recurse", "_revinclude:recurse"}
)
# Parameters about the HTTP exchange, not the search: accepted and left to the REST layer.
TRANSPORT_NAMES = frozenset({"_format", "_pretty"})
TOTALS = ("none", "estimate", "accurate")
SUMMARIES = ("true", "text", "data", "count", "false")


@dataclass(frozen=True)
class SortKey:
    code: str  # _id, _lastUpdated, or a parameter code
    descending: bool
    param: SearchParamDef | None = None


@dataclass(frozen=True)
class IncludeSpec:
    source_type: str
    param_code: str  # "*" for every reference parameter
    target_type: str | None
    iterate: bool


@dataclass
class Control:
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: list[SortKey] = field(default_factory=list)
    includes: list[IncludeSpec] = field(default_factory=list)
    revincludes: list[IncludeSpec] = field(default_factory=list)
    total: str = "none"
    summary: str | None = None
    elements: tuple[str, ...] | None = None


def parse_int(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise invalid(name, f"expected a non-negative integer, not {value!r}")
    return int(value)


def parse_sort(definitions: Definitions, scope: Scope, value: str) -> list[SortKey]:
    keys = []
    for item in or_values(value):
        descending = item.startswith("-")
        code = unescape(item.removeprefix("-"))
        if code in ("_id", "_lastUpdated"):
            keys.append(SortKey(code, descending))
            continue
        param = lookup_param(definitions, scope, code)
        if param.type == "composite":
            raise UnknownParameter(f"'_sort': composite parameter '{code}' cannot be sorted on")
        keys.append(SortKey(code, descending, param))
    return keys


def parse_include(definitions: Definitions, name: str, value: str) -> IncludeSpec:
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] not in definitions.resource_types:
        raise invalid(name, f"expected Type:parameter[:targetType], not {value!r}")
    source, code = parts[0], parts[1]
    target = parts[2] if len(parts) == 3 else None
    if code != "*":
        param = definitions.param(source, code)
        if param is None or param.type != "reference":
            raise UnknownParameter(f"'{name}': {code} is not a reference parameter of {source}")
        if target is not None and param.targets and target not in param.targets:
            raise invalid(name, f"{target} is not a target type of {source}.{code}")
    if target is not None and target not in definitions.resource_types:
        raise invalid(name, f"unknown resource type {target!r}")
    return IncludeSpec(source, code, target, iterate=name.endswith((":iterate", ":recurse")))


def parse_types(definitions: Definitions, value: str) -> tuple[str, ...]:
    types = tuple(dict.fromkeys(unescape(t) for t in or_values(value) if t))
    unknown = [t for t in types if t not in definitions.resource_types]
    if unknown:
        raise invalid("_type", f"unknown resource type {unknown[0]!r}")
    return types


def apply_control(control: Control, definitions: Definitions, scope: Scope, name: str, value: str) -> None:
    """Record one result parameter in ``control`` (``_type`` is read earlier, by the query parser)."""
    if name == "_count":
        control.count = parse_int(name, value)
    elif name == "_offset":
        control.offset = parse_int(name, value)
    elif name == "_sort":
        control.sort = parse_sort(definitions, scope, value)
    elif name.startswith("_include"):
        control.includes.append(parse_include(definitions, name, value))
    elif name.startswith("_revinclude"):
        control.revincludes.append(parse_include(definitions, name, value))
    elif name == "_total":
        control.total = _choice(name, value, TOTALS)
    elif name == "_summary":
        control.summary = _choice(name, value, SUMMARIES)
    elif name == "_elements":
        control.elements = tuple(e.strip() for e in value.split(",") if e.strip())


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise invalid(name, f"expected one of {', '.join(allowed)}, not {value!r}")
    return value
