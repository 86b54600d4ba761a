"""Matrix products (batched ``MatMul``, ``Einsum``) and the linear algebra primitives: inverse,
log |det|, solve, and the Cholesky, symmetric eigen-, singular value and QR decompositions."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..autograd.function import Function, Op
from ..backend import xp_of
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
    """Parse ``equation`` (implicit output and ``...`` allowed) and apply ``Einsum``."""
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
    expanded = []
    for s, x in zip(inputs, operands):
        if "..." in s:
            n = x.ndim - len(s.replace("...", ""))
            s = s.replace("...", letters[ellipsis_dims - n :])
        if len(s) != x.ndim:
            raise ValueError(
                f"einsum: subscripts {s!r} name {len(s)} dimensions but the operand has shape "
                f"{x.shape}"
            )
        if len(set(s)) != len(s):
            raise NotImplementedError(
                f"einsum: repeated subscripts in one operand ({s!r}, a diagonal) are not supported"
            )
        expanded.append(s)
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
        counts = {c: "".join(expanded).count(c) for c in sizes}
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
            f"mm: shapes {a.shape} and {b.shape} cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
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


def add_product(name: str, input, product, beta, alpha):
    """``beta * input + alpha * product``, the ``add*`` ops' shared tail: ``input`` must
    broadcast to the product's shape; with ``beta=0`` it is ignored (nan and inf in it don't
    propagate) and its gradient is zero, as PyTorch's."""
    from .._args import to_tensor

    input = to_tensor(input, product)
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
    return add_product("addr", input, vec1.outer(vec2), beta, alpha)


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


def cdist(x1, x2, p: float = 2.0, compute_mode=None):
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M), shape (..., P, R) with the batch dims broadcast: ``norm(x1[i] - x2[j], p)``.

    Built from the (..., P, R, M) differences, so it takes P R M memory (PyTorch's p=2 uses a
    matmul); ``compute_mode`` is accepted and ignored. The p=2 gradient at zero distance is 0,
    as PyTorch's; other p < 1 have an infinite slope there.
    """
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
    if a.array.dtype.kind != "f":
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
    n = a.shape[-1]
    flat = np.asarray(a.get() if hasattr(a, "get") else a).reshape(-1, n, n)
    for i, m in enumerate(flat):
        for k in range(1, n + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                batch = f"(Batch element {i}): " if a.ndim > 2 else ""
                return (
                    f"linalg.cholesky: {batch}The factorization could not be completed because "
                    f"the input is not positive-definite (the leading minor of order {k} is not "
                    "positive-definite)."
                )
    return f"linalg.cholesky: the input of shape {a.shape} is not positive-definite"


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
