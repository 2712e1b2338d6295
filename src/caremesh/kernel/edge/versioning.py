"""URL versioning: announcing that a version is deprecated and what replaces it.

Two versions of one API are served side by side by two thin routers over the same application
function; only the representation differs. The older version's responses carry
``Deprecation`` (RFC 9745, a structured-field date: when it became deprecated), ``Sunset``
(RFC 8594, an HTTP-date: when it may stop answering) and ``Link: <...>; rel="successor-version"``
(RFC 5829) pointing at the same resource in the new version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

from fastapi import Request, Response

_URI_RESERVED = ":/?#[]@!$&'()*+,;=%~"


def deprecation_headers(deprecated_at: datetime, sunset_at: datetime, successor: str) -> dict[str, str]:
    return {
        "deprecation": f"@{int(deprecated_at.timestamp())}",
        "sunset": format_datetime(sunset_at, usegmt=True),
        # Header values are Latin-1: a path with other characters goes percent-encoded (RFC 3986).
        "link": f'<{quote(successor, safe=_URI_RESERVED)}>; rel="successor-version"',
    }


def deprecated(
    *, deprecated_at: datetime, sunset_at: datetime, successor: Callable[[Request], str]
) -> Callable[[Request, Response], None]:
    """A FastAPI dependency for the routes of a deprecated version; ``successor`` maps the request
    to the URL of the same resource in the version that replaces it."""

    def announce(request: Request, response: Response) -> None:
        response.headers.update(deprecation_headers(deprecated_at, sunset_at, successor(request)))

    return announce
