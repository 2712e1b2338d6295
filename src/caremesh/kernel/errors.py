"""Errors the kernel and modules raise; the HTTP layer maps them to precise 4xx bodies."""

from __future__ import annotations


class CaremeshError(Exception):
    """Base of every error raised on purpose by caremesh code."""

    status = 500
    code = "error"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidRequest(CaremeshError):
    status = 400
    code = "invalid-request"


class NotFound(CaremeshError):
    status = 404
    code = "not-found"


class Conflict(CaremeshError):
    status = 409
    code = "conflict"


class Unprocessable(CaremeshError):
    status = 422
    code = "unprocessable"


class Unauthorized(CaremeshError):
    status = 401
    code = "unauthorized"


class Forbidden(CaremeshError):
    status = 403
    code = "forbidden"


class DependencyUnavailable(CaremeshError):
    """A module this one calls is down, too slow, or its breaker is open."""

    status = 503
    code = "dependency-unavailable"
