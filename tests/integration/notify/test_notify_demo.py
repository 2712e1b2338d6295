"""The embedded demo: demo patients' preferences load idempotently and mail lands in the Maildir."""

from __future__ import annotations

import mailbox
from pathlib import Path

import orjson
from notify_harness import StartNotify, booked, fast_delivery

from caremesh.modules.notify.module import MODULE


async def test_the_demo_loader_is_idempotent(start_notify: StartNotify) -> None:
    notify = await start_notify({})
    ctx = notify.runtime.contexts["notify"]
    assert MODULE.demo is not None

    first = await MODULE.demo(ctx)
    second = await MODULE.demo(ctx)

    assert first == {"recipients_created": 3, "recipients_existing": 0, "templates_seeded": 9}
    assert second == {"recipients_created": 0, "recipients_existing": 3, "templates_seeded": 0}


async def test_with_the_embedded_defaults_mail_goes_to_a_maildir_and_sms_push_to_the_spool(
    start_notify: StartNotify, tmp_path: Path
) -> None:
    config = {"delivery": fast_delivery(), "maildir": {"path": str(tmp_path / "mail")},
              "spool": {"directory": str(tmp_path / "spool")}}  # fmt: skip
    notify = await start_notify(config)
    assert MODULE.demo is not None
    await MODULE.demo(notify.runtime.contexts["notify"])

    await notify.publish(booked(patient_id="pat-demo-0001"))

    for channel in ("email", "sms", "push"):
        await notify.wait_status("delivered", "channel = $1 AND kind = 'message'", channel)
    [email] = list(mailbox.Maildir(tmp_path / "mail", create=False))
    assert email["To"] == "avery.quinn@example.org"
    assert email["Subject"].startswith("Appointment confirmed")
    for channel in ("sms", "push"):
        [line] = (tmp_path / "spool" / f"{channel}.jsonl").read_bytes().splitlines()
        assert orjson.loads(line)["body"]
