"""``LBFGS``: limited-memory BFGS with an optional strong-Wolfe line search, as ``torch.optim``'s.

L-BFGS treats all parameters as one flat vector ``x``. From the last ``history_size`` pairs
``s_k = x_{k+1} - x_k`` and ``y_k = g_{k+1} - g_k`` (kept while the curvature ``y.s > 1e-10``)
the two-loop recursion applies an inverse-Hessian estimate ``H`` to the gradient without
forming it::

    q = -g
    for k newest to oldest:  a_k = rho_k s_k.q;  q = q - a_k y_k       (rho_k = 1 / y_k.s_k)
    r = gamma q                                     (gamma = y.s / y.y of the newest pair)
    for k oldest to newest:  b_k = rho_k y_k.r;  r = r + (a_k - b_k) s_k
    d = r                                           (= -H g, the search direction)
    x = x + t d

The first iteration (no pairs yet) steps ``t = min(1, 1 / |g|_1) * lr`` along ``-g``; later
ones ``t = lr``, or the step that the strong-Wolfe line search finds when
``line_search_fn='strong_wolfe'``: ``f(x + t d) <= f(x) + c1 t g.d`` (sufficient decrease) and
``|g(x + t d).d| <= c2 |g.d|`` (curvature), with ``c1 = 1e-4``, ``c2 = 0.9``, bracketing then
zooming with safeguarded cubic interpolation (Nocedal and Wright, algorithms 3.5 and 3.6; the
port of minFunc that PyTorch ships, step for step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..backend import is_array, to_device, xp_of
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper

# The scalars (y.s, g.d, t, ...) stay 0-d arrays or NumPy scalars of the parameters' dtype, never
# Python floats: with Python numbers as weak scalars (NumPy 2's rule, and PyTorch's) a float32
# model then computes its line search in float32 as PyTorch does.


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1``, ``g2``,
    clamped to ``bounds`` (default: between the two points); their midpoint when the cubic has
    no minimum. With ``d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)`` and ``d2 = sqrt(d1^2 - g1 g2)``::

        x_min = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)      (x1 <= x2; mirrored else)
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square**0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(
    obj_func: Callable, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25
):
    """Find a step ``t`` along ``d`` from ``x`` (loss ``f``, gradient ``g``, slope ``gtd = g.d``)
    meeting the strong Wolfe conditions, within ``max_ls`` evaluations of
    ``obj_func(x, t, d) -> (loss, flat gradient)``. Returns ``(f_new, g_new, t, evaluations)``.

    Bracketing: grow ``t`` (cubic extrapolation, between ``1.01 t`` and ``10 t``) until the loss
    rises, stops decreasing enough, or the slope turns non-negative: then a minimiser lies in
    ``[t_prev, t]``. Zoom: shrink that bracket by cubic interpolation, moving a trial point that
    falls too near an end (within a tenth of the bracket) to a tenth away from it."""
    d_norm = abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:  # out of evaluations while still bracketing
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: refine the bracket until a point meets the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # a trial point near an end of the bracket makes little progress: the second time in a
        # row (or when it is at an end), move it a tenth of the bracket inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease, or not below the low end: t becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # the strong Wolfe conditions hold
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the new low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    r"""PyTorch's ``torch.optim.LBFGS`` (see the module docstring for the maths). One
    ``step(closure)`` runs up to ``max_iter`` iterations and ``max_eval`` evaluations of
    ``closure`` (which must zero the gradients, compute the loss, call ``backward()`` and return
    the loss) and returns the loss of its first evaluation. An iteration stops the step early
    when ``max|g| <= tolerance_grad``, when the slope ``g.d > -tolerance_change``, or when the
    step ``max|t d|`` or the loss change falls below ``tolerance_change``.

    Only one parameter group. The state is global, kept (as in PyTorch) under the first
    parameter with PyTorch's keys: ``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs``,
    ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss`` and ``al``.

    Unlike PyTorch, the constructor checks every hyperparameter (PyTorch checks only ``lr``, and
    an unknown ``line_search_fn`` only fails in ``step``).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_hyper("learning rate", lr)
        check_hyper("max_iter value", max_iter, low=1)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        check_hyper("max_eval value", max_eval, low=1)
        check_hyper("tolerance_grad value", tolerance_grad)
        check_hyper("tolerance_change value", tolerance_change)
        check_hyper("history_size value", history_size, low=1)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"Invalid line_search_fn: {line_search_fn!r} (only None or 'strong_wolfe')"
            )
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # ------------------------------------------------------------------ flat vector helpers

    def _gather_flat_grad(self):
        """All gradients as one flat array (zeros for a parameter without one)."""
        views = []
        for p in self._params:
            if p.grad is None:
                views.append(xp_of(p.array).zeros(p.array.size, dtype=p.array.dtype))
            else:
                self._check_grad(p, p.grad)
                views.append(p.grad.array.reshape(-1))
        return xp_of(views[0]).concatenate(views)

    def _add_grad(self, step_size, update) -> None:
        """``x = x + step_size * update``, in place on the parameters' arrays."""
        offset = 0
        for p in self._params:
            numel = p.array.size
            p.array += step_size * update[offset : offset + numel].reshape(p.array.shape)
            p._version_counter[0] += 1
            offset += numel

    def _clone_param(self) -> list:
        return [p.array.copy() for p in self._params]

    def _set_param(self, arrays: list) -> None:
        for p, array in zip(self._params, arrays, strict=True):
            xp_of(p.array).copyto(p.array, array)
            p._version_counter[0] += 1

    def _directional_evaluate(self, closure: Callable, x: list, t, d):
        """Loss and flat gradient at ``x + t d``; the parameters are back at ``x`` after."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step

    def step(self, closure: Callable[[], Any]):  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` reevaluates the model (it
        runs with grad enabled) and returns the loss. Returns the first evaluation's loss."""
        if closure is None:
            raise RuntimeError(
                "LBFGS.step needs a closure that zeroes the gradients, computes the loss, "
                "calls backward() and returns the loss"
            )
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

        def evaluate():
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        if line_search_fn not in (None, "strong_wolfe"):  # set on the group after construction
            raise RuntimeError("only 'strong_wolfe' is supported")

        # LBFGS has only global state; as PyTorch does it lives under the first parameter
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        d, t = _unpack(state.get("d")), _unpack(state.get("t"))
        old_dirs, old_stps = _unpack(state.get("old_dirs")), _unpack(state.get("old_stps"))
        ro, H_diag = _unpack(state.get("ro")), _unpack(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unpack(state.get("prev_flat_grad")), state.get("prev_loss")
        al = _unpack(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the descent direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only with positive curvature: H stays definite
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                    al = [None] * history_size
                # the two-loop recursion in one buffer
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                xp_of(prev_flat_grad).copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction (to tolerance)
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(evaluate, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # no evaluation after the last iteration: with a stochastic loss it would
                    # be of no use
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval:
                break
            if opt_cond:
                break
            if abs(d * t).max() <= tolerance_change:  # lack of progress
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        if "al" in state:
            state["al"] = _pack(al)
        state["d"] = _pack(d)
        state["t"] = _pack(t)
        state["old_dirs"] = _pack(old_dirs)
        state["old_stps"] = _pack(old_stps)
        state["ro"] = _pack(ro)
        state["H_diag"] = _pack(H_diag)
        state["prev_flat_grad"] = _pack(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss

    # ------------------------------------------------------------------ state dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As ``Optimizer.load_state_dict``; the global state (flat vectors of all parameters,
        lists of them, numbers) is copied to the parameters' dtype and device."""
        saved = state_dict["state"]
        super().load_state_dict({**state_dict, "state": {}})
        if saved:
            p = self._params[0]
            first = saved[0] if 0 in saved else next(iter(saved.values()))
            self.state[p] = {k: _copy_state(v, p) for k, v in first.items()}


def _pack(value):
    """An array (or a list of them) as Tensors for the state; numbers and None as they are."""
    if isinstance(value, list):
        return [_pack(v) for v in value]
    if isinstance(value, np.generic):  # a NumPy scalar, as NumPy's 0-d arithmetic returns
        return Tensor._make(np.asarray(value))
    if is_array(value):
        return Tensor._make(value)
    return value


def _unpack(value):
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    return value.array if isinstance(value, Tensor) else value


def _copy_state(value, p: Tensor):
    """A loaded state entry: tensors and arrays (PyTorch's too) copied to ``p``'s dtype and
    device, lists entry by entry, numbers as they are."""
    if isinstance(value, list):
        return [_copy_state(v, p) for v in value]
    if isinstance(value, Tensor):
        array = value.array
    elif hasattr(value, "shape"):  # an array, or a torch tensor through __array__
        array = value if is_array(value) else np.asarray(value)
    else:
        return value
    array = to_device(array, p.device)
    return Tensor._make(array.astype(p.array.dtype, copy=True))
