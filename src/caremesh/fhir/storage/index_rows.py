"""Search-index rows of one resource: written and removed in the resource's own transaction.

PostgreSQL gets ONE statement per call: every table's ``INSERT ... SELECT FROM unnest(arrays)``
(or ``DELETE``) chained as data-modifying CTEs, so a resource with 60 index entries costs one
round trip. SQLite runs in-process, where a round trip is a function call: ``executemany`` per
table that has rows.

Composite rows (see the 0001 and 0003 migrations) keep the first component in ``c1_*`` (a token:
c1_system, c1_code; a reference: c1_system = target type, c1_code = target id, c1_text = url),
a third one, a number in every R4 composite that has three, in c3_low/c3_high, and the second,
whatever its type, in these ``c2_*`` columns, which search must read the same way:

=========  ===================================================================
token      c2_system, c2_code, c2_text (display / text)
quantity   c2_system, c2_code (coded unit), c2_text (unit as written), c2_low, c2_high
number     c2_low, c2_high
date       c2_date_low, c2_date_high
string     c2_text (normalised), c2_code (as written)
reference  c2_system (target type), c2_code (target id), c2_text (url)
uri        c2_text
=========  ===================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from caremesh.fhir.indexing.entries import (
    CompositeEntry,
    DateEntry,
    IndexEntry,
    NumberEntry,
    QuantityEntry,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from caremesh.kernel.db.base import Connection

Part = TokenEntry | QuantityEntry | DateEntry | StringEntry | ReferenceEntry | NumberEntry | UriEntry

# PostgreSQL refuses a btree index row over 2704 bytes, so a resource whose indexed text is longer
# (a 3 KB Observation.valueString or identifier) could not be written at all. Texts in the lookup
# indexes keep their first INDEXED_TEXT_BYTES bytes, on both dialects alike: searches by values up to
# that length are exact; a longer search value must be cut with indexed_text() to match.
INDEXED_TEXT_BYTES = 1000


def indexed_text(text: str | None) -> str | None:
    """``text`` as the lookup indexes hold it: at most INDEXED_TEXT_BYTES bytes of UTF-8."""
    if text is None or len(text) <= INDEXED_TEXT_BYTES // 4:  # 4 bytes per character at most
        return text
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= INDEXED_TEXT_BYTES:
        return text
    return encoded[:INDEXED_TEXT_BYTES].decode("utf-8", "ignore")  # never half a character


def _first_component(part: Part | None) -> tuple[Any, ...]:
    # (c1_system, c1_code, c1_text)
    if isinstance(part, TokenEntry):
        return (indexed_text(part.system), indexed_text(part.code), None)
    if isinstance(part, ReferenceEntry):
        return (part.target_type, part.target_id, indexed_text(part.url))
    return (None, None, None)


def _third_component(part: Part | None) -> tuple[Any, ...]:
    # (c3_low, c3_high)
    return (part.low, part.high) if isinstance(part, NumberEntry) else (None, None)


def _composite(entry: CompositeEntry) -> tuple[Any, ...]:
    parts = (*entry.parts, None, None, None)
    c1_system, c1_code, c1_text = _first_component(parts[0])
    return (entry.param, c1_system, c1_code, *_second_component(parts[1]), c1_text,
            *_third_component(parts[2]))  # fmt: skip


def _second_component(part: Part | None) -> tuple[Any, ...]:
    # (c2_system, c2_code, c2_text, c2_low, c2_high, c2_date_low, c2_date_high)
    match part:
        case TokenEntry():
            return (part.system, part.code, part.text, None, None, None, None)
        case QuantityEntry():
            return (part.system, part.code, part.unit, part.low, part.high, None, None)
        case NumberEntry():
            return (None, None, None, part.low, part.high, None, None)
        case DateEntry():
            return (None, None, None, None, None, part.low, part.high)
        case StringEntry():
            return (None, part.exact, part.value, None, None, None, None)
        case ReferenceEntry():
            return (part.target_type, part.target_id, part.url, None, None, None, None)
        case UriEntry():
            return (None, None, part.value, None, None, None, None)
    return (None,) * 7


# entry class -> (table, columns after res_type/res_id, their PostgreSQL types, row builder)
_TABLES: dict[type, tuple[str, tuple[str, ...], tuple[str, ...], Any]] = {
    StringEntry: ("fhir_sp_string", ("param", "value", "exact"), ("text",) * 3,
                  lambda e: (e.param, indexed_text(e.value), e.exact)),
    TokenEntry: ("fhir_sp_token", ("param", "system", "code", "text", "type_system", "type_code"),
                 ("text",) * 6,
                 lambda e: (e.param, indexed_text(e.system), indexed_text(e.code), e.text,
                            e.type_system, e.type_code)),
    DateEntry: ("fhir_sp_date", ("param", "low", "high"), ("text", "timestamptz", "timestamptz"),
                lambda e: (e.param, e.low, e.high)),
    NumberEntry: ("fhir_sp_number", ("param", "value", "low", "high"), ("text",) + ("numeric",) * 3,
                  lambda e: (e.param, e.value, e.low, e.high)),
    QuantityEntry: ("fhir_sp_quantity", ("param", "system", "code", "unit", "value", "low", "high"),
                    ("text",) * 4 + ("numeric",) * 3,
                    lambda e: (e.param, e.system, indexed_text(e.code), e.unit, e.value, e.low, e.high)),
    ReferenceEntry: ("fhir_sp_reference", ("param", "target_type", "target_id", "url"), ("text",) * 4,
                     lambda e: (e.param, e.target_type, e.target_id, e.url)),
    UriEntry: ("fhir_sp_uri", ("param", "value"), ("text",) * 2, lambda e: (e.param, indexed_text(e.value))),
    CompositeEntry: ("fhir_sp_composite",
                     ("param", "c1_system", "c1_code", "c2_system", "c2_code", "c2_text",
                      "c2_low", "c2_high", "c2_date_low", "c2_date_high", "c1_text", "c3_low", "c3_high"),
                     ("text",) * 6 + ("numeric",) * 2 + ("timestamptz",) * 2 + ("text",) + ("numeric",) * 2,
                     _composite),
}  # fmt: skip
TABLES = tuple(table for table, *_ in _TABLES.values())


def _rows_by_kind(entries: Sequence[IndexEntry]) -> dict[type, list[tuple[Any, ...]]]:
    grouped: dict[type, list[tuple[Any, ...]]] = {}
    for entry in entries:
        kind = type(entry)
        grouped.setdefault(kind, []).append(_TABLES[kind][3](entry))
    return grouped


def table_rows(
    entries: Sequence[IndexEntry],
) -> list[tuple[str, tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]]:
    """(table, columns after res_type/res_id, their PostgreSQL types, rows) per table with rows."""
    return [(*_TABLES[kind][:3], rows) for kind, rows in _rows_by_kind(entries).items()]


def _sqlite_value(value: Any) -> Any:
    # SQLite stores these columns as REAL; it has no decimal type to bind.
    return float(value) if isinstance(value, Decimal) else value


async def _write_sqlite(
    conn: Connection, key: tuple[str, str], grouped: dict[type, list[tuple[Any, ...]]]
) -> None:
    for kind, rows in grouped.items():
        table, columns, _, _ = _TABLES[kind]
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 3))
        await conn.executemany(
            f"INSERT INTO {table} (res_type, res_id, {', '.join(columns)}) VALUES ({marks})",
            [(*key, *map(_sqlite_value, row)) for row in rows],
        )


def postgres_insert_ctes(first_array: int) -> list[str]:
    """``iN AS (INSERT ... SELECT $1, $2, u.* FROM unnest(...))`` per table; arrays from ``$first_array``.

    ``$1``/``$2`` are the resource's type and id; the arrays come from :func:`postgres_arrays`.
    """
    parts, number = [], first_array
    for index, (table, columns, types, _) in enumerate(_TABLES.values()):
        arrays = ", ".join(f"${number + i}::{kind}[]" for i, kind in enumerate(types))
        number += len(types)
        parts.append(
            f"i{index} AS (INSERT INTO {table} (res_type, res_id, {', '.join(columns)}) "
            f"SELECT $1, $2, u.* FROM unnest({arrays}) AS u)"
        )
    return parts


def postgres_delete_ctes() -> list[str]:
    """``dN AS (DELETE ...)`` per table, for the resource ``$1``/``$2``."""
    return [f"d{i} AS (DELETE FROM {t} WHERE res_type = $1 AND res_id = $2)" for i, t in enumerate(TABLES)]


def postgres_arrays(entries: Sequence[IndexEntry]) -> list[list[Any]]:
    """One array per column of every table, in :func:`postgres_insert_ctes` order (empty ones too)."""
    grouped = _rows_by_kind(entries)
    arrays: list[list[Any]] = []
    for kind, (_, columns, _, _) in _TABLES.items():
        rows = grouped.get(kind, [])
        arrays.extend([row[i] for row in rows] for i in range(len(columns)))
    return arrays


_POSTGRES_INSERT = "WITH " + ",\n".join(postgres_insert_ctes(3)) + "\nSELECT 1"
_POSTGRES_DELETE = "WITH " + ",\n".join(postgres_delete_ctes()) + "\nSELECT 1"


async def write_entries(conn: Connection, res_type: str, res_id: str, entries: Sequence[IndexEntry]) -> None:
    """Insert the index rows of ``entries`` for the resource ``res_type/res_id``."""
    if not entries:
        return
    if conn.dialect == "postgres":
        await conn.execute(_POSTGRES_INSERT, res_type, res_id, *postgres_arrays(entries))
    else:
        await _write_sqlite(conn, (res_type, res_id), _rows_by_kind(entries))


async def delete_entries(conn: Connection, res_type: str, res_id: str) -> None:
    """Remove every index row of the resource ``res_type/res_id``."""
    if conn.dialect == "postgres":
        await conn.execute(_POSTGRES_DELETE, res_type, res_id)
        return
    for table in TABLES:
        await conn.execute(f"DELETE FROM {table} WHERE res_type = $1 AND res_id = $2", res_type, res_id)
