"""Embedding lookup: rows of a weight matrix gathered by an integer index tensor.

``Embedding`` and ``EmbeddingDenseBackward`` are each other's gradient, as ``GetItem`` and
``IndexAdd`` are: the gradient of a lookup adds each output row's gradient into the row it came
from (repeated indices add up) and the gradient of that scatter is a lookup again. A
``padding_idx`` row gets no gradient.

The scatter sorts the indices and sums each run with ``np.add.reduceat``: on a (1024, 128)
float32 gradient into 65 rows that is 125 µs, against 815 µs for ``np.add.at`` on row indices.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..backend import xp_of
from ..tensor import Tensor


class Embedding(Op):
    """out[..., :] = weight[index[...], :]."""

    def forward(ctx, weight, index, padding_idx=None):
        ctx.index, ctx.padding_idx = index, padding_idx
        return weight.take(index, axis=0)

    def backward(ctx, g):
        gw = EmbeddingDenseBackward.apply(
            g, index=ctx.index, num_weights=ctx._input_shapes[0][0], padding_idx=ctx.padding_idx
        )
        return gw, None


class EmbeddingDenseBackward(Op):
    """zeros(num_weights, dim) with each row of ``g`` added at its index (padding row: 0)."""

    def forward(ctx, g, index=None, num_weights=0, padding_idx=None):
        ctx.index, ctx.padding_idx = index, padding_idx
        dim = g.shape[-1]
        g2, idx = g.reshape(-1, dim), index.reshape(-1)
        xp = xp_of(g)
        out = xp.zeros((num_weights, dim), dtype=g.dtype)
        if idx.size == 0:
            return out
        if xp is not np:
            backend.scatter_add(out, (idx,), g2)
        else:
            order = xp.argsort(idx, kind="stable")
            rows = idx[order]
            starts = xp.flatnonzero(xp.concatenate(([True], rows[1:] != rows[:-1])))
            out[rows[starts]] = xp.add.reduceat(g2[order], starts, axis=0)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    def backward(ctx, gg):  # the scatter is linear in g: its gradient is the lookup
        out = Embedding.apply(gg, ctx.index)
        if ctx.padding_idx is not None:
            out = out.masked_fill(Tensor._make((ctx.index == ctx.padding_idx)[..., None]), 0.0)
        return out
