"""Variable-length sequences, PyTorch's ``torch.nn.utils.rnn``: padding and packing.

A batch of B sequences of lengths L_0 >= L_1 >= ... is *packed* time step by time step: step t
holds the ``batch_sizes[t]`` sequences still running (``batch_sizes[t] = #{b : L_b > t}``), so
the rows of ``data`` are ``x_0[0], x_1[0], ..., x_0[1], x_1[1], ...`` and no padding is
stored. A batch in another order is sorted by decreasing length first; ``sorted_indices[k]`` is
the original index of the k-th sorted sequence and ``unsorted_indices`` its inverse.

Padding, packing and unpacking only move rows, so each is one gather (``flat[index]``) whose
gradient is a scatter-add of the upstream rows (tensorgrad/ops/indexing.py); padding is a
constant row appended to the gathered-from rows. Every function here is differentiable (to
any order) with respect to the sequences' values.

Under ``tg.compile`` the gathers' index arrays are recorded array calls made from Python ints
(lengths, batch sizes) and from the permutation arrays, so a replay makes them again; lengths
given as a tensor are a guard of the recording (another batch's lengths record again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ... import backend, creation
from ...jit import recorder
from ...tensor import Tensor, cat

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """A packed batch of variable-length sequences: ``(data, batch_sizes, sorted_indices,
    unsorted_indices)``, a named tuple as PyTorch's.

    ``data`` is (sum of lengths, *), ``batch_sizes`` (an int64 CPU tensor) the number of
    sequences at each time step. Make one with ``pack_padded_sequence`` or ``pack_sequence``,
    not by hand; ``unsorted_indices`` is derived from ``sorted_indices`` when not given.
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PyTorch also takes the (data, batch_sizes) pair its ops return
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn."
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(*args, **kwargs)``; the indices follow data's device, ``batch_sizes``
        stays on the CPU. Returns self when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        indices = [
            None if i is None else i.to(device=data.device)
            for i in (self.sorted_indices, self.unsorted_indices)
        ]
        return type(self)(data, self.batch_sizes, *indices)

    def cuda(self, device=None) -> PackedSequence:
        """The packed sequence with ``data`` (and the indices) on a GPU."""
        return self.to(device="cuda" if device is None else device)

    def cpu(self) -> PackedSequence:
        """The packed sequence with ``data`` (and the indices) on the CPU."""
        return self.to(device="cpu")

    def double(self) -> PackedSequence:
        """The packed sequence with float64 ``data``."""
        return self.to(dtype=self.data.double().dtype)

    def float(self) -> PackedSequence:
        """The packed sequence with float32 ``data``."""
        return self.to(dtype=self.data.float().dtype)

    def half(self) -> PackedSequence:
        """The packed sequence with float16 ``data``."""
        return self.to(dtype=self.data.half().dtype)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a GPU."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Always False: tensorgrad has no pinned host memory."""
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation, ``inv[permutation[i]] = i`` (None stays None)."""
    if permutation is None:
        return None
    return Tensor._make(recorder.call(_inverse, permutation.array))


def _inverse(p):
    inverse = backend.xp_of(p).empty_like(p)
    inverse[p] = backend.xp_of(p).arange(p.shape[0], dtype=p.dtype)
    return inverse


# ---------------------------------------------------------------------- helpers


def _host_ints(values, name: str) -> np.ndarray:
    """``lengths`` / ``batch_sizes`` as a 1-D int64 NumPy array (a tensor's values are a guard
    of a tg.compile recording)."""
    if isinstance(values, Tensor):
        array = np.asarray(values.array) if values.device.type == "cpu" else None
        if values.ndim == 1 and values.array.dtype.kind in "iu":
            array = np.array(recorder.guard(_int_list, values.array, label=f"the {name}"))
    else:
        array = np.asarray(values)
    if array is None or array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        shown = values.shape if array is None else array.shape
        dtype = values.array.dtype if array is None else array.dtype
        raise ValueError(
            f"'{name}' should be a 1-D sequence of integers, got shape {shown} dtype {dtype}"
        )
    return array.astype(np.int64)


def _int_list(array) -> list[int]:
    return [int(v) for v in backend.to_numpy(array)]


def _gather_rows(rows: Tensor, index, padding_value=None, pad: bool = False) -> Tensor:
    """``rows[index]`` over the first dim, where ``index == len(rows)`` reads a row of
    ``padding_value`` (appended when ``pad``: some index asks for it)."""
    if pad:
        pad_row = creation.full(
            (1, *rows.shape[1:]), padding_value, dtype=rows.dtype, device=rows.device
        )
        rows = cat([rows, pad_row], 0)
    return rows[index]


def _sorted_lengths(lengths: np.ndarray, enforce_sorted: bool) -> tuple:
    """Check ``lengths``; returns them in decreasing order and the sorting permutation (None
    when ``enforce_sorted``)."""
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        order = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            f"'lengths' that is <= 0 (lengths {lengths.tolist()})"
        )
    return lengths, order


def _batch_sizes(sorted_lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = #{b : L_b > t} for decreasing lengths."""
    steps = np.arange(sorted_lengths[0])
    return (sorted_lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


# ---------------------------------------------------------------------- padding


def pad_sequence(
    sequences: Tensor | Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes (L_i, *) into one (T, B, *) tensor (B, T, * with
    ``batch_first``), T = max L_i, filling with ``padding_value`` after each sequence
    (``padding_side='right'``) or before it (``'left'``)."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = sequences[0].shape[1:]
    for k, s in enumerate(sequences):
        if s.ndim < 1 or s.shape[1:] != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the shape (L, *{trailing}); "
                f"sequence {k} has shape {s.shape}"
            )
    lengths = tuple(s.shape[0] for s in sequences)
    index = recorder.static_call(_padding_rows, lengths, padding_side == "left", batch_first)
    return _gather_rows(cat(sequences, 0), index, padding_value, min(lengths) < max(lengths))


def _padding_rows(lengths: tuple, left: bool, batch_first: bool) -> np.ndarray:
    """pad_sequence's (T, B) gather index into the concatenated sequences (sum(lengths) for a
    padding position)."""
    lengths = np.array(lengths, dtype=np.int64)
    steps = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[:, None]  # (T, 1)
    first = steps - lengths if left else 0  # the step each sequence starts
    inside = (t >= first) & (t < first + lengths)
    index = np.where(inside, starts + t - first, lengths.sum())  # (T, B)
    return index.T if batch_first else index


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The sequences of a padded (T, B, *) (or (B, T, *)) tensor, cut to their ``lengths``:
    a list of B tensors (L_b, *)."""
    lengths = _host_ints(lengths, "lengths")
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[b, : int(n)] for b, n in enumerate(lengths)]


# ---------------------------------------------------------------------- packing


def pack_padded_sequence(
    input: Tensor,
    lengths,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded (T, B, *) (or (B, T, *)) batch of sequences of the given ``lengths``.

    With ``enforce_sorted`` the lengths must already decrease; otherwise the batch is sorted
    by decreasing length and the permutation kept in ``sorted_indices``. Raises when a length
    is not positive, is longer than T, or there are not B of them.
    """
    lengths = _host_ints(lengths, "lengths")
    batch_dim = 0 if batch_first else 1
    if input.ndim < 2 or input.numel() == 0:
        raise RuntimeError(f"Cannot pack empty tensors (input of shape {input.shape}).")
    batch, steps = input.shape[batch_dim], input.shape[1 - batch_dim]
    if lengths.shape[0] != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.shape[0]} "
            f"(batch_size={batch})"
        )
    lengths, order = _sorted_lengths(lengths, enforce_sorted)
    if lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length ({int(lengths[0])}) is longer than the input's "
            f"{steps} time steps (input of shape {input.shape}, batch_first={batch_first})"
        )
    order = None if order is None else tuple(order.tolist())
    flat, batch_sizes = recorder.static_call(
        _packing_rows, tuple(lengths.tolist()), order, steps, batch_first
    )
    data = input.reshape(-1, *input.shape[2:])[flat]
    sorted_indices = None
    if order is not None:
        sorted_indices = Tensor._make(recorder.static_call(_index_array, order, input.device))
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices, None)


def _packing_rows(lengths: tuple, order: tuple | None, steps: int, batch_first: bool) -> tuple:
    """(rows of the padded input in packed order, batch_sizes) for decreasing ``lengths`` of
    the sequences ``order`` (None: 0, 1, ...) of a batch padded to ``steps``."""
    batch = len(lengths)
    batch_sizes = _batch_sizes(np.array(lengths, dtype=np.int64))
    original = np.arange(batch) if order is None else np.array(order, dtype=np.int64)
    # row (t, k) of the packed data is input[t, original[k]], for k < batch_sizes[t]
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    k = np.concatenate([np.arange(n) for n in batch_sizes])
    b = original[k]
    return (b * steps + t if batch_first else t * batch + b), batch_sizes


def _index_array(values: tuple, device):
    return backend.to_device(np.array(values, dtype=np.int64), device)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpack a ``PackedSequence`` into a padded (T, B, *) (or (B, T, *)) tensor in the
    original batch order, T = ``total_length`` or the longest length; returns
    ``(padded, lengths)`` with ``lengths`` an int64 CPU tensor."""
    data, batch_sizes, _, unsorted_indices = sequence
    sizes = _host_ints(batch_sizes, "batch_sizes")
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    unsorted = None if unsorted_indices is None else unsorted_indices.array
    index, lengths = recorder.call(
        _unpacking_rows, tuple(sizes.tolist()), unsorted, steps, data.shape[0], batch_first
    )
    pad = steps > len(sizes) or sizes[-1] < sizes[0]  # a sequence ends before the last step
    return _gather_rows(data, index, padding_value, pad), Tensor._make(lengths)


def _unpacking_rows(sizes: tuple, unsorted, steps: int, n_rows: int, batch_first: bool) -> tuple:
    """(the (T, B) gather index of pad_packed_sequence into the packed rows, n_rows for a
    padding position; the sequences' lengths) in the original order ``unsorted`` (an array of
    the packed batch's columns, or None)."""
    sizes = np.array(sizes, dtype=np.int64)
    batch = int(sizes[0])
    sorted_lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)  # L_k = #{t : B_t > k}
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # the first row of each step
    t = np.arange(steps)[:, None]
    k = np.arange(batch)[None, :]
    inside = t < sorted_lengths[None, :]
    index = np.where(inside, offsets[np.minimum(t, len(sizes) - 1)] + k, n_rows)
    lengths = sorted_lengths
    if unsorted is not None:  # column b of the output is sorted column unsorted[b]
        unsorted = backend.to_numpy(unsorted)
        index, lengths = index[:, unsorted], lengths[unsorted]
    return (index.T if batch_first else index), lengths.astype(np.int64)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *): ``pack_padded_sequence(pad_sequence(
    sequences), lengths, enforce_sorted=enforce_sorted)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences (L_i, *) of a ``PackedSequence``, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
