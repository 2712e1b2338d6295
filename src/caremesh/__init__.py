"""caremesh: an open-source healthcare platform."""

__version__ = "0.1.0"
