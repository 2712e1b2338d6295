"""A message template for one channel, as stored (subject and body are Jinja2 source)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT = "default"  # shipped in the package, upgraded when a newer version ships
CUSTOM = "custom"  # edited by the operator, never overwritten by an upgrade


@dataclass(frozen=True)
class MessageTemplate:
    key: str
    channel: str
    category: str
    version: int
    subject: str | None  # email subject or push title; None for SMS
    body: str
    source: str = DEFAULT


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    body: str


class TemplateError(ValueError):
    """A template cannot be rendered: a missing variable, a syntax error or a sandbox violation."""
