"""Rendering stored templates safely: a Jinja2 sandbox, strict variables, recipient-local times.

Templates live in the database and may be edited by operators, so they run in the sandbox (no
attribute tricks to reach Python internals), and a missing variable is an error instead of an
empty string: a reminder that says "your appointment on  at " must never reach a patient.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from caremesh.modules.notify.domain.templates import MessageTemplate, RenderedMessage, TemplateError


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset, so its local time is unknown")
    return moment


def _local(context: Context, value: Any) -> datetime:
    return _aware(value).astimezone(ZoneInfo(context["timezone"]))


@pass_context
def local_datetime(context: Context, value: Any) -> str:
    """E.g. ``Tuesday 10 March 2026, 09:30 EDT`` in the recipient's time zone."""
    moment = _local(context, value)
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {moment:%H:%M} {moment.tzname()}"


@pass_context
def local_date(context: Context, value: Any) -> str:
    moment = _local(context, value)
    return f"{moment.day} {moment:%B %Y}"


@pass_context
def local_time(context: Context, value: Any) -> str:
    moment = _local(context, value)
    return f"{moment:%H:%M} {moment.tzname()}"


class Renderer:
    def __init__(self) -> None:
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._env.filters.update(local_datetime=local_datetime, local_date=local_date, local_time=local_time)
        self._compile = lru_cache(maxsize=256)(self._env.from_string)

    def render(
        self,
        template: MessageTemplate,
        variables: Mapping[str, Any],
        *,
        timezone: str,
        recipient_name: str | None,
    ) -> RenderedMessage:
        context = {**variables, "timezone": timezone, "recipient_name": recipient_name}
        try:
            subject = None if template.subject is None else self._text(template.subject, context)
            body = self._text(template.body, context).strip()
        except (jinja2.TemplateError, ValueError, TypeError, KeyError) as exc:
            raise TemplateError(f"template {template.key} ({template.channel}): {exc}") from exc
        # A subject is one header line: collapsing whitespace also defeats header injection.
        return RenderedMessage(subject=None if subject is None else " ".join(subject.split()), body=body)

    def _text(self, source: str, context: Mapping[str, Any]) -> str:
        return str(self._compile(source).render(context))
