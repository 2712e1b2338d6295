"""Calls between modules over HTTP: the provider's router and the caller's remote client.

A topology decides whether a call to another module is a function call or one of these; module
code cannot tell the difference, except that a remote call may fail with DependencyUnavailable.
"""

from caremesh.kernel.rpc.client import RPC_PREFIX, RemoteClient
from caremesh.kernel.rpc.factory import remote_client_factory
from caremesh.kernel.rpc.server import build_rpc_router

__all__ = ["RPC_PREFIX", "RemoteClient", "build_rpc_router", "remote_client_factory"]
