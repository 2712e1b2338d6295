"""Base classes of the published language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

F = TypeVar("F", bound=Callable[..., Any])


class Event(BaseModel):
    """A fact that happened, named in the past tense. Subclasses set ``event_type``.

    ``event_type`` is ``<module>.<Name>``; ``version`` changes only on a breaking change, and a
    consumer that does not know a version dead-letters the event instead of guessing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    def aggregate_id(self) -> str:
        """The id of the aggregate whose order this event must keep; subclasses override."""
        raise NotImplementedError


class Dto(BaseModel):
    """A read model crossing a module boundary."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def query(method: F) -> F:
    """Marks a contract API method as a safe read: a remote client may retry it on timeouts."""
    method.__caremesh_kind__ = "query"  # type: ignore[attr-defined]
    return method


def command(method: F) -> F:
    """Marks a contract API method that changes state: retried only when the request never left."""
    method.__caremesh_kind__ = "command"  # type: ignore[attr-defined]
    return method
