"""SQL of the alerting part of the monitoring module."""
