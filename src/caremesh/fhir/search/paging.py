"""Offset paging with self/first/next/previous links that repeat the query as understood.

A page is identified by ``_offset`` over a total order (the sort keys, then type and id), so the
same link returns the same page while the data does not change.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode


def search_path(base_url: str, resource_type: str | None, compartment: tuple[str, str] | None) -> str:
    base = base_url.rstrip("/")
    if compartment is not None:
        base += f"/{compartment[0]}/{quote(compartment[1], safe='')}"
        return base + (f"/{resource_type}" if resource_type else "/*")
    return base + (f"/{resource_type}" if resource_type else "")


def _url(path: str, used: list[tuple[str, str]], count: int, offset: int) -> str:
    params = [*used, ("_count", str(count))]
    if offset:
        params.append(("_offset", str(offset)))
    return f"{path}?{urlencode(params, quote_via=quote, safe=':,|$/*')}"


def page_links(
    path: str, used: list[tuple[str, str]], count: int, offset: int, has_next: bool
) -> dict[str, str]:
    links = {"self": _url(path, used, count, offset), "first": _url(path, used, count, 0)}
    if has_next:
        links["next"] = _url(path, used, count, offset + count)
    if offset > 0:
        links["previous"] = _url(path, used, count, max(0, offset - count))
    return links
