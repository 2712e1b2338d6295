"""Alerting: care plans, alert evaluation and lifecycle, escalation, trends and the RPM programme."""
