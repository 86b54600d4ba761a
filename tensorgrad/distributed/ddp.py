"""``DistributedDataParallel``: every rank holds the whole model and a different slice of the
batch; averaging the gradients makes every rank take the step of the whole batch.

Why averaging is exact: with N ranks of B samples each and a loss that is a mean over samples,

    L(2B samples) = (1/N) sum_r L_r(B samples of rank r)   so   dL/dw = (1/N) sum_r dL_r/dw

which is an all-reduce (sum) of the ranks' gradients divided by N. Starting from the same
weights (broadcast from rank 0 at construction) and taking the same averaged step, the ranks
stay identical without ever sending weights again.

How the gradients travel: parameters are packed, in reverse registration order (roughly the
order backward produces their gradients), into flat buckets of at most ``bucket_cap_mb``. When
backward has stored the last gradient of a bucket (a post-accumulate-grad hook), the bucket's
gradients are copied into one flat buffer and its all-reduce starts, one collective per bucket,
while backward goes on with the layers below. At the end of backward (a callback queued on the
engine) every bucket is waited for, divided by N and copied back into ``.grad``. Buckets start
strictly in bucket order, so every rank issues the same collectives in the same order even when
their graphs finish layers in different orders.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..autograd import engine
from ..backend import xp_of
from ..grad_mode import is_grad_enabled, no_grad
from ..nn.module import Module
from ..tensor import Tensor
from . import process_group as pg


class _Bucket:
    """Parameters whose gradients are reduced together as one flat array."""

    def __init__(self, params: list) -> None:
        self.params = params
        self.ready: set[int] = set()  # indices (into params) whose gradient is in
        self.work: pg.Work | None = None
        self.flat = None


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` over the ranks of the default process group
    (PyTorch's ``torch.nn.parallel.DistributedDataParallel``).

    At construction rank 0's parameters and buffers are broadcast to every rank. During
    ``backward`` the gradients are averaged over ranks in flat buckets (see the module
    docstring); inside ``with ddp.no_sync():`` they are only accumulated locally, and the first
    backward outside it averages the accumulated sum. With ``broadcast_buffers=True`` rank 0's
    buffers (BatchNorm running statistics) are broadcast before every forward that records a
    graph, as PyTorch does; BatchNorm still normalises with each rank's own batch statistics
    (use ``SyncBatchNorm`` for statistics over the global batch).

    Differences from PyTorch: ``device_ids``/``output_device`` are accepted and ignored (one
    process drives one device; move the module there first). A parameter that got no gradient
    on this rank in a backward pass counts as a zero gradient in the average (PyTorch needs
    ``find_unused_parameters=True`` for that; here it always works), and afterwards holds the
    average of the other ranks' gradients.
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        broadcast_buffers: bool = True,
        process_group=None,
        bucket_cap_mb: float = 25.0,
        find_unused_parameters: bool = False,
    ) -> None:
        super().__init__()
        group = pg._default_group()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a Module, got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be > 0, got {bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self._world_size = group.world_size
        params = []
        seen = set()
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        self._broadcast_coalesced(list(module.parameters()) + list(module.buffers()))
        self._buckets = _make_buckets(params, int(bucket_cap_mb * 2**20))
        self._next_bucket = 0  # the first bucket not yet started this pass
        self._pass_started = False
        if self._world_size > 1:
            for bucket in self._buckets:
                for i, p in enumerate(bucket.params):
                    p.register_post_accumulate_grad_hook(_GradReady(self, bucket, i))

    def forward(self, *args, **kwargs):
        if self._world_size > 1 and is_grad_enabled():
            if self._pass_started:  # the last backward failed before its end: start afresh
                self._reset()
            if self.broadcast_buffers:
                buffers = list(self.module.buffers())
                if buffers:
                    self._broadcast_coalesced(buffers)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside only accumulate ``.grad`` locally (gradient accumulation);
        the first backward after the block averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # -------------------------------------------------------------------------- the reducer

    def _grad_ready(self, bucket: _Bucket, index: int) -> None:
        if not self.require_backward_grad_sync:
            return
        if not self._pass_started:
            self._pass_started = True
            engine.queue_callback(self._finish_pass)
        bucket.ready.add(index)
        self._start_ready_buckets()

    def _start_ready_buckets(self) -> None:
        buckets = self._buckets
        while self._next_bucket < len(buckets):
            bucket = buckets[self._next_bucket]
            if len(bucket.ready) < len(bucket.params):
                return
            self._start(bucket)
            self._next_bucket += 1

    def _start(self, bucket: _Bucket) -> None:
        xp = xp_of(bucket.params[0].array)
        pieces = [
            (p.grad.array if p.grad is not None else xp.zeros(p.shape, p.array.dtype)).reshape(-1)
            for p in bucket.params
        ]
        bucket.flat = xp.concatenate(pieces) if len(pieces) > 1 else pieces[0].copy()
        bucket.work = pg._group.all_reduce(bucket.flat, pg.ReduceOp.SUM, "DDP gradient bucket")

    def _finish_pass(self) -> None:
        """End of backward: start the buckets still waiting (parameters this pass did not
        reach), then wait for all of them and write the averages into ``.grad``."""
        try:
            while self._next_bucket < len(self._buckets):
                self._start(self._buckets[self._next_bucket])
                self._next_bucket += 1
            for bucket in self._buckets:
                bucket.work.wait()
                bucket.flat /= self._world_size
                offset = 0
                for p in bucket.params:
                    n = p.array.size
                    avg = bucket.flat[offset : offset + n].reshape(p.shape)
                    offset += n
                    if p.grad is None:
                        p.grad = Tensor._make(avg.copy())
                    else:
                        p.grad.array[...] = avg
                        p.grad._version_counter[0] += 1
        finally:
            self._reset()

    def _reset(self) -> None:
        for bucket in self._buckets:
            bucket.ready.clear()
            bucket.work = bucket.flat = None
        self._next_bucket = 0
        self._pass_started = False

    def _broadcast_coalesced(self, tensors: list) -> None:
        """Rank 0's values into ``tensors`` on every rank: one broadcast per dtype and device,
        of all of them packed flat."""
        if self._world_size == 1 or not tensors:
            return
        groups: dict = {}
        for t in tensors:
            groups.setdefault((t.array.dtype, str(t.device)), []).append(t)
        group = pg._group
        with no_grad():
            for members in groups.values():
                xp = xp_of(members[0].array)
                flat = xp.concatenate([t.array.reshape(-1) for t in members])
                group.broadcast(flat, 0, "DDP broadcast from rank 0").wait()
                offset = 0
                for t in members:
                    n = t.array.size
                    t.array[...] = flat[offset : offset + n].reshape(t.array.shape)
                    t._version_counter[0] += 1
                    offset += n


class _GradReady:
    """The hook on one parameter: tells the reducer that its gradient is in. (A class, not a
    lambda, so the parameter's hook list shows what it is.)"""

    __slots__ = ("ddp", "bucket", "index")

    def __init__(self, ddp: DistributedDataParallel, bucket: _Bucket, index: int) -> None:
        self.ddp, self.bucket, self.index = ddp, bucket, index

    def __call__(self, param: Tensor) -> None:
        self.ddp._grad_ready(self.bucket, self.index)

    def __repr__(self) -> str:
        return f"<DDP gradient hook: bucket {self.ddp._buckets.index(self.bucket)}>"


def _make_buckets(params: list, cap_bytes: int) -> list[_Bucket]:
    """Parameters in reverse order, cut into buckets of at most ``cap_bytes`` (a larger
    parameter gets a bucket of its own); one dtype and device per bucket."""
    buckets: list[_Bucket] = []
    current: list = []
    size = 0
    key = None
    for p in reversed(params):
        p_key = (p.array.dtype, str(p.device))
        if current and (size + p.array.nbytes > cap_bytes or p_key != key):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(p)
        size += p.array.nbytes
        key = p_key
    if current:
        buckets.append(_Bucket(current))
    return buckets
