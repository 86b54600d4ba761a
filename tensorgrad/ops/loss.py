"""Loss primitives: the few losses whose PyTorch gradient is not the gradient of a composition.

Binary cross-entropy on probabilities clamps each log at -100 so that x = 0 or 1 gives a finite
loss. Composed from ``log`` and ``clamp``, its gradient at x = 0 would be 0/0 = NaN; PyTorch
instead defines it as (x - t) / max(x (1 - x), 1e-12), which this op reproduces.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import xp_of


class BinaryCrossEntropy(Op):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped to >= -100 (PyTorch)."""

    saves_inputs = True

    def forward(ctx, x, t):
        xp = xp_of(x)
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:  # d/dx = (x - t) / (x (1 - x)), denominator >= 1e-12
            gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:  # d/dt = log(1 - x) - log(x): unclamped, +-inf at 0 and 1
            with np.errstate(divide="ignore"):
                gt = g * ((-x).log1p() - x.log())
        return gx, gt
