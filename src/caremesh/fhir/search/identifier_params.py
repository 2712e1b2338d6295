"""Which token parameters hold Identifiers: ``:of-type`` means something on those only.

The answer comes from the parameter's own FHIRPath expression, typed as indexing types it (so
``ServiceRequest.requisition`` counts and ``MessageHeader.response.identifier``, an id, does not).
Compiled lazily, once per (type, parameter) and process.
"""

from __future__ import annotations

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.fhirpath import Compiler

_compilers: dict[int, tuple[Definitions, Compiler]] = {}
_answers: dict[tuple[int, str, str], bool] = {}


def _compiler(definitions: Definitions) -> Compiler:
    cached = _compilers.get(id(definitions))
    if cached is None or cached[0] is not definitions:
        model = TypeModel(definitions.schema, definitions.resource_types)
        cached = _compilers[id(definitions)] = (definitions, Compiler(model))
    return cached[1]


def holds_identifiers(
    definitions: Definitions, resource_types: tuple[str, ...], param: SearchParamDef
) -> bool:
    """Whether ``param`` yields an Identifier on one of ``resource_types``."""
    if param.type != "token" or not param.expression:
        return False
    for resource_type in resource_types:
        key = (id(definitions), resource_type, param.code)
        if key not in _answers:
            compiler = _compiler(definitions)
            compiled = compiler.compile(param.expression, frozenset({resource_type}), resource_type)
            _answers[key] = "Identifier" in compiled.types
        if _answers[key]:
            return True
    return False
