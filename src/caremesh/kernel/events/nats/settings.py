"""NATS transport settings, and how subscriptions and event types map to JetStream names."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NatsSettings:
    stream: str = "CAREMESH_EVENTS"
    subject_prefix: str = "caremesh.events"
    duplicate_window: float = 120.0
    max_age: float = 7 * 24 * 3600.0  # long enough to replay a read model after an incident
    ack_wait: float = 30.0
    fetch_batch: int = 200
    fetch_timeout: float = 1.0
    publish_timeout: float = 5.0
    reconnect_wait: float = 0.5
    verify_every: float = 15.0

    @classmethod
    def from_env(cls) -> NatsSettings:
        """Defaults, overridden by ``CAREMESH_NATS_STREAM`` / ``_SUBJECT_PREFIX`` / ``_ACK_WAIT``."""
        env = os.environ
        return cls(
            stream=env.get("CAREMESH_NATS_STREAM", cls.stream),
            subject_prefix=env.get("CAREMESH_NATS_SUBJECT_PREFIX", cls.subject_prefix),
            ack_wait=float(env.get("CAREMESH_NATS_ACK_WAIT", cls.ack_wait)),
        )


def durable_name(consumer: str) -> str:
    """A JetStream consumer name for a subscription (no dots, wildcards or spaces)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", consumer.replace(".", "-"))


def filter_subjects(prefix: str, event_types: Sequence[str], *, multi_filter: bool) -> list[str]:
    """Subjects a consumer listens to; one wildcard when the server takes only one filter (< 2.10)."""
    subjects = [f"{prefix}.{event_type}" for event_type in event_types]
    if len(subjects) <= 1 or multi_filter:
        return subjects
    token_lists = [subject.split(".") for subject in subjects]
    common: list[str] = []
    for tokens in zip(*token_lists, strict=False):
        if len(set(tokens)) > 1:
            break
        common.append(tokens[0])
    shortest = min(len(tokens) for tokens in token_lists)
    return [".".join(common[: shortest - 1]) + ".>"]
