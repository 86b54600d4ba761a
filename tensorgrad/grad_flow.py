"""Gradient-flow reports: is every layer learning, and at a healthy speed?

After ``loss.backward()`` each parameter ``w`` holds a gradient ``g``. :func:`grad_report`
tabulates, per parameter,

- ``||g||``, the L2 norm of the gradient, its mean and ``max |g|``;
- ``||Δw|| / ||w||``, the size of the last optimizer step relative to the weight (the
  *update ratio*). For plain SGD ``Δw = -lr * g``, so the ratio is ``lr * ||g|| / ||w||``.
  A rule of thumb from training many nets: about ``1e-3`` is healthy; ``1e-1`` and above means
  the weights are rewritten every few steps (the learning rate is too high, or gradients
  explode); ``1e-6`` and below means the layer barely moves.

and flags a layer as

- ``vanishing`` when ``||g||`` is below ``vanishing`` (absolute) or below ``vanishing_rel``
  times the largest gradient norm in the model: the signal dies on its way back through the
  layers (deep sigmoid/tanh stacks, a bad initialisation, a scale of 1e-12 somewhere);
- ``exploding`` when ``||g||`` is above ``exploding``, or a weight matrix's update ratio is
  above ``exploding_ratio``;
- ``nan/inf`` when the gradient holds a NaN or an infinity (``tg.autograd.detect_anomaly()``
  finds the op that made it), and ``no grad`` when it is None (a frozen or unused parameter).

The update ratio needs the weights from before the step, which are gone after it: call
:func:`track_updates` on the optimizer once, and it copies the parameters before every step
(through the optimizer's step hooks) and keeps ``||Δw||`` and ``||w||``. Without it the ratio
column shows ``-``. Typical use::

    updates = tg.grad_flow.track_updates(optimizer)
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    report = tg.grad_flow.grad_report(model, updates)
    print(report)                    # an aligned table
    report.plot("grad_report.png")   # bar charts of the gradient norms and update ratios
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .backend import xp_of
from .tensor import Tensor

__all__ = ["GradReport", "GradRow", "UpdateTracker", "grad_report", "track_updates"]

HEALTHY_RATIO = 1e-3  # the update ratio that usually trains well (drawn as a guide in the plot)


def l2_norm(array) -> float:
    """The L2 norm as a Python float, summed in float64 so float16 weights do not overflow."""
    xp = xp_of(array)
    return float(xp.sqrt(xp.sum(xp.square(array.astype(xp.float64)))))


# ---------------------------------------------------------------------------------- tracking


class UpdateTracker:
    """Keeps ``||Δw||`` and ``||w||`` (``w`` from before the step) of every parameter for the
    optimizer's last step. Made by :func:`track_updates`; ``remove()`` stops tracking.

    Each step copies every parameter once more (twice the parameter memory for the length of
    the step, plus a little time): meant for looking inside, not for long production runs."""

    def __init__(self, optimizer) -> None:
        self.optimizer = optimizer
        self.steps = 0
        self._before: dict[Tensor, object] = {}
        # parameter -> (||Δw||, ||w|| before the step) of the last step that changed it
        self.last: dict[Tensor, tuple[float, float]] = {}
        self._handles = [
            optimizer.register_step_pre_hook(self._snapshot),
            optimizer.register_step_post_hook(self._measure),
        ]

    def _snapshot(self, optimizer, args, kwargs) -> None:
        self._before = {
            p: p.array.copy() for group in optimizer.param_groups for p in group["params"]
        }

    def _measure(self, optimizer, args, kwargs) -> None:
        for p, before in self._before.items():
            if p.grad is None:
                continue  # not updated by this step: keep what the last update measured
            self.last[p] = (l2_norm(p.array - before), l2_norm(before))
        self._before = {}
        self.steps += 1

    def ratio(self, p: Tensor) -> float | None:
        """``||Δw|| / ||w||`` of ``p``'s last step; None if untracked or ``w`` was all zeros."""
        entry = self.last.get(p)
        if entry is None or entry[1] == 0.0:
            return None
        return entry[0] / entry[1]

    def remove(self) -> None:
        """Unregister the hooks; the measurements of the last step stay readable."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def track_updates(optimizer) -> UpdateTracker:
    """Measure every step of ``optimizer`` from now on, for :func:`grad_report`'s update ratio.

    Registers a step pre hook that copies the parameters and a post hook that computes
    ``||w_after - w_before||`` and ``||w_before||``; pass the returned tracker to
    ``grad_report(model, tracker)``."""
    return UpdateTracker(optimizer)


# ---------------------------------------------------------------------------------- the report


@dataclass
class GradRow:
    """One parameter's line in a :class:`GradReport` (norms are None when ``grad`` is None)."""

    name: str
    shape: tuple[int, ...]
    grad_norm: float | None
    grad_mean: float | None
    grad_max: float | None  # max |g|
    weight_norm: float
    update_ratio: float | None  # ||Δw|| / ||w|| of the last step; None when not tracked
    flag: str  # '', 'vanishing', 'exploding', 'nan/inf' or 'no grad'


class GradReport:
    """The per-parameter gradient statistics: ``rows`` (a list of :class:`GradRow`),
    ``str(report)`` an aligned table, ``flagged`` the rows with a flag, ``plot(path)`` a PNG."""

    def __init__(self, rows: list[GradRow], thresholds: dict[str, float]) -> None:
        self.rows = rows
        self.thresholds = thresholds
        # the gradient norm below which a row is flagged vanishing, for this model
        norms = [r.grad_norm for r in rows if r.grad_norm is not None]
        largest = max((n for n in norms if math.isfinite(n)), default=0.0)
        self.vanishing_cut = max(thresholds["vanishing"], thresholds["vanishing_rel"] * largest)

    @property
    def flagged(self) -> list[GradRow]:
        return [r for r in self.rows if r.flag]

    def __getitem__(self, name: str) -> GradRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def __str__(self) -> str:
        header = ("parameter", "shape", "grad norm", "grad mean", "max |grad|", "update/weight")
        lines = [header + ("flag",)]
        for r in self.rows:
            lines.append(
                (
                    r.name,
                    "x".join(map(str, r.shape)) or "scalar",
                    _fmt(r.grad_norm),
                    _fmt(r.grad_mean),
                    _fmt(r.grad_max),
                    _fmt(r.update_ratio),
                    r.flag,
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

        def row(cells: tuple[str, ...]) -> str:
            # names left-aligned, numbers right-aligned, the flag last and unpadded
            text = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
            text += [c.rjust(w) for c, w in zip(cells[2:], widths[2:])]
            return "  ".join(text + [cells[-1]]).rstrip()

        t = self.thresholds
        rule = "-" * len(row(lines[0]))
        legend = (
            f"vanishing: grad norm < {t['vanishing']:g}, or < {t['vanishing_rel']:g} x the "
            f"largest grad norm\nexploding: grad norm > {t['exploding']:g}, or update/weight > "
            f"{t['exploding_ratio']:g} (weights of 2+ dims)\n"
            f"update/weight: ||Δw|| / ||w|| of the last step, healthy about {HEALTHY_RATIO:g}; "
            "'-' = not tracked (tg.grad_flow.track_updates(optimizer))"
        )
        return "\n".join([row(lines[0]), rule, *map(row, lines[1:]), rule, legend])

    __repr__ = __str__

    def plot(self, path: str | os.PathLike, title: str = "gradient flow") -> None:
        """Write a PNG: per parameter, the gradient norm (left) and the update ratio (right) as
        horizontal bars on log scales, first layer at the top, with the flag thresholds as
        dashed lines; vanishing bars are orange, exploding and nan/inf ones red.

        Uses matplotlib's Agg renderer through ``matplotlib.figure.Figure`` (no pyplot, no GUI,
        the global backend is left alone)."""
        try:
            from matplotlib.figure import Figure
            from matplotlib.patches import Patch
        except ImportError as e:
            raise ImportError(
                "GradReport.plot needs matplotlib: pip install tensorgrad[train]"
            ) from e
        colors = {"": "#4C72B0", "vanishing": "#DD8452", "exploding": "#C44E52"}
        colors.update({"nan/inf": colors["exploding"], "no grad": "#999999"})
        rows = self.rows
        names = [r.name for r in rows]
        ys = list(range(len(rows)))
        t = self.thresholds
        fig = Figure(figsize=(11, 1.6 + 0.32 * len(rows)))
        panels = [
            (
                "gradient norm ||g||",
                [r.grad_norm for r in rows],
                [
                    (self.vanishing_cut, f"vanishing < {self.vanishing_cut:.0e}"),
                    (t["exploding"], "exploding"),
                ],
            ),
            (
                "update ratio ||Δw|| / ||w|| (last step)",
                [r.update_ratio for r in rows],
                [(HEALTHY_RATIO, "healthy ~1e-3"), (t["exploding_ratio"], "exploding (weights)")],
            ),
        ]
        for i, (label, values, guides) in enumerate(panels):
            ax = fig.add_subplot(1, 2, i + 1)
            shown = [
                v if v is not None and math.isfinite(v) and v > 0 else math.nan for v in values
            ]
            finite = [v for v in shown if not math.isnan(v)]
            ax.barh(
                ys, [0 if math.isnan(v) else v for v in shown], color=[colors[r.flag] for r in rows]
            )
            ax.set_xscale("log")
            low = min(finite + [g for g, _ in guides]) / 10
            high = max(finite + [g for g, _ in guides]) * 10
            ax.set_xlim(low, high)
            for x, what in guides:
                style = ":" if what.startswith("healthy") else "--"
                ax.axvline(x, color="#555555", linestyle=style, linewidth=1)
                ax.text(x, -0.7, f" {what}", fontsize=7, color="#555555", va="bottom")
            for y, v, raw in zip(ys, shown, values):
                if math.isnan(v):  # no bar: say why
                    note = "not tracked" if raw is None and i == 1 else "-"
                    ax.text(low * 1.5, y, note, va="center", fontsize=7, color="#777777")
            ax.set_yticks(ys)
            ax.set_yticklabels(names if i == 0 else [], fontsize=8)
            ax.set_ylim(len(rows) - 0.5, -1)  # first parameter on top, room for guide labels
            ax.set_xlabel(label)
            ax.grid(axis="x", which="major", alpha=0.3)
        used = [
            f
            for f in ("", "vanishing", "exploding", "nan/inf", "no grad")
            if any(r.flag == f for r in rows)
        ]
        fig.legend(
            handles=[Patch(color=colors[f], label=f or "ok") for f in used],
            loc="upper right",
            ncol=len(used),
            fontsize=8,
            frameon=False,
        )
        fig.suptitle(title, x=0.01, ha="left")
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        fig.savefig(os.fspath(path), format="png", dpi=110)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2e}"


def grad_report(
    model,
    updates: UpdateTracker | None = None,
    *,
    vanishing: float = 1e-7,
    vanishing_rel: float = 1e-4,
    exploding: float = 1e3,
    exploding_ratio: float = 1e-1,
) -> GradReport:
    """Gradient statistics of every parameter of ``model`` after ``backward()``.

    ``model`` is a ``Module`` (its ``named_parameters()``), a mapping from names to parameters
    or an iterable of ``(name, parameter)`` pairs. ``updates`` is the tracker from
    :func:`track_updates`, for the update-ratio column.

    A parameter is flagged ``vanishing`` when ``||g|| < vanishing`` or
    ``||g|| < vanishing_rel * max ||g||`` over the model, and ``exploding`` when
    ``||g|| > exploding`` or, for weights of two or more dimensions, ``||Δw|| / ||w|| >
    exploding_ratio``. Biases and norm gains are left out of the ratio test: they often start
    at zero or one and move fast relative to their size without harm."""
    if hasattr(model, "named_parameters"):
        named = list(model.named_parameters())
    elif isinstance(model, Mapping):
        named = list(model.items())
    else:
        named = list(model)
    if not all(isinstance(p, Tensor) for _, p in named):
        raise TypeError("grad_report needs a Module, a dict of parameters or (name, param) pairs")

    stats = []
    for name, p in named:
        g = p.grad
        if g is None:
            stats.append((name, p, None, None, None))
            continue
        a = g.array.astype(xp_of(g.array).float64)
        mean, biggest = (float(a.mean()), float(abs(a).max())) if a.size else (0.0, 0.0)
        stats.append((name, p, l2_norm(a), mean, biggest))
    finite_norms = [s[2] for s in stats if s[2] is not None and math.isfinite(s[2])]
    largest = max(finite_norms, default=0.0)

    rows = []
    for name, p, gnorm, gmean, gmax in stats:
        ratio = updates.ratio(p) if updates is not None else None
        if gnorm is None:
            flag = "no grad"
        elif not (math.isfinite(gnorm) and math.isfinite(gmax)):
            flag = "nan/inf"
        elif gnorm > exploding or (p.ndim >= 2 and ratio is not None and ratio > exploding_ratio):
            flag = "exploding"
        elif gnorm < max(vanishing, vanishing_rel * largest):
            flag = "vanishing"
        else:
            flag = ""
        weight_norm = l2_norm(p.array)
        rows.append(GradRow(name, tuple(p.shape), gnorm, gmean, gmax, weight_norm, ratio, flag))
    thresholds = dict(
        vanishing=vanishing,
        vanishing_rel=vanishing_rel,
        exploding=exploding,
        exploding_ratio=exploding_ratio,
    )
    return GradReport(rows, thresholds)
