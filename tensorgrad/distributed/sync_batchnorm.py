"""``SyncBatchNorm``: batch normalisation with the statistics of the global batch.

Plain ``BatchNorm`` under ``DistributedDataParallel`` normalises each rank's slice with that
slice's own mean and variance (and keeps rank 0's running statistics, broadcast before each
forward). ``SyncBatchNorm`` computes, per channel, over all M samples of all ranks,

    mean = all_reduce(sum x) / M,    var = all_reduce(sum (x - mean)^2) / M

so the result is that of ``BatchNorm`` on the concatenated batch. The only new primitive is a
differentiable all-reduce: its forward sums a tensor over the ranks and, since every rank's
loss depends on that sum, its backward sums the incoming gradients the same way. The rest of
the layer is ordinary tensor ops, so autograd derives the backward (the global-batch formula).
"""

from __future__ import annotations

from .. import creation
from ..autograd import Function
from ..grad_mode import no_grad
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..tensor import Tensor, cat
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


class SyncBatchNorm(_BatchNorm):
    """``BatchNorm`` over the batch of every rank (PyTorch's ``nn.SyncBatchNorm``), for input
    (N, C, *). In eval mode, and in a job of one rank, it is plain batch norm. Every rank must
    run its forward (and backward) together: each holds collectives."""

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        if input.ndim < 2:
            raise ValueError(
                f"SyncBatchNorm({self.num_features}): expected at least 2D input (got "
                f"{input.ndim}D input of shape {tuple(input.shape)})"
            )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not self.training or pg.get_world_size() == 1:
            return super().forward(input)
        self._check_input_dim(input)
        c = self.num_features
        if input.shape[1] != c:
            raise RuntimeError(
                f"SyncBatchNorm({c}): expected input with {c} channels (dimension 1), got "
                f"input of shape {tuple(input.shape)}"
            )
        dims = (0,) + tuple(range(2, input.ndim))
        channel = (c,) + (1,) * (input.ndim - 2)
        local_count = creation.tensor([input.numel() // c], dtype=input.dtype, device=input.device)
        totals = AllReduceSum.apply(cat([input.sum(dims), local_count]))
        count = int(totals[c].item())
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got {count} over all ranks"
            )
        mean = totals[:c] / count
        centered = input - mean.reshape(channel)
        var = AllReduceSum.apply((centered * centered).sum(dims)) / count
        if self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
                factor = self.momentum
                if factor is None:
                    factor = 1.0 / float(self.num_batches_tracked.item())
                self.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
                unbiased = var.detach() * (count / (count - 1))
                self.running_var.mul_(1 - factor).add_(unbiased * factor)
        out = centered * (var.reshape(channel) + self.eps).rsqrt()
        if self.weight is not None:
            out = out * self.weight.reshape(channel)
        if self.bias is not None:
            out = out + self.bias.reshape(channel)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every ``BatchNorm*d`` replaced by a ``SyncBatchNorm`` holding the
        same parameters, buffers and mode (the module itself when it is one)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
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
