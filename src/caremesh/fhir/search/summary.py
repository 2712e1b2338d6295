"""``_summary`` and ``_elements``: keep some top-level elements of a body and tag it SUBSETTED.

The kept elements are copied as raw JSON text, so decimals keep their digits (``1.50`` stays
``1.50``). Only ``meta`` is rebuilt, to add the tag.

The bundled R4 definitions do not carry ``isSummary``, so ``_summary=true`` keeps what the spec
marks as summary in practice: id, meta, implicitRules, the elements that are mandatory in the
JSON schema, and every element a search parameter of the type is defined on.
"""

from __future__ import annotations

import json
import re

import orjson

from caremesh.fhir.definitions import Definitions

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
_ALWAYS = frozenset({"resourceType", "id", "meta"})
_DECODER = json.JSONDecoder()


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def top_level_members(text: str) -> list[tuple[str, str]]:
    """The members of a JSON object as (key, raw value text), in order."""
    pos = _skip_space(text, 0)
    if text[pos : pos + 1] != "{":
        raise ValueError("not a JSON object")
    pos += 1
    members: list[tuple[str, str]] = []
    while True:
        pos = _skip_space(text, pos)
        if text[pos] == "}":
            return members
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip_space(text, _skip_space(text, pos) + 1)  # past the ':'
        _, end = _DECODER.raw_decode(text, pos)
        members.append((key, text[pos:end]))
        pos = _skip_space(text, end)
        if text[pos] == ",":
            pos += 1


def _keeps(key: str, names: frozenset[str]) -> bool:
    name = key.removeprefix("_")  # "_status" carries the extensions of "status"
    if name in names:
        return True
    # A choice element value[x] appears as valueQuantity, valueString, ...
    return any(name.startswith(n) and name[len(n) : len(n) + 1].isupper() for n in names)


def _tagged_meta(raw: str | None) -> str:
    meta = orjson.loads(raw) if raw else {}
    tags = [t for t in meta.get("tag", []) if t.get("code") != "SUBSETTED"]
    meta["tag"] = [*tags, SUBSETTED]
    return orjson.dumps(meta).decode()


def subset(body: bytes, keep: frozenset[str] | None, drop: frozenset[str] = frozenset()) -> bytes:
    """Keep the members named in ``keep`` (all when None) minus ``drop``; add the SUBSETTED tag."""
    members = top_level_members(body.decode())
    kept = [
        (k, v) for k, v in members if (keep is None or _keeps(k, keep)) and k.removeprefix("_") not in drop
    ]
    meta = next((v for k, v in kept if k == "meta"), None)
    kept = [(k, v) for k, v in kept if k != "meta"]
    keys = [k for k, _ in kept]
    anchor = "id" if "id" in keys else "resourceType"
    position = keys.index(anchor) + 1 if anchor in keys else 0
    kept.insert(position, ("meta", _tagged_meta(meta)))
    return ("{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in kept) + "}").encode()


_summary_cache: dict[tuple[int, str], frozenset[str]] = {}


def _summary_names(definitions: Definitions, resource_type: str) -> frozenset[str]:
    key = (id(definitions), resource_type)
    if key not in _summary_cache:
        _summary_cache[key] = _summary_names_of(definitions, resource_type)
    return _summary_cache[key]


def _summary_names_of(definitions: Definitions, resource_type: str) -> frozenset[str]:
    names = set(_ALWAYS | {"implicitRules"} | _mandatory(definitions, resource_type))
    element = re.compile(rf"\b{re.escape(resource_type)}\.([a-zA-Z]+)")
    for param in definitions.search_params(resource_type).values():
        names.update(element.findall(param.expression or ""))
    return frozenset(names)


def _mandatory(definitions: Definitions, resource_type: str) -> set[str]:
    return set(definitions.schema.get("definitions", {}).get(resource_type, {}).get("required", []))


def shape(
    definitions: Definitions,
    body: bytes,
    resource_type: str,
    summary: str | None,
    elements: tuple[str, ...] | None,
) -> bytes:
    """Apply ``_summary`` / ``_elements`` to one body; unchanged (not even parsed) when neither asks."""
    if elements is not None:
        names = {e.split(".", 1)[1] if e.startswith(f"{resource_type}.") else e for e in elements}
        return subset(body, frozenset(_ALWAYS | names | _mandatory(definitions, resource_type)))
    if summary == "true":
        return subset(body, _summary_names(definitions, resource_type))
    if summary == "text":
        return subset(body, frozenset(_ALWAYS | {"text"} | _mandatory(definitions, resource_type)))
    if summary == "data":
        return subset(body, None, drop=frozenset({"text"}))
    return body
