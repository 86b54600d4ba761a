"""Sampling images at given points: ``grid_sample`` and the grids of affine maps,
``affine_grid`` (PyTorch keeps both in ``torch.nn.functional``; spatial transformer networks
use them together).

``grid_sample`` is a composition of tensor ops, so its gradients to the input and to the grid,
and every higher order, come from the ops. Per output point and spatial axis it finds the taps
along that axis (2 for linear interpolation, 4 for cubic, 1 for nearest), their integer
positions and their weights; the taps of all axes combine into a window of K points (4 for
bilinear, 8 for trilinear, 16 for bicubic), each with the product of its axes' weights::

    out[n, c, p] = sum_k weight[n, p, k] input[n, c, position[n, p, k]]

The values are gathered as rows of the input seen as (N·H·W, C) (``Embedding``, whose gradient
adds each point's gradient back into its row); a point outside the image (``padding_mode=
'zeros'``) reads an extra row of zeros. The weights are polynomials in the point's coordinate,
so the grid's gradient is the weights' derivative times the values, as PyTorch's kernels
compute it. The positions and which point is inside are found from the coordinates without
a gradient (``floor``, ``round``, comparisons).

Coordinates, per axis of size ``S`` (x indexes W, y H, z D): the grid's value ``g`` in [-1, 1]
maps to ``(g + 1) (S - 1) / 2`` with ``align_corners`` (-1 and 1 are the centres of the corner
pixels), else ``((g + 1) S - 1) / 2`` (they are the outer edges of the corner pixels). Then
``padding_mode`` 'border' clips it to [0, S - 1] and 'reflection' reflects it at the image's
edges (the corner centres with ``align_corners``, the outer edges without) until it lies
inside, then clips. A clipped coordinate has no gradient at the border itself, and reflection
flips the gradient's sign, as in PyTorch's kernels. Bicubic interpolation (4-D input only, as
PyTorch) uses the cubic convolution kernel with A = -0.75 on the unclipped coordinate and pads
each of its 16 taps by ``padding_mode``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from ..backend import is_float
from ..creation import linspace_values
from ..jit import recorder
from ..ops.indexing import Embedding
from ..ops.linalg import AffineGrid
from ..tensor import Tensor, stack, where
from .padding import pad

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")
_CUBIC_A = -0.75  # the cubic convolution constant PyTorch uses (UpSampleBicubic2d.h too)

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Samples ``input`` (N, C, H, W) at the points ``grid`` (N, H_out, W_out, 2) gives, in
    coordinates normalised to [-1, 1] (``grid[..., 0]`` is x, along W; ``grid[..., 1]`` is y,
    along H); for 5-D input (N, C, D, H, W) the grid is (N, D_out, H_out, W_out, 3) with z
    last. Output (N, C, H_out, W_out) (or (N, C, D_out, H_out, W_out)).

    ``mode``: 'bilinear' (trilinear for 5-D input) ``out = sum over the 2^d corners of
    input[corner] prod_axes (1 - |x - corner|)``; 'nearest' the pixel at the rounded
    coordinate (half to even); 'bicubic' (4-D input only) the 4x4 taps weighted by the cubic
    convolution kernel (A = -0.75). ``padding_mode`` 'zeros' (outside points read 0),
    'border' (coordinates clipped to the image) or 'reflection' (reflected at the image's
    edges). ``align_corners``: whether -1 and 1 are the centres of the corner pixels (True) or
    their outer edges (False, the default; None warns as PyTorch). The module docstring gives
    the coordinate maps.

    Differentiable with respect to ``input`` and ``grid`` to any order ('nearest': the grid's
    gradient is zero, as PyTorch's).
    """
    if mode not in _MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_sampler(input, grid, mode)
    n, c, *size = input.shape
    spatial = len(size)
    # the taps of each axis (D, H, W), their positions, weights and which lie inside
    axes = []
    for a, s in enumerate(size):
        coord = grid[..., spatial - 1 - a]  # x (the last axis) comes first in the grid
        axes.append(_taps(coord, s, mode, padding_mode, align_corners, spatial))
    # combined over the axes into windows of K taps: positions (N, *out, K), weights likewise
    # (a constant of the shapes, made through the recorder: tg.compile's replay makes it again)
    dims = grid.ndim - 1 + spatial
    position = Tensor._make(recorder.call(_image_starts, n, dims, math.prod(size), input.device))
    shapes, inside = [], None
    for a, (taps, ok, _) in enumerate(axes):  # this axis' taps on a dim of their own
        shapes.append((*taps.shape[:-1], *(1,) * a, taps.shape[-1], *(1,) * (spatial - 1 - a)))
        position = position + taps.reshape(shapes[a]) * math.prod(size[a + 1 :])
        ok = ok.reshape(shapes[a])
        inside = ok if inside is None else inside & ok
    weight = None
    for a in reversed(range(spatial)):  # x's weight first, as PyTorch multiplies them
        w = axes[a][2].reshape(shapes[a])
        weight = w if weight is None else weight * w
    out_shape = tuple(grid.shape[:-1])
    rows = input.movedim(1, -1).reshape(n * math.prod(size), c)
    rows = pad(rows, (0, 0, 0, 1))  # and a row of zeros, which a point outside reads
    position = where(inside, position, n * math.prod(size)).reshape(*out_shape, -1)
    values = Embedding.apply(rows, position)  # (N, *out, K, C)
    out = (values * weight.reshape(*out_shape, -1, 1)).sum(-2)
    return out.movedim(-1, 1)


def _image_starts(n: int, dims: int, step: int, device):
    """(N, 1, ..., 1) int64 with ``dims`` dims: the first row of each image, ``i step``."""
    return backend.to_device(np.arange(n).reshape(n, *(1,) * (dims - 1)) * step, device)


def _check_sampler(input: Tensor, grid: Tensor, mode: str) -> None:
    """PyTorch's checks of grid_sampler's arguments, with its messages."""
    if input.device != grid.device:
        raise RuntimeError(
            f"grid_sampler(): expected input and grid to be on same device, but input is on "
            f"{input.device} and grid is on {grid.device}"
        )
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"grid_sampler(): expected input and grid to have same dtype, but input has "
            f"{input.dtype} and grid has {grid.dtype}"
        )
    if not is_float(input.array.dtype):
        raise RuntimeError(f"grid_sampler(): expected a floating point input, got {input.dtype}")
    if input.ndim not in (4, 5) or input.ndim != grid.ndim:
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {tuple(input.shape)} and grid with sizes "
            f"{tuple(grid.shape)}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {tuple(input.shape)} and grid with sizes {tuple(grid.shape)}"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, "
            f"but got grid with sizes {tuple(grid.shape)}"
        )
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(
                f"grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {tuple(input.shape)} with dimension {d} being empty"
            )
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _taps(coord: Tensor, size: int, mode: str, padding_mode: str, align_corners: bool, spatial):
    """One axis' taps of every output point: ``(positions, inside, weights)``, each
    (N, *out, T), positions int64 (0 where outside), ``inside`` bool."""
    x = _unnormalize(coord, size, align_corners, spatial)
    if mode == "bicubic":  # the taps are padded, the coordinate itself is not
        x0 = x.detach().floor()
        t = x - x0
        weights = stack(_cubic_weights(t), -1)
        taps = stack([x0 - 1, x0, x0 + 1, x0 + 2], -1)
        taps = _pad(taps, size, padding_mode, align_corners).trunc()
    else:
        x = _pad(x, size, padding_mode, align_corners)
        if mode == "nearest":
            taps = x.detach().round().unsqueeze(-1)  # half to even, as PyTorch's nearbyint
            weights = (x * 0 + 1).unsqueeze(-1)  # 1, and the grid's gradient 0 (not None)
        else:
            x0 = x.detach().floor()
            taps = stack([x0, x0 + 1], -1)
            # the distances to the far tap, d/dx -1 and 1; PyTorch's 3-d kernel rounds them so
            if spatial == 2:
                weights = stack([1 - (x - x0), x - x0], -1)
            else:
                weights = stack([(x0 + 1) - x, x - x0], -1)
    inside = (taps >= 0) & (taps < size)
    if mode == "nearest":  # an infinite coordinate outside reads 0, not 0 * (inf * 0 + 1)
        weights = where(inside, weights, 0.0)
    return where(inside, taps, 0).long(), inside, weights


def _unnormalize(coord: Tensor, size: int, align_corners: bool, spatial: int) -> Tensor:
    """Grid values in [-1, 1] as pixel coordinates: ``(g + 1) (S - 1) / 2`` with
    ``align_corners``, else ``((g + 1) S - 1) / 2``; each written as PyTorch's CPU kernel
    rounds it (the vectorised 2-d one, the generic 3-d one)."""
    if spatial == 2:
        if align_corners:
            return (coord + 1) * ((size - 1) / 2)
        return (coord + 1) * (size / 2) - 0.5
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _pad(x: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Coordinates ``x`` moved into the image as ``padding_mode`` says (unchanged for
    'zeros')."""
    if padding_mode == "zeros":
        return x
    if padding_mode == "reflection":
        if align_corners:  # at the corner pixels' centres
            x = _reflect(x, 0, 2 * (size - 1))
        else:  # at the image's outer edges
            x = _reflect(x, -1, 2 * size - 1)
    return _clip(x, size)


def _clip(x: Tensor, size: int) -> Tensor:
    """``x`` clipped to [0, size - 1]; the gradient passes strictly inside only (PyTorch counts
    the border itself as outside: d clip(x)/dx = 1 for 0 < x < size - 1, else 0)."""
    inside = (x > 0) & (x < size - 1)
    return where(inside, x, x.detach().clamp(0, size - 1))


def _reflect(x: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """``x`` reflected at ``low = twice_low / 2`` and ``high = twice_high / 2`` until it lies in
    [low, high]: with ``d = |x - low|`` and ``span = high - low``, ``low + d mod span`` after an
    even number of flips ``floor(d / span)``, ``high - d mod span`` after an odd one. The
    gradient is +1 or -1 (the sign of x - low, flipped by an odd number of flips)."""
    if twice_low == twice_high:  # a single pixel with align_corners: everything maps to 0
        return x * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = x - low
    d = where(d.detach() < 0, -d, d)  # |x - low|, with gradient -1 below low
    flips = (d.detach() / span).floor()
    extra = d.fmod(span)  # d - flips span, exactly
    odd = flips.fmod(2) == 1
    return where(odd, (span + low) - extra, extra + low)


def _cubic_weights(t: Tensor) -> list:
    """The cubic convolution weights of the taps at -1, 0, 1 and 2 from a point ``t`` in [0, 1)
    past tap 0: ``W(1 + t), W(t), W(1 - t), W(2 - t)`` with ``W(u) = (A + 2) u^3 - (A + 3) u^2
    + 1`` for u <= 1 and ``A u^3 - 5 A u^2 + 8 A u - 4 A`` for 1 < u < 2, in PyTorch's Horner
    forms."""
    a = _CUBIC_A

    def near(u):  # |u| <= 1
        return ((a + 2) * u - (a + 3)) * u * u + 1

    def far(u):  # 1 < |u| < 2
        return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps ``theta`` (N, 2, 3) for a 4-D ``size``
    (N, C, H, W), or (N, 3, 4) for a 5-D size (N, C, D, H, W): at each output pixel, ``theta``
    times its normalised coordinates ``(x, y, 1)`` (``(x, y, z, 1)``), each coordinate
    running over [-1, 1] as ``linspace(-1, 1, S)`` with ``align_corners``, else scaled by
    (S - 1) / S (0 for S = 1). Output (N, H, W, 2) or (N, D, H, W, 3), for ``grid_sample``;
    differentiable with respect to ``theta`` (a matrix product with a constant grid)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not is_float(theta.array.dtype):
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                f"{tuple(theta.shape)}."
            )
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                f"{tuple(theta.shape)}."
            )
        spatial = size[-3:]
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"affine_grid: expected theta of batch size {size[0]} for size {size}, got theta of "
            f"shape {tuple(theta.shape)}"
        )
    # a constant of the shapes, made through the recorder (tg.compile's replay makes it again)
    base = recorder.call(_base_grid, tuple(spatial), align_corners, theta.array.dtype, theta.device)
    grid = AffineGrid.apply(theta, Tensor._make(base))  # (N, P, d)
    return grid.reshape(size[0], *spatial, len(spatial))


def _base_grid(spatial: tuple, align_corners: bool, dtype, device):
    """(P, d + 1): the normalised coordinates (x, y[, z], 1) of the P output pixels, row-major
    over ``spatial`` (D, H, W)."""
    axes = []
    for s in spatial:  # as PyTorch: linspace in the dtype, then * (S - 1) / S in the dtype
        if s <= 1:
            axes.append(np.zeros(s, dtype))
        else:
            line = linspace_values(-1, 1, s, dtype)
            axes.append(line if align_corners else line * dtype.type(s - 1) / dtype.type(s))
    mesh = np.meshgrid(*axes, indexing="ij")  # (D, H, W) each
    columns = [m.reshape(-1) for m in reversed(mesh)]  # x (along W) first
    base = np.stack([*columns, np.ones(math.prod(spatial))], -1).astype(dtype)
    return backend.to_device(base, device)
