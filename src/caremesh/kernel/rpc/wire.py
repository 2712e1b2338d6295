"""How outcomes cross the wire: kernel errors as problem+json, everything else as a RemoteFailure.

A :class:`CaremeshError` raised by the provider comes back to the caller as the same class (found
by its ``code``). Failures of the call itself (refused credentials, an operation the target does
not offer, an unusable answer) are marked with ``rpc_error`` so they are not mistaken for errors
the provider raised on purpose; the caller sees them as ``DependencyUnavailable``.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from caremesh.kernel.errors import CaremeshError
from caremesh.kernel.resilience import (
    BAD_RESPONSE,
    SERVER_ERROR,
    TIMEOUT,
    UNAVAILABLE,
    UNREACHABLE,
    RemoteFailure,
)

RPC_ERROR = "rpc_error"
UNKNOWN_OPERATION = "unknown-operation"
CREDENTIALS_REJECTED = "credentials-rejected"

_PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail"})
_GATEWAY_STATUSES = frozenset({502, 503, 504})


def marked(error: CaremeshError, rpc_error: str) -> CaremeshError:
    """The same kind of error, marked as a failure of the call rather than of the operation."""
    return type(error)(error.message, details={**error.details, RPC_ERROR: rpc_error})


def failure_from_transport(exc: httpx.TransportError) -> RemoteFailure:
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return RemoteFailure(TIMEOUT, sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return RemoteFailure(TIMEOUT, sent=True)
    if isinstance(exc, httpx.ConnectError):
        return RemoteFailure(UNREACHABLE, sent=False)
    # The connection broke after the request was (perhaps partly) written.
    return RemoteFailure(UNREACHABLE, sent=True)


def failure_from_response(response: httpx.Response) -> CaremeshError | RemoteFailure:
    """What a non-200 answer means for the caller."""
    if response.status_code in _GATEWAY_STATUSES:
        return RemoteFailure(UNAVAILABLE, sent=True)
    problem = _problem(response)
    if problem is None or response.status_code >= 500:
        return RemoteFailure(SERVER_ERROR, sent=True, transient=False)
    if RPC_ERROR in problem:
        return RemoteFailure(str(problem[RPC_ERROR]), sent=True, transient=False)
    error_class = error_classes().get(str(problem.get("title")))
    if error_class is None or error_class.status != response.status_code:
        return RemoteFailure(BAD_RESPONSE, sent=True, transient=False)
    details = {key: value for key, value in problem.items() if key not in _PROBLEM_MEMBERS}
    return _rebuild(error_class, str(problem.get("detail", "")), details)


def _rebuild(error_class: type[CaremeshError], message: str, details: dict[str, Any]) -> CaremeshError:
    try:
        return error_class(message, details=details)
    except TypeError:
        # A subclass with its own constructor: keep the class, fill in what the kernel defines.
        error = error_class.__new__(error_class)
        CaremeshError.__init__(error, message, details=details)
        return error


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def error_classes() -> dict[str, type[CaremeshError]]:
    """Every known error class by code; on a shared code the more general class wins."""
    found: dict[str, type[CaremeshError]] = {}
    pending: list[type[CaremeshError]] = [CaremeshError]
    while pending:
        error_class = pending.pop(0)
        found.setdefault(error_class.code, error_class)
        pending.extend(error_class.__subclasses__())
    return found
