"""``RAdam``: Adam with a rectified adaptive step (Liu et al. 2020), L2 or decoupled decay."""

from __future__ import annotations

from collections.abc import Iterable

from ._foreach import lerp, run_kernel
from .optimizer import Optimizer, check_betas, check_flags, check_hyper, weight_decay_terms


class RAdam(Optimizer):
    r"""PyTorch's ``torch.optim.RAdam``, its single-tensor path operation for operation. With
    ``g = ±grad`` and step count ``t``::

        g = g + weight_decay * p                  (L2; decoupled: p = p * (1 - lr * wd))
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        r = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
        p = p - lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r  (rho_t > 5)
        p = p - lr * m / (1 - beta1^t)                                             (otherwise)

    While the variance estimate has too few samples (``rho_t <= 5``, the first few steps) the
    step is plain bias-corrected momentum SGD. State: ``step``, ``exp_avg``, ``exp_avg_sq``.
    ``foreach`` is accepted and changes nothing; ``capturable=True`` and
    ``differentiable=True`` raise (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("RAdam", foreach=foreach, capturable=capturable, differentiable=differentiable)
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        betas = check_betas(betas)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        decay, l2 = weight_decay_terms(group)
        rho_inf = 2 / (1 - beta2) - 1
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
            step = self._increment(state)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            rect = None
            if rho_t > 5.0:
                rect = (
                    (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                ) ** 0.5
            arrays = (data, grad, state["exp_avg"].array, state["exp_avg_sq"].array)
            scalars = (group["maximize"], decay, l2, beta1, beta2, bias_correction1, lr)
            scalars += (bias_correction2**0.5, group["eps"], rect)
            jobs.append(((*arrays, *self._buffers(p, 3)), scalars))
        run_kernel(_radam_kernel, jobs)


def _radam_kernel(
    xp, p, grad, m, v, g_buf, step_buf, tmp, maximize, decay, l2, beta1, beta2, bc1, lr,
    bc2_sqrt, eps, rect,
) -> None:  # fmt: skip
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if decay != 1.0:
        p *= decay
    if l2 != 0:
        g = xp.add(g, xp.multiply(p, l2, out=tmp), out=g_buf)
    lerp(xp, m, g, 1 - beta1, tmp)
    v *= beta2
    v += xp.multiply(xp.multiply(g, 1 - beta2, out=tmp), g, out=tmp)
    update = xp.divide(m, bc1, out=step_buf)
    update *= lr
    if rect is not None:  # torch's order: ((m / bc1) * lr * (bc2_sqrt / (sqrt(v) + eps))) * r
        adaptive = xp.sqrt(v, out=tmp)
        adaptive += eps
        update *= xp.divide(bc2_sqrt, adaptive, out=tmp)
        update *= rect
    p -= update
