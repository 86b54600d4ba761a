"""Negative log-likelihood of class targets, forward and backward, as one loop each: the second
half of cross-entropy (``ops.fused.NllLoss``, ``NllLossBackward``).

Input x is viewed as (outer, C, inner) with the classes in the middle (an (N, C) batch is
(N, C, 1), an image batch (N, C, H, W) is (N, C, H W)); the target as (outer, inner).
For each position with target t, not ``ignore_index``, and class weight w = weight[t] (or 1):

    forward    l = -w x[o, t, i],     total = Σ l,   Σ w   (both summed in float64)
    backward   dx[o, t, i] = -g w     (g / Σ w for 'mean'; dx is 0 everywhere else)

The NumPy path (``ops.fused``) spends about ten small array calls on each: a mask, a where,
the gather's index grids, the product, two sums, the bounds check's min and max. Each loop
below reads each target once and touches one element of x per target; the bounds check is in
the loop (an out-of-range class is never read: the op raises once the loop returns).
(128, 10) float32 (the MLP benchmark's logits), forward op, warm: 21 µs NumPy path, ~7 µs here.

The sums are float64, so the NumPy path's float32 pairwise sums and these agree to float32
rounding, not to the bit. An ignored target adds nothing, also to Σ w (as in PyTorch; the
NumPy path's 0 * weight[0] makes Σ w NaN there if weight[0] is infinite).
"""

from __future__ import annotations

from . import njit
from .scalar import like


@njit(parallel=False, error_model="numpy")
def nll_forward(x, target, weight, ignore_index, losses):
    """Write l[o, i] into ``losses`` (outer, inner); return (Σ l, Σ w, lo, hi), lo/hi the
    smallest and largest target (an ignored one counts as 0). ``weight`` is (C,) or empty
    (every weight 1)."""
    n_classes = x.shape[1]
    weighted = weight.shape[0] > 0
    total = 0.0
    wsum = 0.0
    lo = 0
    hi = 0
    for o in range(x.shape[0]):
        for i in range(x.shape[2]):
            t = target[o, i]
            if t == ignore_index:
                losses[o, i] = 0
                t = 0
            elif 0 <= t < n_classes:
                v = x[o, t, i]
                w = weight[t] if weighted else like(v, 1.0)
                loss = -v * w
                losses[o, i] = loss
                total += loss
                wsum += w
            if o == 0 and i == 0:
                lo = hi = t
            lo = min(lo, t)
            hi = max(hi, t)
    return total, wsum, lo, hi


@njit(parallel=False, error_model="numpy")
def nll_backward(g, target, weight, ignore_index, each, mean, out):
    """out[o, t, i] = -g w at each target (``out``, (outer, C, inner), holds zeros). ``g`` is
    (outer, inner) with ``each`` (reduction 'none'), else (1, 1); with ``mean`` it is divided
    by Σ w first, rounded to g's type as NumPy's ``g / w.sum()``. Targets are in range (the
    forward raised for a bad one)."""
    weighted = weight.shape[0] > 0
    scale = g[0, 0]
    if mean:
        wsum = 0.0
        for o in range(target.shape[0]):
            for i in range(target.shape[1]):
                t = target[o, i]
                if t != ignore_index:
                    wsum += weight[t] if weighted else 1.0
        scale = scale / like(scale, wsum)
    for o in range(target.shape[0]):
        for i in range(target.shape[1]):
            t = target[o, i]
            if t != ignore_index:
                s = g[o, i] if each else scale
                out[o, t, i] = -s * (weight[t] if weighted else like(s, 1.0))
