"""``NAdam``: Adam with Nesterov momentum (Dozat 2016), with L2 or decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from ._foreach import lerp, run_kernel
from .optimizer import (
    Optimizer,
    check_betas,
    check_flags,
    check_hyper,
    scalar_dtype,
    weight_decay_terms,
)


class NAdam(Optimizer):
    r"""PyTorch's ``torch.optim.NAdam``, its single-tensor path operation for operation. With
    ``g = ±grad`` and step count ``t``::

        g = g + weight_decay * p                  (L2; decoupled: p = p * (1 - lr * wd))
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))      (the momentum schedule)
        P_t = mu_1 * ... * mu_t                                   (mu_product)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t mu_{t+1}) * m / d

    The two terms are Nesterov's look-ahead: this step's gradient and the next step's momentum.
    State: ``step`` and ``mu_product`` (0-d tensors on the CPU, float32 unless the default
    dtype is float64, as in PyTorch: the product is rounded to it every step), ``exp_avg``,
    ``exp_avg_sq``.
    ``foreach`` is accepted and changes nothing; ``capturable=True`` and
    ``differentiable=True`` raise (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("NAdam", foreach=foreach, capturable=capturable, differentiable=differentiable)
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        betas = check_betas(betas)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("momentum_decay value", momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        momentum_decay = group["momentum_decay"]
        decay, l2 = weight_decay_terms(group)
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["mu_product"] = Tensor._make(np.ones((), dtype=scalar_dtype()))
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
            step = self._increment(state)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product = state["mu_product"]
            mu_product.array *= mu_product.array.dtype.type(mu)  # as torch's in-place mul_
            mu_product._version_counter[0] += 1
            product = float(mu_product.array)
            grad_scale = -lr * (1.0 - mu) / (1.0 - product)
            avg_scale = (-lr * mu_next) / (1.0 - product * mu_next)
            arrays = (data, grad, state["exp_avg"].array, state["exp_avg_sq"].array)
            scalars = (group["maximize"], decay, l2, beta1, beta2, 1 - beta2**step, eps)
            jobs.append(((*arrays, *self._buffers(p, 3)), (*scalars, grad_scale, avg_scale)))
        run_kernel(_nadam_kernel, jobs)


def _nadam_kernel(
    xp, p, grad, m, v, g_buf, denom, tmp, maximize, decay, l2, beta1, beta2, bc2, eps,
    grad_scale, avg_scale,
) -> None:  # fmt: skip
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if decay != 1.0:
        p *= decay
    if l2 != 0:
        g = xp.add(g, xp.multiply(p, l2, out=tmp), out=g_buf)
    lerp(xp, m, g, 1 - beta1, tmp)
    v *= beta2
    v += xp.multiply(xp.multiply(g, 1 - beta2, out=tmp), g, out=tmp)
    xp.sqrt(xp.divide(v, bc2, out=denom), out=denom)
    denom += eps
    # addcdiv's order: (value * t1) / t2, added to p
    p += xp.divide(xp.multiply(g, grad_scale, out=tmp), denom, out=tmp)
    p += xp.divide(xp.multiply(m, avg_scale, out=tmp), denom, out=tmp)
