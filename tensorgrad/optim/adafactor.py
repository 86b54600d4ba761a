"""``Adafactor``: Adam-like steps with a factored second moment (Shazeer and Stern 2018)."""

from __future__ import annotations

from collections.abc import Iterable

from ..backend import np_finfo, xp_of
from ..tensor import Tensor
from ._foreach import lerp
from .optimizer import Optimizer, check_flags


class Adafactor(Optimizer):
    r"""PyTorch's ``torch.optim.Adafactor`` (PyTorch 2.5+), its single-tensor path operation for
    operation. With ``g = ±grad`` (minus when ``maximize``), step count ``t`` and ``eps1``
    defaulting to the machine epsilon of the parameters' dtype::

        beta2_t = 1 - t^beta2_decay              (so 1 - beta2_t = t^beta2_decay)
        rho = min(lr, 1 / sqrt(t));  alpha = max(eps2, rms(p)) * rho     (rms of p before decay)
        p = p * (1 - lr * weight_decay)
        for p with >= 2 dims (factored over the last two, the rest are batch dims):
            R = lerp(R, mean(g^2, dim=-1), 1 - beta2_t)       (row_var, shape [..., n, 1])
            C = lerp(C, mean(g^2, dim=-2), 1 - beta2_t)       (col_var, shape [..., 1, m])
            v = R @ C / max(mean(R, dim=-2), eps1)            (the rank-1 estimate of E[g^2])
        otherwise:
            v = lerp(v, g^2, 1 - beta2_t)                     (variance, like p)
        u = g / sqrt(max(v, eps1^2))
        p = p - alpha / max(1, rms(u) / d) * u

    The factored moments take ``n + m`` numbers for an ``n x m`` matrix instead of ``n m``; the
    step is relative to the parameter's scale (``alpha``) and its rms is clipped to ``d``.
    State: ``step``, then ``row_var`` and ``col_var`` (>= 2 dims) or ``variance``. Unlike the
    paper there is no first moment. ``foreach`` is accepted and changes nothing.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        check_flags("Adafactor", foreach=foreach)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if len(eps) != 2:
            raise ValueError(f"eps must be a pair (eps1 or None, eps2), got {eps!r}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(
            lr=lr,
            beta2_decay=beta2_decay,
            eps=eps,
            d=d,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _state_shape(self, key: str, p: Tensor) -> tuple:
        if key == "row_var":
            return (*p.shape[:-1], 1)
        if key == "col_var":
            return (*p.shape[:-2], 1, p.shape[-1])
        return p.shape

    def _update_group(self, group: dict) -> None:
        lr, d, weight_decay = group["lr"], group["d"], group["weight_decay"]
        beta2_decay = group["beta2_decay"]
        eps1, eps2 = group["eps"]
        for p, data, grad in self._params_with_grad(group):
            xp = xp_of(data)
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                if data.ndim > 1:
                    state["row_var"] = Tensor._make(xp.zeros((*data.shape[:-1], 1), data.dtype))
                    state["col_var"] = Tensor._make(
                        xp.zeros((*data.shape[:-2], 1, data.shape[-1]), data.dtype)
                    )
                else:
                    state["variance"] = self._zeros_like(p)
            if eps1 is None:  # as PyTorch: the first parameter's dtype sets it for the group
                eps1 = float(np_finfo(data.dtype).eps)
            step = self._increment(state)
            # rho, alpha and the update's rms are host numbers, as PyTorch's .item() reads
            one_minus_beta2_t = step**beta2_decay
            rho = min(lr, 1 / (step**0.5))
            alpha = max(eps2, float(_norm(xp, data)) / (data.size**0.5)) * rho
            if weight_decay != 0:
                data *= 1 - lr * weight_decay
            g = -grad if group["maximize"] else grad
            if data.ndim > 1:
                row_var, col_var = state["row_var"].array, state["col_var"].array
                g2 = g * g
                # PyTorch's order: ||g||_2 along the axis, squared, over the axis length
                row_mean = xp.sqrt(g2.sum(axis=-1, keepdims=True))
                row_mean = xp.square(row_mean, out=row_mean)
                row_mean /= g.shape[-1]
                lerp(xp, row_var, row_mean, one_minus_beta2_t, xp.empty_like(row_var))
                col_mean = xp.sqrt(g2.sum(axis=-2, keepdims=True))
                col_mean = xp.square(col_mean, out=col_mean)
                col_mean /= g.shape[-2]
                lerp(xp, col_var, col_mean, one_minus_beta2_t, xp.empty_like(col_var))
                var_estimate = xp.matmul(row_var, col_var)
                var_estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
            else:
                variance = state["variance"].array
                lerp(xp, variance, g * g, one_minus_beta2_t, xp.empty_like(variance))
                var_estimate = variance.copy()
            # eps1 squared, since the square root follows
            update = xp.maximum(var_estimate, eps1 * eps1, out=var_estimate)
            update = xp.sqrt(update, out=update)
            xp.divide(1, update, out=update)
            update *= g
            denom = max(1.0, float(_norm(xp, update)) / ((update.size**0.5) * d))
            data += update * (-alpha / denom)


def _norm(xp, a):
    """The 2-norm of all of ``a``'s elements (a 0-d array)."""
    flat = a.reshape(-1)
    return xp.sqrt(xp.dot(flat, flat))
