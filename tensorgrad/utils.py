"""``tg.utils``, the namesake of ``torch.utils``: tools that live in modules named for what
they hold, gathered under the name PyTorch users look for.

- ``grad_report``, ``track_updates``, ``GradReport``: gradient-flow reports
  (``tensorgrad.grad_flow``);
- ``RemovableHandle``: what every ``register_*_hook`` returns (``tensorgrad.hooks``);
- ``checkpoint``: activation checkpointing, ``checkpoint.checkpoint(fn, *args)``
  (``tensorgrad.recompute``).
"""

from . import recompute as checkpoint
from .grad_flow import GradReport, UpdateTracker, grad_report, track_updates
from .hooks import RemovableHandle

__all__ = [
    "GradReport",
    "RemovableHandle",
    "UpdateTracker",
    "checkpoint",
    "grad_report",
    "track_updates",
]
