"""``Embedding``: a lookup table of ``num_embeddings`` vectors of size ``embedding_dim``;
``EmbeddingBag``: the sum, mean or max of the looked-up vectors of each bag of indices."""

from __future__ import annotations

import numpy as np

from .. import backend, creation
from ..grad_mode import no_grad
from ..jit import recorder
from ..ops import indexing
from ..ops.sorting import stable_argsort
from ..tensor import Tensor, cat
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding", "EmbeddingBag"]


def _padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"padding_idx must be within num_embeddings: got padding_idx={padding_idx} for "
            f"num_embeddings={num_embeddings}"
        )
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def _renorm_rows_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: in place and outside autograd, every row of ``weight``
    that ``input`` names and whose ``norm_type``-norm exceeds ``max_norm`` is scaled back,
    ``w_i <- w_i * max_norm / (||w_i|| + 1e-7)`` (the scale in float64, as PyTorch's). Written
    over the whole table (a row left alone is multiplied by exactly 1), so that its shapes do
    not depend on the indices' values and a tg.compile replay can run it again."""
    with no_grad():
        hit = creation.zeros(weight.shape[0], dtype=backend.bool_, device=weight.device)
        hit[input.reshape(-1)] = True
        norms = weight.norm(norm_type, dim=1).double()
        shrink = hit & (norms > max_norm)
        scale = (max_norm / (norms + 1e-7)).masked_fill(~shrink, 1.0)
        weight.mul_(scale.to(weight.dtype).unsqueeze(1))


def _check_indices(idx, num: int, name: str) -> None:
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= num:
            bad = low if low < 0 else high
            raise IndexError(
                f"{name}: index {bad} is out of range for num_embeddings={num} (valid indices "
                f"are 0 to {num - 1}; index tensor of shape {tuple(idx.shape)}): index out of "
                "range in self"
            )


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """``weight[input]``: one row of ``weight`` (num_embeddings, dim) per index; the row
    ``padding_idx`` gets no gradient. With ``max_norm``, the rows looked up are first scaled
    in place (no gradient) to a ``norm_type``-norm of at most ``max_norm``, as PyTorch does.
    With ``scale_grad_by_freq`` the gradient of row k is divided by the number of times k
    occurs in ``input``. ``sparse`` gradients are not supported (a clear error)."""
    return _lookup(
        "embedding", input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse
    )


def _lookup(name, input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse):
    if sparse:
        raise NotImplementedError(f"{name}: sparse gradients are not supported")
    if not isinstance(input, Tensor) or input.array.dtype.kind not in "iu":
        kind = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{name}: expected an integer index tensor (int64 or int32), got {kind}")
    if weight.ndim != 2:
        raise RuntimeError(
            f"{name}: expected a 2-D weight (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    if input.device != weight.device:
        raise RuntimeError(
            f"{name}: expected the indices and the weight on the same device, got "
            f"{input.device} and {weight.device}"
        )
    num = weight.shape[0]
    recorder.check(_check_indices, input.array, num, name)
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    return indexing.Embedding.apply(
        weight,
        input,
        padding_idx=_padding_idx(padding_idx, num),
        scale_grad_by_freq=bool(scale_grad_by_freq),
    )


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or max of the rows ``weight[input]`` in each bag, without the
    (bags, bag length, dim) tensor of a padded ``embedding`` (here it is built, then reduced).

    Bags: the rows of a 2-D ``input`` (B, L), or the slices ``input[offsets[b]:offsets[b+1]]``
    of a 1-D one (the last bag runs to the end, or to ``offsets[-1]`` with
    ``include_last_offset``). Indices equal to ``padding_idx`` are left out (of the mean's
    count too); an empty bag gives zeros. ``per_sample_weights`` (the input's shape, ``'sum'``
    only) scales each row. ``max`` sends the gradient to each bag's first maximum, per
    column. ``max_norm`` renormalises the rows used in place first, as :func:`embedding`.
    ``scale_grad_by_freq`` and ``sparse`` are not supported (a clear error)."""
    return _bag(
        "embedding_bag",
        input,
        weight,
        offsets,
        max_norm,
        scale_grad_by_freq,
        mode,
        sparse,
        per_sample_weights,
        include_last_offset,
        padding_idx,
        norm_type,
    )


def _bag(
    name,
    input,
    weight,
    offsets,
    max_norm,
    scale_grad_by_freq,
    mode,
    sparse,
    per_sample_weights,
    include_last_offset,
    padding_idx,
    norm_type=2.0,
):
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{name}: mode has to be one of sum, mean or max, got {mode!r}")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(
            f"{name}: scale_grad_by_freq and sparse gradients are not supported"
        )
    if not isinstance(input, Tensor) or input.array.dtype.kind not in "iu":
        kind = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{name}: expected an integer index tensor (int64 or int32), got {kind}")
    if weight.ndim != 2:
        raise ValueError(
            f"{name}: weight has to be a 2D Tensor (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    if per_sample_weights is not None:
        if per_sample_weights.shape != input.shape:
            raise ValueError(
                f"{name}: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                f"then it must have the same shape as the input ({tuple(input.shape)})"
            )
        if mode != "sum":
            raise NotImplementedError(
                f"{name}: per_sample_weights was not None. per_sample_weights is only supported "
                f"for mode='sum' (got mode='{mode}')"
            )
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"{name}: if input is 2D (shape {tuple(input.shape)}), then offsets has to be "
                "None, as input is treated as a mini-batch of fixed length sequences"
            )
        bags, length = input.shape
        offsets_array = recorder.call(_fixed_offsets, bags, length, input.device)
        include_last_offset = False
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError(f"{name}: offsets has to be a 1D Tensor but got None")
        if not isinstance(offsets, Tensor) or offsets.ndim != 1:
            shape = tuple(offsets.shape) if isinstance(offsets, Tensor) else type(offsets).__name__
            raise ValueError(f"{name}: offsets has to be a 1D Tensor, got {shape}")
        if offsets.array.dtype.kind not in "iu":
            raise RuntimeError(f"{name}: expected integer offsets, got {offsets.dtype}")
        offsets_array = offsets.array
    else:
        raise ValueError(
            f"{name}: input has to be 1D or 2D Tensor, but got input of shape {tuple(input.shape)}"
        )
    num, dim = weight.shape
    flat = input.reshape(-1)
    recorder.check(_check_indices, flat.array, num, name)
    recorder.check(_check_offsets, offsets_array, flat.shape[0], include_last_offset, name)
    pad = _padding_idx(padding_idx, num)
    if max_norm is not None:
        _renorm_rows_(weight, flat, max_norm, norm_type)
    # each position's bag (B for a position no bag keeps) and each bag's size: arrays of the
    # input's shapes whatever its values, so a tg.compile replay reuses them with new indices
    bag_of, divisor = recorder.call(
        _bag_ids, flat.array, offsets_array, include_last_offset, pad, weight.array.dtype
    )
    b = divisor.shape[0]
    rows = weight.index_select(0, flat)  # (n, dim)
    if mode == "max":
        # each bag's first maximum per column: a position of ``rows``, n (a zero row) if empty
        first = recorder.call(_bag_argmax, rows.detach().array, bag_of, b)
        return cat([rows, rows.new_zeros((1, dim))], 0).gather(0, Tensor._make(first))
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    index = Tensor._make(bag_of).reshape(-1, 1).expand(-1, dim)
    out = rows.new_zeros((b + 1, dim)).scatter_add(0, index, rows)[:b]  # row b: the dropped
    if mode == "mean":
        out = out / Tensor._make(divisor)
    return out


def _check_offsets(offsets, n: int, include_last_offset: bool, name: str) -> None:
    if include_last_offset and offsets.shape[0] == 0:
        raise ValueError(f"{name}: include_last_offset needs at least one offset, got none")
    if offsets.size:
        o = backend.to_numpy(offsets)
        if int(o[0]) != 0:
            raise RuntimeError(
                f"{name}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                f"to start from position 0. However, got {int(o[0])}"
            )
        if bool((o[1:] < o[:-1]).any()) or int(o[-1]) > n:
            raise RuntimeError(
                f"{name}: offsets must be non-decreasing and at most the number of indices "
                f"({n}), got {o.tolist()}"
            )


def _fixed_offsets(bags: int, length: int, device):
    """The offsets of ``bags`` bags of ``length`` indices each (2-D input), made through the
    recorder so that tg.compile's replay makes them again."""
    return backend.to_device(np.arange(bags, dtype=np.int64) * length, device)


@recorder.pure
def _bag_ids(flat, offsets, include_last_offset: bool, padding_idx, dtype) -> tuple:
    """(n,) the bag of each position of the flat input (B where no bag keeps it: a
    ``padding_idx`` entry, or one past the last offset) and (B, 1) each bag's size, at least 1
    (the mean's divisor, in ``dtype``)."""
    xp = backend.xp_of(flat)
    n = flat.shape[0]
    offsets = offsets.astype(np.int64)
    bags = offsets.shape[0] - 1 if include_last_offset else offsets.shape[0]
    end = int(offsets[-1]) if include_last_offset else n
    # offsets are non-decreasing: position i is in the last bag that starts at or before it
    bag_of = xp.searchsorted(offsets[: bags + 1] if bags else offsets[:0], xp.arange(n), "right")
    bag_of = bag_of.astype(np.int64) - 1
    dropped = xp.arange(n) >= end
    if padding_idx is not None:
        dropped |= flat == padding_idx
    bag_of = xp.where(dropped | (bag_of < 0), bags, bag_of)
    count = xp.bincount(bag_of, minlength=bags + 1)[:bags]
    return bag_of, xp.maximum(count, 1).astype(dtype)[:, None]


@recorder.pure
def _bag_argmax(rows, bag_of, bags: int):
    """(B, D): per bag and column, the position of the bag's first maximum in ``rows``
    (n, D), or n for an empty bag. Positions sorted by value (descending, stably) and then
    by bag (stably) list each bag's maximum first."""
    xp = backend.xp_of(rows)
    n, dim = rows.shape
    by_value = stable_argsort(rows, 0, descending=True)  # (n, D)
    by_bag = stable_argsort(bag_of[by_value], 0)
    order = xp.take_along_axis(by_value, by_bag, 0)  # grouped by bag, the maximum first
    starts = xp.searchsorted(xp.sort(bag_of), xp.arange(bags))  # where each bag's group begins
    first = order[xp.minimum(starts, max(n - 1, 0))] if n else xp.zeros((bags, dim), np.int64)
    empty = xp.bincount(bag_of, minlength=bags + 1)[:bags] == 0
    return xp.ascontiguousarray(xp.where(empty[:, None], n, first).astype(np.int64))


def _table(module, num_embeddings, embedding_dim, _weight, freeze, device, dtype) -> Parameter:
    """The (num_embeddings, embedding_dim) weight of an Embedding or EmbeddingBag: ``_weight``
    itself (shape checked) or a new table initialised by ``module.reset_parameters``."""
    if _weight is not None:
        if tuple(_weight.shape) != (num_embeddings, embedding_dim):
            raise ValueError(
                f"Shape of weight {tuple(_weight.shape)} does not match num_embeddings and "
                f"embedding_dim ({num_embeddings}, {embedding_dim})"
            )
        return Parameter(_weight, requires_grad=not freeze)
    weight = creation.empty(num_embeddings, embedding_dim, dtype=dtype, device=device)
    module.weight = Parameter(weight, requires_grad=not freeze)
    module.reset_parameters()
    return module.weight


def _reset_table(weight: Tensor, padding_idx: int | None) -> None:
    """N(0, 1), with the ``padding_idx`` row zero (PyTorch's init of both tables)."""
    init.normal_(weight)
    if padding_idx is not None:
        with no_grad():
            weight[padding_idx].fill_(0)


def _pretrained_shape(embeddings: Tensor) -> tuple:
    """``from_pretrained``'s table shape, which must be 2-d."""
    if embeddings.ndim != 2:
        raise ValueError(
            f"Embeddings parameter is expected to be 2-dimensional, got shape "
            f"{tuple(embeddings.shape)}"
        )
    return tuple(embeddings.shape)


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``; ``layer(indices)`` has
    shape ``indices.shape + (embedding_dim,)``.

    The weight starts as N(0, 1), with the ``padding_idx`` row zero; that row gets no
    gradient, so it stays what it is through training.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_idx(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = _table(self, num_embeddings, embedding_dim, _weight, _freeze, device, dtype)

    def reset_parameters(self) -> None:
        _reset_table(self.weight, self.padding_idx)

    def forward(self, input: Tensor) -> Tensor:
        return _lookup(
            f"Embedding({self.num_embeddings}, {self.embedding_dim})",
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (shared storage, as PyTorch); frozen
        (no gradient) unless ``freeze=False``."""
        rows, cols = _pretrained_shape(embeddings)
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )


class EmbeddingBag(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim`` whose forward reduces
    each bag of looked-up vectors (see ``embedding_bag``): (B, embedding_dim) for B bags.

    The weight starts as N(0, 1), with the ``padding_idx`` row zero, as PyTorch's.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _padding_idx(padding_idx, num_embeddings)
        self.weight = _table(self, num_embeddings, embedding_dim, _weight, False, device, dtype)
        self.mode, self.sparse = mode, sparse
        self.include_last_offset = include_last_offset

    def reset_parameters(self) -> None:
        _reset_table(self.weight, self.padding_idx)

    def forward(
        self,
        input: Tensor,
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        return _bag(
            f"EmbeddingBag({self.num_embeddings}, {self.embedding_dim})",
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
            self.norm_type,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings``; frozen unless ``freeze=False``."""
        rows, cols = _pretrained_shape(embeddings)
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            embeddings,
            include_last_offset,
            padding_idx,
        )
        bag.weight.requires_grad_(not freeze)
        return bag
