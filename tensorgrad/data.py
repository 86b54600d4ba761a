"""Datasets, samplers and the DataLoader, with PyTorch's names and semantics (``torch.utils.data``).

A ``DataLoader`` turns a dataset into batches:

* the *sampler* yields sample indices (``SequentialSampler``, or ``RandomSampler`` with
  ``shuffle=True``); ``BatchSampler`` groups them into lists of ``batch_size``;
* each index list is fetched (``dataset[i]`` for each ``i``) and merged by ``collate_fn``
  (``default_collate`` stacks tensors, arrays and numbers into one tensor per field);
* with ``device=`` the batch is moved there (one copy per field, so a CUDA batch arrives whole);
* with ``num_workers > 0`` the fetching runs in worker processes, batches still come in order.

Shuffling draws its permutation from tensorgrad's generator (``generator=`` or the default one)
when an epoch's iterator is made, so ``tg.manual_seed`` and a checkpointed RNG state reproduce it;
so do ``SubsetRandomSampler`` and ``WeightedRandomSampler`` (same distributions as PyTorch's, not
its numbers). ``DistributedSampler`` is ``tensorgrad.distributed``'s.
Where we differ from PyTorch: ``pin_memory`` (and ``pin_memory_device``) are accepted and do
nothing (no page-locked host memory here), ``persistent_workers`` keeps PyTorch's check but
starts the workers again each epoch, batches always come in order (``in_order`` is accepted);
``default_collate`` stacks tensors that require grad with ``tg.stack`` (the graph is kept) and all
others on raw arrays (no graph, faster).
"""

from __future__ import annotations

import bisect
import collections.abc
import itertools
import math
import multiprocessing
import queue
import random as _pyrandom
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import backend
from . import random as tg_random
from .tensor import Tensor, stack

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "ChainDataset",
    "StackDataset",
    "random_split",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DistributedSampler",  # noqa: F822 (tensorgrad.distributed's, through __getattr__)
    "DataLoader",
    "default_collate",
    "default_convert",
    "get_worker_info",
]

# --------------------------------------------------------------------------------------------
# datasets


class Dataset:
    """A map-style dataset: ``__getitem__(i)`` and ``__len__``. ``a + b`` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: ``__iter__``. With workers, each worker iterates its own copy, so
    shard it with ``get_worker_info()`` to avoid duplicates (as in PyTorch). ``a + b`` chains
    two streams (a ``ChainDataset``)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples ``(t[i] for t in tensors)``; all tensors must share the first dimension.

    The DataLoader fetches a whole batch from it with one fancy index per tensor (no per-sample
    Python loop) when ``collate_fn`` is the default.
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {i} is a {type(t).__name__}, not a Tensor"
                )
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; it needs a first dimension")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"Size mismatch between tensors: first dimensions {sizes} "
                f"(shapes {[tuple(t.shape) for t in tensors]})"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _fetch_batch(self, indices: np.ndarray):
        """The collated batch for ``indices`` in one go, or None where that would differ from
        ``default_collate([self[i] for i in indices])`` (subclass ``__getitem__``, grad)."""
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return None
        if any(t.requires_grad for t in self.tensors):
            return None
        out = []
        for t in self.tensors:
            xp = backend.xp_of(t.array)
            out.append(Tensor._make(t.array[xp.asarray(indices)]))
        return out  # a list, as default_collate makes from tuples


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def _fetch_batch(self, indices: np.ndarray):
        fetch = getattr(self.dataset, "_fetch_batch", None)
        if fetch is None or type(self).__getitem__ is not Subset.__getitem__:
            return None
        own = self.indices
        if isinstance(own, range):
            return fetch(own.start + own.step * (indices % len(own)))
        # The array of self.indices, made once per indices object (O(len) per batch otherwise):
        # assign a new ``subset.indices`` rather than editing the old one in place.
        cached = self.__dict__.get("_index_array")
        if cached is None or cached[0] is not own:
            cached = self._index_array = (own, np.asarray(own, dtype=np.int64))
        return fetch(cached[1][indices])


class ConcatDataset(Dataset):
    """Datasets one after another: index ``i`` goes to the dataset whose range holds it."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


class ChainDataset(IterableDataset):
    """The samples of several ``IterableDataset`` streams one after another, chained as they
    are read (nothing is loaded up front). ``len()`` is the sum of their lengths where they
    have one."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError(
                    f"ChainDataset only supports IterableDataset, got a {type(d).__name__}"
                )
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError(
                    f"ChainDataset only supports IterableDataset, got a {type(d).__name__}"
                )
            total += len(d)
        return total


class StackDataset(Dataset):
    """Several datasets of one length side by side: ``StackDataset(a, b)[i] == (a[i], b[i])``
    and ``StackDataset(image=a, text=b)[i] == {'image': a[i], 'text': b[i]}`` (one form or the
    other, not both)."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or ``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not (args or kwargs):
            raise ValueError("At least one dataset should be passed")
        datasets = list(args) if args else list(kwargs.values())
        self._length = len(datasets[0])
        if any(len(d) != self._length for d in datasets):
            raise ValueError(
                f"Size mismatch between datasets: lengths {[len(d) for d in datasets]}"
            )
        self.datasets: tuple | dict = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices`` (PyTorch's batched fetch), through each dataset's own
        ``__getitems__`` where it has one."""
        named = self.datasets if isinstance(self.datasets, dict) else dict(enumerate(self.datasets))
        columns = {}
        for k, d in named.items():
            getitems = getattr(d, "__getitems__", None)
            items = getitems(indices) if callable(getitems) else [d[i] for i in indices]
            if len(items) != len(indices):
                raise ValueError(
                    f"Nested dataset's output size mismatch. Expected {len(indices)}, got "
                    f"{len(items)}"
                )
            columns[k] = items
        if isinstance(self.datasets, dict):
            return [{k: columns[k][j] for k in named} for j in range(len(indices))]
        return [tuple(columns[k][j] for k in named) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length

    def _fetch_batch(self, indices: np.ndarray):
        """Each dataset's collated batch in one go where all of them can (TensorDatasets)."""
        named = self.datasets if isinstance(self.datasets, dict) else dict(enumerate(self.datasets))
        if type(self).__getitem__ is not StackDataset.__getitem__:
            return None
        batches = {}
        for k, d in named.items():
            fetch = getattr(d, "_fetch_batch", None)
            batch = None if fetch is None else fetch(indices)
            if batch is None:
                return None
            batches[k] = batch
        if isinstance(self.datasets, dict):
            return batches
        return list(batches.values())


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], generator: tg_random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` may be fractions summing to 1: each split gets ``floor(n * fraction)`` samples
    and the remainder is handed out one by one from the first split on (PyTorch's rule).
    The permutation comes from ``generator`` (default: tensorgrad's default generator).
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input "
            f"dataset ({n})!"
        )
    perm = tg_random.rng(generator).permutation(n).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, perm[end - length : end]) for end, length in zip(ends, lengths)]


# --------------------------------------------------------------------------------------------
# samplers


class Sampler:
    """Yields dataset indices (or, for a batch sampler, lists of them)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a permutation (``replacement=False``; ``num_samples`` beyond ``n`` chains
    fresh permutations) or ``num_samples`` independent draws (``replacement=True``).

    The draw happens when ``iter()`` is called (the start of an epoch), from ``generator``, or
    as PyTorch's without one: a seed drawn from the default generator seeds a new generator
    that draws the epoch, so a ``manual_seed`` gives PyTorch's order.
    """

    def __init__(
        self,
        data_source,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: tg_random.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if (
            not isinstance(self.num_samples, int)
            or isinstance(self.num_samples, bool)
            or (self.num_samples <= 0)
        ):
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        generator = self.generator
        if generator is None:
            seed = tg_random.default_generator.rng.random_int64()
            generator = tg_random.Generator().manual_seed(seed)
        rng = generator.rng
        if self.replacement:
            idx = rng.integers(0, n, size=k)
        else:  # PyTorch draws one more permutation after k // n whole ones, even if unused
            idx = np.concatenate([rng.permutation(n) for _ in range(k // n + 1)])[:k]
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The entries of ``indices`` in a random order (a new permutation every epoch, drawn when
    ``iter()`` is called, from ``generator`` or tensorgrad's default generator)."""

    def __init__(
        self, indices: Sequence[int], generator: tg_random.Generator | None = None
    ) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        perm = tg_random.rng(self.generator).permutation(len(self.indices)).tolist()
        return iter([self.indices[i] for i in perm])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)`` (the weights need not sum to 1).

    With ``replacement=False`` each index is drawn at most once: the next one is ``i`` with
    probability ``weights[i]`` over the sum of the weights not drawn yet, as
    ``torch.multinomial`` (and so PyTorch's sampler) does. The draws come from ``generator`` or
    tensorgrad's default generator, so they repeat under a seed, and are PyTorch's.
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: tg_random.Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        if isinstance(weights, Tensor):
            array = backend.to_numpy(weights.array).astype(np.float64)
        else:
            array = np.asarray(weights, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {array.shape}"
            )
        self.weights = Tensor._make(array)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        index = tg_random.multinomial(
            self.weights.array, self.num_samples, self.replacement, self.generator
        )
        return iter(index.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices; the last may be short (unless ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while batch := list(itertools.islice(it, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# --------------------------------------------------------------------------------------------
# collation


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _stack_arrays(arrays: list):
    xp = backend.xp_of(arrays[0]) if backend.is_array(arrays[0]) else np
    return Tensor._make(xp.stack(arrays))


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors and NumPy arrays are stacked on a new first dimension (dtype kept); Python floats
    become float64, ints int64, bools bool; NumPy scalars keep their dtype; strings come back
    as the sequence they were given in (a list at the top, a tuple for a field of tuple or list
    samples, as PyTorch's). Dicts, namedtuples and sequences recurse field by field (tuples and
    lists come back as lists).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(t.shape) for t in batch}
        if len(shapes) > 1:
            raise RuntimeError(
                "default_collate: stack expects each tensor to be equal size, got shapes "
                f"{sorted(shapes)}"
            )
        if any(t.requires_grad for t in batch):
            return stack(batch)
        return _stack_arrays([t.array for t in batch])
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found numpy array of dtype {elem.dtype}"
            )
        shapes = {a.shape for a in batch}
        if len(shapes) > 1:
            raise RuntimeError(
                "default_collate: stack expects each array to be equal size, got shapes "
                f"{sorted(shapes)}"
            )
        return _stack_arrays(list(batch))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "USO":
            return batch
        return Tensor._make(np.asarray(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(s) for s in batch}) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem)}"
    )


def default_convert(data: Any) -> Any:
    """For ``batch_size=None``: NumPy arrays and scalars become tensors, containers recurse."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return Tensor._make(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "USO":
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def _to_device(data: Any, device: backend.Device) -> Any:
    """Every tensor in a (nested) batch moved to ``device``, one array copy per tensor."""
    if isinstance(data, Tensor):
        if data.device == device:
            return data
        if data.requires_grad:
            return data.to(device)
        return Tensor._make(backend.to_device(data.array, device))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: _to_device(v, device) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(_to_device(d, device) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_to_device(d, device) for d in data)
    return data


# --------------------------------------------------------------------------------------------
# fetching (shared by the main process and the workers)


class _InfiniteConstantSampler(Sampler):
    """For an IterableDataset: an endless stream of ``None`` (the dataset picks its samples)."""

    def __iter__(self):
        while True:
            yield None


class _Fetcher:
    """Turns one item from the index sampler into a batch."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.iterable = isinstance(dataset, IterableDataset)
        self._iter = None
        self._fast = (
            getattr(dataset, "_fetch_batch", None) if collate_fn is default_collate else None
        )

    def fetch(self, index):
        """A batch; raises StopIteration when an IterableDataset is exhausted."""
        if self.iterable:
            if self._iter is None:
                self._iter = iter(self.dataset)
            if not self.auto_collation:
                return self.collate_fn(next(self._iter))
            data = list(itertools.islice(self._iter, len(index)))
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
            return self.collate_fn(data)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._fast is not None:
            batch = self._fast(np.asarray(index, dtype=np.int64))
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:  # a dataset that fetches a list of indices at once, as PyTorch calls it
            return self.collate_fn(getitems(index))
        return self.collate_fn([self.dataset[i] for i in index])


# --------------------------------------------------------------------------------------------
# workers


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's ``WorkerInfo`` (id, num_workers, seed, dataset); None in the main process."""
    return _worker_info


class _Exhausted:
    """A worker's answer when its IterableDataset copy has no more batches."""


@dataclass
class _WorkerError:
    worker_id: int
    exc_type: type
    text: str


def _worker_loop(fetcher, index_queue, result_queue, worker_id, num_workers, seed, init_fn):
    global _worker_info
    # As PyTorch's workers: tensorgrad's and Python's generators from base seed + worker id,
    # NumPy's global one from a SeedSequence of (worker id, the base seed's 32-bit halves)
    tg_random.manual_seed(seed)
    base = seed - worker_id
    np.random.seed(
        np.random.SeedSequence([worker_id, base & 0xFFFFFFFF, base >> 32]).generate_state(4)
    )
    _pyrandom.seed(seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, fetcher.dataset)
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as e:
        result_queue.put((None, _WorkerError(worker_id, type(e), traceback.format_exc())))
        return
    while True:
        try:
            task = index_queue.get()
        except (KeyboardInterrupt, EOFError):
            return
        if task is None:
            return
        task_id, index = task
        try:
            result = fetcher.fetch(index)
        except StopIteration:
            result = _Exhausted()
        except Exception as e:
            result = _WorkerError(worker_id, type(e), traceback.format_exc())
        result_queue.put((task_id, result))


def _mp_context(context=None):
    """The loader's ``multiprocessing_context`` (a start method's name or a context), else
    fork where there is one."""
    if context is not None:
        return multiprocessing.get_context(context) if isinstance(context, str) else context
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class _WorkerIterator:
    """Batches from ``num_workers`` processes, in sampler order.

    Task ``k`` goes to worker ``k % num_workers``; at most ``prefetch_factor * num_workers``
    tasks are in flight. While waiting, the workers are checked every 0.1 s, so a dead one
    raises at once.
    """

    _POLL_S = 0.1

    def __init__(self, loader: DataLoader, fetcher: _Fetcher, index_iter, base_seed: int) -> None:
        ctx = _mp_context(loader.multiprocessing_context)
        self.n = loader.num_workers
        self.timeout = loader.timeout
        self.index_iter = index_iter
        self.result_queue = ctx.Queue()
        self.index_queues = []
        self.workers = []
        for wid in range(self.n):
            q = ctx.Queue()
            w = ctx.Process(
                target=_worker_loop,
                args=(
                    fetcher,
                    q,
                    self.result_queue,
                    wid,
                    self.n,
                    base_seed + wid,
                    loader.worker_init_fn,
                ),
                daemon=True,
            )
            w.start()
            self.index_queues.append(q)
            self.workers.append(w)
        self.active = [True] * self.n
        self.next_task = 0  # the next task id to send
        self.next_out = 0  # the next task id to yield
        self.owner: dict[int, int] = {}  # task id -> worker id
        self.results: dict[int, Any] = {}
        self.sampler_done = False
        for _ in range(max(1, loader.prefetch_factor) * self.n):
            self._send()

    def _send(self) -> None:
        if self.sampler_done or not any(self.active):
            return
        wid = self.next_task % self.n
        while not self.active[wid]:  # skip workers whose iterable copy is exhausted
            self.next_task += 1
            wid = self.next_task % self.n
        try:
            index = next(self.index_iter)
        except StopIteration:
            self.sampler_done = True
            return
        self.owner[self.next_task] = wid
        self.index_queues[wid].put((self.next_task, index))
        self.next_task += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            while self.next_out not in self.owner:  # ids skipped for exhausted workers
                if self.next_out >= self.next_task:
                    self.shutdown()
                    raise StopIteration
                self.next_out += 1
            task = self.next_out
            result = self._wait_for(task)
            wid = self.owner.pop(task)
            self.next_out += 1
            if isinstance(result, _Exhausted):
                self.active[wid] = False
                continue
            self._send()
            return result

    def _wait_for(self, task: int):
        start = time.monotonic()
        while task not in self.results:
            try:
                task_id, result = self.result_queue.get(timeout=self._POLL_S)
            except queue.Empty:
                dead = [(i, w) for i, w in enumerate(self.workers) if not w.is_alive()]
                if dead:
                    i, w = dead[0]
                    self.shutdown(graceful=False)
                    raise RuntimeError(
                        f"DataLoader worker {i} (pid {w.pid}) exited unexpectedly with exit code "
                        f"{w.exitcode}"
                    ) from None
                if self.timeout > 0 and time.monotonic() - start > self.timeout:
                    self.shutdown(graceful=False)
                    raise RuntimeError(
                        f"DataLoader timed out after {self.timeout} seconds"
                    ) from None
                continue
            if isinstance(result, _WorkerError):
                self.shutdown(graceful=False)
                raise result.exc_type(
                    f"Caught {result.exc_type.__name__} in DataLoader worker process "
                    f"{result.worker_id}.\nOriginal {result.text}"
                )
            self.results[task_id] = result
        return self.results.pop(task)

    def shutdown(self, graceful: bool = True) -> None:
        """Stop the workers: ask them to exit (``graceful``), or terminate them after an error
        (a worker killed while writing can leave the result queue's lock held)."""
        if not self.workers:
            return
        for q, w in zip(self.index_queues, self.workers):
            if not graceful:
                w.terminate()
            elif w.is_alive():
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
        for w in self.workers:
            w.join(timeout=1.0)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
        for q in (*self.index_queues, self.result_queue):
            q.cancel_join_thread()
            q.close()
        self.workers = []

    def __del__(self) -> None:
        try:
            self.shutdown()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------
# the loader


class DataLoader:
    """Batches from ``dataset``, with PyTorch's arguments and checks.

    ``batch_size=None`` turns off batching (each sample goes through ``default_convert``).
    ``device`` (tensorgrad's addition) moves every batch there. ``timeout`` (seconds, 0 = wait
    forever) bounds the wait for a worker's batch. ``len(loader)`` is the number of batches
    (for an IterableDataset it comes from ``len(dataset)`` where defined).
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator: tg_random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        device=None,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None."
            )
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            if shuffle not in (False, None):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, "
                    f"but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        # batches in flight per worker (PyTorch's default 2)
        self.prefetch_factor = prefetch_factor if num_workers else None
        if num_workers and prefetch_factor is None:
            self.prefetch_factor = 2
        self.multiprocessing_context = multiprocessing_context
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device  # no effect
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self.generator = generator
        self.device = None if device is None else backend.Device(device)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError when the dataset has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self) -> Iterator:
        # As PyTorch: a base seed for the workers is drawn every epoch, workers or not, so the
        # shuffle order does not depend on num_workers.
        base_seed = tg_random.rng(self.generator).random_int64()
        index_iter = iter(self._index_sampler)  # draws the epoch's permutation now
        fetcher = _Fetcher(self.dataset, self._auto_collation, self.collate_fn, self.drop_last)
        if self.num_workers > 0:
            batches = _WorkerIterator(self, fetcher, index_iter, base_seed)
        else:
            batches = self._single_process(fetcher, index_iter)
        if self.device is None:
            return batches
        return (_to_device(b, self.device) for b in batches)

    @staticmethod
    def _single_process(fetcher: _Fetcher, index_iter) -> Iterator:
        for index in index_iter:
            try:
                batch = fetcher.fetch(index)
            except StopIteration:
                return
            yield batch


def __getattr__(name: str):
    # torch.utils.data.DistributedSampler: it lives in tensorgrad.distributed (imported here only
    # when asked for, since that package imports this one)
    if name == "DistributedSampler":
        from .distributed.sampler import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
