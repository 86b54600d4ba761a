"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from .. import kernels
from ..kernels import cuda as cuda_kernels
from ..kernels import optim as optim_kernels
from ._foreach import run_kernel
from .optimizer import Optimizer, check_flags


class SGD(Optimizer):
    r"""PyTorch's ``torch.optim.SGD``. With ``g = ±grad + weight_decay * p`` (minus when
    ``maximize``)::

        b = g                                  (first step: the buffer starts as the gradient)
        b = momentum * b + (1 - dampening) * g (later steps)
        d = g + momentum * b  if nesterov else b     (d = g without momentum)
        p = p - lr * d

    ``state[p]['momentum_buffer']`` exists only when ``momentum != 0``. ``foreach`` and
    ``fused`` are accepted and change nothing; ``differentiable=True`` raises (see
    ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_flags("SGD", foreach=foreach, fused=fused, differentiable=differentiable)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        momentum = group["momentum"]
        scalars = (group["maximize"], group["weight_decay"], momentum, group["dampening"])
        scalars += (group["nesterov"], group["lr"])
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            buf, first = None, False
            if momentum != 0:
                state = self.state.setdefault(p, {})
                first = "momentum_buffer" not in state
                if first:
                    state["momentum_buffer"] = self._zeros_like(p)
                buf = state["momentum_buffer"].array
            if kernels.ENABLED and optim_kernels.fits((data, grad, buf)):
                # one fused pass (numba's threads); the NumPy kernel below is its reference
                optim_kernels.sgd_step(
                    data, grad, buf, first=first, maximize=scalars[0], weight_decay=scalars[1],
                    momentum=momentum, dampening=scalars[3], nesterov=scalars[4], lr=scalars[5],
                )  # fmt: skip
            elif cuda_kernels.takes(data, grad, *([] if buf is None else [buf])):
                cuda_kernels.sgd_step(
                    data, grad, buf, first=first, maximize=scalars[0], weight_decay=scalars[1],
                    momentum=momentum, dampening=scalars[3], nesterov=scalars[4], lr=scalars[5],
                )  # fmt: skip
            else:
                jobs.append(((data, grad, buf, *self._buffers(p, 2)), (first, *scalars)))
        if jobs:
            run_kernel(_sgd_kernel, jobs)


def _sgd_kernel(
    xp, p, grad, buf, d_buf, tmp, first, maximize, weight_decay, momentum, dampening, nesterov, lr
) -> None:
    d = xp.negative(grad, out=d_buf) if maximize else grad
    if weight_decay != 0:
        d = xp.add(d, xp.multiply(p, weight_decay, out=tmp), out=d_buf)
    if buf is not None:
        if first:  # PyTorch's rule: the buffer starts as the first gradient, undamped
            xp.copyto(buf, d)
        else:
            buf *= momentum
            buf += d if dampening == 0 else xp.multiply(d, 1 - dampening, out=tmp)
        d = xp.add(d, xp.multiply(buf, momentum, out=tmp), out=d_buf) if nesterov else buf
    p += xp.multiply(d, -lr, out=tmp)
