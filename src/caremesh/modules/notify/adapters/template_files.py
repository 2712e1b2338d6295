"""The default templates shipped in the package: one TOML file per template, all channels in it.

File layout: ``key``, ``version``, ``category``; ``[email]`` subject + text, ``[sms]`` text,
``[push]`` title + body. Raising ``version`` upgrades installed defaults on the next start.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from caremesh.modules.notify.domain.preferences import CATEGORIES, EMAIL, PUSH, SMS
from caremesh.modules.notify.domain.templates import DEFAULT, MessageTemplate

PACKAGE = "caremesh.modules.notify.adapters.default_templates"

# Where each channel keeps its (subject, body) in a template file.
_PARTS = {EMAIL: ("subject", "text"), SMS: (None, "text"), PUSH: ("title", "body")}


class TemplateFileError(ValueError):
    pass


def _channel_template(data: dict[str, Any], channel: str) -> MessageTemplate:
    subject_field, body_field = _PARTS[channel]
    part = data[channel]
    if body_field not in part or (subject_field is not None and subject_field not in part):
        raise TemplateFileError(
            f"{data['key']}: [{channel}] needs {subject_field or ''} {body_field}".strip()
        )
    return MessageTemplate(
        key=str(data["key"]),
        channel=channel,
        category=str(data["category"]),
        version=int(data["version"]),
        subject=None if subject_field is None else str(part[subject_field]),
        body=str(part[body_field]),
        source=DEFAULT,
    )


def parse_template_file(text: str) -> list[MessageTemplate]:
    data = tomllib.loads(text)
    missing = [name for name in ("key", "version", "category") if name not in data]
    if missing:
        raise TemplateFileError(f"template file lacks {', '.join(missing)}")
    if data["category"] not in CATEGORIES:
        raise TemplateFileError(f"{data['key']}: unknown category {data['category']!r}")
    return [_channel_template(data, channel) for channel in _PARTS if channel in data]


def load_default_templates() -> list[MessageTemplate]:
    templates: list[MessageTemplate] = []
    for entry in sorted(resources.files(PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            templates += parse_template_file(entry.read_text(encoding="utf-8"))
    return templates
