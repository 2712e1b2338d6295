"""A test-only pair of modules: ``probe_producer`` writes rows with events, ``probe_consumer`` applies them.

Registered through ``CAREMESH_EXTRA_MODULES`` (see :data:`EXTRA_MODULES`), so the real bootstrap,
relay, transports and inbox run unchanged in the processes the fault tests kill.
"""

EXTRA_MODULES = "probe_producer=tests.fault.probe.producer,probe_consumer=tests.fault.probe.consumer"
