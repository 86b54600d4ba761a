"""Resampling: ``interpolate`` and the ``Upsample`` layers, PyTorch's index and weight rules.

Every mode but ``'area'`` is separable: along each spatial axis an output position ``o`` reads a
few input positions ``i_k(o)`` with weights ``w_k(o)``,

    y[..., o, ...] = Σ_k w_k(o) x[..., i_k(o), ...]

so a resampling is, axis after axis, a few gathers (``x[..., idx, ...]``, whose gradient is a
scatter-add of the upstream gradient at ``idx``) times constant weights. It is written with
those tensor ops, so gradients of any order come from them. Only the indices and weights are
computed here, exactly as PyTorch's CPU kernels do (``aten/src/ATen/native/UpSample.h``), in
the same precision (``float32`` index maths for the nearest modes, the input's precision,
at least ``float32``, for the others), so even the positions that fall exactly between two
pixels round the same way:

* ``nearest``: ``i = min(floor(o s), n_in - 1)``, ``nearest-exact``:
  ``i = min(floor((o + 1/2) s), n_in - 1)``, one tap of weight 1, with ``s = 1 / scale_factor``
  when a scale factor is given, else ``n_in / n_out``;
* ``linear`` (and ``bilinear``, ``trilinear``): the source position
  ``r = s o`` (``align_corners=True``, ``s = (n_in - 1) / (n_out - 1)``) or
  ``r = max(s (o + 1/2) - 1/2, 0)``; taps ``i0 = min(floor(r), n_in - 1)`` and
  ``i1 = min(i0 + 1, n_in - 1)`` with weights ``1 - λ`` and ``λ = clamp(r - i0, 0, 1)``; an axis
  whose size doesn't change is copied;
* ``bicubic``: the same ``r`` without the clamp at 0, taps ``i0 - 1 .. i0 + 2`` clamped to the
  input, Keys' cubic convolution weights with ``A = -0.75``.

``'area'`` is adaptive average pooling (tensorgrad/nn/pooling.py). ``antialias=True``
(``bilinear`` and ``bicubic``, PIL's resampling) widens the filter by the scale when
shrinking: with ``s`` as above (``(n_in - 1) / (n_out - 1)`` with ``align_corners``), support
``h = t max(s, 1)`` for the filter's half-width ``t`` (1 for the triangle, 2 for Keys' cubic
with ``A = -0.5``), output ``o`` reads the inputs ``i`` from ``int(c - h + 1/2)`` to
``int(c + h + 1/2)`` around ``c = s (o + 1/2)``, weighted by ``filter((i - c + 1/2) / max(s, 1))``
normalised to sum to 1; the last axis is resampled first, as PyTorch does.

Where PyTorch's forward and backward kernels disagree, the gradient here is the true gradient
of the forward. With a scale factor given, PyTorch's 1-d and 3-d ``nearest`` forwards use it
even on an axis that keeps or doubles its size, while their backwards copy (or halve) the
indices there; its ``bicubic`` backward copies the gradient when no axis changes size.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import backend
from ..backend import is_float
from ..jit import recorder
from ..tensor import Tensor
from .module import Module
from .pooling import adaptive_avg_pool2d

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]

# the number of dims of the input each interpolating mode needs (None: any of 3, 4, 5)
_MODE_NDIM = {
    "nearest": None,
    "nearest-exact": None,
    "area": None,
    "linear": 3,
    "bilinear": 4,
    "bicubic": 4,
    "trilinear": 5,
}
_CUBIC_A = -0.75


# ---------------------------------------------------------------------- indices and weights
# Each returns the taps of one axis: a list of (input index per output position, weight per
# output position or None for 1), NumPy arrays of length n_out; or None for a copy.


def _nearest_taps(n_in: int, n_out: int, scale, exact: bool, shortcuts: bool) -> list | None:
    """PyTorch's ``nearest_idx`` / ``nearest_exact_idx``: float32 index maths. With
    ``shortcuts`` (PyTorch's 2-d ``nearest`` kernel) an axis of unchanged size is copied and
    one of twice the size reads ``o // 2``, whatever the scale factor says."""
    o = np.arange(n_out)
    if shortcuts and n_out == n_in:
        return None
    if shortcuts and n_out == 2 * n_in:
        return [(o >> 1, None)]
    f32 = np.float32
    s = f32(1.0 / scale) if scale is not None and scale > 0 else f32(n_in) / f32(n_out)
    if exact:  # (o + 0.5) * s is a double product, rounded to float by floorf
        src = np.floor(((o + 0.5) * np.float64(s)).astype(f32))
    else:
        src = np.floor(o.astype(f32) * s)
    return [(np.minimum(src.astype(np.int64), n_in - 1), None)]


def _source_position(n_in, n_out, scale, align_corners, cubic, opmath) -> np.ndarray:
    """``area_pixel_compute_scale`` and ``area_pixel_compute_source_index`` in ``opmath``."""
    if align_corners:
        s = opmath(n_in - 1) / opmath(n_out - 1) if n_out > 1 else opmath(0)
    else:
        s = opmath(1.0 / scale) if scale is not None and scale > 0 else opmath(n_in) / opmath(n_out)
    o = np.arange(n_out).astype(opmath)
    if align_corners:
        return s * o
    r = s * (o + opmath(0.5)) - opmath(0.5)
    return r if cubic else np.maximum(r, opmath(0))


def _floor_and_lambda(r: np.ndarray, n_in: int, opmath) -> tuple:
    """``guard_index_and_lambda``: i0 = min(floorf(r), n_in - 1) (floorf: r rounded to float
    first), λ = clamp(r - i0, 0, 1)."""
    i0 = np.minimum(np.floor(r.astype(np.float32)).astype(np.int64), n_in - 1)
    lam = np.clip(r - i0.astype(opmath), opmath(0), opmath(1))
    return i0, lam


def _linear_taps(n_in, n_out, scale, align_corners, opmath) -> list:
    if n_out == n_in:  # PyTorch copies: weights (1, 0), whatever the scale factor says
        return None
    r = _source_position(n_in, n_out, scale, align_corners, False, opmath)
    i0, lam = _floor_and_lambda(r, n_in, opmath)
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, opmath(1) - lam), (i1, lam)]


def _cubic_taps(n_in, n_out, scale, align_corners, opmath) -> list:
    """Keys' cubic convolution: for t = λ, the weights of the taps i0-1, i0, i0+1, i0+2 are
    W(t + 1), W(t), W(1 - t), W(2 - t), with W(x) = ((A + 2) x - (A + 3)) x² + 1 for |x| <= 1
    and ((A x - 5A) x + 8A) x - 4A for 1 < |x| < 2."""
    r = _source_position(n_in, n_out, scale, align_corners, True, opmath)
    i0, t = _floor_and_lambda(r, n_in, opmath)
    a = opmath(_CUBIC_A)

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(np.clip(i0 - 1 + k, 0, n_in - 1), w) for k, w in enumerate(weights)]


def _antialias_taps(n_in, n_out, scale, align_corners, cubic, opmath) -> list | None:
    """PyTorch's ``_compute_weights_aa`` (PIL's): the taps of every output position, as many
    as the widest window needs, the unused ones of weight 0. The centre, the filter's argument
    and the inverse scale are double expressions rounded to ``opmath``, as in the kernel."""
    if n_out == n_in:  # PyTorch leaves an axis of unchanged size alone
        return None
    if align_corners:
        s = opmath(n_in - 1) / opmath(n_out - 1) if n_out > 1 else opmath(0)
    else:
        s = opmath(1.0 / scale) if scale is not None and scale > 0 else opmath(n_in) / opmath(n_out)
    half = 2.0 if cubic else 1.0
    support = opmath(half * s) if s >= 1 else opmath(half)
    invscale = opmath(1.0 / np.float64(s)) if s >= 1 else opmath(1)
    width = int(np.ceil(support)) * 2 + 1
    o = np.arange(n_out)
    center = (np.float64(s) * (o + 0.5)).astype(opmath)
    lo = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    hi = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64), n_in)
    size = np.clip(hi - lo, 0, width)
    j = np.arange(width)[:, None]
    arg = ((j + lo - center).astype(np.float64) + 0.5) * np.float64(invscale)
    x = np.abs(arg.astype(opmath))
    if cubic:  # Keys' kernel with A = -0.5, as PyTorch's antialiased bicubic
        a = opmath(-0.5)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        w = np.where(x < 1, near, np.where(x < 2, far, opmath(0)))
    else:
        w = np.where(x < 1, opmath(1) - x, opmath(0))
    w = np.where(j < size, w, opmath(0)).astype(opmath)
    total = np.zeros(n_out, opmath)
    for k in range(width):  # in order, as the kernel adds them
        total = total + w[k]
    w = np.where(total != 0, w / np.where(total != 0, total, opmath(1)), w).astype(opmath)
    index = np.minimum(lo + j, n_in - 1)
    return [(index[k], w[k]) for k in range(width)]


def _axis_taps(
    mode: str, n_in, n_out, scale, align_corners, antialias, shortcuts, trail, dtype, device
):
    """The taps of one axis as one tuple ``(index, weight, index, weight, ...)`` (None: a
    copy), each weight of ``dtype`` on ``device`` shaped (n_out, 1, ...) with ``trail`` ones to
    broadcast over the axes after it. An array call that tg.compile records, so a replay makes
    them again."""
    opmath = np.float64 if dtype == np.float64 else np.float32
    if antialias:
        taps = _antialias_taps(n_in, n_out, scale, align_corners, mode == "bicubic", opmath)
    elif mode in ("nearest", "nearest-exact"):
        taps = _nearest_taps(n_in, n_out, scale, mode == "nearest-exact", shortcuts)
    elif mode == "bicubic":
        taps = _cubic_taps(n_in, n_out, scale, align_corners, opmath)
    else:
        taps = _linear_taps(n_in, n_out, scale, align_corners, opmath)
    if taps is None:
        return None
    shape = (-1, *(1,) * trail)
    return tuple(
        a
        for index, weight in taps
        for a in (
            index,
            None
            if weight is None
            else backend.to_device(weight.astype(dtype).reshape(shape), device),
        )
    )


def _resample_axis(x: Tensor, axis: int, taps: tuple) -> Tensor:
    """Σ_k w_k x[..., i_k, ...] along ``axis``: gathers, weighted and added."""
    lead = (slice(None),) * axis
    out = None
    for index, weight in zip(taps[::2], taps[1::2]):
        v = x[(*lead, index)]
        if weight is not None:
            v = v * Tensor._make(weight)
        out = v if out is None else out + v
    return out


# ---------------------------------------------------------------------- arguments


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) or (
        isinstance(v, Tensor) and v.ndim == 0 and v.array.dtype.kind in "iub"
    )


def _output_and_scales(input: Tensor, size, scale_factor, recompute_scale_factor) -> tuple:
    """PyTorch's checks; returns the output size and the scale factors the kernel gets (None
    when computed from the sizes)."""
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if isinstance(size, (list, tuple)) and len(sizes) != dim:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {size}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                "(o1, o2, ...,oK) format."
            )
        if not all(_is_int(s) for s in sizes):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                f"Tuple[int, int, int], but got size with types {[type(s) for s in sizes]}"
            )
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return [int(s) for s in sizes], [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format."
            )
        scales = list(scale_factor)
    else:
        scales = [scale_factor] * dim
    if not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in scales):
        raise TypeError(f"scale_factor must be a float or a tuple of floats, got {scale_factor!r}")
    scales = [float(s) for s in scales]
    # PyTorch: int(n * s) in double precision (the kernel's cast truncates)
    out = [int(n * s) for n, s in zip(spatial, scales)]
    if recompute_scale_factor:  # the kernel then uses n_in / n_out
        scales = [None] * dim
    return out, scales


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resample the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) ``input`` to
    ``size`` or to ``floor(n * scale_factor)``, PyTorch's ``torch.nn.functional.interpolate``.

    Modes: ``'nearest'``, ``'nearest-exact'``, ``'area'`` (any of 3-D, 4-D; 5-D for the nearest
    modes), ``'linear'`` (3-D), ``'bilinear'`` and ``'bicubic'`` (4-D), ``'trilinear'`` (5-D).
    ``align_corners=True`` maps the corner pixels' centres onto each other,
    ``r = o (n_in - 1) / (n_out - 1)``; otherwise ``r = (o + 1/2) / scale - 1/2``, with the given
    scale factor unless ``recompute_scale_factor=True`` (then ``n_out / n_in``). The index and
    weight rules of each mode are in this module's docstring. ``antialias=True`` (bilinear
    and bicubic, 4-D) averages over all the inputs a shrunk output pixel covers, as PIL.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected a Tensor input, got {type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if mode not in _MODE_NDIM or input.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    output_size, scales = _output_and_scales(input, size, scale_factor, recompute_scale_factor)
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.ndim == 4):
            raise ValueError(
                "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                "requires a 4-D tensor as input"
            )
    need = _MODE_NDIM[mode]
    if need is not None and input.ndim != need:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D input")
    if mode == "area" and input.ndim == 5:
        raise NotImplementedError("interpolate: mode 'area' on 5-D input is not implemented")
    spatial = input.shape[2:]
    if mode != "area" and (any(n <= 0 for n in spatial) or any(n <= 0 for n in output_size)):
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input {tuple(spatial)} "
            f"and output {tuple(output_size)} (mode {mode!r})"
        )
    if mode not in ("nearest", "nearest-exact") and not is_float(input.array.dtype):
        raise RuntimeError(
            f"interpolate: mode {mode!r} needs a floating-point input, got {input.dtype}"
        )
    if mode == "area":
        if input.ndim == 3:
            return adaptive_avg_pool2d(input.unsqueeze(2), (1, output_size[0])).squeeze(2)
        return adaptive_avg_pool2d(input, output_size)
    out = input
    shortcuts = input.ndim == 4 and mode == "nearest"  # PyTorch's 2-d nearest kernel
    dtype, device = input.array.dtype, input.device
    axes = list(enumerate(zip(spatial, output_size, scales)))
    for axis, (n_in, n_out, scale) in reversed(axes) if antialias else axes:
        # antialiased: the last axis first, as PyTorch's separable kernel
        trail = len(spatial) - axis - 1
        taps = recorder.call(
            _axis_taps,
            mode,
            n_in,
            n_out,
            scale,
            align_corners,
            antialias,
            shortcuts,
            trail,
            dtype,
            device,
        )
        if taps is not None:
            out = _resample_axis(out, 2 + axis, taps)
    return input.clone() if out is input else out


def upsample(
    input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None
) -> Tensor:
    """Deprecated alias of ``interpolate(input, size, scale_factor, mode, align_corners)``
    (warns, as PyTorch's)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``, i = floor(o s)."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)`` (the corners' centres map onto each other, r = o (n_in - 1) /
    (n_out - 1)), as PyTorch's."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------- layers


class Upsample(Module):
    """``interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)``
    as a layer; a float ``scale_factor`` (or tuple of them) is stored as floats."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')`` for (N, C, H, W) input."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)`` for (N, C, H, W)
    input."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
