"""The HTTP edge of every caremesh process: rate limits, body bounds, security headers, CORS,
and the helpers for serving two versions of an API side by side (docs/security-edge.md)."""

from caremesh.kernel.edge.cors import AllowedOrigins, origin_of
from caremesh.kernel.edge.gcra import Decision, Limit, MemoryStore
from caremesh.kernel.edge.middleware import EdgeMiddleware, install_edge
from caremesh.kernel.edge.settings import EdgeSettings, edge_settings, settings_from_config
from caremesh.kernel.edge.versioning import deprecated, deprecation_headers

__all__ = [
    "AllowedOrigins",
    "Decision",
    "EdgeMiddleware",
    "EdgeSettings",
    "Limit",
    "MemoryStore",
    "deprecated",
    "deprecation_headers",
    "edge_settings",
    "install_edge",
    "origin_of",
    "settings_from_config",
]
