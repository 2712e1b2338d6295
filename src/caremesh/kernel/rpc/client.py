"""The caller's side: a client whose async methods mirror a contract API and run over HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from caremesh.kernel.observability.tracing import current_trace_headers
from caremesh.kernel.resilience import BAD_RESPONSE, RemoteFailure, ResiliencePolicy, TargetGuard
from caremesh.kernel.rpc.contract import ContractSpec, MethodSpec, contract_spec
from caremesh.kernel.rpc.credentials import ServiceCredentials
from caremesh.kernel.rpc.wire import CREDENTIALS_REJECTED, failure_from_response, failure_from_transport

RPC_PREFIX = "/internal/rpc"
# Below uvicorn's keep-alive (5 s), so the pool never reuses a connection the server is closing.
KEEPALIVE_SECONDS = 4.0

_tracer = trace.get_tracer("caremesh.rpc")


class RemoteClient:
    """Calls ``api`` on the process at ``base_url``; every failure of the call is DependencyUnavailable."""

    def __init__(
        self,
        api: type[Any],
        base_url: str,
        caller: str,
        *,
        policy: ResiliencePolicy | None = None,
        guard: TargetGuard | None = None,
    ) -> None:
        self._contract: ContractSpec = contract_spec(api)
        self._guard = guard or TargetGuard(self._contract.module, policy)
        self._credentials = ServiceCredentials(caller)
        self._http = _http_client(base_url, self._guard.policy)
        self._methods = {name: self._method(spec) for name, spec in self._contract.methods.items()}

    @property
    def guard(self) -> TargetGuard:
        return self._guard

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        # Only reached for names that are not ordinary attributes; __dict__ avoids recursion in __init__.
        methods = self.__dict__.get("_methods", {})
        if name not in methods:
            raise AttributeError(f"the contract has no method {name!r}")
        return methods[name]

    async def aclose(self) -> None:
        await self._http.aclose()

    def _method(self, spec: MethodSpec) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._call(spec, spec.encode_arguments(args, kwargs))

        call.__name__ = call.__qualname__ = spec.name
        return call

    async def _call(self, spec: MethodSpec, body: bytes) -> Any:
        operation = f"{self._contract.name}.{spec.name}"
        with _tracer.start_as_current_span(f"rpc {operation}", kind=SpanKind.CLIENT):
            return await self._guard.call(operation, spec.kind, partial(self._attempt, spec, body))

    async def _attempt(self, spec: MethodSpec, body: bytes) -> Any:
        path = f"{RPC_PREFIX}/{self._contract.name}/{spec.name}"
        try:
            response = await self._http.post(path, content=body, headers=await self._headers())
        except httpx.TransportError as exc:
            raise failure_from_transport(exc) from exc
        if response.status_code == 200:
            return _decode(spec, response.content)
        failure = failure_from_response(response)
        if isinstance(failure, RemoteFailure) and failure.reason == CREDENTIALS_REJECTED:
            self._credentials.forget()
        raise failure

    async def _headers(self) -> dict[str, str]:
        # A client-credentials token from the identity service when one is configured, else a
        # locally signed service token; raises DependencyUnavailable when identity cannot answer.
        headers = {"authorization": await self._credentials.authorize(), "content-type": "application/json"}
        headers.update(current_trace_headers())
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            headers["x-request-id"] = str(request_id)
        return headers


def _decode(spec: MethodSpec, content: bytes) -> Any:
    try:
        return spec.result.validate_json(content)
    except ValidationError:
        raise RemoteFailure(BAD_RESPONSE, sent=True, transient=False) from None


def _http_client(base_url: str, policy: ResiliencePolicy) -> httpx.AsyncClient:
    # The per-attempt timeout is enforced by the guard; httpx's only has to catch a dead connect.
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(policy.timeout + 1.0, connect=policy.connect_timeout),
        limits=httpx.Limits(
            max_connections=policy.max_concurrent,
            max_keepalive_connections=policy.max_concurrent,
            keepalive_expiry=KEEPALIVE_SECONDS,
        ),
    )
