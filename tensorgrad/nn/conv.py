"""Convolutions: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``, ``ConvTranspose2d``,
``ConvTranspose3d`` and their functional forms, plus ``unfold``/``fold`` (im2col and col2im).

A convolution is im2col and one matrix product (see ``tensorgrad/ops/conv.py``)::

    out[n, o, y, x] = bias[o]
                      + sum_{c, i, j} weight[o, c, i, j] xpad[n, g C/G + c, y s + i d, x s + j d]

for output channel o in group g: ``Unfold`` copies the windows into ``cols``
(C, kh, kw, N, OH, OW), viewed as (G, C/G kh kw, N OH OW), and ``weight`` viewed as
(G, O/G, C/G kh kw) multiplies it, one batched product over the groups. Its gradient needs no
rule of its own: for the weight it is the product of the output gradient with ``cols``ᵀ, for
the input ``Fold`` (col2im) of ``weight``ᵀ times the output gradient, which is a transposed
convolution. ``conv_transpose2d`` is that composition run forwards, so the gradient of a
transposed convolution is a convolution. 3-d convolutions are the same with a depth axis
(windows (C, kd, kh, kw, N, OD, OH, OW)); 1-d convolutions (and transposed ones) are 2-d ones
of height 1.
"""

from __future__ import annotations

import math

from .. import amp as _amp
from .. import creation
from ..ops.conv import BiasMatMul, Fold, Unfold, out_size
from ..tensor import Tensor
from . import init
from ._utils import ntuple
from .module import Module
from .padding import pad
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pads(padding, kernel: tuple, dilation: tuple, op: str) -> tuple:
    """((before, after), ...) per spatial axis; 'same' puts the odd extra pad after."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(
            f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
        )
    pads = ntuple(padding, n, "padding", op)
    if any(p < 0 for p in pads):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    return tuple((p, p) for p in pads)


def _check_positive(values: tuple, name: str, op: str) -> None:
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{op}: {name} must be positive, got {name}={values}")


def _check_operands(op: str, input: Tensor, weight: Tensor, bias, spatial: int) -> bool:
    """Shape, dtype and device checks; returns True when ``input`` is unbatched."""
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{op}: expected {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) input, got "
            f"input of shape {input.shape}"
        )
    if weight.ndim != spatial + 2:
        raise RuntimeError(
            f"{op}: expected a {spatial + 2}-D weight, got weight of shape {weight.shape}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if t.dtype != input.dtype:
            raise RuntimeError(
                f"{op}: input dtype {input.dtype} and {name} dtype {t.dtype} should be the same"
            )
        if t.device != input.device:
            raise RuntimeError(
                f"{op}: input is on {input.device} but {name} is on {t.device}; expected all "
                "tensors on the same device"
            )
    return input.ndim == spatial + 1


def _check_kernel_fits(op, input, weight, kernel, dilation, pads) -> None:
    padded = tuple(s + b + a for s, (b, a) in zip(input.shape[-len(kernel) :], pads))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(
            f"{op}: padded input size {padded} is smaller than the (dilated) kernel size {reach}: "
            f"input of shape {input.shape}, weight of shape {weight.shape}"
        )


def _convnd(x: Tensor, weight: Tensor, bias, stride, pads, dilation, groups) -> Tensor:
    """The batched 4-D or 5-D convolution on checked arguments (see the module docstring)."""
    o, cg, *kernel = weight.shape
    cols = Unfold.apply(x, kernel=tuple(kernel), stride=stride, dilation=dilation, pads=pads)
    n, n_out = x.shape[0], cols.shape[len(kernel) + 2 :]
    k, length = cg * math.prod(kernel), n * math.prod(n_out)
    # groups == 1 is a plain matrix product: BLAS sees one large GEMM
    lead = () if groups == 1 else (groups,)
    w2 = weight.reshape(*lead, o // groups, k)
    cols = cols.reshape(*lead, k, length)
    if bias is None:
        out = w2 @ cols
    else:
        out = BiasMatMul.apply(bias.reshape(*lead, o // groups, 1), w2, cols)
    # (N, O, ...), stored (O, N, ...)
    return out.reshape(o, n, *n_out).permute(1, 0, *range(2, 2 + len(kernel)))


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-d convolution (cross-correlation, as PyTorch) of ``input`` (N, C, H, W) or (C, H, W)
    with ``weight`` (O, C/groups, kh, kw); ``padding`` is an int, a pair, 'valid' or 'same'."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-d convolution of ``input`` (N, C, L) or (C, L) with ``weight`` (O, C/groups, k)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """3-d convolution (cross-correlation, as PyTorch) of ``input`` (N, C, D, H, W) or
    (C, D, H, W) with ``weight`` (O, C/groups, kd, kh, kw)::

        out[n, o, z, y, x] = bias[o] + sum_{c, h, i, j} weight[o, c, h, i, j]
                             xpad[n, g C/G + c, z sd + h dd, y sh + i dh, x sw + j dw]

    ``padding`` is an int, a triple, 'valid' or 'same'."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv(op, spatial, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.LOWER)
    unbatched = _check_operands(op, input, weight, bias, spatial)
    x = input.unsqueeze(0) if unbatched else input
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, spatial, "stride", op)
    dilation = ntuple(dilation, spatial, "dilation", op)
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)
    if isinstance(padding, str) and padding == "same" and any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    pads = _pads(padding, kernel, dilation, op)
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    o, cg = weight.shape[:2]
    if x.shape[1] != cg * groups:
        raise RuntimeError(
            f"{op}: given groups={groups} and weight of shape {weight.shape}, expected input "
            f"with {cg * groups} channels, got input of shape {input.shape}"
        )
    if o % groups:
        raise RuntimeError(
            f"{op}: the weight's {o} output channels (shape {weight.shape}) are not divisible "
            f"by groups={groups}"
        )
    if bias is not None and bias.shape != (o,):
        raise RuntimeError(
            f"{op}: expected bias of shape ({o},) for weight of shape {weight.shape}, got bias "
            f"of shape {bias.shape}"
        )
    _check_kernel_fits(op, x, weight, kernel, dilation, pads)
    if spatial == 1:  # a 2-d convolution over images of height 1
        out = _convnd(
            x.unsqueeze(2),
            weight.unsqueeze(2),
            bias,
            (1, *stride),
            ((0, 0), *pads),
            (1, *dilation),
            groups,
        ).squeeze(2)
    else:
        out = _convnd(x, weight, bias, stride, pads, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """The transposed convolution (the gradient of ``conv2d`` with respect to its input) of
    ``input`` (N, Cin, H, W) with ``weight`` (Cin, Cout/groups, kh, kw).

    Output size per axis: (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.
    Each input pixel scatters ``weight`` times its value into a window of the output:
    ``cols = weightᵀ @ input`` and ``Fold`` adds the windows up.
    """
    return _conv_transpose(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """The transposed 3-d convolution (the gradient of ``conv3d`` with respect to its input) of
    ``input`` (N, Cin, D, H, W) or (Cin, D, H, W) with ``weight`` (Cin, Cout/groups, kd, kh,
    kw): ``cols = weightᵀ @ input`` and ``Fold`` adds the windows up. Output size per axis:
    (D - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1."""
    return _conv_transpose(
        "conv_transpose3d",
        3,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def _conv_transpose(
    op, spatial, input, weight, bias, stride, padding, output_padding, groups, dilation
) -> Tensor:
    if _amp.AutocastState.active:
        input, weight, bias = _amp.autocast_inputs(input, weight, bias, policy=_amp.LOWER)
    unbatched = _check_operands(op, input, weight, bias, spatial)
    x = input.unsqueeze(0) if unbatched else input
    stride = ntuple(stride, spatial, "stride", op)
    dilation = ntuple(dilation, spatial, "dilation", op)
    output_padding = ntuple(output_padding, spatial, "output_padding", op)
    _check_positive(stride, "stride", op)
    _check_positive(dilation, "dilation", op)
    padding = ntuple(padding, spatial, "padding", op)
    if any(p < 0 for p in padding + output_padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    if any(p >= max(s, d) for p, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    cin, cog, *kernel = weight.shape
    if x.shape[1] != cin:
        raise RuntimeError(
            f"{op}: weight of shape {weight.shape} expects input with {cin} channels, got input "
            f"of shape {input.shape}"
        )
    if cin % groups:
        raise RuntimeError(
            f"{op}: the weight's {cin} input channels (shape {weight.shape}) are not divisible by "
            f"groups={groups}"
        )
    if bias is not None and bias.shape != (cog * groups,):
        raise RuntimeError(
            f"{op}: expected bias of shape ({cog * groups},) for weight of shape "
            f"{weight.shape}, got bias of shape {bias.shape}"
        )
    n, sizes = x.shape[0], x.shape[2:]
    size = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + op_ + 1
        for i, s, p, d, k, op_ in zip(sizes, stride, padding, dilation, kernel, output_padding)
    )
    if any(s <= 0 for s in size):
        raise RuntimeError(
            f"{op}: the output size {size} is too small (input of shape {input.shape}, weight of "
            f"shape {weight.shape})"
        )
    cin_g = cin // groups
    x2 = x.permute(1, 0, *range(2, 2 + spatial)).reshape(groups, cin_g, n * math.prod(sizes))
    w2 = weight.reshape(groups, cin_g, cog * math.prod(kernel)).mT
    cols = (w2 @ x2).reshape(cog * groups, *kernel, n, *sizes)
    # the canvas of the H windows is output_padding rows shorter than output + 2 padding
    pads = tuple((p, p - q) for p, q in zip(padding, output_padding))
    out = Fold.apply(
        cols, size=size, kernel=tuple(kernel), stride=stride, dilation=dilation, pads=pads
    )
    if bias is not None:
        out = out + bias.reshape(1, -1, *(1,) * spatial)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """The transposed 1-d convolution (the gradient of ``conv1d`` with respect to its input) of
    ``input`` (N, Cin, L) or (Cin, L) with ``weight`` (Cin, Cout/groups, k). Output length:
    (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1."""
    return _conv_transpose(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The sliding windows of ``input`` (N, C, H, W) as columns: (N, C kh kw, L)."""
    op = "unfold"
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected 3-D or 4-D input, got input of shape {input.shape}")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    kernel = ntuple(kernel_size, 2, "kernel_size", op)
    dilation, stride = ntuple(dilation, 2, "dilation", op), ntuple(stride, 2, "stride", op)
    for name, v in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        _check_positive(v, name, op)
    pads = _pads(padding, kernel, dilation, op)
    n, c = x.shape[:2]
    sizes = [out_size(x.shape[2 + i], kernel[i], stride[i], dilation[i], *pads[i]) for i in (0, 1)]
    if min(sizes) <= 0:
        raise RuntimeError(
            f"{op}: the windows of kernel_size={kernel}, dilation={dilation}, padding={padding}, "
            f"stride={stride} don't fit in input of shape {input.shape}"
        )
    cols = Unfold.apply(x, kernel=kernel, stride=stride, dilation=dilation, pads=pads)
    length = sizes[0] * sizes[1]  # not -1: an empty batch leaves it undetermined
    out = cols.permute(3, 0, 1, 2, 4, 5).reshape(n, c * kernel[0] * kernel[1], length)
    return out.squeeze(0) if input.ndim == 3 else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The adjoint of ``unfold``: sums columns (N, C kh kw, L) back into images (N, C, H, W)."""
    op = "fold"
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected 2-D or 3-D input, got input of shape {input.shape}")
    x = input.unsqueeze(0) if input.ndim == 2 else input
    size = ntuple(output_size, 2, "output_size", op)
    kernel = ntuple(kernel_size, 2, "kernel_size", op)
    dilation, stride = ntuple(dilation, 2, "dilation", op), ntuple(stride, 2, "stride", op)
    for name, v in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        _check_positive(v, name, op)
    pads = _pads(padding, kernel, dilation, op)
    oh, ow = (out_size(size[i], kernel[i], stride[i], dilation[i], *pads[i]) for i in (0, 1))
    n, ckk, length = x.shape
    kk = kernel[0] * kernel[1]
    if ckk % kk or length != oh * ow:
        raise RuntimeError(
            f"{op}: input of shape {input.shape} does not match output_size={size}, "
            f"kernel_size={kernel} (expected dimension 1 divisible by {kk} and {oh * ow} blocks)"
        )
    cols = x.reshape(n, ckk // kk, *kernel, oh, ow).permute(1, 2, 3, 0, 4, 5)
    out = Fold.apply(cols, size=size, kernel=kernel, stride=stride, dilation=dilation, pads=pads)
    return out.squeeze(0) if input.ndim == 2 else out


# ------------------------------------------------------------------------------------ modules


class _ConvNd(Module):
    """What the convolution layers (1-d, 2-d, 3-d, plain and transposed) share: PyTorch's
    ``_ConvNd`` attributes, parameters, initialisation and ``extra_repr``."""

    _spatial = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed: bool,
        output_padding,
        groups: int,
        bias: bool,
        padding_mode: str,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self._spatial
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name)
        self.transposed = transposed
        self.output_padding = ntuple(output_padding, n, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zero padding modes: last axis first, (before, after)
        pads = _pads(self.padding, self.kernel_size, self.dilation, name)
        self._reversed_padding_repeated_twice = [p for pair in reversed(pads) for p in pair]
        if transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(creation.empty(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """W ~ U(-b, b) with b = 1/sqrt(fan_in) (Kaiming-uniform with a = sqrt(5)), and the
        bias too, fan_in = weight.shape[1] * kernel area, as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input: Tensor) -> None:
        """A clear error naming this layer for the common mistakes: rank and channel count."""
        n = self._spatial
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(
                f"{self._name()}: expected {n + 1}-D (unbatched) or {n + 2}-D (batched) input, "
                f"got shape {input.shape}"
            )
        if input.shape[-n - 1] != self.in_channels:
            raise RuntimeError(
                f"{self._name()}: expected input with {self.in_channels} channels, got shape "
                f"{input.shape}"
            )

    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _conv_forward(self, input: Tensor, fn) -> Tensor:
        self._check_input(input)
        if self.padding_mode != "zeros":
            x = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class _Conv(_ConvNd):
    """The (non-transposed) convolution layers: one constructor with PyTorch's signature;
    subclasses set the number of spatial dims and the functional form."""

    _conv = None  # conv1d, conv2d or conv3d

    def __init__(
        self,
        in_channels: int,
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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, type(self)._conv)


class Conv1d(_Conv):
    """1-d convolution over (N, C, L) or (C, L) input; weight (out, in/groups, k)."""

    _spatial = 1
    _conv = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-d convolution over (N, C, H, W) or (C, H, W) input; weight (out, in/groups, kh, kw)."""

    _conv = staticmethod(conv2d)


class Conv3d(_Conv):
    """3-d convolution over (N, C, D, H, W) or (C, D, H, W) input; weight (out, in/groups, kd,
    kh, kw)."""

    _spatial = 3
    _conv = staticmethod(conv3d)


class _ConvTransposeNd(_ConvNd):
    """What the transposed convolution layers share: PyTorch's constructor, and a
    ``forward`` with an optional ``output_size`` that picks ``output_padding`` when several
    sizes are possible."""

    def __init__(
        self,
        in_channels: int,
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
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of ints")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        n = self._spatial
        output_size = tuple(output_size)
        if len(output_size) in (n + 2, n + 1):  # batch and/or channel dimensions given too
            output_size = output_size[-n:]
        if len(output_size) != n:
            raise ValueError(
                f"{type(self).__name__}: output_size must have {n} or {n + 2} elements, got "
                f"{output_size}"
            )
        lo, hi = [], []
        for i in range(n):
            size = (
                (input.shape[-n + i] - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            lo.append(size)
            hi.append(size + self.stride[i] - 1)
        if any(not a <= s <= b for a, s, b in zip(lo, output_size, hi)):
            raise ValueError(
                f"requested an output size of {list(output_size)}, but valid sizes range from "
                f"{lo} to {hi} (for an input of shape {input.shape})"
            )
        return tuple(s - a for s, a in zip(output_size, lo))

    _conv_transpose = None  # conv_transpose1d, conv_transpose2d or conv_transpose3d

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return type(self)._conv_transpose(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """The transposed 1-d convolution over (N, C, L) or (C, L) input; weight
    (in, out/groups, k)."""

    _spatial = 1
    _conv_transpose = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """The transposed 2-d convolution; weight (in, out/groups, kh, kw)."""

    _conv_transpose = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """The transposed 3-d convolution over (N, C, D, H, W) or (C, D, H, W) input; weight
    (in, out/groups, kd, kh, kw)."""

    _spatial = 3
    _conv_transpose = staticmethod(conv_transpose3d)
