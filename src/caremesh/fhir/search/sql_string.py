"""String parameters: starts-with on the normalised value (default), ``:exact``, ``:contains``."""

from __future__ import annotations

from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.text import like_escape, normalize_string, prefix_upper_bound
from caremesh.fhir.storage.index_rows import indexed_text


def starts_with(column: str, prefix: str, b: Binder) -> str:
    """An index range equal to "starts with" (code-point order on both dialects).

    PostgreSQL's lookup index uses text_pattern_ops, whose operators are ``~>=~``/``~<~``: they
    compare bytes whatever the database collation, as SQLite's BINARY collation does.
    """
    if prefix == "":
        return "1 = 1"
    ge, lt = ("~>=~", "~<~") if b.dialect == "postgres" else (">=", "<")
    bound = prefix_upper_bound(prefix)
    if bound is None:
        return f"{column} {ge} {b(prefix)}"
    return f"{column} {ge} {b(prefix)} AND {column} {lt} {b(bound)}"


def string_sql(s: str, modifier: str | None, value: str, b: Binder) -> str:
    # The indexed column holds at most INDEXED_TEXT_BYTES; ``exact`` (not indexed) holds it all.
    normalised = indexed_text(normalize_string(value)) or ""
    if modifier == "exact":
        # The normalised column is indexed; the exact one only confirms.
        return f"{s}.value = {b(normalised)} AND {s}.exact = {b(value)}"
    if modifier == "contains":
        return f"{s}.value LIKE {b('%' + like_escape(normalised) + '%')} ESCAPE '\\'"
    return starts_with(f"{s}.value", normalised, b)
