"""History of an instance, a type and the whole system: ``_since``, ``_count``, keyset paging.

The ``_page`` parameter of next/previous links is an opaque cursor: the key of the entry the
page continues from, and the direction (``o``lder or ``n``ewer).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import ANY_TYPE, Interaction
from caremesh.fhir.bundles import bundle, history_entry
from caremesh.fhir.ids import is_valid_id, require_id
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.http import response_type
from caremesh.fhir.rest.screening import Screen
from caremesh.fhir.storage.history import HistoryPage, HistoryQuery, Key

DEFAULT_COUNT = 50
MAX_COUNT = 1000


def _invalid(name: str, text: str) -> FhirError:
    return FhirError.single(400, "invalid", f"{name}: {text}", name)


def parse_count(value: str | None) -> int:
    if value is None:
        return DEFAULT_COUNT
    if not value.isascii() or not value.isdigit() or int(value) > MAX_COUNT:
        raise _invalid("_count", f"expected a whole number from 0 to {MAX_COUNT}, got {value[:20]!r}")
    return int(value)


def parse_since(value: str | None) -> datetime | None:
    """An instant; a value without a zone (or a bare date) is taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _invalid(
            "_since", f"expected an instant like 2024-01-31T10:00:00Z, got {value[:40]!r}"
        ) from None


def encode_cursor(direction: str, key: Key) -> str:
    moment, res_type, res_id, version = key
    raw = orjson.dumps([moment.isoformat(), res_type, res_id, version])
    return direction + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[str, Key]:
    try:
        raw = base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4))
        moment, res_type, res_id, version = orjson.loads(raw)
        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise ValueError("a cursor's time carries its zone")
        key = (when.astimezone(UTC), str(res_type), str(res_id), int(version))
    except (ValueError, TypeError, OverflowError, binascii.Error):
        raise _invalid("_page", "not a page of this server's history links") from None
    if value[:1] not in ("o", "n") or not _plausible(key):
        raise _invalid("_page", "not a page of this server's history links")
    return value[0], key


def _plausible(key: Key) -> bool:
    """A cursor names a stored version: a resource type, a valid id and a positive version."""
    return key[1].isascii() and key[1].isalpha() and is_valid_id(key[2]) and 0 < key[3] < 2**31


def history_query(request: Request, resource_type: str | None, resource_id: str | None) -> HistoryQuery:
    params = request.query_params
    older = newer = None
    if (page := params.get("_page")) is not None:
        direction, key = decode_cursor(page)
        older, newer = (key, None) if direction == "o" else (None, key)
    return HistoryQuery(
        resource_type=resource_type,
        resource_id=resource_id,
        since=parse_since(params.get("_since")),
        count=parse_count(params.get("_count")),
        older_than=older,
        newer_than=newer,
    )


def page_links(url: str, request: Request, page: HistoryPage, count: int) -> dict[str, str]:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("_page", "_count")]
    kept.append(("_count", str(count)))

    def link(cursor: str | None) -> str:
        query = kept + ([("_page", cursor)] if cursor else [])
        return f"{url}?{urlencode(query)}"

    links = {"self": link(request.query_params.get("_page"))}
    if page.has_older and page.last_key is not None:
        links["next"] = link(encode_cursor("o", page.last_key))
    if page.has_newer and page.first_key is not None:
        links["previous"] = link(encode_cursor("n", page.first_key))
    return links


def _first_page(query: HistoryQuery) -> HistoryQuery:
    return HistoryQuery(query.resource_type, query.resource_id, count=query.count)


def add_history_routes(router: APIRouter, rest: Rest) -> None:
    engine = rest.engine

    async def answer(request: Request, resource_type: str | None, resource_id: str | None) -> Response:
        media = response_type(request)
        target = "/".join(part for part in (resource_type, resource_id) if part) or None
        access = await rest.guard.allow(request, Interaction.HISTORY, resource_type or ANY_TYPE, target)
        query = history_query(request, resource_type, resource_id)
        page = await engine.history(query)
        screen = Screen(access)
        entries = await screen.versions(page.entries)
        if resource_id is not None and not entries and query.count and query == _first_page(query):
            if access.hides_missing or screen.dropped:
                await access.refuse(resource=target)
            raise FhirError.single(
                404, "not-found", f"{resource_type}/{resource_id} has no history: it never existed"
            )
        await access.audit(patients=screen.patients, resource=target, query=request.url.query or None)
        base = rest.base(request)
        path = "/".join(part for part in (base, resource_type, resource_id) if part) + "/_history"
        links = page_links(path, request, page, query.count)
        body = bundle("history", links, (history_entry(base, entry) for entry in entries))
        return access.mark(Response(body, media_type=media + "; charset=utf-8"))

    async def system_history(request: Request) -> Response:
        return await answer(request, None, None)

    async def type_history(request: Request, res_type: str) -> Response:
        return await answer(request, engine.require_type(res_type), None)

    async def instance_history(request: Request, res_type: str, res_id: str) -> Response:
        return await answer(request, engine.require_type(res_type), require_id(res_id))

    router.add_api_route("/_history", system_history, methods=["GET"], name="fhir.history-system",
                         summary="history (system)")  # fmt: skip
    router.add_api_route("/{res_type:fhir_type}/_history", type_history, methods=["GET"],
                         name="fhir.history-type", summary="history (type)")  # fmt: skip
    router.add_api_route("/{res_type:fhir_type}/{res_id:fhir_id}/_history", instance_history, methods=["GET"],
                         name="fhir.history-instance", summary="history (instance)")  # fmt: skip
