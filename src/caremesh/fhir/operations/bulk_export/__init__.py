"""Bulk Data ``$export`` (system, Patient, Group) with the asynchronous request pattern."""
