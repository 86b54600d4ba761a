"""``DistributedSampler``: each rank reads its own share of the dataset, PyTorch's
``torch.utils.data.distributed.DistributedSampler``.

With n samples and N ranks every rank gets ``num_samples = ceil(n / N)`` indices (with
``drop_last``: ``ceil((n - N) / N)`` when N does not divide n). The epoch's order (a permutation
seeded with ``seed + epoch`` when shuffling, so every rank draws the same one) is padded by
repeating its head up to ``N * num_samples`` (or cut to it with ``drop_last``), and rank r takes
positions r, r + N, r + 2N, ... So every sample goes to exactly one rank per epoch, apart from
the padding, which repeats up to N - 1 samples.

The index lists are PyTorch's exactly, shuffled or not: with shuffling the permutation is
``randperm`` from a generator seeded with ``seed + epoch``, the same on every rank and in every
run for a given (seed, epoch), and the one PyTorch draws (``random_stream``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..creation import randperm
from ..data import Sampler
from ..random import Generator
from . import process_group as pg


class DistributedSampler(Sampler):
    """``num_replicas``/``rank`` default to the process group's world size and rank. Call
    ``set_epoch(epoch)`` before each epoch for a new order (``fit`` does it for you)."""

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None:
            num_replicas = pg.get_world_size()
        if rank is None:
            rank = pg.get_rank()
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order ``__iter__`` gives (same on every rank, new each epoch)."""
        self.epoch = epoch
