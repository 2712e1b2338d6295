"""Logs (structlog, PHI allow-list), traces (OpenTelemetry) and metrics (Prometheus)."""
