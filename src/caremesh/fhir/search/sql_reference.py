"""Reference parameters (``Type/id``, ``id``, ``:Type``, absolute URLs) and uri parameters."""

from __future__ import annotations

from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.text import like_escape
from caremesh.fhir.search.values import ReferenceValue
from caremesh.fhir.storage.index_rows import indexed_text


def reference_sql(s: str, value: ReferenceValue, b: Binder) -> str:
    if value.url is not None:
        return f"{s}.url = {b(value.url)}"
    condition = f"{s}.target_id = {b(value.target_id)}"
    if value.target_type is not None:
        condition += f" AND {s}.target_type = {b(value.target_type)}"
    return condition


def is_url(value: str) -> bool:
    """``scheme://authority...``: only URLs have the path hierarchy :above and :below walk (not URNs)."""
    scheme, sep, rest = value.partition("://")
    return bool(sep and scheme and rest) and scheme.isascii() and scheme.replace("+", "").isalnum()


def uri_above(value: str) -> list[str]:
    """The uris a resource may hold for ``:above``: ``value`` and each of its path-segment parents,
    each with and without a trailing ``/``."""
    host_end = value.find("/", value.find("://") + 3)
    if host_end < 0:
        return [value, value + "/"]
    parents = [value[:i] for i in range(host_end, len(value)) if value[i] == "/"]
    return list(dict.fromkeys([*parents, *(p + "/" for p in parents), value]))


def uri_sql(s: str, modifier: str | None, value: str, b: Binder) -> str:
    value = indexed_text(value) or ""  # as the index holds it
    if modifier == "below":  # the value itself or below it, on a path-segment boundary
        parent = value.rstrip("/")
        below = f"{s}.value LIKE {b(like_escape(parent) + '/%')} ESCAPE '\\'"
        return f"({s}.value IN ({b.many(dict.fromkeys((value, parent)))}) OR {below})"
    if modifier == "above":
        return f"{s}.value IN ({b.many(uri_above(value))})"
    return f"{s}.value = {b(value)}"
