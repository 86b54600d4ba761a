"""``Adadelta``: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable

from ._foreach import run_kernel
from .optimizer import Optimizer, check_flags, check_hyper


class Adadelta(Optimizer):
    r"""PyTorch's ``torch.optim.Adadelta`` (Zeiler 2012), its single-tensor path operation for
    operation. With ``g = ±grad + weight_decay * p`` (minus when ``maximize``)::

        v = rho * v + (1 - rho) * g * g              (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g    (u: acc_delta, before this step's update)
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    The ratio of the two root mean squares gives the update the units of ``p``, so the default
    ``lr=1.0`` is a plain scale. State: ``step``, ``square_avg``, ``acc_delta``.
    ``foreach`` is accepted and changes nothing; ``capturable=True`` and
    ``differentiable=True`` raise (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags(
            "Adadelta", foreach=foreach, capturable=capturable, differentiable=differentiable
        )
        check_hyper("learning rate", lr)
        check_hyper("rho value", rho)
        if rho > 1.0:
            raise ValueError(f"Invalid rho value: {rho} (must be in [0.0, 1.0])")
        check_hyper("epsilon value", eps)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        scalars = (group["maximize"], group["weight_decay"], group["rho"], group["eps"])
        scalars += (group["lr"],)
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["square_avg"] = self._zeros_like(p)
                state["acc_delta"] = self._zeros_like(p)
            self._increment(state)
            arrays = (data, grad, state["square_avg"].array, state["acc_delta"].array)
            jobs.append(((*arrays, *self._buffers(p, 3)), scalars))
        run_kernel(_adadelta_kernel, jobs)


def _adadelta_kernel(
    xp, p, grad, v, u, g_buf, delta, tmp, maximize, weight_decay, rho, eps, lr
) -> None:
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if weight_decay != 0:
        g = xp.add(g, xp.multiply(p, weight_decay, out=tmp), out=g_buf)
    v *= rho
    v += xp.multiply(xp.multiply(g, 1 - rho, out=tmp), g, out=tmp)
    std = xp.sqrt(xp.add(v, eps, out=tmp), out=tmp)
    xp.sqrt(xp.add(u, eps, out=delta), out=delta)
    delta /= std
    delta *= g
    u *= rho
    u += xp.multiply(xp.multiply(delta, 1 - rho, out=tmp), delta, out=tmp)
    p += xp.multiply(delta, -lr, out=tmp)
