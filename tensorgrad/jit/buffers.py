"""Buffer planning: the arrays a replay writes into, allocated once and reused by every replay.

An eager step makes a new array for every op's result and frees it after its last use. A
replay knows the whole step in advance, so it can do what a compiler's register allocator
does: give each result a buffer for its lifetime (from the step that writes it to the last step
that reads it or any view of it) and hand the buffer to a later result once that lifetime is
over. The buffers are made once, when the replay is built, and every replay writes into the same
memory (``np.matmul(a, b, out=b3)``), so a replay allocates only what is left unplanned, and a
later replay on a device can capture fixed addresses (CUDA graphs need them).

What gets a buffer: the result of an op whose forward can write into ``out=`` (``INTO``: the
elementwise ufuncs and ``where``, matmul, Linear, concatenation, copying reshapes, embedding
lookups and their gradients, the GELU, ReLU, softmax and log-softmax kernels, tanh's, ReLU's
and NLL's gradients, im2col and a convolution's product; ``FORWARD_OUT``: LayerNorm, col2im,
pooling's gradients and max pooling, whose forwards take ``out`` themselves; ``CALL_INTO``:
LayerNorm's input gradient) and a fused kernel's output rows, when the recorded result was a
host array owning its memory, C-contiguous or filling it in another axis order (an image stored
channels first): its buffer is laid out as the recorded result was.
What never does, because it outlives the step or leaves the replay's sight: the inputs and
returned arrays, and every array sharing memory with one that a ``call`` or ``python`` step
reads (a ``.grad`` the engine sets, a running statistic, a value the optimizer reads through its
tensors), unless the call is one declared to keep nothing (``recorder.pure``: LayerNorm's
gradients, split's views). Parameters, gradients, optimizer state and returned tensors are
therefore never aliased.

Greedy assignment in step order (best fit among free buffers, a new one otherwise) is enough
here: a step's intermediates mostly die in the order they were made.
"""

from __future__ import annotations

import math

import numpy as np

from .. import kernels
from ..autograd.function import SCRATCH
from ..kernels import activation as kact
from ..kernels import softmax as ksoftmax
from ..kernels import where as kwhere
from ..ops import elementwise as ew
from ..ops.conv import AvgUnpool, BiasMatMul, Fold, MaxPool, Unfold, Unpool, unfold_into
from ..ops.fused import (
    Gelu,
    GeluBackward,
    LayerNorm,
    Linear,
    LogSoftmax,
    LogSoftmaxBackward,
    NllLossBackward,
    Softmax,
    SoftmaxBackward,
    layer_norm_grads,
    nll_grad_into,
)
from ..ops.indexing import Embedding, EmbeddingDenseBackward, embedding_grad_into
from ..ops.linalg import MatMul
from ..ops.movement import Cat, Reshape
from . import recorder
from .recorder import Recorder, Step


def _matmul_into(a, b, *, out):
    """``MatMul.forward`` into ``out``: one GEMM over all rows when b is a matrix."""
    if b.ndim == 2 and a.ndim > 2:
        rows = math.prod(a.shape[:-1])
        np.matmul(a.reshape(rows, a.shape[-1]), b, out=out.reshape(rows, b.shape[-1]))
        return out
    return np.matmul(a, b, out=out)


def _linear_into(x, w, b=None, *, out):
    """``Linear.forward`` into ``out``: x wᵀ over all rows, then + b in place."""
    rows = math.prod(x.shape[:-1])
    out2 = out.reshape(rows, w.shape[0])
    np.matmul(x.reshape(rows, x.shape[-1]), w.T, out=out2)
    if b is not None:
        ew.add_bias(out2, b)
    return out


# The kernel-backed ops: their kernel written into ``out`` where the op's forward would call it
# on these arrays (C-contiguous; softmax along the last dim), else the forward's result copied.


def _contiguous_kernel(*arrays) -> bool:
    return kernels.takes(*arrays) and all(a.flags.c_contiguous for a in arrays)


def _flat_into(kernel, op, arrays, out, **params):
    """``kernel(*flat_arrays, flat_out)`` over the arrays in their memory order, as ``op``'s
    forward calls it (``kernels.run_flat``), where they and ``out`` share one layout that
    fills its memory (C's, or a transposed one such as an image stored channels first), else
    that forward's result copied in."""
    flat = out.ravel("K")
    if not (kernels.takes(*arrays) and np.may_share_memory(flat, out)) or any(
        a.strides != out.strides for a in arrays
    ):
        out[...] = op.forward(SCRATCH, *arrays, **params)
        return out
    kernel(*[a.ravel("K") for a in arrays], flat)
    return out


def _gelu_into(x, approximate="none", *, out):
    kernel = kact.gelu_tanh if approximate == "tanh" else kact.gelu_erf
    return _flat_into(kernel, Gelu, (x,), out, approximate=approximate)


def _gelu_backward_into(g, x, approximate="none", *, out):
    kernel = kact.gelu_tanh_backward if approximate == "tanh" else kact.gelu_erf_backward
    return _flat_into(kernel, GeluBackward, (g, x), out, approximate=approximate)


def _relu_into(x, *, out):
    return _flat_into(kact.relu, ew.Relu, (x,), out)


def _relu_backward_into(g, y, *, out):
    return _flat_into(kact.relu_backward, ew.ReluBackward, (g, y), out)


def _bias_matmul_into(bias, a, b, *, out):
    """``BiasMatMul.forward`` into ``out``: the product, then the bias added in place."""
    np.matmul(a, b, out=out)
    out += bias
    return out


def _rows_into(kernel, op, arrays, dim, out, *args, kernel_ok=True, **params):
    """``kernel(*rows, out_rows, *args)`` over the rows of ``arrays`` where ``op``'s forward
    would call it (along the last dim, C-contiguous), else that forward's result copied in."""
    x = arrays[0]
    if not kernel_ok or dim % x.ndim != x.ndim - 1 or not _contiguous_kernel(*arrays):
        out[...] = op.forward(SCRATCH, *arrays, dim=dim, **params)
        return out
    n = x.shape[-1]
    kernel(*[a.reshape(-1, n) for a in arrays], out.reshape(-1, n), *args)
    return out


def _softmax_into(x, dim=-1, mask=None, safe=False, *, out):
    kernel, ok = ksoftmax.softmax_rows, mask is None
    return _rows_into(kernel, Softmax, (x,), dim, out, safe, kernel_ok=ok, mask=mask, safe=safe)


def _softmax_backward_into(g, y, dim=-1, *, out):
    return _rows_into(ksoftmax.softmax_backward_rows, SoftmaxBackward, (g, y), dim, out)


def _log_softmax_into(x, dim=-1, *, out):
    return _rows_into(ksoftmax.log_softmax_rows, LogSoftmax, (x,), dim, out)


def _log_softmax_backward_into(g, y, dim=-1, *, out):
    return _rows_into(ksoftmax.log_softmax_backward_rows, LogSoftmaxBackward, (g, y), dim, out)


def _where_into(cond, a, b, *, out):
    """``Where.forward`` into ``out``: the masked-fill kernel where the op would take it, else
    b copied in and a copied over it where cond holds (the same values, no temporary)."""
    if kernels.takes(a, b) and kwhere.where(cond, a, b, out=out) is not None:
        return out
    np.copyto(out, b)
    np.copyto(out, a, where=cond)
    return out


def _tanh_backward_into(g, y, *, out):
    """g (1 - y y), rounded as ``TanhBackward.forward``."""
    np.multiply(y, y, out=out)
    np.subtract(1, out, out=out)
    return np.multiply(g, out, out=out)


def _reshape_into(x, shape=(), *, out):
    """A reshape that copies (x's memory does not fit the shape): x's elements in C order."""
    out.reshape(x.shape)[...] = x
    return out


def _cat_into(*xs, dim=0, out):
    return np.concatenate(xs, axis=dim, out=out)


def _embedding_into(weight, index, padding_idx=None, scale_grad_by_freq=False, *, out):
    # (with scale_grad_by_freq the op leaves its factor on ctx: it runs itself, unbuffered)
    return weight.take(index, axis=0, out=out)


def _embedding_backward_into(g, index=None, num_weights=0, padding_idx=None, *, out):
    out[...] = 0
    return embedding_grad_into(out, g, index, padding_idx)


def _nll_loss_backward_into(g, target, weight=None, shape=(), dim=1, ignore_index=-100,
                            reduction="mean", name="", *, out):  # fmt: skip
    out[...] = 0
    return nll_grad_into(out, g, target, weight, dim, ignore_index, reduction)


# op -> a function computing the op's forward into ``out=`` (the same values, bit for bit:
# tests/jit/test_buffers.py checks each against the op)
INTO = {
    ew.Add: ew.add_into,
    ew.Sub: np.subtract,
    ew.Mul: np.multiply,
    ew.Div: np.divide,
    ew.Neg: np.negative,
    ew.Exp: np.exp,
    ew.Log: np.log,
    ew.Tanh: np.tanh,
    ew.Sqrt: np.sqrt,
    MatMul: _matmul_into,
    Linear: _linear_into,
    Gelu: _gelu_into,
    GeluBackward: _gelu_backward_into,
    Softmax: _softmax_into,
    SoftmaxBackward: _softmax_backward_into,
    LogSoftmax: _log_softmax_into,
    LogSoftmaxBackward: _log_softmax_backward_into,
    ew.Where: _where_into,
    ew.TanhBackward: _tanh_backward_into,
    ew.Relu: _relu_into,
    ew.ReluBackward: _relu_backward_into,
    BiasMatMul: _bias_matmul_into,
    Unfold: unfold_into,
    Cat: _cat_into,
    Reshape: _reshape_into,
    Embedding: _embedding_into,
    EmbeddingDenseBackward: _embedding_backward_into,
    NllLossBackward: _nll_loss_backward_into,
}

# functions run as ``call`` steps that write their result (the element at this index of the
# tuple they return) into ``out=``: the same values as without
CALL_INTO = {layer_norm_grads: 0}

# ops whose own forward takes ``out=`` (called with the replay's ctx): LayerNorm, which also
# leaves arrays on ctx for a later op, and the image ops, whose results are stored channels
# first (``ops/conv.py``) and which max pooling's offsets leave on ctx
FORWARD_OUT = {LayerNorm, Fold, Unpool, AvgUnpool, MaxPool}


# the ops whose results may come in another axis order than C's (they follow their inputs'
# layout, or store images channels first) and whose ``out=`` function writes any layout; the
# others reshape their ``out`` and get a buffer only for a C-contiguous result
ANY_LAYOUT = {
    ew.Add, ew.Sub, ew.Mul, ew.Div, ew.Neg, ew.Exp, ew.Log, ew.Tanh, ew.Sqrt,
    ew.TanhBackward, ew.Relu, ew.ReluBackward, Gelu, GeluBackward, *FORWARD_OUT - {LayerNorm},
}  # fmt: skip


class Plan:
    """Which steps write into which buffer: ``into[i]`` is the array step ``i`` writes its
    result into (a fused step: its whole output arena); ``buffers`` the memory behind them."""

    def __init__(self) -> None:
        self.into: dict[int, np.ndarray] = {}
        self.buffers: list[np.ndarray] = []

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.buffers)


def plan(rec: Recorder, steps: list[Step], keep: set) -> Plan:
    """Buffers for the results of ``steps`` (a recording's steps, fused or not); ``keep``:
    the slots that outlive the replay (its inputs and returned values)."""
    group = _groups(rec, steps)
    last: dict = {}  # group -> index of the last step reading any of its arrays
    escapes = {group[n] for n in keep if n in group}
    for i, step in enumerate(steps):
        read = {group[n] for n in step.reads()}
        if step.kind == "fused":  # earlier kernels' arenas, read by name
            read |= {group[name] for name, _ in step.args[0]}
        elif step.kind not in ("op", "check") and step.fn not in recorder.PURE_CALLS:
            escapes |= read  # code that may keep what it reads
        for g in read:
            last[g] = i
    result = Plan()
    sizes: list[int] = []
    free: list[int] = []  # buffer indices free to take
    ends: dict[int, list] = {}  # step index -> buffers free after it
    for i, step in enumerate(steps):
        want = _wants(rec, step, group)
        if want is not None and want[0] not in escapes:
            key, shape, dtype, order = want
            nbytes = math.prod(shape) * dtype.itemsize
            fits = [k for k in free if sizes[k] >= nbytes]
            if fits:
                k = min(fits, key=lambda k: sizes[k])
                free.remove(k)
            else:
                k = len(sizes)
                sizes.append(nbytes)
            result.into[i] = (k, shape, dtype, order)
            ends.setdefault(last.get(key, i), []).append(k)
        free += ends.pop(i, [])
    result.buffers = [np.empty(n, np.uint8) for n in sizes]
    for i, (k, shape, dtype, order) in result.into.items():
        nbytes = math.prod(shape) * dtype.itemsize
        memory = result.buffers[k][:nbytes].view(dtype)
        if order is None:
            result.into[i] = memory.reshape(shape)
        else:  # the recorded layout: the axes laid out in ``order``, viewed in shape's order
            stored = memory.reshape([shape[d] for d in order])
            result.into[i] = stored.transpose(np.argsort(order))
    return result


def _groups(rec: Recorder, steps: list[Step]) -> dict:
    """Slot (and fused arena name) -> the memory it lives in: the recorded array's owner, and
    for the rows of a fused kernel's arena, the arena."""
    arena_of = {}  # memory of a fused output -> its arena
    for step in steps:
        if step.kind == "fused":
            arena_of.update((rec.roots[n], step.side[3]) for n in step.out)
    group = {n: arena_of.get(root, root) for n, root in rec.roots.items()}
    group.update((arena, arena) for arena in arena_of.values())
    return group


def _wants(rec: Recorder, step: Step, group: dict):
    """(group, shape, dtype, order) of the buffer ``step`` can write its result into (order:
    None for C's, else the result's axes from outermost to innermost in memory), or None."""
    if step.kind == "fused":
        shape, dtype, _, arena = step.side
        return arena, (len(step.out), *shape), dtype, None
    if step.kind == "call" and step.fn in CALL_INTO and type(step.out) is tuple:
        out = step.out[CALL_INTO[step.fn]]
    elif step.kind == "op" and type(step.out) is int:
        if step.op not in (FORWARD_OUT if step.side else INTO.keys() | FORWARD_OUT):
            return None
        out = step.out
    else:
        return None
    if out is None:
        return None
    shape, dtype, contiguous, host = rec.meta[out]
    order = None
    if not contiguous and step.kind == "op" and step.op in ANY_LAYOUT:
        order = rec.orders.get(out)
    if shape == () or not ((contiguous or order) and host and rec.new_memory(out)):
        return None
    return group[out], shape, dtype, order
