"""Lazy modules: layers whose input size is read from their first input, PyTorch's
``LazyModuleMixin`` and ``LazyLinear``, ``LazyConv1d/2d``, ``LazyConvTranspose1d/2d``,
``LazyBatchNorm1d/2d`` and ``LazyInstanceNorm1d/2d``.

Until its first call a lazy module holds ``UninitializedParameter``\\ s (and
``UninitializedBuffer``\\ s): placeholders with a dtype and a device but no shape. A forward
pre-hook then reads ``in_features`` / ``in_channels`` / ``num_features`` from the input,
materializes the placeholders (the same objects, so an optimizer built before keeps them),
initialises them exactly as the ordinary layer's ``reset_parameters`` does, removes itself and
turns the module into that ordinary class (``cls_to_become``: a ``LazyLinear`` becomes a
``Linear``). As in PyTorch, moving or casting the module before the first call is fine, and
the parameters are initialised after those of non-lazy modules built at the same time, so the
random draws come in a different order.

``state_dict()`` of a module still waiting shows the placeholders; ``load_state_dict`` of
initialised values into it materializes them with the loaded shapes (a checkpoint loads into
a fresh lazy model), and loading placeholders into an initialised module raises.
"""

from __future__ import annotations

import numpy as np

from .. import creation
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    BatchNormBase,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    InstanceNormBase,
)
from .parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
]


class LazyModuleMixin:
    """What makes a module lazy (put it first among the bases): a forward pre-hook that calls
    ``initialize_parameters(*args, **kwargs)`` on the first input, then turns the module into
    ``cls_to_become``, and a ``load_state_dict`` pre-hook that materializes placeholders from
    loaded values. Subclasses implement ``initialize_parameters``."""

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """As ``Module``'s, but a placeholder is stored as itself (it has nothing to detach)."""
        for name, param in self._parameters.items():
            if param is not None:
                keep = keep_vars or is_lazy(param)
                destination[prefix + name] = param if keep else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers:
                keep = keep_vars or is_lazy(buf)
                destination[prefix + name] = buf if keep else buf.detach()

    def _lazy_load_hook(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ) -> None:
        """Materialize each placeholder that ``state_dict`` has real values for, with their
        shape (the load then copies them in)."""
        for name, param in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                value = state_dict[key]
                if not is_lazy(value):
                    param.materialize(tuple(value.shape))

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Infer the parameters' shapes from the first input and initialise them."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """True while any parameter or buffer is still a placeholder."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook
        del module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. Run a "
            "dummy forward pass to correctly initialize the modules"
        )


# ------------------------------------------------------------------------------------ linear


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is the last dimension of its first input; it then
    becomes a ``Linear`` (weight and bias U(-1/sqrt(in), 1/sqrt(in)), as ``Linear``'s)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        # bias=False: no tensor is made only to be replaced by the placeholder
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            if input.ndim == 0:
                raise RuntimeError(
                    f"LazyLinear(out_features={self.out_features}): expected an input with at "
                    "least one dimension, got a 0-d tensor"
                )
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:  # materialized by load_state_dict: read it off the weight
            if input.shape[-1] != self.weight.shape[-1]:
                raise RuntimeError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]


# ------------------------------------------------------------------------------ convolutions


class _LazyConvXdMixin(LazyModuleMixin):
    """``in_channels`` from the first input's channel dimension (dim -(spatial + 1)), then
    the weight (out, in / groups, *kernel) or, transposed, (in, out / groups, *kernel)."""

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError(
                    f"in_channels must be divisible by groups (in_channels={self.in_channels} "
                    f"from input of shape {input.shape}, groups={self.groups})"
                )
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize((*shape, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        if self.in_channels == 0:  # materialized by load_state_dict: read it off the weight
            self.in_channels = self.weight.shape[0 if self.transposed else 1] * (
                1 if self.transposed else self.groups
            )

    def _get_in_channels(self, input) -> int:
        n = self._spatial
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(
                f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.ndim == n + 2 else input.shape[0]

    def _lazy_conv_init(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class LazyConv1d(_LazyConvXdMixin, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv1d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_conv_init(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvXdMixin, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_conv_init(out_channels, bias, device, dtype)


class LazyConv3d(_LazyConvXdMixin, Conv3d):
    """A ``Conv3d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv3d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_conv_init(out_channels, bias, device, dtype)


class LazyConvTranspose1d(_LazyConvXdMixin, ConvTranspose1d):
    """A ``ConvTranspose1d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose1d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
        )
        self._lazy_conv_init(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvXdMixin, ConvTranspose2d):
    """A ``ConvTranspose2d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
        )
        self._lazy_conv_init(out_channels, bias, device, dtype)


class LazyConvTranspose3d(_LazyConvXdMixin, ConvTranspose3d):
    """A ``ConvTranspose3d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose3d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0,
            0,
            kernel_size,
            stride,
            padding,
            output_padding,
            groups,
            False,
            dilation,
            padding_mode,
        )
        self._lazy_conv_init(out_channels, bias, device, dtype)


# ----------------------------------------------------------------------------- normalization


class _LazyNormBase(LazyModuleMixin):
    """``num_features`` from the first input's channel dimension; weight (ones) and bias
    (zeros) when ``affine``, running statistics (zeros, ones) when ``track_running_stats``:
    PyTorch's ``_LazyNormBase``, whose defaults (affine and tracking on) hold for the lazy
    instance norms too."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        # affine and tracking off: no tensor is made only to be replaced by a placeholder
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = creation.tensor(0, dtype=np.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.num_features == 0:
            # from the values load_state_dict materialized, else (first call) from the input;
            # a layer with neither parameters nor statistics still learns its size here
            loaded = [t for t in (self.weight, self.running_mean) if t is not None]
            if loaded and not is_lazy(loaded[0]):
                self.num_features = loaded[0].shape[0]
            else:
                self.num_features = self._get_num_features(input)
        if self.has_uninitialized_params():
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None and is_lazy(t):
                    t.materialize((self.num_features,))
            self.reset_parameters()

    def _get_num_features(self, input) -> int:
        self._check_input_dim(input)
        return input.shape[1]


class LazyBatchNorm1d(_LazyNormBase, BatchNormBase):
    """A ``BatchNorm1d`` whose ``num_features`` is the channel dimension (1) of its first
    (N, C) or (N, C, L) input."""

    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, BatchNormBase):
    """A ``BatchNorm2d`` whose ``num_features`` is the channel dimension (1) of its first
    (N, C, H, W) input."""

    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, BatchNormBase):
    """A ``BatchNorm3d`` whose ``num_features`` is the channel dimension (1) of its first
    (N, C, D, H, W) input."""

    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


class _LazyInstanceNorm(_LazyNormBase, InstanceNormBase):
    def _get_num_features(self, input) -> int:
        # the channel dimension of batched and of unbatched input (PyTorch reads dim 1,
        # which is a spatial size for unbatched input, and then fails its own check)
        s = self.spatial
        if input.ndim not in (s + 1, s + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {s + 1}D or {s + 2}D input (got "
                f"{input.ndim}D input of shape {tuple(input.shape)})"
            )
        return input.shape[input.ndim - s - 1]


class LazyInstanceNorm1d(_LazyInstanceNorm):
    """An ``InstanceNorm1d`` whose ``num_features`` is read from its first (N, C, L) or (C, L)
    input (affine and tracking running statistics by default, as PyTorch's lazy layer)."""

    cls_to_become = InstanceNorm1d
    spatial = 1


class LazyInstanceNorm2d(_LazyInstanceNorm):
    """An ``InstanceNorm2d`` whose ``num_features`` is read from its first (N, C, H, W) or
    (C, H, W) input (affine and tracking running statistics by default, as PyTorch's lazy
    layer)."""

    cls_to_become = InstanceNorm2d
    spatial = 2


class LazyInstanceNorm3d(_LazyInstanceNorm):
    """An ``InstanceNorm3d`` whose ``num_features`` is read from its first (N, C, D, H, W) or
    (C, D, H, W) input (affine and tracking running statistics by default, as PyTorch's lazy
    layer)."""

    cls_to_become = InstanceNorm3d
    spatial = 3
