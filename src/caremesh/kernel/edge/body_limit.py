"""The outer bound on request bodies: 413 before the application reads more than it allows.

A declared ``Content-Length`` above the limit is refused before a byte is read. A body without
one (chunked) is counted as it streams; once it passes the limit the application is told the
client went away (so it stops reading) and whatever it would have answered is replaced by the
413. Inner limits (the FHIR engine's ``max_body_bytes``) stay in force beneath this one.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caremesh.kernel.edge.responses import send_refusal


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, limit = scope["path"], self.max_body_bytes
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await send_refusal(send, path, 413, f"request body larger than {limit} bytes")
            return
        state = _BodyState()

        async def counting_receive() -> Message:
            if state.exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state.received += len(message.get("body", b""))
                if state.received > limit and not state.started:
                    state.exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not state.exceeded:
                state.started = True
                await send(message)
            elif message["type"] == "http.response.start" and not state.answered:
                state.answered = True
                await send_refusal(send, path, 413, f"request body larger than {limit} bytes")

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not state.exceeded:
                raise
        if state.exceeded and not state.answered:
            await send_refusal(send, path, 413, f"request body larger than {limit} bytes")


class _BodyState:
    __slots__ = ("answered", "exceeded", "received", "started")

    def __init__(self) -> None:
        self.received = 0
        self.exceeded = False  # the body passed the limit before any response began
        self.started = False  # the application's response is on its way: too late to refuse
        self.answered = False
