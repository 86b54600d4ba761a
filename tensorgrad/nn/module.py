"""``Module``: the base class of every layer and model, PyTorch's ``torch.nn.Module``.

A module registers what is assigned to its attributes: a ``Parameter`` goes to
``_parameters``, a ``Module`` to ``_modules``, a tensor given to ``register_buffer`` to
``_buffers``. Everything else (``parameters()``, ``state_dict()``, ``to()``, ``train()``) walks
those three dictionaries, so the names in a state dict are the attribute paths (``0.weight``,
``encoder.layers.1.norm.bias``), exactly as PyTorch names them.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from .. import backend
from ..backend import is_float
from ..grad_mode import no_grad
from ..hooks import RemovableHandle
from ..jit import recorder
from ..tensor import Tensor
from .backward_hook import BackwardHook
from .parameter import Buffer, Parameter, is_lazy

# Hooks every module call runs, before each module's own (PyTorch's register_module_*_hook).
# _global_call_hooks holds the handle id of each of them, so an unhooked call tests one dict.
_global_call_hooks: dict = {}
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: dict = {}
_global_forward_hooks_always_called: dict = {}
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the model's keys the state dict lacked, and the state
    dict's keys the model has no place for."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Subclass with ``__init__`` (call ``super().__init__()`` first) and ``forward``."""

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_backward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_call_hooks"] = {}  # the id of every forward and backward hook above: one test
        d["_load_state_dict_pre_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if recorder.ACTIVE is not None:  # tg.compile guards the mode of every module called
            recorder.ACTIVE.modules[id(self)] = self
        if not (self._call_hooks or _global_call_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        """PyTorch's ``Module._call_impl``: the global hooks, then the module's own."""
        if recorder.ACTIVE is not None:  # a replay would run the forward's ops, not the hooks
            recorder.ACTIVE.unsupported(f"a hook on the module {self._get_name()}")
        with_kwargs = {**_global_forward_hooks_with_kwargs, **self._forward_hooks_with_kwargs}
        always = {**_global_forward_hooks_always_called, **self._forward_hooks_always_called}
        full_hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
        backward_pre_hooks = [
            *_global_backward_pre_hooks.values(),
            *self._backward_pre_hooks.values(),
        ]
        for key, hook in [*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()]:
            if key in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of "
                            f"(new_args, new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hook = None
        if full_hooks or backward_pre_hooks:
            backward_hook = BackwardHook(self, full_hooks, backward_pre_hooks)
            args = backward_hook.setup_input_hook(args)
        forward_hooks = [*_global_forward_hooks.items(), *self._forward_hooks.items()]
        called = set()
        out = None
        try:
            out = self.forward(*args, **kwargs)
            for key, hook in forward_hooks:
                called.add(key)
                if key in with_kwargs:
                    result = hook(self, args, kwargs, out)
                else:
                    result = hook(self, args, out)
                if result is not None:
                    out = result
            if backward_hook is not None:
                out = backward_hook.setup_output_hook(out)
        except Exception:
            # hooks registered with always_call run even when forward (or a hook) raised
            for key, hook in forward_hooks:
                if key in always and key not in called:
                    try:
                        if key in with_kwargs:
                            hook(self, args, kwargs, out)
                        else:
                            hook(self, args, out)
                    except Exception as e:
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an exception "
                            f"that was silenced as another error was raised in forward: {e}",
                            stacklevel=2,
                        )
            raise
        return out

    def __setstate__(self, state: dict) -> None:
        """A module pickled before a kind of hook existed gets its empty registry."""
        self.__dict__.update(state)
        for name in (
            "_forward_pre_hooks",
            "_forward_hooks",
            "_backward_pre_hooks",
            "_backward_hooks",
            "_load_state_dict_pre_hooks",
        ):
            self.__dict__.setdefault(name, OrderedDict())
        for name in (
            "_call_hooks",
            "_forward_pre_hooks_with_kwargs",
            "_forward_hooks_with_kwargs",
            "_forward_hooks_always_called",
        ):
            self.__dict__.setdefault(name, {})

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, (Parameter, Module, Buffer)) and params is None:
            kind = {Parameter: "parameters", Module: "module", Buffer: "buffer"}
            what = next(v for k, v in kind.items() if isinstance(value, k))
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call "
                f"(assigning {name!r} in {type(self).__name__})"
            )
        if isinstance(value, Parameter):
            _forget(d, name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(tensorgrad.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            _forget(d, name, keep="_modules")
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' "
                    "(tensorgrad.nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif isinstance(value, Buffer):
            _forget(d, name, keep="_buffers")
            self.register_buffer(name, value, value.persistent)
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(tensorgrad.nn.Buffer, tensorgrad.Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d["_parameters"]:
            del d["_parameters"][name]
        elif name in d["_buffers"]:
            del d["_buffers"][name]
            d["_non_persistent_buffers"].discard(name)
        elif name in d["_modules"]:
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = [
            *dir(type(self)),
            *self.__dict__,
            *self._parameters,
            *self._modules,
            *self._buffers,
        ]
        return sorted({k for k in keys if not k[0].isdigit()})

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` as ``name`` (None keeps the name registered, with no value: it is left
        out of ``parameters()`` and ``state_dict()``, as a layer built with ``bias=False``)."""
        _check_name(self, name, "parameter", "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(tensorgrad.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                f"be created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (running statistics). A
        non-persistent buffer moves with ``to()`` but is left out of ``state_dict()``."""
        _check_name(self, name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(tensorgrad.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(self, name, "module", "_modules")
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
            module = module._modules[part]
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target`` (its parent must exist); replace what
        is there, which must be a module, or with ``strict`` only replace an existing one."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"{module._get_name()} has no buffer `{name}`")
        return module._buffers[name]

    # ------------------------------------------------------------------ traversal

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(name, module) for this module and every descendant, depth first, each module once
        (under the first name it was met by) unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and conversion

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and (through each child's own ``train``) below."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @recorder.replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient, or with ``set_to_none=False`` zero it in place
        (the same gradient tensor, cut from any graph)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Module:
        """Replace every parameter's, gradient's and buffer's storage by ``fn``'s result. The
        Parameter and buffer objects stay the same, so optimizers built before keep working."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        with no_grad():
            for registry in (self._parameters, self._buffers):
                for t in registry.values():
                    if t is None:
                        continue
                    if is_lazy(t):  # no values yet: only its dtype and device change
                        t._convert(fn)
                        continue
                    new = fn(t)
                    if new is not t and new.array is not t.array:
                        t.array = new.array
                    if t.grad is not None:
                        g = fn(t.grad)
                        if g is not t.grad and g.array is not t.grad.array:
                            t.grad.array = g.array
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``, in place.
        A dtype converts the floating-point parameters and buffers only (integer buffers such
        as ``num_batches_tracked`` keep theirs). ``memory_format=tg.channels_last`` lays out the
        4-D ones (convolution weights) as (out, kH, kW, in) in memory, ``channels_last_3d`` the
        5-D ones, as PyTorch's."""
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        layout = kwargs.get("memory_format")
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, bool):
                continue  # non_blocking
            elif isinstance(a, (str, backend.Device)):
                device = a
            else:
                dtype = a
        if dtype is not None:
            dtype = backend.to_dtype(dtype)
            if not is_float(np.dtype(dtype.np)):
                raise TypeError(
                    "nn.Module.to only accepts floating point dtypes, but got desired "
                    f"dtype={dtype}"
                )

        def convert(t: Tensor) -> Tensor:
            t = t.to(device=device, dtype=dtype if t.is_floating_point() else None)
            if layout is not None and layout.order is not None and t.ndim == len(layout.order):
                t = t.contiguous(memory_format=layout)
            return t

        return self._apply(convert)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        return self.to(f"cuda:{device}" if isinstance(device, int) else device or "cuda")

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def half(self) -> Module:
        return self.to(np.float16)

    def bfloat16(self) -> Module:
        """Floating point parameters and buffers cast to bfloat16 (needs ml_dtypes)."""
        return self.to(backend.bfloat16)

    # ------------------------------------------------------------------ state dict

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """This module's own parameters and persistent buffers (override to add state)."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, in registration order, each
        module's own before its children's (detached unless ``keep_vars``)."""
        if args:  # PyTorch's deprecated positional form (destination, prefix, keep_vars)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and not keep_vars else keep_vars
        if destination is None:
            destination = OrderedDict()
        d = self.__dict__
        for hook in list(d.get("_state_dict_pre_hooks", {}).values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        public = d.get("_state_dict_hooks_public", {})
        for key, hook in list(d.get("_state_dict_hooks", {}).items()):
            result = hook(self, destination, prefix, {"version": getattr(self, "_version", 1)})
            if key in public and result is not None:
                raise RuntimeError("state_dict post-hook must return None")
            if result is not None:
                destination = result
        return destination

    def load_state_dict(
        self, state_dict: Mapping, strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy values in by name (cast to each target's dtype and device).

        Missing and unexpected keys raise ``RuntimeError`` naming them when ``strict``; with
        ``strict=False`` they are returned. A wrong shape always raises, with both shapes.
        Nothing is written unless every check passes. Values may be tensorgrad or PyTorch
        tensors or NumPy arrays. ``assign=True`` makes the loaded values the parameters
        (keeping each one's ``requires_grad``) instead of copying into them.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # the hooks may edit it: never the caller's
        hook_missing, hook_errors = [], []
        for prefix, module in self.named_modules(remove_duplicate=False):
            hooks = module.__dict__.get("_load_state_dict_pre_hooks")
            if not hooks:
                continue
            local = (metadata or {}).get(prefix, {})
            for hook in list(hooks.values()):
                prefixed = prefix + "." if prefix else ""
                hook(state_dict, prefixed, local, strict, hook_missing, [], hook_errors)
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict] + hook_missing
        unexpected = [k for k in state_dict if k not in own]
        errors, values = list(hook_errors), {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            if is_lazy(state_dict[key]) or is_lazy(target):
                if not is_lazy(target):
                    _ = state_dict[key].shape  # raises PyTorch's error: nothing to load from
                continue  # a lazy module still waiting for its first forward keeps its own
            value = _as_array(state_dict[key])
            if target.ndim == 0 and value.shape == (1,):
                value = value.reshape(())  # PyTorch accepts a 1-element vector for a scalar
            if tuple(value.shape) != target.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} "
                    f"from checkpoint, the shape in current model is {target.shape}."
                )
            values[key] = value
        # post hooks may forgive missing or unexpected keys, so with any the key check waits
        # until they ran, after the values are written (PyTorch's order)
        post_hooks = [
            (m, hook)
            for m in _post_order(self)
            for hook in m.__dict__.get("_load_state_dict_post_hooks", {}).values()
        ]
        if strict and not post_hooks:
            errors[:0] = _key_errors(missing, unexpected)
        _raise_load_errors(self, errors)
        with no_grad():
            for key, value in values.items():
                target = own[key]
                if not assign:
                    target.copy_(Tensor._from_data(value, device=target.device))
                    continue
                path, _, name = key.rpartition(".")
                owner = self.get_submodule(path)
                new = Tensor._from_data(value, device=target.device)
                if isinstance(target, Parameter):
                    new = Parameter(new, requires_grad=target.requires_grad)
                    owner._parameters[name] = new
                else:
                    owner._buffers[name] = new
        result = IncompatibleKeys(missing, unexpected)
        for module, hook in post_hooks:
            if hook(module, result) is not None:
                raise AssertionError(
                    "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                    "expected to return new values, if incompatible_keys need to be modified, "
                    "it should be done inplace."
                )
        if strict and post_hooks:
            _raise_load_errors(self, _key_errors(missing, unexpected))
        return result

    # ------------------------------------------------------------------ hooks

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """PyTorch's private hook: ``hook(state_dict, prefix, local_metadata, strict,
        missing_keys, unexpected_keys, error_msgs)`` (the module first with ``with_module``)
        runs at the start of ``load_state_dict``, before any key is checked. It may edit
        ``state_dict`` (a copy of the caller's: rename keys, as weight norm's compatibility
        hook does) or materialize lazy parameters; keys it appends to ``missing_keys`` and
        messages to ``error_msgs`` are reported with the load's own."""
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = (lambda *args: hook(self, *args)) if with_module else hook
        return handle

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs at the start of ``load_state_dict`` (see
        ``_register_load_state_dict_pre_hook``)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after ``load_state_dict`` wrote the values,
        children before parents, before the strict check: removing keys from
        ``incompatible_keys.missing_keys`` or ``.unexpected_keys`` (in place; it must return
        None) forgives them."""
        hooks = self.__dict__.setdefault("_load_state_dict_post_hooks", OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs when ``state_dict`` reaches this module,
        before its entries are added."""
        hooks = self.__dict__.setdefault("_state_dict_pre_hooks", OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs once this module's and its
        children's entries are in ``state_dict``; it may edit it in place and must return
        None."""
        handle = self._register_state_dict_hook(hook)
        self._state_dict_hooks_public[handle.id] = True
        return handle

    def _register_state_dict_hook(self, hook) -> RemovableHandle:
        """PyTorch's older private form of ``register_state_dict_post_hook``: a state dict the
        hook returns replaces the one being built."""
        hooks = self.__dict__.setdefault("_state_dict_hooks", OrderedDict())
        public = self.__dict__.setdefault("_state_dict_hooks_public", {})
        handle = RemovableHandle(hooks, public)
        hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a value it returns replaces the
        positional arguments (a non-tuple is wrapped in one). With ``with_kwargs``,
        ``hook(module, args, kwargs)`` may return a new ``(args, kwargs)``."""
        handle = RemovableHandle(
            self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs, self._call_hooks
        )
        self._call_hooks[handle.id] = True
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(
        self,
        hook,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) runs after ``forward``; a value it returns replaces the output.
        ``always_call`` runs it even when ``forward`` raises."""
        handle = RemovableHandle(
            self._forward_hooks,
            self._forward_hooks_with_kwargs,
            self._forward_hooks_always_called,
            self._call_hooks,
        )
        self._call_hooks[handle.id] = True
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients w.r.t. the module's outputs
        are computed, before they flow on into the module; a tuple it returns (one entry per
        output, ``None`` for a non-tensor) replaces ``grad_output``. Hooks that exist when the
        module is called are the ones its backward runs."""
        handle = RemovableHandle(self._backward_pre_hooks, self._call_hooks)
        self._call_hooks[handle.id] = True
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients w.r.t. the
        module's positional inputs are computed: ``grad_input[i]`` is dL/d args[i] (``None``
        for a non-tensor; zeros for a tensor that needs no gradient or got none),
        ``grad_output[j]`` is dL/d output[j]. A tuple it returns replaces ``grad_input`` for
        what flows on. The module's tensor inputs and outputs pass through an identity
        ``BackwardHookFunction`` (see ``tensorgrad.nn.backward_hook``), so modifying them in
        place raises, as in PyTorch."""
        handle = RemovableHandle(self._backward_hooks, self._call_hooks)
        self._call_hooks[handle.id] = True
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ repr

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The layer's own settings, shown inside its parentheses by ``repr``."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        head = self._get_name() + "("
        if not lines:
            return head + ")"
        if len(extra_lines) == 1 and not child_lines:
            return head + extra_lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """``hook(module, args)`` before every module's forward (before the module's own pre
    hooks); it may return new args, as ``Module.register_forward_pre_hook``."""
    handle = RemovableHandle(_global_forward_pre_hooks, _global_call_hooks)
    _global_call_hooks[handle.id] = True
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(
    hook, *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """``hook(module, args, output)`` after every module's forward (before the module's own
    forward hooks), as ``Module.register_forward_hook``."""
    handle = RemovableHandle(
        _global_forward_hooks,
        _global_forward_hooks_with_kwargs,
        _global_forward_hooks_always_called,
        _global_call_hooks,
    )
    _global_call_hooks[handle.id] = True
    _global_forward_hooks[handle.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """``Module.register_full_backward_pre_hook`` for every module (run before the module's
    own)."""
    handle = RemovableHandle(_global_backward_pre_hooks, _global_call_hooks)
    _global_call_hooks[handle.id] = True
    _global_backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """``Module.register_full_backward_hook`` for every module (run before the module's
    own)."""
    handle = RemovableHandle(_global_backward_hooks, _global_call_hooks)
    _global_call_hooks[handle.id] = True
    _global_backward_hooks[handle.id] = hook
    return handle


def _post_order(module: Module):
    """The module tree, each module after its children (the order load post hooks run in)."""
    for child in module._modules.values():
        if child is not None:
            yield from _post_order(child)
    yield module


def _key_errors(missing: list, unexpected: list) -> list:
    errors = []
    if missing:
        errors.append(f"Missing key(s) in state_dict: {_quote(missing)}. ")
    if unexpected:
        errors.append(f"Unexpected key(s) in state_dict: {_quote(unexpected)}. ")
    return errors


def _raise_load_errors(module: Module, errors: list) -> None:
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t" + "\n\t".join(errors)
        )


def _typename(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _check_name(module: Module, name: str, kind: str, registry: str) -> None:
    """PyTorch's checks before registering ``name``: after ``__init__``, a non-empty string
    without dots, not already an attribute of another kind."""
    if registry not in module.__dict__:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in module.__dict__[registry]:
        raise KeyError(f"attribute '{name}' already exists")


def _forget(d: dict, name: str, keep: str) -> None:
    """Drop ``name`` from the instance and the other registries before it is registered in
    ``keep`` (where it keeps its place, so replacing a tied weight keeps the key order)."""
    d.pop(name, None)
    for registry in ("_parameters", "_buffers", "_modules"):
        if registry != keep:
            d[registry].pop(name, None)
    if keep != "_buffers":
        d["_non_persistent_buffers"].discard(name)


def _as_array(value):
    if isinstance(value, Tensor):
        return value.array
    if backend.is_array(value):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a PyTorch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _quote(keys: list) -> str:
    return ", ".join(f'"{k}"' for k in keys)
