"""Matrix products (batched ``MatMul``, ``Einsum``) and the linear algebra primitives: inverse,
log |det|, solve, the Cholesky, symmetric eigen-, singular value, QR and LU decompositions, the
matrix exponential and the Cholesky solve, with PyTorch's older top-level forms built on them
(``cholesky_solve``, ``triangular_solve``, ``lu_unpack``, ``chain_matmul``, ...)."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..autograd.function import Function, Op
from ..backend import is_float, xp_of
from ..jit import recorder
from ..tensor import Tensor, cat


class MatMul(Op):
    """a @ b for a (..., n, k) and b (..., k, m) with broadcast batch dimensions."""

    saves_inputs = True

    def forward(ctx, a, b):
        if b.ndim == 2 and a.ndim > 2:  # (..., n, k) @ (k, m): one GEMM over all the rows,
            # not one small GEMM per batch entry (x @ W.T in a Linear on (B, T, C) input)
            out = xp_of(a).matmul(a.reshape(math.prod(a.shape[:-1]), a.shape[-1]), b)
            return out.reshape(*a.shape[:-1], b.shape[-1])
        return xp_of(a).matmul(a, b)

    def backward(ctx, g):  # dL/da = g b^T, dL/db = a^T g, summed over broadcast batch dims
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if b.ndim == 2 and a.ndim > 2 and ctx.needs_input_grad[1]:
            # the batch sum of a^T g is one GEMM over the stacked rows: a2^T g2
            rows = math.prod(a.shape[:-1])  # not -1: ambiguous when a size is 0
            a2, g2 = a.reshape(rows, a.shape[-1]), g.reshape(rows, g.shape[-1])
            grad_b = MatMul.apply(g2.mT, a2).mT if _transposed(b) else MatMul.apply(a2.mT, g2)
            if ctx.needs_input_grad[0]:
                grad_a = MatMul.apply(g, b.mT)
            return grad_a, grad_b
        # A transposed input (x @ W.T) gets its gradient computed as (.)^T^T, so it comes out
        # in the input's own memory layout: W.grad is then C-contiguous like W.
        if ctx.needs_input_grad[0]:
            ga = MatMul.apply(b, g.mT).mT if _transposed(a) else MatMul.apply(g, b.mT)
            grad_a = ga.sum_to(a.shape)
        if ctx.needs_input_grad[1]:
            gb = MatMul.apply(g.mT, a).mT if _transposed(b) else MatMul.apply(a.mT, g)
            grad_b = gb.sum_to(b.shape)
        return grad_a, grad_b


class AffineGrid(Op):
    """The points ``base`` (P, d + 1), a constant, mapped by each affine matrix
    ``theta[n]`` (d, d + 1): ``grid[n, p, j] = sum_k base[p, k] theta[n, j, k]``, (N, P, d).
    The sum runs over k in order, rounded after each term, as PyTorch's batched product
    rounds it (``affine_grid``'s base grid ends in a column of ones, so the last term is
    theta's translation itself). Only the constant is kept for the backward, so as in
    PyTorch nothing is freed: a grid can be differentiated through again."""

    def forward(ctx, theta, base):
        ctx.base = base
        out = base[:, 0:1] * theta[:, None, :, 0]
        for k in range(1, base.shape[1]):
            out = out + base[:, k : k + 1] * theta[:, None, :, k]
        return out

    def backward(ctx, g):  # d grid[n, p, j] / d theta[n, j, k] = base[p, k]
        return MatMul.apply(g.mT, Tensor._make(ctx.base)), None


def _transposed(t) -> bool:
    flags = t.array.flags
    return t.array.ndim == 2 and flags.f_contiguous and not flags.c_contiguous


class Einsum(Op):
    """``einsum('ij,jk->ik', a, b)`` with explicit output subscripts and no ellipsis.

    The gradient for operand i is the einsum of the output gradient with the other operands
    into operand i's subscripts; letters only operand i has (summed out) are broadcast back.
    """

    saves_inputs = True

    def forward(ctx, *operands, inputs=(), output=""):
        ctx.inputs, ctx.output = inputs, output
        return xp_of(operands[0]).einsum(f"{','.join(inputs)}->{output}", *operands)

    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = []
        for i, subs in enumerate(ctx.inputs):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            available = set(ctx.output).union(*others)
            kept = "".join(c for c in subs if c in available)
            grad = einsum(
                f"{','.join([ctx.output, *others])}->{kept}",
                g,
                *[x for j, x in enumerate(operands) if j != i],
            )
            if kept != subs:  # broadcast over the letters that were summed out of operand i
                shape = operands[i].shape
                grad = grad.reshape([shape[k] if c in kept else 1 for k, c in enumerate(subs)])
                grad = grad.expand(shape)
            grads.append(grad)
        return tuple(grads)


def einsum(equation: str, *operands):
    """Parse ``equation`` (implicit output and ``...`` allowed) and apply ``Einsum``. A letter
    repeated within one operand (``'ii->i'``, ``'ii'`` a trace) first takes that operand's
    diagonal over those dimensions, as PyTorch does."""
    from .._args import to_tensor
    from ..tensor import Tensor

    eq = equation.replace(" ", "")
    lhs, arrow, output = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(
            f"einsum: equation {equation!r} names {len(inputs)} operands, got {len(operands)}"
        )
    operands = [x if isinstance(x, Tensor) else to_tensor(x, operands[0]) for x in operands]
    used = set(eq) - set(".,->")
    free = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    ellipsis_dims = max(
        (x.ndim - len(s.replace("...", "")) for s, x in zip(inputs, operands) if "..." in s),
        default=0,
    )
    letters = "".join(next(free) for _ in range(ellipsis_dims))
    expanded, diagonals, named = [], [], ""
    for s, x in zip(inputs, operands):
        if "..." in s:
            n = x.ndim - len(s.replace("...", ""))
            s = s.replace("...", letters[ellipsis_dims - n :])
        if len(s) != x.ndim:
            raise ValueError(
                f"einsum: subscripts {s!r} name {len(s)} dimensions but the operand has shape "
                f"{x.shape}"
            )
        named += s
        while len(set(s)) != len(s):  # 'ii': take the diagonal, which goes last, named once
            c = next(c for c in s if s.count(c) > 1)
            i, j = s.index(c), s.index(c, s.index(c) + 1)
            if x.shape[i] != x.shape[j]:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {len(expanded)} but the "
                    f"sizes don't match, {x.shape[j]} != {x.shape[i]} (shape {x.shape})"
                )
            x = x.diagonal(0, i, j)
            s = s[:i] + s[i + 1 : j] + s[j + 1 :] + c
        expanded.append(s)
        diagonals.append(x)
    operands = diagonals
    # sizes per letter, broadcasting size-1 ellipsis dimensions
    sizes: dict[str, int] = {}
    for s, x in zip(expanded, operands):
        for c, n in zip(s, x.shape):
            if c in letters and sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise ValueError(f"einsum: ellipsis dimensions {x.shape} don't broadcast")
            if c in letters:
                sizes[c] = max(sizes.get(c, 1), n)
            elif sizes.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: subscript {c!r} has size {sizes[c]} in one operand and {n} in "
                    f"another (equation {equation!r})"
                )
    operands = [
        x.expand([sizes[c] for c in s]) if any(c in letters for c in s) else x
        for s, x in zip(expanded, operands)
    ]
    if arrow:
        output = output.replace("...", letters)
    else:
        counts = {c: named.count(c) for c in sizes}  # 'ii' alone is a trace
        output = letters + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in letters)
        )
    for c in output:
        if c not in sizes:
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand ({equation!r})")
    return Einsum.apply(*operands, inputs=tuple(expanded), output=output)


# ---------------------------------------------------------------------- composites
# PyTorch's fixed-shape products and their relatives, written with matmul, broadcasting and
# movement ops: no calculus of their own. Each checks its shapes first, so a bad input raises
# an error naming the shapes instead of a NumPy traceback from inside an op.


def _require_ndim(name: str, what: str, x, ndim: int) -> None:
    if x.ndim != ndim:
        raise RuntimeError(f"{name}: {what} must be a {ndim}-D tensor, got shape {x.shape}")


def mm(a, b):
    """``a @ b`` for two matrices (n, k) and (k, m)."""
    from ..tensor import matmul

    _require_ndim("mm", "self", a, 2)
    _require_ndim("mm", "mat2", b, 2)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mm: mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}): shapes {a.shape} and "
            f"{b.shape}"
        )
    return matmul(a, b)


def mv(a, v):
    """``a @ v`` for a matrix (n, m) and a vector (m,)."""
    from ..tensor import matmul

    _require_ndim("mv", "self", a, 2)
    _require_ndim("mv", "vec", v, 1)
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"mv: size mismatch, matrix {a.shape} and vector {v.shape}")
    return matmul(a, v)


def bmm(a, b):
    """``a @ b`` for batches of matrices (b, n, k) and (b, k, m), no broadcasting."""
    from ..tensor import matmul

    _require_ndim("bmm", "self", a, 3)
    _require_ndim("bmm", "mat2", b, 3)
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"bmm: shapes {a.shape} and {b.shape} cannot be multiplied: expected mat2 of shape "
            f"({a.shape[0]}, {a.shape[2]}, m) (the same batch size, and rows matching the "
            f"columns of self)"
        )
    return matmul(a, b)


def add_product(name: str, input, product, beta, alpha, promote: bool = False):
    """``beta * input + alpha * product``, the ``add*`` ops' shared tail: ``input`` must
    broadcast to the product's shape; with ``beta=0`` it is ignored (nan and inf in it don't
    propagate) and its gradient is zero, as PyTorch's. Only ``addr`` (``promote``) promotes
    an ``input`` of another dtype; the matrix products raise, as PyTorch's."""
    from .._args import to_tensor

    input = to_tensor(input, product)
    if not promote and input.dtype != product.dtype:
        raise RuntimeError(
            f"{name}: self and mat2 must have the same dtype, but got {input.dtype} and "
            f"{product.dtype}"
        )
    n = len(product.shape)
    padded = (1,) * (n - input.ndim) + tuple(input.shape)
    if input.ndim > n or any(s not in (1, t) for s, t in zip(padded, product.shape)):
        raise RuntimeError(
            f"{name}: input of shape {input.shape} does not broadcast to the product's shape "
            f"{product.shape}"
        )
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        # where() keeps the graph edge to input, so input.grad is zeros as PyTorch's
        return product + input.masked_fill(product.new_ones(()).bool(), 0)
    return product + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return add_product("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return add_product("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return add_product("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return add_product("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def addr(input, vec1, vec2, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    _require_ndim("addr", "vec1", vec1, 1)
    _require_ndim("addr", "vec2", vec2, 1)
    return add_product("addr", input, vec1.outer(vec2), beta, alpha, promote=True)


def _dims_list(d) -> list:
    return [int(d)] if isinstance(d, int) else [int(i) for i in d]


def tensordot(a, b, dims=2):
    """Sum of ``a * b`` over pairs of dimensions: ``dims=d`` pairs the last d dims of ``a``
    with the first d of ``b``; ``dims=(dims_a, dims_b)`` names them. The free dims of ``a``
    then those of ``b`` make the result: one matmul of ``a`` permuted and reshaped to
    (free, contracted) by ``b`` to (contracted, free)."""
    from .._args import wrap_dim
    from ..tensor import matmul

    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(
                f"tensordot: dims={dims} exceeds the dimensions of {a.shape} or {b.shape}"
            )
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        if len(dims) != 2:
            raise RuntimeError(f"tensordot: dims must be an int or a pair of lists, got {dims}")
        dims_a = [wrap_dim(d, a.ndim) for d in _dims_list(dims[0])]
        dims_b = [wrap_dim(d, b.ndim) for d in _dims_list(dims[1])]
        if len(dims_a) != len(dims_b):
            raise RuntimeError(
                f"tensordot: both dims lists must have the same length, got {dims_a} and {dims_b}"
            )
        if len(set(dims_a)) != len(dims_a) or len(set(dims_b)) != len(dims_b):
            raise RuntimeError(f"tensordot: a dim is repeated in {dims_a} or {dims_b}")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but {a.shape} has size "
                f"{a.shape[da]} in dim {da} and {b.shape} has size {b.shape[db]} in dim {db}"
            )
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    a2 = a.permute(*free_a, *dims_a).reshape(math.prod(a.shape[d] for d in free_a), k)
    b2 = b.permute(*dims_b, *free_b).reshape(k, math.prod(b.shape[d] for d in free_b))
    out = matmul(a2, b2)
    return out.reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


def kron(a, b):
    """The Kronecker product: ``out[i*m + j] = a[i] * b[j]`` along every dim (the shorter
    shape padded with leading 1s); each input gets a size-1 axis beside each of its axes,
    the product broadcasts, and each pair of axes merges."""
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + tuple(a.shape)
    sb = (1,) * (n - b.ndim) + tuple(b.shape)
    prod = a.reshape(*[d for s in sa for d in (s, 1)]) * b.reshape(*[d for s in sb for d in (1, s)])
    return prod.reshape(*[x * y for x, y in zip(sa, sb)])


def cross(a, b, dim=None, name="cross"):
    """The cross product of 3-vectors along ``dim``, other dims broadcast:
    c = (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0), written as
    roll(a, -1) roll(b, -2) - roll(a, -2) roll(b, -1) along ``dim``."""
    import warnings

    from .._args import broadcast_shape, wrap_dim

    if a.ndim != b.ndim:
        raise RuntimeError(
            f"{name}: inputs must have the same number of dimensions, got {a.shape} and {b.shape}"
        )
    if dim is None:  # torch.cross's deprecated default: the first dim of size 3
        warnings.warn(
            "Using cross without specifying the dim arg is deprecated (as in PyTorch): it takes "
            "the first dimension of size 3; pass dim, or use linalg.cross (dim=-1)",
            UserWarning,
            stacklevel=3,
        )
        dim = next((i for i, s in enumerate(a.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"{name}: no dimension of size 3 in input of shape {a.shape}")
    dim = wrap_dim(dim, a.ndim)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(
            f"{name}: inputs dimension {dim} must have length 3, got shapes {a.shape} and {b.shape}"
        )
    broadcast_shape(name, a.shape, b.shape)
    return a.roll(-1, dim) * b.roll(-2, dim) - a.roll(-2, dim) * b.roll(-1, dim)


class EuclideanDist(Op):
    """||x1[i] - x2[j]||_2 for x1 (..., P, M) and x2 (..., R, M) with equal batch dims, through
    one matmul, as PyTorch's cdist computes it for p=2 on more than 25 rows:

        d_ij^2 = [-2 x1_i, |x1_i|^2, 1] . [x2_j, 1, |x2_j|^2] = |x1_i|^2 - 2 x1_i.x2_j + |x2_j|^2

    clamped at 0 (cancellation can leave it slightly negative), then the square root. P R memory
    instead of the P R M of the differences, and PyTorch's rounding (its argmin over codes).
    """

    saves_inputs = True
    saves_output = True

    def forward(ctx, x1, x2):
        xp = xp_of(x1)
        n1 = (x1 * x1).sum(-1, keepdims=True)
        n2 = (x2 * x2).sum(-1, keepdims=True)
        a = xp.concatenate([x1 * -2, n1, xp.ones_like(n1)], axis=-1)
        b = xp.concatenate([x2, xp.ones_like(n2), n2], axis=-1)
        return xp.sqrt(xp.maximum(xp.matmul(a, b.swapaxes(-1, -2)), 0))

    def backward(ctx, g):
        # d d_ij = (x1_i - x2_j) . (dx1_i - dx2_j) / d_ij, so with r = g / d (0 where d = 0, a
        # subgradient, as PyTorch's): dL/dx1_i = x1_i sum_j r_ij - sum_j r_ij x2_j, and
        # dL/dx2_j = x2_j sum_i r_ij - sum_i r_ij x1_i
        x1, x2, d = ctx.saved_tensors
        zero = d == 0
        r = (g / d.masked_fill(zero, 1)).masked_fill(zero, 0)  # no 0/0 in a double backward
        grad1 = x1 * r.sum(-1, keepdim=True) - r @ x2 if ctx.needs_input_grad[0] else None
        grad2 = x2 * r.sum(-2).unsqueeze(-1) - r.mT @ x1 if ctx.needs_input_grad[1] else None
        return grad1, grad2


_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M), shape (..., P, R) with the batch dims broadcast: ``norm(x1[i] - x2[j], p)``.

    As PyTorch's: for p=2 with more than 25 rows in x1 or x2 (``compute_mode``'s default;
    ``"use_mm_for_euclid_dist"`` always, ``"donot_use_mm_for_euclid_dist"`` never) it is
    ``EuclideanDist``, sqrt(|x1_i|^2 - 2 x1_i.x2_j + |x2_j|^2) by one matmul: fast and P R
    memory, with that formula's cancellation error, which PyTorch has too. Otherwise it is
    built from the (..., P, R, M) differences (P R M memory). The p=2 gradient at zero distance
    is 0, as PyTorch's; other p < 1 have an infinite slope there.
    """
    from .._args import broadcast_shape

    if compute_mode is None:
        compute_mode = _CDIST_MODES[0]
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist: only supports at least 2-D tensors, got shapes {x1.shape} and {x2.shape}"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: x1 and x2 must have the same number of columns, got shapes {x1.shape} and "
            f"{x2.shape}"
        )
    if p < 0:
        raise RuntimeError(f"cdist: only supports non-negative p values, got p={p}")
    many = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and (compute_mode == _CDIST_MODES[1] or (compute_mode == _CDIST_MODES[0] and many)):
        batch = broadcast_shape("cdist", x1.shape[:-2], x2.shape[:-2])
        return EuclideanDist.apply(
            x1.expand(*batch, *x1.shape[-2:]), x2.expand(*batch, *x2.shape[-2:])
        )
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, dim=-1)


# ---------------------------------------------------------------------- inverse and determinant


class Inverse(Op):
    """A^-1 of square matrices (..., n, n)."""

    saves_output = True

    def forward(ctx, a):
        xp = xp_of(a)
        try:
            return xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError(
                f"linalg.inv: the input of shape {a.shape} is singular, it has no inverse"
            ) from None

    def backward(ctx, g):  # d(A^-1) = -A^-1 dA A^-1, so dL/dA = -A^-T g A^-T
        (inv,) = ctx.saved_tensors
        return -(inv.mT @ g @ inv.mT)


class LogAbsDet(Op):
    """log |det A| of square matrices (..., n, n)."""

    saves_inputs = True

    def forward(ctx, a):
        xp = xp_of(a)
        return xp.asarray(xp.linalg.slogdet(a)[1])  # an array also for one matrix

    def backward(ctx, g):  # d log|det A| = tr(A^-1 dA), so dL/dA = g A^-T
        (a,) = ctx.saved_tensors
        return g.unsqueeze(-1).unsqueeze(-1) * inverse(a).mT


_SignLogAbsDet = namedtuple("slogdet", ["sign", "logabsdet"])


def _require_square(name: str, a) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: expected a batch of square matrices (..., n, n), got shape {a.shape}"
        )
    if not is_float(a.array.dtype):
        raise RuntimeError(f"{name}: expected a floating point tensor, got {a.dtype}")


def inverse(a):
    """A^-1 for square matrices (batch dims allowed); a singular matrix raises."""
    _require_square("inverse", a)
    return Inverse.apply(a)


def slogdet(a):
    """(sign, log |det A|): the sign (no gradient) and the log of the absolute determinant,
    whose gradient is A^-T (so it needs an invertible matrix)."""
    from ..tensor import Tensor

    _require_square("slogdet", a)
    sign = Tensor._make(recorder.call(_det_sign, a.array))  # recorded: tg.compile replays it
    return _SignLogAbsDet(sign, LogAbsDet.apply(a))


@recorder.pure
def _det_sign(a):
    xp = xp_of(a)
    return xp.asarray(xp.linalg.slogdet(a)[0])  # an array, also for one matrix (not a scalar)


def det(a):
    """det A = sign exp(log |det A|); the gradient det(A) A^-T needs an invertible matrix
    (PyTorch's also covers singular ones)."""
    sign, logabsdet = slogdet(a)
    return sign * logabsdet.exp()


def logdet(a):
    """log det A: nan where det A < 0 and -inf where it is 0, as PyTorch."""
    sign, logabsdet = slogdet(a)
    return logabsdet.masked_fill(sign < 0, float("nan"))


# ---------------------------------------------------------------------- solve and factorizations
# Each primitive computes on raw arrays (NumPy or CuPy through xp) and writes its gradient in
# tensor ops, so double backward works. The decompositions with several outputs (eigh, svd, qr)
# are Functions: one node, one factorization, every output saved for the backward. The
# composites in tensorgrad/linalg.py check shapes before they get here.


class Solve(Op):
    """X = A^-1 B for A (..., n, n) and B (..., n, k) of the same batch shape."""

    saves_inputs = True
    saves_output = True

    @staticmethod
    def inputs_to_save(needs_input_grad, inputs):
        return (inputs[0],)  # B is not needed: both gradients use A and X

    def forward(ctx, a, b):
        xp = xp_of(a)
        try:
            return xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                f"linalg.solve: The solver failed because the input matrix of shape {a.shape} "
                "is singular."
            ) from None

    def backward(ctx, g):  # A X = B, so A dX = dB - dA X: dL/dB = A^-T g, dL/dA = -(dL/dB) X^T
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb if ctx.needs_input_grad[1] else None


class Cholesky(Op):
    """The lower Cholesky factor L of symmetric positive-definite A = L L^T (..., n, n); only
    the lower triangle of A is read."""

    saves_output = True

    def forward(ctx, a):
        xp = xp_of(a)
        try:
            return xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError(_not_positive_definite(a)) from None

    def backward(ctx, g):
        # Murray 2016 (arXiv 1602.07527), PyTorch's cholesky_backward: with P = tril(L^T g)
        # and Phi(P) its lower triangle with the diagonal halved, symmetrised,
        # dL/dA = L^-T Phi(P) L^-1 (a symmetric matrix).
        (low,) = ctx.saved_tensors
        p = (low.mT @ g).tril()
        p = 0.5 * (p + p.tril(-1).mT)
        x = Solve.apply(low.mT, p)  # L^-T Phi
        return Solve.apply(low.mT, x.mT).mT  # (L^-T Phi) L^-1


def _not_positive_definite(a) -> str:
    """PyTorch's message: the first batch element and leading minor that fail."""
    flat = np.asarray(cholesky_info(a)).reshape(-1)
    for i, k in enumerate(flat):
        if k:
            batch = f"(Batch element {i}): " if a.ndim > 2 else ""
            return (
                f"linalg.cholesky: {batch}The factorization could not be completed because "
                f"the input is not positive-definite (the leading minor of order {k} is not "
                "positive-definite)."
            )
    return f"linalg.cholesky: the input of shape {a.shape} is not positive-definite"


def cholesky_info(a) -> np.ndarray:
    """LAPACK's ``potrf`` info per matrix of ``a`` (..., n, n), a host int32 array of the batch
    shape: 0 if positive-definite, else the order of the first leading minor that is not, by
    the unblocked Cholesky recurrence on the lower triangle (in float64)."""
    n = a.shape[-1]
    flat = np.asarray(a.get() if hasattr(a, "get") else a, dtype=np.float64).reshape(-1, n, n)
    info = np.zeros(len(flat), dtype=np.int32)
    for b, m in enumerate(flat):
        low = np.zeros((n, n))
        for j in range(n):
            d = m[j, j] - low[j, :j] @ low[j, :j]
            if not d > 0:
                info[b] = j + 1
                break
            low[j, j] = math.sqrt(d)
            low[j + 1 :, j] = (m[j + 1 :, j] - low[j + 1 :, :j] @ low[j, :j]) / low[j, j]
    return info.reshape(a.shape[:-2])


def _safe_reciprocal(e):
    """1 / e, with 0 where e is exactly 0 (the diagonal of the eigenvalue and singular value
    difference matrices, and exactly repeated values, whose term is then dropped)."""
    zero = e == 0
    return e.masked_fill(zero, 1).reciprocal().masked_fill(zero, 0)


@recorder.pure
def _eigh(a, uplo):
    xp = xp_of(a)
    try:
        return tuple(xp.linalg.eigh(a, UPLO=uplo))
    except np.linalg.LinAlgError:
        raise RuntimeError(
            f"linalg.eigh: the eigenvalue algorithm did not converge (input of shape {a.shape})"
        ) from None


class Eigh(Function):
    """``Eigh.apply(a, uplo)``: (eigenvalues ascending, eigenvectors) of symmetric A."""

    _recorded_inside = True

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = (Tensor._make(x) for x in recorder.call(_eigh, a.array, uplo))
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        # A = V diag(w) V^T, so V^T dA V = diag(dw) + (V^T dV) diag(w) - diag(w) (V^T dV):
        # dw = diag(V^T dA V) and V^T dV = F o (V^T dA V) with F_ij = 1 / (w_j - w_i), hence
        # dL/dA = V (diag(gw) + F o skew(V^T gv) / 2) V^T, PyTorch's linalg_eig_backward.
        w, v = ctx.saved_tensors
        vtg = v.mT @ gv
        f = _safe_reciprocal(w.unsqueeze(-2) - w.unsqueeze(-1))
        inner = f * (0.5 * (vtg - vtg.mT)) + gw.diag_embed()
        return v @ inner @ v.mT, None


class Eigvalsh(Op):
    """The eigenvalues (ascending) of symmetric A, read from the ``uplo`` triangle."""

    saves_inputs = True

    def forward(ctx, a, uplo="L"):
        ctx.uplo = uplo
        xp = xp_of(a)
        try:
            return xp.linalg.eigvalsh(a, UPLO=uplo)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                f"linalg.eigvalsh: the algorithm did not converge (input of shape {a.shape})"
            ) from None

    def backward(ctx, g):  # dw_i = v_i^T dA v_i, so dL/dA = V diag(g) V^T
        (a,) = ctx.saved_tensors
        _, v = Eigh.apply(a, ctx.uplo)  # the eigenvectors, differentiable for double backward
        return (v * g.unsqueeze(-2)) @ v.mT


@recorder.pure
def _svd(a, full_matrices):
    xp = xp_of(a)
    try:
        return tuple(xp.linalg.svd(a, full_matrices=full_matrices))
    except np.linalg.LinAlgError:
        raise RuntimeError(
            f"linalg.svd: the SVD did not converge (input of shape {a.shape})"
        ) from None


class SVD(Function):
    """``SVD.apply(a, full_matrices)``: (U, S, Vh) with A = U diag(S) Vh, S descending."""

    _recorded_inside = True

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = (Tensor._make(x) for x in recorder.call(_svd, a.array, full_matrices))
        ctx.full_matrices = full_matrices
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        if ctx.full_matrices:  # the columns past min(m, n) are any basis: their gradient is
            k = s.shape[-1]  # ignored, as PyTorch's
            u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        return svd_backward(gu, gs, gvh, u, s, vh), None


def svd_backward(gu, gs, gvh, u, s, vh):
    """dL/dA for the thin SVD A = U diag(S) Vh (PyTorch's svd_backward, real case):
    with J = skew(U^T gU), K = skew(Vh gVh^T) and E_ij = S_j^2 - S_i^2,
    dL/dA = U ((J S + S K) / E + diag(gS)) Vh, plus the terms of the directions outside the
    span of U (m > n) or of V (m < n): (I - U U^T) gU S^-1 Vh, U S^-1 gVh (I - V V^T)."""
    m, n = u.shape[-2], vh.shape[-1]
    j = u.mT @ gu
    k = vh @ gvh.mT
    s2 = s * s
    f = _safe_reciprocal(s2.unsqueeze(-2) - s2.unsqueeze(-1))
    inner = ((j - j.mT) * s.unsqueeze(-2) + s.unsqueeze(-1) * (k - k.mT)) * f + gs.diag_embed()
    s_inv = _safe_reciprocal(s)
    if m > n:
        gu_s = gu * s_inv.unsqueeze(-2)
        return (u @ inner + gu_s - u @ (u.mT @ gu_s)) @ vh
    if m < n:
        s_gvh = s_inv.unsqueeze(-1) * gvh
        return u @ (inner @ vh + s_gvh - (s_gvh @ vh.mT) @ vh)
    return u @ inner @ vh


class SVDVals(Op):
    """The singular values of A (..., m, n), descending."""

    saves_inputs = True

    def forward(ctx, a):
        xp = xp_of(a)
        try:
            return xp.linalg.svd(a, compute_uv=False)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                f"linalg.svdvals: the SVD did not converge (input of shape {a.shape})"
            ) from None

    def backward(ctx, g):  # dS_i = u_i^T dA v_i, so dL/dA = U diag(g) Vh
        (a,) = ctx.saved_tensors
        u, _, vh = SVD.apply(a, False)  # differentiable, for double backward
        return (u * g.unsqueeze(-2)) @ vh


@recorder.pure
def _qr(a, mode):
    xp = xp_of(a)
    if mode == "r":
        return xp.zeros((0,), a.dtype), xp.linalg.qr(a, mode="r")
    return tuple(xp.linalg.qr(a, mode=mode))


class QR(Function):
    """``QR.apply(a, mode)``: (Q, R) with A = Q R, Q orthonormal columns, R upper triangular."""

    _recorded_inside = True

    @staticmethod
    def forward(ctx, a, mode):
        q, r = (Tensor._make(x) for x in recorder.call(_qr, a.array, mode))
        ctx.mode = mode
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr."
            )
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and "
                f"nrows > ncols (input of shape {(*q.shape[:-1], n)})."
            )
        if m >= n:
            return qr_backward(gq, gr, q, r), None
        # A = [X | Y] with X square: X = Q R1 and Y = Q R2, so R2 = Q^T Y adds Y gR2^T to gQ
        r1, r2, gr1, gr2 = r[..., :m], r[..., m:], gr[..., :m], gr[..., m:]
        y = q @ r2
        gx = qr_backward(gq + y @ gr2.mT, gr1, q, r1)
        return cat([gx, q @ gr2], -1), None


def qr_backward(gq, gr, q, r):
    """dL/dA for the reduced QR A = Q R of a tall matrix (m >= n), PyTorch's
    linalg_qr_backward: M = gR R^T - Q^T gQ, and dL/dA = (gQ + Q copyutl(M)) R^-T, where
    copyutl(M) is triu(M) with its strict upper triangle copied below the diagonal."""
    up = (gr @ r.mT - q.mT @ gq).triu()
    y = gq + q @ (up + up.triu(1).mT)
    return Solve.apply(r, y.mT).mT  # y R^-T = (R^-1 y^T)^T


# ---------------------------------------------------------------------- LU, matrix exponential


@recorder.pure
def lu_factor_arrays(a):
    """(LU, pivots, info) of A (..., m, n), LAPACK getrf's conventions: Gaussian elimination
    with partial pivoting, so P^T A = L U with L unit lower trapezoidal (its strict lower part
    stored below LU's diagonal) and U upper (on and above it). At step j the pivot is the first
    entry of largest |.| in column j on or below the diagonal; pivots[j] (int32, 1-based) is
    the row swapped with row j. info (int32, batch shape) is 1 + the first j with U[j, j] == 0
    (0 when none): the elimination goes on past a zero pivot, whose column below is zero."""
    xp = xp_of(a)
    *batch, m, n = a.shape
    k = min(m, n)
    nb = math.prod(batch)
    lu = a.reshape(nb, m, n).copy()
    pivots = xp.zeros((nb, k), dtype=xp.int32)
    info = xp.zeros(nb, dtype=xp.int32)
    rows = xp.arange(nb)
    for j in range(k):
        p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
        pivots[:, j] = p + 1
        row_j = lu[rows, j, :].copy()
        lu[rows, j, :] = lu[rows, p, :]
        lu[rows, p, :] = row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(xp.int32)
        if j + 1 < m:
            lu[:, j + 1 :, j] /= xp.where(zero, 1, pivot)[:, None]  # a zero column stays 0
            if j + 1 < n:
                lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j : j + 1] * lu[:, j : j + 1, j + 1 :]
    return lu.reshape(a.shape), pivots.reshape(*batch, k), info.reshape(batch)


class LUFactor(Function):
    """``LUFactor.apply(a)``: (LU, pivots, info) as ``lu_factor_arrays``; only LU has a
    gradient (``lu_backward`` with L and U read from it)."""

    _recorded_inside = True

    @staticmethod
    def forward(ctx, a):
        lu, pivots, info = (Tensor._make(x) for x in recorder.call(lu_factor_arrays, a.array))
        ctx.mark_non_differentiable(pivots, info)
        ctx.save_for_backward(lu, pivots)
        return lu, pivots, info

    @staticmethod
    def backward(ctx, g, _gp, _gi):
        lu, pivots = ctx.saved_tensors
        p, low, up = lu_unpack(lu, pivots)
        k = min(lu.shape[-2], lu.shape[-1])
        return lu_backward(g[..., :, :k], g[..., :k, :], p, low, up)


def lu_backward(gl, gu, p, low, up):
    """dL/dA for A = P L U (m x n, k = min(m, n)): L (m, k) unit lower, U (k, n) upper. Only the
    strict lower part of gl and the upper part of gu count (the rest of L and U is fixed).

    P^T dA = dL U + L dU. Square and wide (m <= n), U = [U1 U2]: X = L^-1 P^T dA has
    L^-1 dL = tril_-1(X1 U1^-1), dU1 = triu(X1 U1^-1) U1, dU2 = X2 - L^-1 dL U2, so
    dL/dA = P L^-T [(tril_-1(L^T gL - gU2 U2^T) + triu(gU1 U1^T)) U1^-T | gU2].
    Tall (m > n), L = [L1; L2]: Y = P^T dA U^-1 has Z = L1^-1 Y1 with L1^-1 dL1 = tril_-1(Z),
    dU U^-1 = triu(Z), dL2 = Y2 - L2 triu(Z), so
    dL/dA = P [L1^-T (tril_-1(L1^T gL1) + triu(gU U^T - L2^T gL2)) ; gL2] U^-T.
    """
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if m <= n:
        u1, u2, gu1, gu2 = up[..., :k], up[..., k:], gu[..., :k], gu[..., k:]
        inner = (low.mT @ gl - gu2 @ u2.mT).tril(-1) + (gu1 @ u1.mT).triu()
        g1 = _solve_triangular(u1, inner.mT, upper=True).mT  # inner U1^-T
        gx = cat([g1, gu2], -1) if n > k else g1
        return p @ _solve_triangular(low.mT, gx, upper=True, unit=True)  # P L^-T gX
    l1, l2, gl1, gl2 = low[..., :k, :], low[..., k:, :], gl[..., :k, :], gl[..., k:, :]
    inner = (l1.mT @ gl1).tril(-1) + (gu @ up.mT - l2.mT @ gl2).triu()
    gy = cat([_solve_triangular(l1.mT, inner, upper=True, unit=True), gl2], -2)
    return p @ _solve_triangular(up, gy.mT, upper=True).mT  # P gY U^-T


def _solve_triangular(a, b, *, upper: bool, unit: bool = False):
    """A^-1 B for the upper or lower triangle of A (with ones on the diagonal when ``unit``)."""
    if unit:
        from .. import creation

        eye = creation.eye(a.shape[-1], dtype=a.dtype, device=a.device)
        t = (a.triu(1) if upper else a.tril(-1)) + eye
    else:
        t = a.triu() if upper else a.tril()
    if t.shape[:-2] != b.shape[:-2]:
        from .._args import broadcast_shape

        batch = broadcast_shape("solve_triangular", t.shape[:-2], b.shape[:-2])
        t, b = t.expand(*batch, *t.shape[-2:]), b.expand(*batch, *b.shape[-2:])
    return Solve.apply(t, b)


@recorder.pure
def pivots_to_permutation(pivots, m: int):
    """perm (..., m) int64 with P^T B = B[perm] for the LAPACK row swaps ``pivots`` (..., k),
    1-based: the swaps row j <-> row pivots[j] - 1 applied in order to 0, 1, ..., m - 1."""
    xp = xp_of(pivots)
    *batch, k = pivots.shape
    nb = math.prod(batch)
    piv = pivots.reshape(nb, k).astype(xp.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for j in range(k):
        p = piv[:, j]
        swapped = perm[rows, p]
        perm[rows, p] = perm[:, j]
        perm[:, j] = swapped
    return perm.reshape(*batch, m)


@recorder.pure
def check_pivots(pivots, m: int, name: str):
    xp = xp_of(pivots)
    if pivots.size and bool(xp.any((pivots < 1) | (pivots > m))):
        raise RuntimeError(
            f"{name}: the pivots must be 1-based row indices in [1, {m}] (LAPACK's getrf "
            "convention, as torch.linalg.lu_factor returns them)"
        )


_LUUnpackResult = namedtuple("lu_unpack", ["P", "L", "U"])


def lu_unpack(lu, pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    """(P, L, U) from the packed LU factorization of A (..., m, n): L (..., m, k) the strict
    lower part of LU plus ones on the diagonal, U (..., k, n) its upper part (k = min(m, n)),
    P (..., m, m) the permutation matrix of the row swaps ``pivots`` (P[perm[i], i] = 1), so
    A = P L U. Parts not unpacked are empty tensors."""
    from .. import creation

    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    if unpack_data:
        eye = creation.eye(m, k, dtype=lu.dtype, device=lu.device)
        low = lu[..., :, :k].tril(-1) + eye
        up = lu[..., :k, :].triu()
    else:
        low = up = creation.empty(0, dtype=lu.dtype, device=lu.device)
    if unpack_pivots:
        recorder.check(check_pivots, pivots.array, m, "lu_unpack")
        perm = Tensor._make(recorder.call(pivots_to_permutation, pivots.array, m))
        p = Tensor._make(recorder.call(_permutation_matrix, perm.array, lu.array.dtype))
    else:
        p = creation.empty(0, dtype=lu.dtype, device=lu.device)
    return _LUUnpackResult(p, low, up)


@recorder.pure
def _permutation_matrix(perm, dtype):
    """P (..., m, m) with P[perm[i], i] = 1."""
    xp = xp_of(perm)
    m = perm.shape[-1]
    return (perm[..., None, :] == xp.arange(m)[:, None]).astype(dtype)


# Padé approximants r_m(A) = p_m(A) / p_m(-A) of e^A, with p_m(x) = sum_j c_j x^j,
# c_j = (2m - j)! m! / ((2m)! j! (m - j)!), and the largest 1-norm theta_m of A for which r_m
# is accurate to float64's unit roundoff (Higham, "The scaling and squaring method for the
# matrix exponential revisited", SIAM J. Matrix Anal. Appl. 26(4), 2005, table 2.3).
_PADE_THETA = {
    3: 1.495585217958292e-2,
    5: 2.539398330063230e-1,
    7: 9.504178996162932e-1,
    9: 2.097847961257068e0,
    13: 5.371920351148152e0,
}


def _pade_coefficients(m: int) -> list[float]:
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


@recorder.pure
def matrix_exp_array(a):
    """e^A for square matrices (..., n, n) by scaling and squaring (Higham 2005): the smallest
    Padé degree m in (3, 5, 7, 9, 13) with ||A||_1 <= theta_m for every matrix of the batch;
    past theta_13, degree 13 on A / 2^s with s = ceil(log2(||A||_1 / theta_13)) per matrix,
    then s squarings. Solves p_m(-A) X = p_m(A) in place of an inverse. float32 and float16
    are computed in float64 and rounded once."""
    xp = xp_of(a)
    out_dtype = a.dtype
    a = a.astype(xp.float64, copy=False)
    n = a.shape[-1]
    if a.size == 0:
        return a.astype(out_dtype)
    norms = xp.abs(a).sum(-2).max(-1)  # the 1-norm: the largest absolute column sum
    finite = xp.where(xp.isfinite(norms), norms, 0.0)
    top = float(finite.max())
    degree = next((m for m, theta in _PADE_THETA.items() if top <= theta), 13)
    s = xp.zeros(norms.shape, dtype=xp.int64)
    if degree == 13 and top > _PADE_THETA[13]:
        s = xp.maximum(xp.ceil(xp.log2(xp.maximum(finite, 1e-300) / _PADE_THETA[13])), 0)
        s = s.astype(xp.int64)
        a = a / xp.exp2(s.astype(xp.float64))[..., None, None]
    c = _pade_coefficients(degree)
    eye = xp.eye(n, dtype=xp.float64)
    a2 = a @ a
    if degree < 13:  # p_m(+-A) = U_even +- A U_odd, both polynomials in A^2
        powers = [eye, a2]
        for _ in range(2, (degree + 1) // 2):
            powers.append(powers[-1] @ a2)
        even = sum(c[2 * i] * powers[i] for i in range(len(powers)))
        odd = a @ sum(c[2 * i + 1] * powers[i] for i in range(len(powers)))
    else:  # Higham's evaluation of degree 13 in 6 products
        a4 = a2 @ a2
        a6 = a4 @ a2
        odd = a @ (
            a6 @ (c[13] * a6 + c[11] * a4 + c[9] * a2)
            + c[7] * a6 + c[5] * a4 + c[3] * a2 + c[1] * eye
        )  # fmt: skip
        even = (
            a6 @ (c[12] * a6 + c[10] * a4 + c[8] * a2)
            + c[6] * a6 + c[4] * a4 + c[2] * a2 + c[0] * eye
        )  # fmt: skip
    x = xp.linalg.solve(even - odd, even + odd)
    for i in range(int(s.max()) if s.size else 0):
        x = xp.where((s > i)[..., None, None], x @ x, x)
    return x.astype(out_dtype, copy=False)


class MatrixExp(Op):
    """e^A = sum_k A^k / k! of square matrices (..., n, n) (``matrix_exp_array``)."""

    saves_inputs = True

    def forward(ctx, a):
        return matrix_exp_array(a)

    def backward(ctx, g):
        # The adjoint of the Fréchet derivative L(A, E) = d/dt e^(A + tE) at t = 0 is
        # L(A^T, .), and e^[[X, E], [0, X]] = [[e^X, L(X, E)], [0, e^X]] (Mathias 1996), so
        # dL/dA = the top right block of e^[[A^T, G], [0, A^T]]: a MatrixExp again, which makes
        # the double backward another such block (of twice the size).
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        at = a.mT
        top = cat([at, g], -1)
        bottom = cat([at.new_zeros(at.shape), at], -1)
        return MatrixExp.apply(cat([top, bottom], -2))[..., :n, n:]


class CholeskySolve(Op):
    """X = A^-1 B with A = L L^T (``upper``: A = U^T U) for B (..., n, k) and the triangular
    factor (..., n, n) of the same batch shape; only its ``upper`` or lower triangle is read."""

    saves_inputs = True
    saves_output = True

    @staticmethod
    def inputs_to_save(needs_input_grad, inputs):
        return (None, inputs[1])  # B is not needed: the gradients use the factor and X

    def forward(ctx, b, factor, upper=False):
        ctx.upper = upper
        xp = xp_of(b)
        low = xp.triu(factor).swapaxes(-1, -2) if upper else xp.tril(factor)
        try:
            y = xp.linalg.solve(low, b)
            return xp.linalg.solve(low.swapaxes(-1, -2), y)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                f"cholesky_solve: the factor of shape {factor.shape} is singular (a zero on its "
                "diagonal)"
            ) from None

    def backward(ctx, g):
        # A X = B with A = L L^T: dL/dB = A^-1 g; dA = dL L^T + L dL^T gives, with
        # C = (dL/dB) X^T, dL/dL = -(C + C^T) L (U (C + C^T) for upper), PyTorch's
        # cholesky_solve_backward: the whole factor, not only the triangle the forward reads.
        _, factor, x = ctx.saved_tensors
        gb = CholeskySolve.apply(g, factor, upper=ctx.upper)
        gf = None
        if ctx.needs_input_grad[1]:
            c = gb @ x.mT
            c = c + c.mT
            gf = -(factor @ c) if ctx.upper else -(c @ factor)
        return gb if ctx.needs_input_grad[0] else None, gf


# ---------------------------------------------------------------------- PyTorch's older forms
# torch.cholesky_solve, cholesky_inverse, triangular_solve, chain_matmul, nuclear_norm,
# frobenius_norm (torch.linalg has the newer names): shape checks, then the primitives above.


def _batched(name: str, what: str, x) -> None:
    if x.ndim < 2:
        raise RuntimeError(
            f"{name}: {what} should have at least 2 dimensions, but has {x.ndim} dimensions "
            f"instead (shape {x.shape})"
        )


def _square_factor(name: str, factor) -> None:
    _batched(name, "A", factor)
    if factor.shape[-1] != factor.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {factor.shape[-2]} by "
            f"{factor.shape[-1]} matrices"
        )
    if not is_float(factor.array.dtype):
        raise RuntimeError(f"{name}: expected a floating point tensor, got {factor.dtype}")


def cholesky_solve(b, factor, upper: bool = False):
    """X = A^-1 B for A = L L^T given its Cholesky factor L (``upper``: U with A = U^T U), B
    (..., n, k); batch dims broadcast."""
    from .._args import broadcast_shape

    _batched("cholesky_solve", "b", b)
    _square_factor("cholesky_solve", factor)
    n = factor.shape[-1]
    if b.shape[-2] != n:
        raise RuntimeError(
            f"cholesky_solve: Incompatible matrix sizes for cholesky_solve: each A matrix is "
            f"{n} by {n} but each b matrix is {b.shape[-2]} by {b.shape[-1]}"
        )
    if b.dtype != factor.dtype:
        raise RuntimeError(
            f"cholesky_solve: Expected b and A to have the same dtype, but found b of type "
            f"{b.dtype} and A of type {factor.dtype} instead."
        )
    batch = broadcast_shape("cholesky_solve", b.shape[:-2], factor.shape[:-2])
    b = b.expand(*batch, *b.shape[-2:]) if b.shape[:-2] != batch else b
    factor = factor.expand(*batch, n, n) if factor.shape[:-2] != batch else factor
    return CholeskySolve.apply(b, factor, upper=bool(upper))


def cholesky_inverse(factor, upper: bool = False):
    """A^-1 for A = L L^T given its Cholesky factor L (``upper``: U with A = U^T U), as
    ``cholesky_solve(I, L)``."""
    from .. import creation

    _square_factor("cholesky_inverse", factor)
    n = factor.shape[-1]
    eye = creation.eye(n, dtype=factor.dtype, device=factor.device)
    return CholeskySolve.apply(eye.expand(factor.shape), factor, upper=bool(upper))


_TriangularSolveResult = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
SVDWithV = namedtuple("svd", ["U", "S", "V"])  # torch.svd's result: V, not linalg.svd's Vh


def triangular_solve(b, a, upper: bool = True, transpose: bool = False, unitriangular=False):
    """(X, A.clone()) with A X = B (A^T X = B when ``transpose``) for the ``upper`` or lower
    triangle of A (ones on the diagonal when ``unitriangular``); batch dims broadcast (the copy
    of A too, as PyTorch's)."""
    _batched("triangular_solve", "b", b)
    _square_factor("triangular_solve", a)
    if b.shape[-2] != a.shape[-1]:
        raise RuntimeError(
            f"triangular_solve: Incompatible matrix sizes for triangular_solve: each A matrix "
            f"is {a.shape[-1]} by {a.shape[-1]} but each b matrix is {b.shape[-2]} by "
            f"{b.shape[-1]}"
        )
    from .._args import broadcast_shape

    t = a.mT if transpose else a
    x = _solve_triangular(t, b, upper=upper != transpose, unit=bool(unitriangular))
    batch = broadcast_shape("triangular_solve", b.shape[:-2], a.shape[:-2])
    return _TriangularSolveResult(x, a.expand(*batch, *a.shape[-2:]).clone())


def chain_matmul(*matrices):
    """The product of one or more 2-D matrices, left to right (``linalg.multi_dot`` without
    its 1-D ends; PyTorch picks the cheapest order, the values agree up to rounding)."""
    from ..tensor import matmul

    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(
                f"chain_matmul: Tensor dimension is {m.ndim}, expected 2 instead (shape {m.shape})"
            )
    out = matrices[0].clone() if len(matrices) == 1 else matrices[0]
    for m in matrices[1:]:
        if out.shape[1] != m.shape[0]:
            raise RuntimeError(
                f"chain_matmul: matrices cannot be chained: shapes "
                f"{[tuple(x.shape) for x in matrices]}"
            )
        out = matmul(out, m)
    return out


def nuclear_norm(input, dim=None, keepdim: bool = False):
    """The sum of the singular values of the matrices over ``dim`` (two dims; the last two when
    None): PyTorch's deprecated ``torch.nuclear_norm``, ``linalg.matrix_norm(A, 'nuc', dim)``."""
    from .._args import wrap_dim

    if isinstance(dim, bool):  # nuclear_norm(input, keepdim), PyTorch's other overload
        dim, keepdim = None, dim
    if dim is None:
        dim = (-2, -1)
    if len(dim) != 2:
        raise RuntimeError(f"nuclear_norm: dim must be a 2-tuple, got {dim}")
    if input.ndim < 2:
        raise RuntimeError(f"nuclear_norm: expected a 2-D tensor or more, got shape {input.shape}")
    d0, d1 = (wrap_dim(d, input.ndim) for d in dim)
    rest = [d for d in range(input.ndim) if d not in (d0, d1)]
    out = SVDVals.apply(input.permute(*rest, d0, d1)).sum(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def frobenius_norm(input, dim, keepdim: bool = False):
    """sqrt(sum x^2) over ``dim``: PyTorch's deprecated ``torch.frobenius_norm``,
    ``linalg.vector_norm(x, 2, dim, keepdim)``."""
    return input.norm(2, dim=dim, keepdim=keepdim)
