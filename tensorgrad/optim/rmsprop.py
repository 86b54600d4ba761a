"""``RMSprop``: divide the gradient by a running root mean square of its recent values."""

from __future__ import annotations

from collections.abc import Iterable

from ._foreach import lerp, run_kernel
from .optimizer import Optimizer, check_flags, check_hyper


class RMSprop(Optimizer):
    r"""PyTorch's ``torch.optim.RMSprop``. With ``g = ±grad + weight_decay * p``::

        s = alpha * s + (1 - alpha) * g * g
        a = lerp(a, g, 1 - alpha)                (centered only)
        d = sqrt(s - a * a) if centered else sqrt(s);  d = d + eps
        b = momentum * b + g / d;  p = p - lr * b  (momentum > 0)
        p = p - lr * g / d                         (otherwise)

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    ``foreach`` is accepted and changes nothing; ``capturable=True`` and
    ``differentiable=True`` raise (see ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags(
            "RMSprop", foreach=foreach, capturable=capturable, differentiable=differentiable
        )
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("momentum value", momentum)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("alpha value", alpha)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        momentum, centered = group["momentum"], group["centered"]
        scalars = (group["maximize"], group["weight_decay"], group["alpha"], group["eps"])
        scalars += (momentum, group["lr"])
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["square_avg"] = self._zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = self._zeros_like(p)
                if centered:
                    state["grad_avg"] = self._zeros_like(p)
            self._increment(state)
            buf = state["momentum_buffer"].array if momentum > 0 else None
            grad_avg = state["grad_avg"].array if centered else None
            arrays = (data, grad, state["square_avg"].array, grad_avg, buf, *self._buffers(p, 2))
            jobs.append((arrays, scalars))
        run_kernel(_rmsprop_kernel, jobs)


def _rmsprop_kernel(
    xp, p, grad, square_avg, grad_avg, buf, g_buf, tmp, maximize, weight_decay, alpha, eps,
    momentum, lr,
) -> None:  # fmt: skip
    g = xp.negative(grad, out=g_buf) if maximize else grad
    if weight_decay != 0:
        g = xp.add(g, xp.multiply(p, weight_decay, out=tmp), out=g_buf)
    square_avg *= alpha
    square_avg += xp.multiply(xp.multiply(g, 1 - alpha, out=tmp), g, out=tmp)
    if grad_avg is not None:
        lerp(xp, grad_avg, g, 1 - alpha, tmp)
        avg = xp.multiply(xp.multiply(grad_avg, -1, out=tmp), grad_avg, out=tmp)
        avg = xp.sqrt(xp.add(square_avg, avg, out=tmp), out=tmp)
    else:
        avg = xp.sqrt(square_avg, out=tmp)
    avg += eps
    ratio = xp.divide(g, avg, out=tmp)
    if buf is not None:
        buf *= momentum
        buf += ratio
        p += xp.multiply(buf, -lr, out=tmp)
    else:
        p += xp.multiply(ratio, -lr, out=tmp)
