"""``SyncBatchNorm``: batch normalisation with the statistics of the global batch.

Plain ``BatchNorm`` under ``DistributedDataParallel`` normalises each rank's slice with that
slice's own mean and variance (and keeps rank 0's running statistics, broadcast before each
forward). ``SyncBatchNorm`` computes, per channel, over all M samples of all ranks,

    mean = all_reduce(sum x) / M,    var = all_reduce(sum (x - mean)^2) / M

so the result is that of ``BatchNorm`` on the concatenated batch. It is ``BatchNorm``'s own code
(``nn.normalization._batch_norm``) given a differentiable all-reduce to total its per-channel
sums: forward sums a tensor over the ranks and, since every rank's loss depends on that sum,
backward sums the incoming gradients the same way. The rest is ordinary tensor ops, so
autograd derives the backward (the global-batch formula).
"""

from __future__ import annotations

from ..autograd import Function
from ..nn.module import Module
from ..nn.normalization import BatchNormBase
from ..tensor import Tensor
from . import process_group as pg


class AllReduceSum(Function):
    """y = sum over ranks of x, on every rank.   d(sum_r L_r)/dx = sum over ranks of dL_r/dy."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        out = x.clone()
        pg.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return AllReduceSum.apply(grad)


class SyncBatchNorm(BatchNormBase):
    """``BatchNorm`` over the batch of every rank (PyTorch's ``nn.SyncBatchNorm``), for input
    (N, C, *). In eval mode, and in a job of one rank, it is plain batch norm. Every rank must
    run its forward (and backward) together: each holds collectives."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(
                f"SyncBatchNorm({self.num_features}): expected at least 2D input (got "
                f"{input.ndim}D input of shape {tuple(input.shape)})"
            )

    def _batch_total(self):
        if self.training and pg.get_world_size() > 1:
            return AllReduceSum.apply
        return None

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every ``BatchNorm*d`` replaced by a ``SyncBatchNorm`` holding the
        same parameters, buffers and mode (the module itself when it is one)."""
        if isinstance(module, BatchNormBase) and not isinstance(module, SyncBatchNorm):
            sync = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                bias=module.bias is not None,
            )
            for name, p in module.named_parameters(recurse=False):
                setattr(sync, name, p)
            for name, b in module.named_buffers(recurse=False):
                sync.register_buffer(name, b)
            sync.training = module.training
            return sync
        for name, child in module.named_children():
            converted = cls.convert_sync_batchnorm(child, process_group)
            if converted is not child:
                setattr(module, name, converted)
        return module
