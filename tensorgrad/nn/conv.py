"""Placeholder: filled in by the nn issue."""

__all__: list[str] = []
