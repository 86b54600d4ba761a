"""``ASGD``: averaged stochastic gradient descent (Polyak and Juditsky 1992)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from ._foreach import run_kernel
from .optimizer import Optimizer, check_flags, check_hyper, scalar_dtype


class ASGD(Optimizer):
    r"""PyTorch's ``torch.optim.ASGD``, its single-tensor path operation for operation. With
    ``g = ±grad + weight_decay * p`` at step ``t``, and ``eta`` and ``mu`` as left by step
    ``t - 1`` (``eta = lr`` and ``mu = 1`` at the start)::

        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)                  (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t)^alpha
        mu = 1 / max(1, t - t0)

    ``ax`` is the running average of the iterates since step ``t0``: the averaged solution, read
    from ``optimizer.state[p]['ax']``; the parameters themselves follow plain SGD with a decaying
    step. State: ``step``, ``eta``, ``mu`` (0-d tensors, float32 unless the default dtype is
    float64, so ``eta`` and ``mu`` are rounded to it as in PyTorch; kept on the CPU, where
    PyTorch puts them on the parameter's device, since reading them then needs no device sync)
    and ``ax``.

    Unlike PyTorch, a negative ``lambd``, ``alpha`` or ``t0`` is refused (it would give a
    growing step or a NaN). ``foreach`` is accepted and changes nothing; ``capturable=True`` and
    ``differentiable=True`` raise (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_flags("ASGD", foreach=foreach, capturable=capturable, differentiable=differentiable)
        check_hyper("learning rate", lr)
        check_hyper("lambd value", lambd)
        check_hyper("alpha value", alpha)
        check_hyper("t0 value", t0)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["eta"] = Tensor._make(np.array(lr, dtype=scalar_dtype()))
                state["mu"] = Tensor._make(np.ones((), dtype=scalar_dtype()))
                state["ax"] = self._zeros_like(p)
            step = self._increment(state)
            eta, mu = float(state["eta"].array), float(state["mu"].array)
            arrays = (data, grad, state["ax"].array, *self._buffers(p, 2))
            scalars = (group["maximize"], group["weight_decay"], 1 - lambd * eta, eta, mu)
            jobs.append((arrays, scalars))
            # the next step's eta and mu, rounded to their dtype as torch's as_tensor(...) does
            _set_scalar(state["eta"], lr / ((1 + lambd * lr * step) ** alpha))
            _set_scalar(state["mu"], 1 / max(1, step - t0))
        run_kernel(_asgd_kernel, jobs)


def _set_scalar(t: Tensor, value: float) -> None:
    t.array[...] = t.array.dtype.type(value)
    t._version_counter[0] += 1


def _asgd_kernel(xp, p, grad, ax, g_buf, tmp, maximize, weight_decay, decay, eta, mu) -> None:
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if weight_decay != 0:
        g = xp.add(g, xp.multiply(p, weight_decay, out=tmp), out=g_buf)
    p *= decay
    p += xp.multiply(g, -eta, out=tmp)
    if mu != 1:
        ax += xp.multiply(xp.subtract(p, ax, out=tmp), mu, out=tmp)
    else:
        xp.copyto(ax, p)
