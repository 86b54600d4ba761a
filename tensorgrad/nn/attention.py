"""Attention: ``scaled_dot_product_attention`` and ``MultiheadAttention``, PyTorch's semantics.

Attention of queries q (..., L, E) over keys k (..., S, E) and values v (..., S, Ev)::

    A = softmax(q kᵀ · scale + bias),  masked positions left out,   out = A v

with scale = 1/sqrt(E) by default. The masks follow PyTorch, whose two APIs disagree on what
``True`` means: in ``scaled_dot_product_attention`` a bool ``attn_mask`` is True where a position
*takes part*; in ``MultiheadAttention`` a bool ``attn_mask`` or ``key_padding_mask`` is True
where a position is *left out*. A float mask is added to the scores in both.

The softmax is the fused ``ops.fused.Softmax``: bool masks go in as a mask of the softmax
rather than as a ``-inf`` fill, which saves two full passes over the (..., L, S) scores.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend, creation
from ..jit import recorder
from ..ops.fused import Softmax
from ..tensor import Tensor, cat
from . import init
from .dropout import dropout
from .linear import Linear, linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under PyTorch's name for ``MultiheadAttention.out_proj`` (same repr)."""


# ----------------------------------------------------------------------------- functional


def _causal(L: int, S: int, device):
    """The causal mask (True where query i may see key j <= i) on ``device``."""
    return backend.to_device(np.tri(L, S, dtype=bool), device)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q kᵀ · scale + mask) v over the last two dimensions, batch dimensions broadcast.

    ``attn_mask`` is bool (True = take part) or float (added to the scores); ``is_causal``
    lets query i see keys j <= i (the lower triangle, top-left aligned when L != S). A query
    that sees no key gets 0, as PyTorch. ``dropout_p`` applies whenever it is > 0 (there is no
    training flag). ``enable_gqa`` repeats each key/value head over a group of query heads.
    """
    name = "scaled_dot_product_attention"
    for t, what in ((query, "query"), (key, "key"), (value, "value")):
        if t.ndim < 2:
            raise RuntimeError(f"{name}: {what} needs at least 2 dimensions, got shape {t.shape}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            f"{name}: expected query, key and value to have the same dtype, got "
            f"{query.dtype}, {key.dtype} and {value.dtype}"
        )
    if not query.is_floating_point():
        raise RuntimeError(f"{name}: expected floating query, key and value, got {query.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{name}: query {query.shape}, key {key.shape} and value {value.shape} do not fit: "
            "need query (..., L, E), key (..., S, E), value (..., S, Ev)"
        )
    if enable_gqa and query.ndim >= 3:
        key, value = (
            _repeat_kv_heads(key, query.shape[-3]),
            _repeat_kv_heads(value, query.shape[-3]),
        )
    L, S = query.shape[-2], key.shape[-2]
    keep = bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{name}: explicit attn_mask should not be set when is_causal=True")
        keep = recorder.call(_causal, L, S, query.device)
    elif attn_mask is not None:
        if attn_mask.dtype == backend.bool_:
            keep = attn_mask.array
        elif attn_mask.dtype == query.dtype:
            bias = attn_mask
        else:
            raise RuntimeError(
                f"{name}: expected attn_mask of dtype bool or the query's {query.dtype}, got "
                f"{attn_mask.dtype}"
            )
        batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2])
        try:
            full = np.broadcast_shapes((*batch, L, S), attn_mask.shape)
        except ValueError:
            full = None
        if full != (*batch, L, S):
            raise RuntimeError(
                f"{name}: attn_mask of shape {attn_mask.shape} does not broadcast to the "
                f"attention scores' shape {(*batch, L, S)}"
            )
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    attn = _attention_weights(query, key, scale, keep, bias, safe=True)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ value


def _repeat_kv_heads(t: Tensor, n_query_heads: int) -> Tensor:
    """(..., Hkv, S, E) -> (..., n_query_heads, S, E), each head repeated over its group."""
    hkv = t.shape[-3]
    if n_query_heads % hkv:
        raise RuntimeError(
            f"scaled_dot_product_attention: enable_gqa needs the {n_query_heads} query heads to "
            f"be a multiple of the {hkv} key/value heads"
        )
    g = n_query_heads // hkv
    if g == 1:
        return t
    shape = t.shape
    t = t.unsqueeze(-3).expand(*shape[:-2], g, *shape[-2:])
    return t.reshape(*shape[:-3], hkv * g, *shape[-2:])


def _attention_weights(q: Tensor, k: Tensor, scale: float, keep, bias, safe: bool) -> Tensor:
    """softmax(q kᵀ scale + bias) with the positions where ``keep`` is False left out."""
    # Scale the smaller operand: q is (..., L, E), the scores (..., L, S).
    if q.shape[-1] <= k.shape[-2]:
        scores = (q * scale) @ k.mT
    else:
        scores = (q @ k.mT) * scale
    if bias is not None:
        scores = scores + bias
    return Softmax.apply(scores, dim=-1, mask=keep, safe=safe)


# ----------------------------------------------------------------------------- MultiheadAttention


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size embed_dim // num_heads, PyTorch's layer.

    ``in_proj_weight`` (3E, E) stacks the query, key and value projections (or, when kdim or
    vdim differ from embed_dim, ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim),
    ``v_proj_weight`` (E, vdim)); ``in_proj_bias`` (3E); ``out_proj`` a Linear(E, E).
    Initialisation is PyTorch's: Xavier-uniform projections, zero biases, ``out_proj.weight``
    as a Linear's. Inputs are (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                "embed_dim and num_heads must be greater than 0, "
                f"got embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(
                f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                f"embed_dim={embed_dim} and num_heads={num_heads}"
            )

        def empty(*shape):
            return Parameter(creation.empty(*shape, dtype=dtype, device=device))

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = empty(embed_dim, embed_dim)
            self.k_proj_weight = empty(embed_dim, self.kdim)
            self.v_proj_weight = empty(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = empty(3 * embed_dim, embed_dim)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = empty(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, device=device, dtype=dtype
        )
        if add_bias_kv:
            self.bias_k = empty(1, 1, embed_dim)
            self.bias_v = empty(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Returns (attn_output, attn_weights): the output has the query's layout; the weights
        (after dropout) are (N, L, S) averaged over heads, or (N, num_heads, L, S), or None
        when ``need_weights`` is False.

        ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N*num_heads, L, S): bool
        (True = left out) or float (added). ``is_causal`` is only a hint that ``attn_mask`` is
        the causal mask, as in PyTorch: the mask is still required and is what is applied.
        With ``need_weights`` a query that sees no key gives nan (as ``torch.softmax``),
        without it 0 (as ``scaled_dot_product_attention``), which is PyTorch's behaviour.
        """
        self._check_shapes(query, key, value, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "MultiheadAttention: is_causal is a hint that attn_mask is the causal mask, "
                "and needs attn_mask. Transformer.generate_square_subsequent_mask makes one."
            )
        batched = query.ndim == 3
        # Work in (N, L, E): batch first, and an unbatched input is a batch of one.
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            same_kv = key is value
            same_qk = query is key
            query = query.transpose(0, 1)
            key = query if same_qk else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        out, weights = self._attend(
            query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights
        )
        if not batched:
            out = out.squeeze(0)
            weights = weights.squeeze(0) if weights is not None else None
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    # ------------------------------------------------------------------ internals

    def _name(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _check_shapes(self, query, key, value, key_padding_mask, attn_mask) -> None:
        name = self._name()
        if query.ndim not in (2, 3):
            raise AssertionError(
                f"{name}: query should be unbatched 2D or batched 3D, got shape {query.shape}"
            )
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise AssertionError(
                f"{name}: expected key and value with query's {query.ndim} dimensions, got "
                f"query {query.shape}, key {key.shape}, value {value.shape}"
            )
        for t, what, dim in (
            (query, "query", self.embed_dim),
            (key, "key", self.kdim),
            (value, "value", self.vdim),
        ):
            if t.shape[-1] != dim:
                raise AssertionError(
                    f"{name}: expected {what} with last dimension {dim}, got shape {t.shape}"
                )
        if query.ndim == 3:
            n_axis, s_axis = (0, 1) if self.batch_first else (1, 0)
            if not (query.shape[n_axis] == key.shape[n_axis] == value.shape[n_axis]):
                raise AssertionError(
                    f"{name}: query {query.shape}, key {key.shape} and value {value.shape} "
                    "have different batch sizes"
                )
        else:
            s_axis = 0
        if key.shape[s_axis] != value.shape[s_axis]:
            raise AssertionError(
                f"{name}: key {key.shape} and value {value.shape} have different lengths"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
            raise AssertionError(
                f"{name}: expected a {query.ndim - 1}-D key_padding_mask for a {query.ndim}-D "
                f"query, got shape {key_padding_mask.shape}"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                f"{name}: expected attn_mask to be 2-D or 3-D, got shape {attn_mask.shape}"
            )

    def _project(self, query: Tensor, key: Tensor, value: Tensor):
        """q, k, v = the input projections (self-attention: one matrix product for all three)."""
        E = self.embed_dim
        b = self.in_proj_bias
        if not self._qkv_same_embed_dim:
            bq, bk, bv = b.chunk(3) if b is not None else (None, None, None)
            return (
                linear(query, self.q_proj_weight, bq),
                linear(key, self.k_proj_weight, bk),
                linear(value, self.v_proj_weight, bv),
            )
        w = self.in_proj_weight
        if key is value:
            if query is key:
                return linear(query, w, b).chunk(3, dim=-1)
            wq, wkv = w.split([E, 2 * E])
            bq, bkv = b.split([E, 2 * E]) if b is not None else (None, None)
            return (linear(query, wq, bq), *linear(key, wkv, bkv).chunk(2, dim=-1))
        wq, wk, wv = w.chunk(3)
        bq, bk, bv = b.chunk(3) if b is not None else (None, None, None)
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def _masks(self, key_padding_mask, attn_mask, N: int, L: int, S: int, dtype):
        """The masks in the (N, H, L, S) layout of the scores: ``keep`` (a bool array, False
        where left out) and ``bias`` (a float tensor to add), either possibly None."""
        name = self._name()
        H = self.num_heads
        keep = bias = None
        for mask, what in ((attn_mask, "attn_mask"), (key_padding_mask, "key_padding_mask")):
            if mask is not None and mask.dtype != backend.bool_ and not mask.is_floating_point():
                raise AssertionError(
                    f"{name}: only bool and floating types of {what} are supported, got "
                    f"{mask.dtype}"
                )
        if (
            attn_mask is not None
            and key_padding_mask is not None
            and attn_mask.dtype != key_padding_mask.dtype
        ):
            warnings.warn(
                "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same "
                "type for both instead.",
                stacklevel=3,
            )
        if attn_mask is not None:
            if attn_mask.ndim == 2:
                if attn_mask.shape != (L, S):
                    raise RuntimeError(
                        f"{name}: the shape of the 2D attn_mask is {attn_mask.shape}, but should "
                        f"be {(L, S)}"
                    )
            elif attn_mask.shape != (N * H, L, S):
                raise RuntimeError(
                    f"{name}: the shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(N * H, L, S)}"
                )
            else:
                attn_mask = attn_mask.reshape(N, H, L, S)
            if attn_mask.dtype == backend.bool_:
                keep = recorder.call(_kept, attn_mask.array, None)
            else:
                bias = attn_mask
        if key_padding_mask is not None:
            if key_padding_mask.shape != (N, S):
                raise AssertionError(
                    f"{name}: expected key_padding_mask of shape {(N, S)}, got "
                    f"{key_padding_mask.shape}"
                )
            kpm = key_padding_mask.reshape(N, 1, 1, S)
            if kpm.dtype == backend.bool_:
                keep = recorder.call(_kept, kpm.array, keep)
            else:
                bias = kpm if bias is None else bias + kpm
        if bias is not None and bias.dtype != dtype:
            bias = bias.to(dtype)
        return keep, bias

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask, average):
        """Attention on batch-first (N, L, E) inputs; returns (N, L, E) and the weights."""
        N, L, E = query.shape
        H, D = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(N, 1, E)], 1)
            v = cat([v, self.bias_v.expand(N, 1, E)], 1)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        q = q.reshape(N, L, H, D).transpose(1, 2)  # (N, H, L, D)
        k = k.reshape(N, k.shape[1], H, D).transpose(1, 2)
        v = v.reshape(N, v.shape[1], H, D).transpose(1, 2)
        if self.add_zero_attn:
            k = cat([k, k.new_zeros(N, H, 1, D)], 2)
            v = cat([v, v.new_zeros(N, H, 1, D)], 2)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        S = k.shape[2]
        keep, bias = self._masks(key_padding_mask, attn_mask, N, L, S, q.dtype)
        # PyTorch's need_weights path is plain softmax (nan for a query that sees nothing),
        # the other is scaled_dot_product_attention's (0 there).
        attn = _attention_weights(q, k, 1.0 / math.sqrt(D), keep, bias, safe=not need_weights)
        if self.training and self.dropout > 0.0:
            attn = dropout(attn, self.dropout, training=True)
        out = (attn @ v).transpose(1, 2).reshape(N, L, E)
        out = self.out_proj(out)
        if not need_weights:
            return out, None
        return out, attn.mean(1) if average else attn


@recorder.pure
def _kept(mask, keep):
    """``keep & ~mask`` for bool arrays (``~mask`` when ``keep`` is None): an array call that
    tg.compile records."""
    return ~mask if keep is None else keep & ~mask


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """Append one column to a mask, as for an added key: False/0 (that key takes part)."""
    if mask is None:
        return None
    zero = mask.new_zeros(*mask.shape[:-1], 1)
    return cat([mask, zero], -1)
