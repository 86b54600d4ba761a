"""``Adamax``: Adam with the infinity norm of past gradients in place of their root mean square."""

from __future__ import annotations

from collections.abc import Iterable

from ._foreach import lerp, run_kernel
from .optimizer import Optimizer, check_betas, check_flags, check_hyper


class Adamax(Optimizer):
    r"""PyTorch's ``torch.optim.Adamax`` (Kingma and Ba 2015, section 7.1), its single-tensor
    path operation for operation. With ``g = ±grad + weight_decay * p`` and step count ``t``::

        m = lerp(m, g, 1 - beta1)                (= beta1 * m + (1 - beta1) * g)
        u = max(beta2 * u, |g| + eps)            (exp_inf: a decaying infinity norm)
        p = p - lr / (1 - beta1^t) * m / u

    State: ``step``, ``exp_avg``, ``exp_inf``. ``foreach`` is accepted and changes nothing;
    ``capturable=True`` and ``differentiable=True`` raise (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_flags("Adamax", foreach=foreach, capturable=capturable, differentiable=differentiable)
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        betas = check_betas(betas)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        scalars = (group["maximize"], group["weight_decay"], beta1, beta2, group["eps"])
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["exp_avg"] = self._zeros_like(p)
                state["exp_inf"] = self._zeros_like(p)
            step = self._increment(state)
            clr = lr / (1 - beta1**step)
            arrays = (data, grad, state["exp_avg"].array, state["exp_inf"].array)
            jobs.append(((*arrays, *self._buffers(p, 2)), (*scalars, clr)))
        run_kernel(_adamax_kernel, jobs)


def _adamax_kernel(
    xp, p, grad, m, u, g_buf, tmp, maximize, weight_decay, beta1, beta2, eps, clr
) -> None:
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if weight_decay != 0:
        g = xp.add(g, xp.multiply(p, weight_decay, out=tmp), out=g_buf)
    lerp(xp, m, g, 1 - beta1, tmp)
    u *= beta2
    norm = xp.abs(g, out=tmp)
    norm += eps
    xp.maximum(u, norm, out=u)
    # addcdiv's order: (value * m) / u
    p += xp.divide(xp.multiply(m, -clr, out=tmp), u, out=tmp)
