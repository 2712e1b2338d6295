"""The NATS JetStream transport: a durable stream, broker-side dedupe, durable pull consumers.

Guarantees, and the settings that give them:

* **Publish.** Each envelope goes to ``<prefix>.<event type>`` with ``Nats-Msg-Id`` = envelope id,
  so the stream drops a republish (a relay that crashed before marking its outbox rows) within
  ``duplicate_window``; a later copy is dropped by the consumers' inbox. ``publish`` returns only
  after every PubAck. Publishes are pipelined in batch order on one connection (the stream keeps
  that order), but an envelope is sent only once the previous envelope of the same aggregate is
  acked: whatever a reconnect loses or resends, an event is never stored before its aggregate's
  earlier events. The client does not buffer while disconnected, so publishing fails fast and the
  relay's backoff retries; a restarted broker is reconnected to (forever, every 0.5 s).
* **Consume.** One durable pull consumer per subscription and one fetch loop each; batches are
  handled one after the other through :func:`deliver` and acked only after it returns (applied or
  dead-lettered), so a crash redelivers and the inbox keeps the effect single.
* **Redelivery.** The kernel consumer already retries and dead-letters, so the broker redelivers only
  after a crash: ``max_deliver`` is unlimited, ``ack_wait`` is the crash-detection delay, and a slow
  batch keeps its messages with in-progress acks. ``max_ack_pending`` equals the fetch batch, so
  replicas sharing a durable consumer take turns instead of overtaking each other. A batch whose
  delivery fails (its database is down) is nak'ed with a delay and fetched again.

The stream name and subject prefix are settings (``CAREMESH_NATS_STREAM``,
``CAREMESH_NATS_SUBJECT_PREFIX``), so tests and benchmarks use a stream of their own.

Layout: :mod:`.settings` (settings and naming), :mod:`.transport` (connection, stream, publishing,
one consumer per subscription), :mod:`.durable` (creating or migrating a durable consumer) and
:mod:`.consuming` (the fetch, deliver and ack loop of one subscription).
"""

from caremesh.kernel.events.nats.settings import NatsSettings
from caremesh.kernel.events.nats.transport import NatsTransport

__all__ = ["NatsSettings", "NatsTransport"]
