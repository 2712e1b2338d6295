"""Find a parameter's definition for a search scope: one type, several (_type), or all."""

from __future__ import annotations

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.search.criteria import Scope, UnknownParameter

_UNIVERSAL_BASES = {"Resource", "DomainResource"}
# Definitions are loaded once per process; keyed by identity because they are not hashable.
_universal_cache: dict[int, tuple[Definitions, dict[str, SearchParamDef]]] = {}


def universal_params(definitions: Definitions) -> dict[str, SearchParamDef]:
    cached = _universal_cache.get(id(definitions))
    if cached is None or cached[0] is not definitions:
        table = {p.code: p for p in definitions.by_url.values() if _UNIVERSAL_BASES & set(p.bases)}
        cached = _universal_cache[id(definitions)] = (definitions, table)
    return cached[1]


def searchable(param: SearchParamDef | None) -> bool:
    """Defined with an expression to index; ``special`` ones (full text, near) are not."""
    return param is not None and param.type != "special" and bool(param.expression)


def lookup_param(definitions: Definitions, scope: Scope, code: str) -> SearchParamDef:
    """The definition of ``code`` valid for every type of ``scope``; UnknownParameter otherwise."""
    if scope is None:
        param = universal_params(definitions).get(code)
        if param is None or not searchable(param):
            raise UnknownParameter(f"'{code}' is not a parameter of every resource type (use _type)")
        return param
    found = [definitions.param(t, code) for t in scope]
    first = found[0]
    if first is None or not searchable(first) or any(p is None or p.type != first.type for p in found):
        where = scope[0] if len(scope) == 1 else "all of " + ", ".join(scope)
        raise UnknownParameter(f"'{code}' is not a supported search parameter of {where}")
    return first
