"""A real uvicorn server on a free loopback port, serving the test API through the RPC router."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI
from rpc_vitals import VitalsAPI, VitalsFacade

from caremesh.kernel.http import install_error_handlers
from caremesh.kernel.observability.middleware import ObservabilityMiddleware
from caremesh.kernel.rpc import build_rpc_router
from caremesh.kernel.services import ServiceDirectory


def vitals_app(facade: VitalsFacade) -> FastAPI:
    services = ServiceDirectory()
    services.provide(VitalsAPI, facade)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_rpc_router(services))
    app.add_middleware(ObservabilityMiddleware, service="caremesh-vitals-test")
    return app


class ServerThread:
    """uvicorn on its own thread and event loop, listening on a socket bound before it starts."""

    def __init__(self, app: FastAPI) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(
            app, loop="asyncio", log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.socket.close()
