"""The provider's side: every API this process provides, callable by other caremesh services.

``POST /internal/rpc/{api}/{method}`` with a JSON object of keyword arguments. Only methods
declared on the contract are reachable; the caller must present a service token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from caremesh.kernel.errors import Forbidden, NotFound, Unauthorized
from caremesh.kernel.rpc.client import RPC_PREFIX
from caremesh.kernel.rpc.contract import MethodSpec, contract_spec
from caremesh.kernel.rpc.wire import CREDENTIALS_REJECTED, UNKNOWN_OPERATION, marked
from caremesh.kernel.security.principal import Principal, require_service
from caremesh.kernel.services import ServiceDirectory


@dataclass(frozen=True)
class Endpoint:
    spec: MethodSpec
    handler: Callable[..., Awaitable[Any]]

    async def __call__(self, body: bytes) -> Response:
        result = await self.handler(**self.spec.decode_arguments(body))
        return Response(self.spec.result.dump_json(result), media_type="application/json")


def build_rpc_router(services: ServiceDirectory) -> APIRouter:
    endpoints = local_endpoints(services)
    router = APIRouter(prefix=RPC_PREFIX, tags=["internal"], include_in_schema=False)

    @router.post("/{api_name}/{method}")
    async def call(
        api_name: str, method: str, request: Request, _: Principal = Depends(_service_caller)
    ) -> Response:
        endpoint = endpoints.get((api_name, method))
        if endpoint is None:
            raise marked(NotFound(f"no operation {api_name}.{method} here"), UNKNOWN_OPERATION)
        return await endpoint(await request.body())

    return router


def local_endpoints(services: ServiceDirectory) -> dict[tuple[str, str], Endpoint]:
    """Each contract method of each API provided here, bound once to the providing facade."""
    endpoints: dict[tuple[str, str], Endpoint] = {}
    for name, api in services.local_contracts.items():
        implementation = services.local(name)
        for method, spec in contract_spec(api).methods.items():
            handler = getattr(implementation, method, None)
            if handler is None:
                raise TypeError(f"{type(implementation).__name__} does not implement {name}.{method}")
            endpoints[(name, method)] = Endpoint(spec, handler)
    return endpoints


async def _service_caller(request: Request) -> Principal:
    try:
        return await require_service(request)
    except (Unauthorized, Forbidden) as exc:
        raise marked(exc, CREDENTIALS_REJECTED) from None
