"""Events: transactional outbox, relay, transports (in-process, NATS JetStream) and inbox consumers."""

from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.events.outbox import Outbox

__all__ = ["Envelope", "Outbox"]
