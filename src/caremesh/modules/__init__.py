"""The bounded contexts. Each is independent: it imports the kernel and contracts, never a sibling.

``KNOWN_MODULES`` maps a module name to the dotted path of its composition root; the bootstrap
imports only the modules a topology places in the running process.
"""

KNOWN_MODULES: dict[str, str] = {
    "scheduling": "caremesh.modules.scheduling.module",
    "notify": "caremesh.modules.notify.module",
    "clinical": "caremesh.modules.clinical.module",
    "cds": "caremesh.modules.cds.module",
    "pharmacy": "caremesh.modules.pharmacy.module",
    "billing": "caremesh.modules.billing.module",
    "monitoring": "caremesh.modules.monitoring.module",
    "identity": "caremesh.modules.identity.module",
}
