"""Rendering the shipped templates: recipient-local times, strict variables, the sandbox."""

from __future__ import annotations

import pytest

from caremesh.modules.notify.adapters.template_files import (
    TemplateFileError,
    load_default_templates,
    parse_template_file,
)
from caremesh.modules.notify.application.rendering import Renderer
from caremesh.modules.notify.domain.notification import APPOINTMENT_NOTICES, Notice
from caremesh.modules.notify.domain.preferences import CHANNELS
from caremesh.modules.notify.domain.templates import MessageTemplate, TemplateError

# 14:30 UTC on 10 March 2026: after the US switch to daylight time (8 March), before Europe's.
APPOINTMENT = {
    "appointment_id": "appt-0001",
    "start": "2026-03-10T14:30:00+00:00",
    "end": "2026-03-10T15:00:00+00:00",
    "service_type": "general-practice",
}


def template(key: str, channel: str) -> MessageTemplate:
    return next(t for t in load_default_templates() if t.key == key and t.channel == channel)


def test_every_appointment_notice_ships_for_every_channel_in_its_category() -> None:
    shipped = {(t.key, t.channel): t for t in load_default_templates()}
    for notice in APPOINTMENT_NOTICES:
        for channel in CHANNELS:
            assert shipped[(notice.template, channel)].category == notice.category


@pytest.mark.parametrize("notice", APPOINTMENT_NOTICES, ids=lambda n: n.template)
@pytest.mark.parametrize("channel", CHANNELS)
def test_shipped_templates_render_with_the_appointment_variables(notice: Notice, channel: str) -> None:
    variables = {**APPOINTMENT, "reason": None, "cancelled_at": APPOINTMENT["start"]}
    rendered = Renderer().render(
        template(notice.template, channel), variables, timezone="Europe/Berlin", recipient_name=None
    )
    assert "15:30 CET" in rendered.body + (rendered.subject or "")
    assert (rendered.subject is None) == (channel == "sms")


def test_times_are_rendered_in_the_recipients_time_zone() -> None:
    email = template("appointment_confirmation", "email")
    renderer = Renderer()
    new_york = renderer.render(email, APPOINTMENT, timezone="America/New_York", recipient_name="Avery Quinn")
    berlin = renderer.render(email, APPOINTMENT, timezone="Europe/Berlin", recipient_name=None)
    assert new_york.subject == "Appointment confirmed: 10 March 2026 at 10:30 EDT"
    assert "Tuesday 10 March 2026, 10:30 EDT" in new_york.body
    assert new_york.body.startswith("Dear Avery Quinn,")
    assert berlin.subject == "Appointment confirmed: 10 March 2026 at 15:30 CET"
    assert berlin.body.startswith("Hello,")


def test_a_missing_variable_is_an_error_not_an_empty_string() -> None:
    variables = {k: v for k, v in APPOINTMENT.items() if k != "start"}
    with pytest.raises(TemplateError, match="'start' is undefined"):
        Renderer().render(
            template("appointment_reminder", "sms"), variables, timezone="UTC", recipient_name=None
        )


def test_a_time_without_offset_cannot_be_localised() -> None:
    with pytest.raises(TemplateError, match="no UTC offset"):
        Renderer().render(
            template("appointment_reminder", "sms"),
            {**APPOINTMENT, "start": "2026-03-10T14:30:00"},
            timezone="UTC",
            recipient_name=None,
        )


def test_the_sandbox_refuses_to_reach_python_internals() -> None:
    hostile = MessageTemplate(
        key="hostile", channel="sms", category="appointment-updates", version=1, subject=None,
        body="{{ ''.__class__.__mro__[1].__subclasses__() }}",
    )  # fmt: skip
    with pytest.raises(TemplateError):
        Renderer().render(hostile, {}, timezone="UTC", recipient_name=None)


def test_a_subject_is_one_line_whatever_the_variables_hold() -> None:
    subject_template = MessageTemplate(
        key="t", channel="email", category="appointment-updates", version=1,
        subject="Hello {{ name }}", body="x",
    )  # fmt: skip
    rendered = Renderer().render(
        subject_template, {"name": "a\r\nBcc: victim@example.org"}, timezone="UTC", recipient_name=None
    )
    assert rendered.subject == "Hello a Bcc: victim@example.org"


def test_template_files_are_checked_when_loaded() -> None:
    with pytest.raises(TemplateFileError, match="unknown category"):
        parse_template_file('key = "x"\nversion = 1\ncategory = "marketing"\n[sms]\ntext = "hi"\n')
    with pytest.raises(TemplateFileError, match="needs title body"):
        parse_template_file('key = "x"\nversion = 1\ncategory = "appointment-updates"\n[push]\nbody = "b"\n')
