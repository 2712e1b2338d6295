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


def uri_above(value: str) -> list[str]:
    """The uris a resource may hold for ``:above``: ``value`` and each of its path-segment parents."""
    scheme_end = value.find("://")
    if scheme_end < 0:
        return [value]
    host_end = value.find("/", scheme_end + 3)
    if host_end < 0:
        return [value]
    candidates = [value[:i] for i in range(host_end, len(value)) if value[i] == "/"]
    return [*candidates, value]


def uri_sql(s: str, modifier: str | None, value: str, b: Binder) -> str:
    value = indexed_text(value) or ""  # as the index holds it
    if modifier == "below":
        return f"{s}.value LIKE {b(like_escape(value) + '%')} ESCAPE '\\'"
    if modifier == "above":
        return f"{s}.value IN ({b.many(uri_above(value))})"
    return f"{s}.value = {b(value)}"
