"""``Rprop``: resilient backpropagation, per-coordinate step sizes driven by gradient signs only."""

from __future__ import annotations

from collections.abc import Iterable

from ..backend import xp_of
from ..tensor import Tensor
from ._foreach import run_kernel
from .optimizer import Optimizer, check_flags, check_hyper


class Rprop(Optimizer):
    r"""PyTorch's ``torch.optim.Rprop`` (Riedmiller and Braun 1993, the variant without weight
    backtracking), its single-tensor path operation for operation. With ``g = ±grad`` (minus
    when ``maximize``), ``g'`` the previous step's (masked) gradient and ``etas = (eta-,
    eta+)``::

        f = eta+ where g * g' > 0,  eta- where g * g' < 0,  1 where g * g' == 0
        s = clamp(s * f, step_sizes[0], step_sizes[1])       (s starts at lr)
        g = 0 where g * g' < 0                               (a sign change: no step this time)
        p = p - sign(g) * s
        g' = g

    Only the gradient's sign is used: each coordinate's step grows by ``eta+`` while its
    gradient keeps its sign and shrinks by ``eta-`` when it flips. ``lr`` only sets the initial
    step sizes (a later change of ``group['lr']``, by a scheduler say, does nothing, as in
    PyTorch). State: ``step``, ``prev``, ``step_size``. ``foreach`` is accepted and changes
    nothing; ``capturable=True`` and ``differentiable=True`` raise (see
    ``optimizer.check_flags``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_flags("Rprop", foreach=foreach, capturable=capturable, differentiable=differentiable)
        check_hyper("learning rate", lr)
        if len(etas) != 2 or not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(
                f"Invalid eta values: {', '.join(map(str, etas))} (need 0 < etaminus < 1 < etaplus)"
            )
        if len(step_sizes) != 2 or not 0.0 <= step_sizes[0] <= step_sizes[1]:
            raise ValueError(
                f"Invalid step_sizes: {step_sizes!r} (need 0 <= step_size_min <= step_size_max)"
            )
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        scalars = (group["maximize"], etaminus, etaplus, step_size_min, step_size_max)
        jobs = []
        for p, data, grad in self._params_with_grad(group):
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step()
                state["prev"] = self._zeros_like(p)
                state["step_size"] = Tensor._make(xp_of(data).full_like(data, group["lr"]))
            self._increment(state)
            arrays = (data, grad, state["prev"].array, state["step_size"].array)
            jobs.append(((*arrays, *self._buffers(p, 2)), scalars))
        run_kernel(_rprop_kernel, jobs)


def _rprop_kernel(
    xp, p, grad, prev, step_size, g, factor, maximize, etaminus, etaplus, lo, hi
) -> None:
    """One Rprop update in place; ``g`` and ``factor`` are scratch. The masks are PyTorch's
    (a NaN product matches none of them and stays NaN, as there)."""
    if maximize:
        xp.negative(grad, out=g)
    else:
        xp.copyto(g, grad)
    xp.sign(xp.multiply(g, prev, out=factor), out=factor)
    flipped = factor < 0
    factor[factor > 0] = etaplus
    factor[flipped] = etaminus
    factor[factor == 0] = 1
    step_size *= factor
    xp.clip(step_size, lo, hi, out=step_size)
    g[flipped] = 0
    p -= xp.multiply(xp.sign(g, out=factor), step_size, out=factor)
    xp.copyto(prev, g)
