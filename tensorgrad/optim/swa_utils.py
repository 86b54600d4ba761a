"""``torch.optim.swa_utils``: a running average of a model's weights (SWA, or EMA).

``AveragedModel(model)`` keeps a copy of ``model`` whose parameters follow the average of the
trained model's over the ``update_parameters(model)`` calls:

    SWA (default)  a <- a + (p - a) / (n + 1)          the mean of the n + 1 models seen
    EMA            a <- a + (1 - decay) (p - a)       ``multi_avg_fn=get_ema_multi_avg_fn(decay)``

(the first call copies the model). Buffers such as BatchNorm's running statistics are copied
from the model unless ``use_buffers=True`` averages them too; ``update_bn(loader, model)``
recomputes them for the averaged weights with one pass over the data. ``SWALR`` anneals the
learning rate to the SWA value.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable

from ..grad_mode import no_grad
from ..jit import recorder
from ..lr_scheduler import SWALR
from ..nn.module import Module
from ..nn.normalization import BatchNormBase
from ..tensor import Tensor

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """Averages lists of tensors in place: ``a.lerp_(p, 1 - decay)`` (float tensors), else
    ``a = a decay + p (1 - decay)``."""

    @no_grad()
    def ema_update(averaged: list, current: list, num_averaged) -> None:
        for a, p in zip(averaged, current):
            if a.is_floating_point():
                a.lerp_(p, 1 - decay)
            else:
                a.copy_(a * decay + p * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """Averages lists of tensors in place: ``a.lerp_(p, 1 / (n + 1))`` (float tensors), else
    ``a += (p - a) / (n + 1)``."""

    @no_grad()
    def swa_update(averaged: list, current: list, num_averaged) -> None:
        n = float(num_averaged)
        for a, p in zip(averaged, current):
            if a.is_floating_point():
                a.lerp_(p, 1 / (n + 1))
            else:
                a.add_((p - a) / (n + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """``(a, p, n) -> decay a + (1 - decay) p``, one tensor at a time."""

    @no_grad()
    def ema_update(averaged: Tensor, current: Tensor, num_averaged) -> Tensor:
        return decay * averaged + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> Callable:
    """``(a, p, n) -> a + (p - a) / (n + 1)``, one tensor at a time."""

    @no_grad()
    def swa_update(averaged: Tensor, current: Tensor, num_averaged) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` (on ``device`` if given) whose parameters (and, with
    ``use_buffers``, buffers) average the model's over the :meth:`update_parameters` calls.

    ``avg_fn(a, p, n)`` returns one averaged tensor; ``multi_avg_fn(a_list, p_list, n)``
    updates lists in place; without either the SWA mean is used, one tensor at a time (as
    PyTorch's on the CPU). ``n_averaged`` (an int64 buffer) counts the updates. Calling the
    averaged model runs the copy.
    """

    def __init__(
        self,
        model: Module,
        device=None,
        avg_fn: Callable | None = None,
        multi_avg_fn: Callable | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        from ..creation import tensor

        self.register_buffer("n_averaged", tensor(0, dtype="int64", device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tracked(self, module: Module) -> list:
        if self.use_buffers:
            return list(itertools.chain(module.parameters(), module.buffers()))
        return list(module.parameters())

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        averaged = [a.detach() for a in self._tracked(self.module)]
        current = [p.detach().to(a.device) for a, p in zip(averaged, self._tracked(model))]
        # the first call copies: a value of the buffer our code branches on (tg.compile guards
        # it, so a compiled step with an EMA update replays from its second call on)
        if recorder.guard(_is_zero, self.n_averaged.array, label="AveragedModel's first update"):
            for a, p in zip(averaged, current):
                a.copy_(p)
        elif self.multi_avg_fn is not None:
            self.multi_avg_fn(averaged, current, self.n_averaged)
        else:
            avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
            for a, p in zip(averaged, current):
                a.copy_(avg_fn(a, p, self.n_averaged.to(a.device)))
        if not self.use_buffers:  # the buffers follow the model's (BatchNorm's statistics)
            for b, b_model in zip(self.module.buffers(), model.buffers()):
                b.detach().copy_(b_model.detach().to(b.device))
        self.n_averaged.add_(1)


def _is_zero(count) -> bool:
    return int(count) == 0


@no_grad()
def update_bn(loader, model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics of ``model`` with one pass over
    ``loader`` (the cumulative average over its batches, momentum ``None`` meanwhile), as after
    averaging weights the stored statistics no longer match them. A batch that is a list or
    tuple gives its first element to the model."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, BatchNormBase):  # SyncBatchNorm and the lazy ones too
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)
