"""Logs are JSON, carry service/version/request ids, and drop every field not on the allow-list."""

from __future__ import annotations

import io
import json

import structlog

from caremesh.kernel.observability.logging import configure_logging


def _configured() -> io.StringIO:
    stream = io.StringIO()
    configure_logging(service="caremesh-test", version="9.9.9", stream=stream)
    return stream


def test_unknown_fields_are_dropped_and_named() -> None:
    stream = _configured()
    structlog.get_logger("t").info(
        "patient looked up", route="/v1/x", patient_name="Alice Example", ssn="999-00-1234", status=200
    )
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["event"] == "patient looked up"
    assert record["service"] == "caremesh-test" and record["version"] == "9.9.9"
    assert record["route"] == "/v1/x" and record["status"] == 200
    assert record["redacted"] == ["patient_name", "ssn"]
    assert "Alice" not in stream.getvalue() and "999-00-1234" not in stream.getvalue()


def test_exception_messages_are_reduced_to_their_type() -> None:
    stream = _configured()
    try:
        raise ValueError("MRN 12345 for Bob Example is invalid")
    except ValueError:
        structlog.get_logger("t").error("lookup failed", exc_info=True)
    output = stream.getvalue()
    assert "Bob Example" not in output and "12345" not in output
    assert json.loads(output.strip().splitlines()[-1])["error"] == "ValueError"


def test_stdlib_logs_keep_the_template_not_the_arguments() -> None:
    import logging

    stream = _configured()
    logging.getLogger("thirdparty").warning("user %s failed login", "carol@example.org")
    output = stream.getvalue()
    assert "carol@example.org" not in output
    assert "user %s failed login" in output


def test_request_id_is_bound_from_context() -> None:
    stream = _configured()
    structlog.contextvars.bind_contextvars(request_id="req-123")
    try:
        structlog.get_logger("t").info("something happened")
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    assert json.loads(stream.getvalue().strip().splitlines()[-1])["request_id"] == "req-123"
