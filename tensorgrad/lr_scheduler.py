"""Learning-rate schedulers with PyTorch's semantics (``torch.optim.lr_scheduler``).

A scheduler talks to an optimizer only through ``optimizer.param_groups``: it reads and writes
``group['lr']`` (and ``group['initial_lr']``, the lr the schedule is anchored to), so it composes
with any object that has a ``param_groups`` list of dicts, tensorgrad's optimizers included.

Most schedulers follow PyTorch's *chainable* form: ``get_lr()`` computes the next lr from the
current ``group['lr']`` (e.g. StepLR multiplies it by ``gamma`` at a boundary) rather than from a
closed form in ``last_epoch``. The two agree in exact arithmetic; in floating point the recursive
form is what PyTorch does, so it is what we do, and our lr sequences equal PyTorch's to the last
bit or so. It also means schedulers compose: another scheduler (or the user) may change
``group['lr']`` in between and the next step applies its factor to that value.
``step(epoch)`` (deprecated in PyTorch too) sets ``last_epoch`` and uses the closed form where one
exists.

Differences from PyTorch, all deliberate:

- Any object with ``param_groups`` is accepted (PyTorch requires a ``torch.optim.Optimizer``).
- PyTorch wraps ``optimizer.step`` to warn when the scheduler steps before the optimizer; we do
  not patch the optimizer.
- Hyperparameters PyTorch accepts silently but that can only be mistakes (``gamma <= 0``,
  ``T_max <= 0`` which divides by zero, decreasing milestones, ...) raise ``ValueError``.
- ``WarmupCosineLR`` has no PyTorch twin; it is a closed form (see its docstring).

``SequentialLR`` and ``ChainedScheduler`` drive other schedulers (warmup then decay, or factors
that multiply); their state dicts hold the state dicts of the schedulers they drive.
"""

from __future__ import annotations

import copy
import functools
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, SupportsFloat

from .jit.recorder import replayed

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "WarmupCosineLR",
    "ConstantLR",
    "MultiplicativeLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "SequentialLR",
    "ChainedScheduler",
    "SWALR",
]

_EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch); call "
    "`scheduler.step()` without it. When epoch is given, the closed form is used instead of "
    "the chainable form, where available."
)


def _check_optimizer(optimizer: Any) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise TypeError(
            f"{type(optimizer).__name__} is not an Optimizer: a scheduler needs an object whose "
            "`param_groups` is a list of dicts"
        )


def _check_positive_int(name: str, value: Any, scheduler: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{scheduler}: {name} must be a positive integer, got {value!r}")


def _check_positive_count(name: str, value: Any, scheduler: str) -> None:
    """A period in epochs: a positive integer, also written as a float (``StepLR(opt, 1.0)``
    is in PyTorch's text-classification tutorial, and PyTorch takes it); 2.5 is refused."""
    if not (isinstance(value, float) and value.is_integer()):
        _check_positive_int(name, value, scheduler)
    elif value <= 0:
        raise ValueError(f"{scheduler}: {name} must be a positive integer, got {value!r}")


def _check_gamma(gamma: float, scheduler: str) -> None:
    if not (gamma > 0 and math.isfinite(gamma)):
        raise ValueError(f"{scheduler}: gamma must be a positive finite number, got {gamma!r}")


def _per_group(name: str, optimizer: Any, value: Any) -> list:
    """One value per param group: a scalar is repeated, a list/tuple must match in length."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. {name} has "
                f"{len(value)} values, param_groups has {len(optimizer.param_groups)}."
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


def _group_lrs(optimizer: Any) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class of the schedulers: subclasses implement :meth:`get_lr`.

    ``last_epoch`` counts the :meth:`step` calls; construction performs the first one, so right
    after ``__init__`` ``last_epoch == 0`` (or ``last_epoch + 1`` when resuming with
    ``last_epoch >= 0``, exactly as in PyTorch) and every group's lr is the schedule's value at
    that epoch.

    Args:
        optimizer: anything with a ``param_groups`` list of dicts holding ``'lr'``.
        last_epoch: ``-1`` starts the schedule: each group's current lr is stored as its
            ``'initial_lr'`` (kept if already present). A value ``>= 0`` resumes and needs
            ``'initial_lr'`` in every group (restored with the optimizer's state).
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        f"{type(self).__name__} with last_epoch={last_epoch} >= 0: load the "
                        "optimizer's state (which holds it) first, or use last_epoch=-1 for a "
                        "fresh run"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict[str, Any]:
        """Everything in ``self.__dict__`` but the optimizer (copied, so later steps of this
        scheduler do not change a saved state)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def get_last_lr(self) -> list[float]:
        """The lrs the last :meth:`step` set, one per param group."""
        return list(self._last_lr)

    def get_lr(self) -> list[float]:
        """The lrs for epoch ``last_epoch`` (already incremented); called by :meth:`step`."""
        raise NotImplementedError

    @replayed
    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one epoch and write the new lrs into ``param_groups``.

        Call it after ``optimizer.step()``. ``epoch`` (deprecated, as in PyTorch) jumps to that
        epoch using the closed form where the scheduler has one.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """The body of :meth:`step` without the step count (``SequentialLR`` jumps a scheduler
        to epoch 0 with ``_update_lr(0)`` at its milestone, as PyTorch's does)."""
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise RuntimeError(
                f"{type(self).__name__}: computed {len(values)} lrs for {len(groups)} param "
                "groups (was a param group added after the scheduler was created?)"
            )
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr: list[float] = _group_lrs(self.optimizer)


def _lambdas_per_group(name: str, optimizer: Any, lr_lambda, not_callable: str) -> list:
    """One ``lr_lambda`` per param group: the one given for all, or the list given, checked."""
    groups = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != groups:
            raise ValueError(
                f"{name}: expected {groups} lr_lambdas (one per param group), but got "
                f"{len(lr_lambda)}"
            )
        lambdas = list(lr_lambda)
    else:
        lambdas = [lr_lambda] * groups
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"{name}: lr_lambda {not_callable} got {type(fn).__name__}")
    return lambdas


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(last_epoch)``, one function for all groups or one per group.

    :meth:`state_dict` keeps the ``__dict__`` of callable objects but not plain functions or
    lambdas (they are not picklable), like PyTorch's.
    """

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group("LambdaLR", optimizer, lr_lambda, "must be callable,")
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        self.__dict__.update(copy.deepcopy(state))
        for fn, fn_state in zip(self.lr_lambdas, state_dict["lr_lambdas"]):
            if fn_state is not None:
                fn.__dict__.update(copy.deepcopy(fn_state))

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs:
    ``lr = initial_lr * gamma ** (last_epoch // step_size)`` (computed recursively)."""

    def __init__(
        self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check_positive_count("step_size", step_size, "StepLR")
        _check_gamma(gamma, "StepLR")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each milestone epoch:
    ``lr = initial_lr * gamma ** (number of milestones <= last_epoch)``.

    ``milestones`` must be non-decreasing; a milestone listed ``n`` times multiplies by
    ``gamma ** n`` (as in PyTorch).
    """

    def __init__(
        self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, int):
                raise TypeError(f"MultiStepLR: milestones must be integers, got {milestones!r}")
        if any(b < a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"MultiStepLR: milestones must be increasing, got {milestones!r}")
        _check_gamma(gamma, "MultiStepLR")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return _group_lrs(self.optimizer)
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        n = bisect_right(milestones, self.last_epoch)
        return [base * self.gamma**n for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = initial_lr * gamma ** last_epoch``
    (computed recursively)."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        _check_gamma(gamma, "ExponentialLR")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # The constructor's step must not move a resumed lr one epoch ahead of itself.
        if self._is_initial:
            return _group_lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing without restarts, in PyTorch's recursive form.

    The target is :math:`\eta_t = \eta_{min} + (\eta_{base} - \eta_{min})
    (1 + \cos(\pi t / T_{max})) / 2`; each step applies

    .. math:: \eta_t = \eta_{min} + (\eta_{t-1} - \eta_{min})
        \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t - 1) / T_{max})}

    except at the epochs where the denominator vanishes (``t - 1 = T_max (2k + 1)``, the cosine's
    troughs), where the increment of the closed form is added instead. So past ``T_max`` the lr
    climbs back to ``base`` by ``2 T_max`` and keeps oscillating, as PyTorch's does.
    """

    def __init__(
        self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check_positive_count("T_max", T_max, "CosineAnnealingLR")
        if not eta_min >= 0:
            raise ValueError(f"CosineAnnealingLR: eta_min must be >= 0, got {eta_min!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _group_lrs(self.optimizer)
        if self._step_count == 1 and t > 0:
            return [
                eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                for base in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:
            # From a trough: the recursion's ratio would be x / 0.
            return [
                group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base, group in zip(self.base_lrs, groups)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        return [
            eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
            for base in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """Scale the lr by a factor going linearly from ``start_factor`` (epoch 0) to ``end_factor``
    (epoch ``total_iters`` and after): ``lr = initial_lr * (start_factor + (end_factor -
    start_factor) * min(last_epoch, total_iters) / total_iters)`` (computed recursively)."""

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(
                "LinearLR: start_factor (the multiplicative factor of the first epoch) expected "
                f"to be greater than 0 and less or equal to 1, got {start_factor!r}"
            )
        if not 0 <= end_factor <= 1:
            raise ValueError(
                f"LinearLR: end_factor expected to be between 0 and 1, got {end_factor!r}"
            )
        _check_positive_count("total_iters", total_iters, "LinearLR")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_lrs(self.optimizer)
        # factor(t) / factor(t - 1), with factor(t) = start + (end - start) * t / total_iters
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [group["lr"] * ratio for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [
            base * (self.start_factor + (self.end_factor - self.start_factor) * frac)
            for base in self.base_lrs
        ]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, "Super-Convergence"), as PyTorch implements it.

    The lr goes from ``max_lr / div_factor`` up to ``max_lr`` over the first ``pct_start`` of
    ``total_steps`` and then down to ``initial_lr / final_div_factor``; with ``three_phase`` it
    first comes back down to ``initial_lr`` symmetrically and then anneals to the minimum. Each
    phase anneals with a half cosine (``'cos'``) or linearly (``'linear'``). With
    ``cycle_momentum`` the momentum (SGD's ``momentum``, or ``betas[0]`` for Adam-style
    optimizers) moves inversely between ``max_momentum`` and ``base_momentum``.

    Not chainable: lrs come from the phase table, stored in each group as ``initial_lr``,
    ``max_lr``, ``min_lr`` (and ``max_momentum``, ``base_momentum``). Stepping past
    ``total_steps`` raises ``ValueError``.
    """

    def __init__(
        self,
        optimizer: Any,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if (
                isinstance(total_steps, bool)
                or not isinstance(total_steps, int)
                or total_steps <= 0
            ):
                raise ValueError(
                    f"OneCycleLR: expected positive integer total_steps, but got {total_steps!r}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int("epochs", epochs, "OneCycleLR")
            _check_positive_int("steps_per_epoch", steps_per_epoch, "OneCycleLR")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(
                "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)"
            )
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(
                f"OneCycleLR: expected float between 0 and 1 pct_start, but got {pct_start!r}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy!r}"
            )
        if not (div_factor > 0 and final_div_factor > 0):
            raise ValueError(
                "OneCycleLR: div_factor and final_div_factor must be positive, got "
                f"{div_factor!r} and {final_div_factor!r}"
            )
        self._anneal_func_type = anneal_strategy

        # Each phase: (last step of the phase, lr key at its start, at its end, momentum keys).
        n = self.total_steps
        if three_phase:
            self._schedule_phases = [
                (float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (
                    float(2 * pct_start * n) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                (n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                (float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]

        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            defaults = getattr(optimizer, "defaults", None)
            if defaults is None:
                defaults = optimizer.param_groups[0] if optimizer.param_groups else {}
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    "OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` "
                    "option enabled"
                )
            self.use_beta1 = "betas" in defaults
            max_moms = _per_group("max_momentum", optimizer, max_momentum)
            base_moms = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, m_max, m_base in zip(optimizer.param_groups, max_moms, base_moms):
                    self._set_momentum(group, m_max)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times. The specified number of total steps "
                f"is {self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._schedule_phases):
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start_step = end_step
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving (PyTorch's rules).

    ``step(metrics)``: the metric is *better* than the best so far when, in ``'min'`` mode, it is
    below ``best * (1 - threshold)`` (``threshold_mode='rel'``) or ``best - threshold``
    (``'abs'``); in ``'max'`` mode above ``best * (1 + threshold)`` or ``best + threshold``.
    After more than ``patience`` consecutive epochs that are not better, every group's lr becomes
    ``max(lr * factor, min_lr)`` (skipped for a group if that changes it by at most ``eps``), and
    the next ``cooldown`` epochs count no bad epochs.
    """

    def __init__(
        self,
        optimizer: Any,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if not 0 <= factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be in [0, 1), got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"ReduceLROnPlateau: {name} must be a non-negative integer, got {value!r}"
                )
        if not threshold >= 0:
            raise ValueError(f"ReduceLROnPlateau: threshold must be >= 0, got {threshold!r}")
        if not eps >= 0:
            raise ValueError(f"ReduceLROnPlateau: eps must be >= 0, got {eps!r}")
        _check_optimizer(optimizer)
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"ReduceLROnPlateau: expected {len(optimizer.param_groups)} min_lrs (one per "
                    f"param group), got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        if any(not m >= 0 for m in self.min_lrs):
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr!r}")
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_lrs(optimizer)
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode {mode!r} is unknown (use 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold mode {threshold_mode!r} is unknown (use 'rel' or "
                "'abs')"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric (a number or a one-element tensor) and reduce the lrs if
        it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch

        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count

        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_lrs(self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the number of param groups in the optimizer "
                    f"({len(groups)}) differs from when it was initialized ({len(self.min_lrs)}), "
                    "usually because a param group was added; set `min_lrs` to match"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


class WarmupCosineLR(LRScheduler):
    r"""Linear warmup then cosine decay, as a closed form in ``e``, the number of :meth:`step`
    calls so far (``e = last_epoch``; 0 right after construction), with ``base`` the group's
    ``initial_lr``:

    - ``e <= warmup_epochs``:
      ``lr = warmup_start_lr + (base - warmup_start_lr) * e / warmup_epochs``
    - ``warmup_epochs < e <= max_epochs``: ``lr = eta_min + (base - eta_min)
      * (1 + cos(pi * (e - warmup_epochs) / (max_epochs - warmup_epochs))) / 2``
    - ``e > max_epochs``: ``lr = eta_min``.

    With ``warmup_epochs == 0`` the first branch is the single point ``e = 0``, where both
    neighbouring branches give ``base``; that is the lr used there. No PyTorch twin.
    """

    def __init__(
        self,
        optimizer: Any,
        warmup_epochs: int,
        max_epochs: int,
        warmup_start_lr: float = 0.0,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if (
            isinstance(warmup_epochs, bool)
            or not isinstance(warmup_epochs, int)
            or warmup_epochs < 0
        ):
            raise ValueError(
                f"WarmupCosineLR: warmup_epochs must be a non-negative integer, got "
                f"{warmup_epochs!r}"
            )
        _check_positive_int("max_epochs", max_epochs, "WarmupCosineLR")
        if max_epochs < warmup_epochs:
            raise ValueError(
                f"WarmupCosineLR: max_epochs ({max_epochs}) must be >= warmup_epochs "
                f"({warmup_epochs})"
            )
        if not (warmup_start_lr >= 0 and eta_min >= 0):
            raise ValueError(
                "WarmupCosineLR: warmup_start_lr and eta_min must be >= 0, got "
                f"{warmup_start_lr!r} and {eta_min!r}"
            )
        self.warmup_epochs = warmup_epochs
        self.max_epochs = max_epochs
        self.warmup_start_lr = warmup_start_lr
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def _lr(self, base: float, e: int) -> float:
        w, m = self.warmup_epochs, self.max_epochs
        if e <= w:
            if w == 0:
                return base
            return self.warmup_start_lr + (base - self.warmup_start_lr) * e / w
        if e <= m:
            return (
                self.eta_min
                + (base - self.eta_min) * (1 + math.cos(math.pi * (e - w) / (m - w))) / 2
            )
        return self.eta_min

    def get_lr(self) -> list[float]:
        return [self._lr(base, self.last_epoch) for base in self.base_lrs]


# ------------------------------------------------------------------------------------------------
# more of PyTorch's schedulers: constant and multiplicative factors, polynomial decay, cosine with
# warm restarts, cyclical lrs, and the two that combine other schedulers


class ConstantLR(LRScheduler):
    """Multiply the lr by ``factor`` for the first ``total_iters`` epochs:
    ``lr = initial_lr * factor`` for ``last_epoch < total_iters``, ``initial_lr`` after
    (chainable: the factor is applied at epoch 0 and divided out at epoch ``total_iters``).

    Unlike PyTorch, ``factor`` must be in ``(0, 1]`` (PyTorch accepts 0 and then divides by it at
    ``total_iters``) and ``total_iters`` must be a positive integer (an integral float such as
    ``5.0`` is taken).
    """

    def __init__(
        self,
        optimizer: Any,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < factor <= 1:
            raise ValueError(
                f"ConstantLR: constant multiplicative factor expected to be in (0, 1], got "
                f"{factor!r}"
            )
        _check_positive_count("total_iters", total_iters, "ConstantLR")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in groups]
        if self.last_epoch != self.total_iters:
            return _group_lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
            for base in self.base_lrs
        ]


class MultiplicativeLR(LRScheduler):
    """Multiply the lr by ``lr_lambda(last_epoch)`` at every step (one function for all groups
    or one per group): ``lr_e = lr_{e-1} * lr_lambda(e)``, so ``lr_e = initial_lr *
    prod_{k=1..e} lr_lambda(k)``. Epoch 0 keeps the lr as it is.

    :meth:`state_dict` keeps the ``__dict__`` of callable objects but not plain functions or
    lambdas (they are not picklable), like PyTorch's.
    """

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group(
            "MultiplicativeLR", optimizer, lr_lambda, "should be a function, but"
        )
        super().__init__(optimizer, last_epoch)

    state_dict = LambdaLR.state_dict
    load_state_dict = LambdaLR.load_state_dict

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return _group_lrs(self.optimizer)
        return [
            group["lr"] * fn(self.last_epoch)
            for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)
        ]


class PolynomialLR(LRScheduler):
    r"""Polynomial decay to zero over ``total_iters`` epochs:
    ``lr = initial_lr * (1 - min(last_epoch, total_iters) / total_iters) ** power``, computed
    recursively as PyTorch does: each step multiplies by
    ``((1 - e / T) / (1 - (e - 1) / T)) ** power``; after ``total_iters`` the lr stays (at 0).

    Unlike PyTorch, ``total_iters`` must be a positive integer (an integral float such as
    ``5.0`` is taken) and ``power`` non-negative (PyTorch divides by zero otherwise).
    """

    def __init__(
        self, optimizer: Any, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        _check_positive_count("total_iters", total_iters, "PolynomialLR")
        if not (power >= 0 and math.isfinite(power)):
            raise ValueError(f"PolynomialLR: power must be a finite number >= 0, got {power!r}")
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_lrs(self.optimizer)
        e, T = self.last_epoch, self.total_iters
        decay_factor = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power
        return [group["lr"] * decay_factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        T = self.total_iters
        return [base * (1.0 - min(T, self.last_epoch) / T) ** self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR (Loshchilov and Hutter 2017): cosine annealing that restarts at ``initial_lr``.

    .. math:: \eta = \eta_{min} + (\eta_{base} - \eta_{min}) \frac{1 + \cos(\pi T_{cur} / T_i)}{2}

    with ``T_cur`` the epochs since the last restart and ``T_i`` the length of the current
    period: ``T_0`` first, then ``T_mult`` times longer after each restart. Not chainable: the lr
    comes from this closed form at every step.

    :meth:`step` may be called with a fractional epoch (``scheduler.step(epoch + i / iters)``
    after every batch, as in PyTorch's example); the period is then found from the epoch
    (``n = floor(log_{T_mult}(epoch / T_0 * (T_mult - 1) + 1))`` restarts so far) and
    ``last_epoch`` becomes ``floor(epoch)``. ``step()`` without an epoch goes on from there.
    """

    def __init__(
        self,
        optimizer: Any,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0!r}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult!r}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min!r} of type "
                f"{type(eta_min).__name__}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base in self.base_lrs
        ]

    @replayed
    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch (``epoch=None``) or jump to ``epoch`` (an int or a fraction of an
        epoch, >= 0), restarting the cosine wherever a period ends."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _group_lrs(self.optimizer)


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith 2017), PyTorch's ``CyclicLR``: the lr goes from
    ``base_lr`` up to ``max_lr`` in ``step_size_up`` steps and back down in ``step_size_down``
    (default: the same), the amplitude scaled by ``scale_fn``. With ``t = last_epoch`` (the
    number of :meth:`step` calls: call it after every batch) and ``L = up + down``::

        cycle = floor(1 + t / L);  x = 1 + t / L - cycle          (position in the cycle)
        s = x / (up / L)  if x <= up / L  else (x - 1) / (up / L - 1)
        lr = base_lr + (max_lr - base_lr) * s * scale_fn(cycle or t)

    ``mode``: ``'triangular'`` (``scale_fn = 1``), ``'triangular2'`` (amplitude halved each
    cycle, ``1 / 2^(cycle - 1)``), ``'exp_range'`` (``gamma ** t``); a custom ``scale_fn`` of
    ``cycle`` (``scale_mode='cycle'``) or of ``t`` (``'iterations'``) replaces the mode. With
    ``cycle_momentum`` the momentum (SGD's ``momentum``, or ``betas[0]`` for Adam-style
    optimizers) moves the other way: ``max_momentum - (max_momentum - base_momentum) * s *
    scale_fn(...)``.

    Not chainable: the lr comes from this closed form at every step. Unlike PyTorch,
    ``step_size_up`` must be positive and ``scale_mode`` one of the two names.
    """

    def __init__(
        self,
        optimizer: Any,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: Literal["cycle", "iterations"] = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if not step_size_up > 0:
            raise ValueError(f"CyclicLR: step_size_up must be positive, got {step_size_up!r}")
        if step_size_down is not None and not step_size_down >= 0:
            raise ValueError(
                f"CyclicLR: step_size_down must be non-negative, got {step_size_down!r}"
            )
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                f"CyclicLR: mode {mode!r} is invalid (use 'triangular', 'triangular2' or "
                "'exp_range') and scale_fn is None"
            )
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}"
            )
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)

        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size

        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            defaults = getattr(optimizer, "defaults", None)
            if defaults is None:
                defaults = optimizer.param_groups[0] if optimizer.param_groups else {}
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    "CyclicLR: optimizer must support momentum or beta1 with `cycle_momentum` "
                    "option enabled"
                )
            self.use_beta1 = "betas" in defaults
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups
                ):
                    self._set_momentum(group, m_max)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = _triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = _triangular2_scale_fn
            self.scale_mode = "cycle"
        else:
            self._scale_fn_ref = functools.partial(_exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale at cycle (or iteration) ``x``: the custom ``scale_fn`` if given,
        else the mode's."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [
            base + (top - base) * scale_factor * scale
            for base, top in zip(self.base_lrs, self.max_lrs)
        ]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums
            ):
                self._set_momentum(group, m_max - (m_max - m_base) * scale_factor * scale)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As the base's, without the mode's scale function (rebuilt on load) and with a custom
        ``scale_fn`` kept as its ``__dict__`` when it is a callable object (a plain function or
        lambda is not picklable: None), as PyTorch's."""
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_scale_fn_ref", "_scale_fn_custom")
        }
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = (
            None if fn is None or isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
        )
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = {k: v for k, v in state_dict.items() if k != "_scale_fn_custom"}
        self.__dict__.update(copy.deepcopy(state))
        fn_state = state_dict.get("_scale_fn_custom")
        if fn_state is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(copy.deepcopy(fn_state))
        self._init_scale_fn()


def _triangular_scale_fn(x: float) -> float:
    return 1.0


def _triangular2_scale_fn(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


def _exp_range_scale_fn(gamma: float, x: float) -> float:
    return gamma**x


def _check_schedulers(kind: str, optimizer: Any, schedulers: Sequence[LRScheduler]) -> None:
    """PyTorch's checks on the schedulers a SequentialLR or ChainedScheduler drives."""
    if len(schedulers) < 1:
        raise ValueError(f"{kind} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{kind} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{kind} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{kind} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} has "
                f"{type(scheduler.optimizer).__name__} {id(scheduler.optimizer):#x}, which is "
                f"different from {type(optimizer).__name__} {id(optimizer):#x}."
            )


def _state_with_schedulers(owner: Any) -> dict[str, Any]:
    state = {
        k: copy.deepcopy(v)
        for k, v in owner.__dict__.items()
        if k not in ("optimizer", "_schedulers")
    }
    state["_schedulers"] = [s.state_dict() for s in owner._schedulers]
    return state


def _load_with_schedulers(owner: Any, state_dict: dict[str, Any]) -> None:
    state = {k: v for k, v in state_dict.items() if k != "_schedulers"}
    owner.__dict__.update(copy.deepcopy(state))
    for scheduler, saved in zip(owner._schedulers, state_dict["_schedulers"]):
        scheduler.load_state_dict(saved)


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another: ``schedulers[i]`` drives the lr from epoch
    ``milestones[i - 1]`` on (``milestones`` has one entry fewer than ``schedulers``). Warmup then
    decay reads::

        warmup = LinearLR(opt, start_factor=0.01, total_iters=5)
        decay = CosineAnnealingLR(opt, T_max=95)
        sched = SequentialLR(opt, [warmup, decay], milestones=[5])

    As in PyTorch: construction resets every group's lr to its ``initial_lr``, rewinds each
    scheduler by the step its own construction made and restarts the first; at a milestone the
    next scheduler jumps to its epoch 0 (by its closed form where it has one), so it starts from
    ``initial_lr`` whatever the previous one left. :meth:`state_dict` holds the schedulers'.
    """

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        _check_schedulers("SequentialLR", optimizer, schedulers)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than "
                f"the number of milestone points, but got number of schedulers {len(schedulers)} "
                f"and the number of milestones to be equal to {len(milestones)}"
            )
        if any(b < a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR: milestones must be increasing, got {milestones!r}")
        self._schedulers = list(schedulers)
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Take back the step each scheduler's construction made (nested ones too)."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    @replayed
    def step(self) -> None:  # type: ignore[override]
        """Step the scheduler in charge at the new epoch (starting it at a milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, the schedulers' own state dicts in ``_schedulers``."""
        return _state_with_schedulers(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`, each scheduler's included."""
        _load_with_schedulers(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Step several chainable schedulers together: each :meth:`step` calls every scheduler's
    ``step()`` in order, so their factors multiply (``ConstantLR`` warmup times
    ``ExponentialLR`` decay, say). ``optimizer`` defaults to the first scheduler's, as in
    PyTorch 2.13."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Any = None) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                "ChainedScheduler expects at least one scheduler to be chained, but got no "
                "scheduler."
            )
        if optimizer is None:
            optimizer = schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _group_lrs(self._schedulers[-1].optimizer)

    @replayed
    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _group_lrs(self._schedulers[-1].optimizer)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, the schedulers' own state dicts in ``_schedulers``."""
        return _state_with_schedulers(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`, each scheduler's included."""
        _load_with_schedulers(self, state_dict)


class _LRScheduler(LRScheduler):
    """PyTorch's old name of the base class (``torch.optim.lr_scheduler._LRScheduler``), kept
    for scripts that subclass it."""


class SWALR(LRScheduler):
    """Anneals each group's lr to its ``swa_lr`` over ``anneal_epochs`` steps, then holds it
    (``torch.optim.swa_utils.SWALR``, also ``tensorgrad.optim.swa_utils.SWALR``). From the lr
    the previous step set, with t = step / anneal_epochs clipped to [0, 1] and alpha(t) = t
    (``'linear'``) or (1 - cos(pi t)) / 2 (``'cos'``): lr = alpha swa_lr + (1 - alpha) lr_0,
    where lr_0 undoes the previous step's annealing."""

    def __init__(
        self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:  # fmt: skip
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _alpha(self, t: float) -> float:
        return t if self.anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev = self._alpha(max(0.0, min(1.0, (step - 1) / max(1, self.anneal_epochs))))
        alpha = self._alpha(max(0.0, min(1.0, step / max(1, self.anneal_epochs))))
        lrs = []
        for group in self.optimizer.param_groups:
            swa, lr = group["swa_lr"], group["lr"]
            lr0 = swa if prev == 1 else (lr - prev * swa) / (1 - prev)  # before the annealing
            lrs.append(swa * alpha + lr0 * (1 - alpha))
        return lrs
