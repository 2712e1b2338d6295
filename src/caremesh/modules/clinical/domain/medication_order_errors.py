"""Errors of medication order entry's domain (translated to HTTP statuses by the application)."""

from __future__ import annotations


class OrderStateError(Exception):
    """The order's state does not allow the operation (e.g. signing a cancelled order)."""
