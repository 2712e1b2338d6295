"""The published language between modules: events and API DTOs, one file per module.

A module may import ``caremesh.contracts`` and the kernel, never another module.
"""
