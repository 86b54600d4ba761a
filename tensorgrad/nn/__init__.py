"""Neural-network building blocks. ``tensorgrad.nn.functional`` holds the stateless functions."""

from . import functional

__all__ = ["functional"]
