"""Remote clients for a topology: one guard (breaker, bulkhead) per target module, shared by its APIs.

A target's policy comes from the optional ``[modules.<target>.resilience]`` table of the topology
(keys of :class:`ResiliencePolicy`), so how others call scheduling is configured next to scheduling.
"""

from __future__ import annotations

from typing import Any

from caremesh.kernel.resilience import ResiliencePolicy, TargetGuard
from caremesh.kernel.rpc.client import RemoteClient
from caremesh.kernel.services import RemoteFactory
from caremesh.kernel.topology import Topology


def remote_client_factory(topology: Topology, *, caller: str) -> RemoteFactory:
    guards: dict[str, TargetGuard] = {}

    def remote(api: type[Any]) -> RemoteClient:
        target = str(api.module)
        if target not in guards:
            policy = ResiliencePolicy.from_config(topology.config_of(target).get("resilience"))
            guards[target] = TargetGuard(target, policy)
        owner = topology.process_of(target)
        return RemoteClient(api, base_url=owner.base_url, caller=caller, guard=guards[target])

    return remote
