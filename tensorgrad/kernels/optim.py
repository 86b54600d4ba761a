"""The SGD and Adam/AdamW updates as numba kernels: one pass over each parameter's elements.

The NumPy kernels (``optim/sgd.py``'s ``_sgd_kernel``, ``optim/adam.py``'s ``_adam_kernel``) are
the reference: every line here is one of their array operations applied to one element, in the
same order and in the parameter's dtype (the scalars arrive already cast to it), so the results
are equal to the bit (``tests/kernels/test_optim.py``). What the kernel saves is traffic: Adam's
NumPy kernel makes about 10 passes over float32 arrays (~90 bytes moved per element); this one
reads p, g, m, v (and vmax) and writes p, m, v (and vmax) once: 28 bytes (36 with amsgrad).
SGD with momentum goes from ~11 passes (~60 bytes) to 20 bytes.

Each kernel is ``<name>_loop(...)``, a serial loop over the flat arrays (``range(p.shape[0])``
from 0, which LLVM vectorises: a loop over ``range(start, stop)`` was not, and ran 2x slower
than NumPy), and ``<name>_chunks(chunks, ...)``, which runs the loop on one slice per thread in a
``prange``. ``sgd_step``/``adam_step`` pick: a parameter below ``MIN_PARALLEL`` elements is
updated in the calling thread (waking the threads costs as much as they save: 3.9 us either way
at 16k float32 elements; 15 vs 10 us at 64k, 100 vs 51 us at 401k), a larger one in parallel.
The loops use ``error_model="numpy"`` (a division by zero gives inf as in NumPy instead of a
per-element check, which also blocked vectorisation).

A group is one call per parameter. A single multi-tensor call would need ``numba.typed.List``s
of the arrays, and building one list of the mlp benchmark's six arrays costs 21 us against
4.9 us for the six calls' dispatch, so the per-parameter calls are faster.

Measured (AMD EPYC, 2 shared cores, min of 15 rounds of 20 steps in one process; one
``step()`` over ``benchmarks/bench_adam.py``'s parameters, 784-512-512-10 weights and biases,
670k numbers in 6 tensors, Python per-parameter work included)::

                          float32                      float64
                   NumPy  numba  PyTorch       NumPy  numba  PyTorch   (ms)
    Adam           0.562  0.116  0.454         1.500  0.265  1.365
    AdamW amsgrad  0.634  0.141  0.543         2.007  0.304  2.019
    SGD mom+wd     0.269  0.075  0.187         0.525  0.127  0.336
    SGD nesterov   0.339  0.077  0.188         0.489  0.134  0.372

Kept: 4-5x the NumPy path and 2.5-4x PyTorch 2.13's CPU step.
"""

from __future__ import annotations

import numpy as np

from . import njit, numba, prange

MIN_PARALLEL = 1 << 15  # elements below which one thread is faster than waking the others


# ------------------------------------------------------------------------------------- SGD
@njit(parallel=False, error_model="numpy")
def sgd_loop(p, grad, buf, first, maximize, weight_decay, momentum, dampening, nesterov, lr):
    """``d = ±g + wd p; b = g (first) | momentum b + (1 - dampening) d; d = d + momentum b
    (nesterov) | b; p = p - lr d`` on the flat arrays; ``buf`` is None without momentum.
    Scalars in p's dtype; ``dampening`` is ``1 - dampening`` (as the NumPy kernel multiplies)
    and ``lr`` is ``-lr``."""
    for i in range(p.shape[0]):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + p[i] * weight_decay
        if buf is not None:
            if first:
                b = d
            elif dampening == 1:  # dampening 0: the NumPy kernel adds d itself
                b = buf[i] * momentum + d
            else:
                b = buf[i] * momentum + d * dampening
            buf[i] = b
            d = d + b * momentum if nesterov else b
        p[i] = p[i] + d * lr


@njit(error_model="numpy")
def sgd_chunks(
    chunks, p, grad, buf, first, maximize, weight_decay, momentum, dampening, nesterov, lr
):
    """``sgd_loop`` over the whole arrays, one chunk per thread."""
    n = p.shape[0]
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        sgd_loop(
            p[lo:hi], grad[lo:hi], None if buf is None else buf[lo:hi], first, maximize,
            weight_decay, momentum, dampening, nesterov, lr,
        )  # fmt: skip


# ------------------------------------------------------------------------------------ Adam
@njit(parallel=False, error_model="numpy")
def adam_loop(
    p, grad, m, v, vmax, maximize, decay, l2, lerp_small, lerp_w, beta2,
    one_minus_beta2, eps, neg_step_size, bc2,
):  # fmt: skip
    """One Adam update of the flat arrays, as the NumPy kernel does it::

        g = ±grad;  p = decay p;  g = g + l2 p
        m = m + w (g - m)            if lerp_small (|1 - beta1| < 0.5; w = 1 - beta1)
          = g - w (g - m)            else (w = beta1: PyTorch's lerp, exact at the ends)
        v = beta2 v + ((1 - beta2) g) g;  vmax = max(vmax, v) (amsgrad: vmax is not None)
        p = p + (m / (sqrt(v) / bc2 + eps)) (-step_size)

    Scalars in p's dtype; ``decay`` 1 and ``l2`` 0 skip their lines as the NumPy kernel does.
    """
    for i in range(p.shape[0]):
        g = -grad[i] if maximize else grad[i]
        pi = p[i]
        if decay != 1:
            pi = pi * decay
        if l2 != 0:
            g = g + pi * l2
        mi = m[i]
        if lerp_small:
            mi = mi + (g - mi) * lerp_w
        else:
            mi = g - (g - mi) * lerp_w
        m[i] = mi
        vi = v[i] * beta2 + g * one_minus_beta2 * g
        v[i] = vi
        if vmax is not None:
            vm = vmax[i]
            if not (vm >= vi) and vm == vm:  # np.maximum: the larger, NaN if either is NaN
                vm = vi
            vmax[i] = vm
            vi = vm
        p[i] = pi + mi / (np.sqrt(vi) / bc2 + eps) * neg_step_size


@njit(error_model="numpy")
def adam_chunks(
    chunks, p, grad, m, v, vmax, maximize, decay, l2, lerp_small, lerp_w, beta2,
    one_minus_beta2, eps, neg_step_size, bc2,
):  # fmt: skip
    """``adam_loop`` over the whole arrays, one chunk per thread."""
    n = p.shape[0]
    for c in prange(chunks):
        lo, hi = c * n // chunks, (c + 1) * n // chunks
        adam_loop(
            p[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi], None if vmax is None else vmax[lo:hi],
            maximize, decay, l2, lerp_small, lerp_w, beta2, one_minus_beta2, eps, neg_step_size,
            bc2,
        )  # fmt: skip


# --------------------------------------------------------------------------------- dispatch
def fits(arrays: tuple) -> bool:
    """Whether the kernels can update these arrays in place: NumPy, C-contiguous, all of the
    parameter's dtype, float32 or float64 (float16 and the rest keep the NumPy kernel)."""
    dtype = arrays[0].dtype
    if dtype != np.float32 and dtype != np.float64:
        return False
    for a in arrays:
        if a is not None and not (
            type(a) is np.ndarray and a.dtype == dtype and a.flags.c_contiguous
        ):
            return False
    return True


def sgd_step(
    p, grad, buf, *, first, maximize, weight_decay, momentum, dampening, nesterov, lr
) -> None:
    """The SGD update of one parameter's arrays in place (``fits`` must hold)."""
    t = p.dtype.type
    flat = [None if a is None else a.reshape(-1) for a in (p, grad, buf)]
    args = (
        bool(first), bool(maximize), t(weight_decay), t(momentum), t(1 - dampening),
        bool(nesterov), t(-lr),
    )  # fmt: skip
    if p.size < MIN_PARALLEL:
        sgd_loop(*flat, *args)
    else:
        sgd_chunks(numba.get_num_threads(), *flat, *args)


def adam_step(
    p, grad, m, v, vmax, *, maximize, decay, l2, beta1, beta2, eps, step_size, bc2
) -> None:
    """The Adam update of one parameter's arrays in place (``fits`` must hold). ``decay`` is
    AdamW's ``1 - lr wd`` (1 for Adam), ``l2`` Adam's weight decay, ``step_size`` the
    bias-corrected ``lr / (1 - beta1^t)`` and ``bc2`` ``sqrt(1 - beta2^t)``."""
    t = p.dtype.type
    w = 1 - beta1  # the NumPy kernel's lerp(m, g, 1 - beta1), its two branches
    small = abs(w) < 0.5
    flat = [None if a is None else a.reshape(-1) for a in (p, grad, m, v, vmax)]
    args = (
        bool(maximize), t(decay), t(l2), small, t(w if small else 1 - w), t(beta2),
        t(1 - beta2), t(eps), t(-step_size), t(bc2),
    )  # fmt: skip
    if p.size < MIN_PARALLEL:
        adam_loop(*flat, *args)
    else:
        adam_chunks(numba.get_num_threads(), *flat, *args)
