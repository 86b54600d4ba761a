"""``Optimizer``: the base of every optimizer, PyTorch's ``torch.optim.Optimizer`` in small.

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's
hyperparameters, missing ones filled from ``defaults``) and ``state`` (a dict keyed by
parameter holding each parameter's buffers). ``step()`` updates every parameter that has a
gradient in place, on its raw array, so no graph is recorded and views and saved tensors see
the change through the version counter. ``state_dict()`` uses PyTorch's layout, parameters
referred to by their index in group order::

    {'state': {0: {'step': tensor(3.), 'exp_avg': ...}, ...},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1, 2]}, ...]}
"""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import backend
from ..backend import is_array, to_device, xp_of
from ..grad_mode import enable_grad
from ..hooks import RemovableHandle
from ..jit.recorder import replayed
from ..tensor import Tensor


class _Required:
    """Default of a hyperparameter each group must give (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap an optimizer's ``step`` so that it runs the step pre and post hooks around it. With
    no hook registered it is one test and a call; a ``step`` that calls ``super().step()`` runs
    the hooks once, in the outermost call."""

    @functools.wraps(step)
    def step_with_hooks(self, *args, **kwargs):
        pre, post = self._optimizer_step_pre_hooks, self._optimizer_step_post_hooks
        if not (pre or post) or self._in_step_hooks:
            return step(self, *args, **kwargs)
        args = (self, *args)  # PyTorch's hooks see the optimizer as args[0]
        self._in_step_hooks = True
        try:
            for hook in list(pre.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
            out = step(*args, **kwargs)
            for hook in list(post.values()):
                hook(self, args, kwargs)
        finally:
            self._in_step_hooks = False
        return out

    return replayed(step_with_hooks)  # tg.compile's replay calls step again


def scalar_dtype():
    """The dtype of an optimizer's scalar state (``step``, NAdam's ``mu_product``, ASGD's
    ``eta`` and ``mu``): PyTorch's ``_get_scalar_dtype()``, float64 under a float64 default,
    else float32."""
    return np.float64 if backend.DEFAULT_FLOAT == np.float64 else np.float32


class Optimizer:
    """Base class: subclasses set ``defaults`` and implement ``_update_group(group)``, which
    updates the group's parameters in place (it runs once per group inside ``step``): it makes
    the state and the per-parameter scalars, then hands the elementwise work to
    ``_foreach.run_kernel``, which splits large steps across threads."""

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)  # as in PyTorch
        self.param_groups: list[dict[str, Any]] = []
        # Per-parameter scratch arrays (same shape and dtype) that the updates write their
        # intermediates into, so a step allocates nothing; not state, so not in state_dict().
        self._scratch: dict[Tensor, list] = {}
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._in_step_hooks = False
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs) -> None:
        # A subclass that writes its own step() gets the step hooks too, without repeating code.
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + type(p).__name__
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if any(id(p) in ids for g in self.param_groups for p in g["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping

    @replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0
                    p.grad._version_counter[0] += 1

    @_with_step_hooks
    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter that has a gradient. ``closure`` (optional) reevaluates
        the model and returns the loss; it runs first, with grad enabled, and its loss is
        returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # all gradients are checked before anything changes, so a bad one leaves no half step
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._check_grad(p, p.grad)
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _state_shape(self, key: str, p: Tensor) -> tuple:
        """The shape of state entry ``key`` of parameter ``p`` (checked on load): ``p``'s, unless
        an optimizer keeps a reduced moment (Adafactor's factored ones)."""
        return p.shape

    # ------------------------------------------------------------------ step hooks

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before every ``step``; it returns None or a
        pair ``(new_args, new_kwargs)`` that replaces them. As in PyTorch, ``args`` holds
        everything ``step`` was called with, the optimizer itself first. The returned handle's
        ``remove()`` unregisters the hook."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after every ``step`` (its result is ignored);
        the handle's ``remove()`` unregisters it."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _params_with_grad(self, group: dict[str, Any]):
        """Yield ``(param, param array, grad array)`` for the group's parameters with a grad,
        bumping each parameter's version counter (its array is about to change in place)."""
        for p in group["params"]:
            g = p.grad
            if g is not None:
                p._version_counter[0] += 1
                yield p, p.array, g.array

    def _check_grad(self, p: Tensor, g: Tensor) -> None:
        if g.shape != p.shape:
            raise RuntimeError(
                f"{type(self).__name__}.step: gradient of shape {g.shape} does not match "
                f"its parameter of shape {p.shape}"
            )
        if g.dtype != p.dtype:
            raise RuntimeError(
                f"{type(self).__name__}.step: gradient of dtype {g.dtype} does not match "
                f"its parameter of dtype {p.dtype}"
            )

    def _buffers(self, p: Tensor, n: int) -> list:
        """``n`` scratch arrays shaped like ``p``, made once and reused every step (float32 for a
        bfloat16 ``p``, whose update is computed in float32: ``_foreach.run_kernel``)."""
        bufs = self._scratch.get(p)
        if bufs is None or len(bufs) < n or bufs[0].shape != p.array.shape:
            bf16 = p.array.dtype is backend.BF16
            bufs = [p.array.astype(np.float32) if bf16 else p.array.copy() for _ in range(n)]
            self._scratch[p] = bufs
        return bufs

    @staticmethod
    def _zeros_like(p: Tensor) -> Tensor:
        return Tensor._make(xp_of(p.array).zeros_like(p.array))

    @staticmethod
    def _new_step() -> Tensor:
        # A 0-d tensor on the CPU, as in PyTorch (not capturable): reading it is free.
        return Tensor._make(np.zeros((), dtype=scalar_dtype()))

    @staticmethod
    def _increment(state: dict[str, Any]) -> float:
        """Add one to ``state['step']`` in place and return the new count as a Python float."""
        step = state["step"]
        step.array += 1
        step._version_counter[0] += 1
        return float(step.array)

    # ------------------------------------------------------------------ state dict

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: per-parameter state keyed by parameter index (counted across the
        groups in order) and the groups with ``'params'`` as lists of those indices. Tensors are
        the live state (as in PyTorch); ``copy.deepcopy`` or saving snapshots it."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore state and hyperparameters saved by ``state_dict()``; this optimizer's own
        parameters stay. Tensors are copied (cast to the parameter's dtype and device), so the
        loaded dict is never written to by later steps. The ``'step'`` count and the other
        per-parameter scalars (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) stay 0-d
        float32 CPU tensors; PyTorch casts the latter to the parameter's dtype, which would make
        a resumed run drift from an uninterrupted one."""
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)} saved, {len(groups)} in the optimizer)"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups, strict=True)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group (group {i}, "
                    f"{len(s['params'])} params) that doesn't match the size of optimizer's "
                    f"group ({len(g['params'])} params)"
                )
        id_map = {
            saved: p
            for g, s in zip(groups, saved_groups, strict=True)
            for saved, p in zip(s["params"], g["params"], strict=True)
        }
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key not in id_map:
                continue  # torch ignores state of indices it does not know as well
            p = id_map[key]
            new_state[p] = {
                k: _cast_state(k, v, p, key, self._state_shape(k, p)) for k, v in value.items()
            }
        new_groups = []
        for g, s in zip(groups, saved_groups, strict=True):
            new_group = {k: v for k, v in s.items() if k != "params"}
            for k, v in self.defaults.items():
                new_group.setdefault(k, v)
            new_group["params"] = g["params"]
            new_groups.append(new_group)
        self.state = new_state
        self.param_groups = new_groups


# State entries that are one 0-d float32 CPU number per parameter, whatever its shape.
SCALAR_STATE = frozenset({"step", "mu_product", "eta", "mu"})


def _cast_state(key: str, value: Any, p: Tensor, index: int, shape: tuple) -> Any:
    """Copy one loaded state entry to a Tensor of ``p``'s dtype and device and of ``shape`` (the
    entry's shape for ``p``), scalars staying 0-d float32."""
    if key in SCALAR_STATE:  # whatever was saved (an int 'step' in old torch, a float64 tensor)
        return Tensor._make(np.array(float(value), dtype=np.float32))
    if isinstance(value, Tensor):
        array = value.array
    elif hasattr(value, "shape"):  # an array (or a torch tensor, through __array__)
        array = value if is_array(value) else np.asarray(value)
    else:
        return value  # a Python number or flag kept in the state
    if tuple(array.shape) != shape:
        needs = "" if shape == p.shape else f" (so '{key}' must have shape {shape})"
        raise ValueError(
            f"loaded state dict has '{key}' of shape {tuple(array.shape)} for parameter "
            f"{index}, which has shape {p.shape}{needs}"
        )
    array = to_device(array, p.device)
    return Tensor._make(array.astype(p.array.dtype, copy=True))


def check_flags(
    name: str,
    *,
    foreach: bool | None = None,
    fused: bool | None = None,
    capturable: bool = False,
    differentiable: bool = False,
) -> None:
    """PyTorch's implementation switches, which every optimizer accepts and keeps in its param
    groups, with PyTorch's keys in PyTorch's order (so the groups of a state dict saved by
    PyTorch load as they are, and ours have PyTorch's layout):

    - ``foreach`` (None/True/False): ignored. Every step already runs as a few whole-array
      passes per parameter (split across threads when large), which is what foreach buys.
    - ``fused`` (None/False/True, where PyTorch has it): accepted and ignored, since the update
      is already one fused pass (a numba kernel for SGD and Adam/AdamW when ``tg.kernels`` is
      enabled, whole-array NumPy passes otherwise); the numbers are those of PyTorch's
      single-tensor path either way. ``fused=True`` with ``foreach=True`` is PyTorch's error.
    - ``capturable=True`` (CUDA graph capture) and ``differentiable=True`` (autograd through the
      step) raise ``NotImplementedError``: tensorgrad has no CUDA graphs, and its steps update
      the parameters' arrays in place outside autograd.
    """
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if capturable:
        raise NotImplementedError(
            f"{name}: capturable=True (a step that can be captured in a CUDA graph) is not "
            "supported: tensorgrad has no CUDA graphs; use capturable=False"
        )
    if differentiable:
        raise NotImplementedError(
            f"{name}: differentiable=True (autograd through the optimizer step) is not "
            "supported: tensorgrad's steps update the parameters in place outside autograd; "
            "use differentiable=False"
        )


def check_hyper(name: str, value: float, low: float = 0.0, high: float | None = None) -> None:
    """PyTorch's validation: ``ValueError('Invalid learning rate: -1')`` and the like."""
    if not low <= value or (high is not None and not value < high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high})"
        raise ValueError(f"Invalid {name}: {value} (must be {bounds})")


def check_betas(betas) -> tuple[float, float]:
    """``betas`` as a pair, each in [0, 1), with PyTorch's error otherwise."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")
    return tuple(betas)


def weight_decay_terms(group: dict) -> tuple[float, float]:
    """``(decay, l2)`` of a param group with a ``decoupled_weight_decay`` switch: decoupled
    (AdamW's) shrinks the weights, ``p *= decay = 1 - lr * weight_decay``, before the update;
    otherwise ``l2 = weight_decay`` is added to the gradient as ``g + l2 * p``."""
    weight_decay = group["weight_decay"]
    if weight_decay != 0 and group["decoupled_weight_decay"]:
        return 1 - group["lr"] * weight_decay, 0
    return 1.0, weight_decay
