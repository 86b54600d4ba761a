"""``Adam`` and ``AdamW``: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from .. import kernels
from ..kernels import cuda as cuda_kernels
from ..kernels import optim as optim_kernels
from ._foreach import lerp, run_kernel
from .optimizer import Optimizer, check_betas, check_flags, check_hyper, weight_decay_terms


class Adam(Optimizer):
    r"""PyTorch's ``torch.optim.Adam`` (its single-tensor path, operation for operation). With
    ``g = ±grad`` (minus when ``maximize``) and step count ``t``::

        g = g + weight_decay * p               (L2; AdamW instead scales p by 1 - lr * wd)
        m = lerp(m, g, 1 - beta1)              (= beta1 * m + (1 - beta1) * g)
        v = beta2 * v + (1 - beta2) * g * g
        vmax = max(vmax, v)                    (amsgrad only; the denominator then uses vmax)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State: ``step`` (a 0-d float32 tensor; float64 under a float64 default), ``exp_avg``,
    ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``. ``foreach`` and ``fused`` are
    accepted and change nothing; ``capturable=True`` and ``differentiable=True`` raise (see
    ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_flags(
            type(self).__name__,
            foreach=foreach,
            fused=fused,
            capturable=capturable,
            differentiable=differentiable,
        )
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        betas = check_betas(betas)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        amsgrad = group["amsgrad"]
        decay, l2 = weight_decay_terms(group)
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = self._zeros_like(p)
            step = self._increment(state)
            vmax = state["max_exp_avg_sq"].array if amsgrad else None
            arrays = (data, grad, state["exp_avg"].array, state["exp_avg_sq"].array, vmax)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            scalars = (group["maximize"], decay, l2, beta1, beta2, eps, lr / (1 - beta1**step))
            if kernels.ENABLED and optim_kernels.fits(arrays):
                # one fused pass (numba's threads); the NumPy kernel below is its reference
                optim_kernels.adam_step(
                    *arrays, maximize=scalars[0], decay=decay, l2=l2, beta1=beta1, beta2=beta2,
                    eps=eps, step_size=scalars[6], bc2=bias_correction2_sqrt,
                )  # fmt: skip
            elif vmax is None and cuda_kernels.takes(*arrays[:4]):  # one launch on the GPU
                cuda_kernels.adam_step(
                    *arrays[:4], maximize=scalars[0], decay=decay, l2=l2, beta1=beta1,
                    beta2=beta2, eps=eps, step_size=scalars[6], bc2=bias_correction2_sqrt,
                )  # fmt: skip
            else:
                jobs.append(((*arrays, *self._buffers(p, 2)), (*scalars, bias_correction2_sqrt)))
        if jobs:
            run_kernel(_adam_kernel, jobs)


def _adam_kernel(
    xp, p, grad, m, v, vmax, g_buf, tmp, maximize, decay, l2, beta1, beta2, eps, step_size, bc2
) -> None:
    """One Adam update of the arrays, in place; ``g_buf`` and ``tmp`` are scratch."""
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if decay != 1.0:
        p *= decay
    if l2 != 0:
        g = xp.add(g, xp.multiply(p, l2, out=tmp), out=g_buf)
    lerp(xp, m, g, 1 - beta1, tmp)
    v *= beta2
    v += xp.multiply(xp.multiply(g, 1 - beta2, out=tmp), g, out=tmp)
    if vmax is not None:
        v = xp.maximum(vmax, v, out=vmax)
    denom = xp.sqrt(v, out=tmp)
    denom /= bc2
    denom += eps
    p += xp.multiply(xp.divide(m, denom, out=tmp), -step_size, out=tmp)


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay (``p *= 1 - lr * weight_decay``
    before the update), default ``weight_decay=1e-2``."""

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
