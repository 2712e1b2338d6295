"""Structured JSON logs that cannot carry PHI.

Every log record passes an allow-list: only fields named in ``ALLOWED_FIELDS`` survive; any other
field is dropped and its *name* listed under ``redacted``, so a developer sees that something was
removed without the value ever reaching the log. Messages are constant strings by convention;
values go in fields, where the allow-list applies.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

ALLOWED_FIELDS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "service",
        "version",
        "request_id",
        "trace_id",
        "span_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "module",
        "consumer",
        "event_id",
        "event_type",
        "error",
        "task",
        "count",
        "attempt",
        "topology",
        "process",
        "port",
        "url",
        "outcome",
        "target",
        "operation",
        "stream",
        "subject",
        "channel",
        "provider",
        "notification_id",
        "appointment_id",
        "slot_id",
        "schedule_id",
        "migrations",
        "state",
        "seconds",
        "redacted",
        "exc_info",
        "exception",
    }
)


def _phi_allow_list(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    redacted = sorted(key for key in event_dict if key not in ALLOWED_FIELDS)
    for key in redacted:
        del event_dict[key]
    if redacted:
        event_dict["redacted"] = redacted
    return event_dict


def _trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def _exception_type_only(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Exception messages can quote request data, so only the type is kept.
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        error = (
            sys.exc_info()[1]
            if exc_info is True
            else exc_info[1]
            if isinstance(exc_info, tuple)
            else exc_info
        )
        if isinstance(error, BaseException):
            event_dict["error"] = type(error).__name__
    return event_dict


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of the call (test runners swap it)."""

    def __init__(self, *_: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        print(message, file=sys.stdout, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def configure_logging(*, service: str, version: str, level: str = "INFO", stream: Any = None) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _trace_ids,
        _exception_type_only,
        _phi_allow_list,
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream) if stream else _CurrentStdout,
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service, version=version)
    _route_stdlib_logging(level)


class _StructlogHandler(logging.Handler):
    """Routes third-party stdlib logs through the same pipeline.

    Only the message template is kept (``record.msg``), never the interpolated arguments, which
    may carry request data.
    """

    def emit(self, record: logging.LogRecord) -> None:
        template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        logger = structlog.get_logger(record.name)
        getattr(logger, record.levelname.lower(), logger.info)(template, logger=record.name)


def _route_stdlib_logging(level: str) -> None:
    root = logging.getLogger()
    root.handlers = [_StructlogHandler()]
    root.setLevel(level.upper())
    # uvicorn's access log prints paths with query strings, which can hold PHI: ours logs route templates.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
