"""Which top-level keys of a resource an expression needs, so the indexer can skip it cheaply.

Most parameters of a type read one element (``Observation.bodySite``) that most resources lack;
checking ``"bodySite" in resource`` costs far less than running the compiled path to find nothing.
A guard is only given when an expression is certain to be empty without those keys: paths and
the filters that keep empty input empty. ``exists()``, ``and``, ``=`` and the like produce a
value from nothing, so they get no guard (None: always evaluate).
"""

from __future__ import annotations

from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.fhirpath_parser import Binary, Call, Expr, Index, Member, TypeTest

# Functions whose result is empty when their input is.
_EMPTY_PRESERVING = frozenset({"where", "ofType", "as", "is", "first", "last", "resolve"})


def root_keys(tree: Expr, model: TypeModel, root_type: str) -> frozenset[str] | None:
    """The keys at least one of which must be present for ``tree`` to yield anything, or None."""
    if isinstance(tree, Member):
        return _member_keys(tree, model, root_type)
    if isinstance(tree, Call) and tree.source is not None and tree.name in _EMPTY_PRESERVING:
        return root_keys(tree.source, model, root_type)
    if isinstance(tree, Index | TypeTest):
        return root_keys(tree.source, model, root_type)
    if isinstance(tree, Binary) and tree.op == "|":
        left = root_keys(tree.left, model, root_type)
        right = root_keys(tree.right, model, root_type)
        return None if left is None or right is None else left | right
    return None


def _member_keys(tree: Member, model: TypeModel, root_type: str) -> frozenset[str] | None:
    source = tree.source
    if source is None:  # a relative path from the resource, or a bare type name
        keys = model.element(root_type, tree.name)
        if keys:
            return frozenset(key for key, _ in keys)
        if model.is_type_name(tree.name):
            return None if model.matches_type_filter(root_type, tree.name) else frozenset()
        return None
    if (
        isinstance(source, Member)
        and source.source is None
        and _is_type_filter(source.name, model, root_type)
    ):
        if not model.matches_type_filter(root_type, source.name):
            return frozenset()
        return frozenset(key for key, _ in model.element(root_type, tree.name))
    return root_keys(source, model, root_type)


def _is_type_filter(name: str, model: TypeModel, root_type: str) -> bool:
    return not model.element(root_type, name) and model.is_type_name(name)
