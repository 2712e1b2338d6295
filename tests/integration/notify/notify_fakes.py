"""Fakes of notify's neighbours, all real servers or facades on 127.0.0.1: an SMTP server
(aiosmtpd), the SMS and push providers (a tiny ASGI app under uvicorn) and scheduling's facade."""

from __future__ import annotations

import socket
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs

import orjson
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from caremesh.contracts.scheduling import AppointmentView
from caremesh.kernel.errors import DependencyUnavailable
from caremesh.kernel.ids import new_id

PATIENT = "pat-t-0001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpRecorder:
    """aiosmtpd handler: keeps every message; can refuse recipients permanently."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_recipients = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_recipients:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class FakeSmtp:
    port: int
    handler: SmtpRecorder = field(default_factory=SmtpRecorder)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


@dataclass
class ProviderRequest:
    provider: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeProviders:
    """Twilio's Messages API and Expo's push API, as far as notify uses them."""

    def __init__(self) -> None:
        self.requests: list[ProviderRequest] = []
        self.replies: dict[str, deque[tuple[int, dict[str, Any]]]] = {"twilio": deque(), "expo": deque()}
        self.base_url = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio, methods=["POST"]),
                Route("/--/api/v2/push/send", self._expo, methods=["POST"]),
            ]
        )

    async def _twilio(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        return self._answer("twilio", request, form, (201, {"sid": f"SM{new_id().replace('-', '')}"}))

    async def _expo(self, request: Request) -> JSONResponse:
        body = orjson.loads(await request.body())
        return self._answer("expo", request, body, (200, {"data": {"status": "ok", "id": new_id()}}))

    def _answer(
        self, provider: str, request: Request, body: dict[str, Any], default: tuple[int, dict[str, Any]]
    ) -> JSONResponse:
        self.requests.append(ProviderRequest(provider, request.url.path, dict(request.headers), body))
        status, payload = self.replies[provider].popleft() if self.replies[provider] else default
        return JSONResponse(payload, status_code=status)

    def of(self, provider: str) -> list[ProviderRequest]:
        return [r for r in self.requests if r.provider == provider]


class FakeScheduling:
    """The scheduling facade as notify sees it: an appointment's status, or unavailability."""

    def __init__(self) -> None:
        self.status = "booked"
        self.unavailable = False
        self.asked: list[str] = []

    async def get_appointment(self, appointment_id: str) -> AppointmentView | None:
        self.asked.append(appointment_id)
        if self.unavailable:
            raise DependencyUnavailable("scheduling is down")
        now = datetime.now(UTC)
        return AppointmentView(
            id=appointment_id, status=self.status, patient_id=PATIENT, schedule_id="sch-t-0001",
            slot_id="slot-t", practitioner_id="prac-t-0001", start=now, end=now, created_at=now,
        )  # fmt: skip

    async def list_patient_appointments(self, patient_id: str) -> list[AppointmentView]:
        return []
