"""``Adagrad``: per-coordinate learning rates from the sum of squared past gradients."""

from __future__ import annotations

from collections.abc import Iterable

from ..backend import xp_of
from ..tensor import Tensor
from ._foreach import run_kernel
from .optimizer import Optimizer, check_flags, check_hyper


class Adagrad(Optimizer):
    r"""PyTorch's ``torch.optim.Adagrad``. With ``g = ±grad + weight_decay * p`` at step ``t``::

        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                        (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    As in PyTorch the state (``step``, ``sum``) is made in the constructor for every parameter.
    ``foreach`` and ``fused`` are accepted and change nothing; ``differentiable=True`` raises
    (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_flags("Adagrad", foreach=foreach, fused=fused, differentiable=differentiable)
        check_hyper("learning rate", lr)
        check_hyper("lr_decay value", lr_decay)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("initial_accumulator_value value", initial_accumulator_value)
        check_hyper("epsilon value", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        # As in PyTorch, the constructor's initial_accumulator_value fills every group's sums,
        # even a group that gives its own (only a group added later uses its own value).
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p: Tensor, initial_value: float) -> dict:
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = self._new_step()
            accumulator = xp_of(p.array).full_like(p.array, initial_value)
            state["sum"] = Tensor._make(accumulator)
        return state

    def _update_group(self, group: dict) -> None:
        lr, lr_decay = group["lr"], group["lr_decay"]
        scalars = (group["maximize"], group["weight_decay"], group["eps"])
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            # a group added by add_param_group starts here
            state = self._init_state(p, group["initial_accumulator_value"])
            step = self._increment(state)
            clr = lr / (1 + (step - 1) * lr_decay)
            arrays = (data, grad, state["sum"].array, *self._buffers(p, 2))
            jobs.append((arrays, (*scalars, clr)))
        run_kernel(_adagrad_kernel, jobs)


def _adagrad_kernel(xp, p, grad, total, g_buf, tmp, maximize, weight_decay, eps, clr) -> None:
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if weight_decay != 0:
        g = xp.add(g, xp.multiply(p, weight_decay, out=tmp), out=g_buf)
    total += xp.multiply(g, g, out=tmp)
    std = xp.sqrt(total, out=tmp)
    std += eps
    p += xp.multiply(xp.divide(g, std, out=tmp), -clr, out=tmp)
