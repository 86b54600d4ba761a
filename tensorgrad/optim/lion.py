"""``Lion``: evolved sign momentum (Chen et al. 2023, "Symbolic Discovery of Optimization
Algorithms"). PyTorch has no Lion; this follows the paper's Algorithm 2."""

from __future__ import annotations

from collections.abc import Iterable

from ._foreach import run_kernel
from .optimizer import Optimizer, check_betas, check_hyper


class Lion(Optimizer):
    r"""Lion with decoupled weight decay. With ``g = ±grad``::

        c = beta1 * m + (1 - beta1) * g
        p = p * (1 - lr * weight_decay)
        p = p - lr * sign(c)
        m = beta2 * m + (1 - beta2) * g

    State: ``exp_avg`` (the momentum ``m``). The paper suggests an lr 3-10x smaller than
    AdamW's and a weight decay 3-10x larger, since the sign update has a larger norm.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        check_hyper("learning rate", lr)
        betas = check_betas(betas)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        scalars = (group["maximize"], 1 - lr * weight_decay, lr, beta1, beta2)
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["exp_avg"] = self._zeros_like(p)
            jobs.append(((data, grad, state["exp_avg"].array, *self._buffers(p, 3)), scalars))
        run_kernel(_lion_kernel, jobs)


def _lion_kernel(xp, p, grad, m, g_buf, c, tmp, maximize, decay, lr, beta1, beta2) -> None:
    g = xp.negative(grad, out=g_buf) if maximize else grad
    xp.multiply(m, beta1, out=c)
    c += xp.multiply(g, 1 - beta1, out=tmp)
    if decay != 1.0:
        p *= decay
    p -= xp.multiply(xp.sign(c, out=c), lr, out=c)
    m *= beta2
    m += xp.multiply(g, 1 - beta2, out=tmp)
