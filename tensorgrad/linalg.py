"""``torch.linalg``'s namesake: the same names, signatures, defaults and named-tuple results.

Products and determinants: ``matmul``, ``multi_dot``, ``cross``, ``vecdot``, ``inv``, ``det``,
``slogdet``, ``matrix_power``, ``matrix_exp``, ``householder_product``. Norms: ``vector_norm``,
``matrix_norm``, ``norm``, ``cond``. Solvers: ``solve``, ``solve_ex``, ``solve_triangular``,
``lu_solve``, ``lstsq``, ``pinv``, ``tensorinv``, ``tensorsolve``. Decompositions:
``cholesky``, ``lu``/``lu_factor``, ``qr``, ``eigh``/``eigvalsh``, ``svd``/``svdvals``, and
``matrix_rank``, ``vander``, ``diagonal``. ``eig`` and ``eigvals`` raise: a general real matrix
has complex eigenvalues, and tensorgrad has no complex tensors.

The primitives (with their calculus) live in ``tensorgrad/ops/linalg.py``; everything here is
composed from them and checks its shapes first, so a bad input raises an error naming them.
Eigenvectors and singular vectors are defined up to sign: LAPACK builds may pick other signs
than PyTorch's, so compare quantities that don't depend on it (U diag(S) Vh, |U|).
Gradients of eigh and svd need distinct eigenvalues and singular values, as PyTorch's; where two
are exactly equal the term that would divide by their difference is dropped (PyTorch's is inf or
nan there).
"""

from __future__ import annotations

import math
from collections import namedtuple

from .backend import np_finfo, xp_of
from .jit import recorder
from .ops import linalg as _ops
from .tensor import Tensor, matmul

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]


class LinAlgError(RuntimeError):
    """PyTorch's ``torch.linalg.LinAlgError``: a matrix the operation is undefined for."""


_EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
_SVDResult = namedtuple("svd", ["U", "S", "Vh"])
_QRResult = namedtuple("qr", ["Q", "R"])
_LstsqResult = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])
_InvExResult = namedtuple("inv_ex", ["inverse", "info"])
_CholeskyExResult = namedtuple("cholesky_ex", ["L", "info"])
_LUFactorResult = namedtuple("lu_factor", ["LU", "pivots"])
_LUFactorExResult = namedtuple("lu_factor_ex", ["LU", "pivots", "info"])
_LUResult = namedtuple("lu", ["P", "L", "U"])
_SolveExResult = namedtuple("solve_ex", ["result", "info"])


def _square(name: str, A: Tensor) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{name}: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices (shape {A.shape})"
        )
    _floating(name, A)


def _matrix(name: str, A: Tensor) -> None:
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.{name}: The input tensor A must have at least 2 dimensions, got shape "
            f"{A.shape}"
        )
    _floating(name, A)


def _floating(name: str, A: Tensor) -> None:
    if not A.is_floating_point():
        raise RuntimeError(
            f"linalg.{name}: Expected a floating point tensor as input. Got {A.dtype}"
        )


def _batch_broadcast(name: str, A: Tensor, B: Tensor) -> tuple:
    """A and B expanded to the broadcast of their batch dims (all but the last two)."""
    from ._args import broadcast_shape

    try:
        batch = broadcast_shape(name, A.shape[:-2], B.shape[:-2])
    except RuntimeError:
        raise RuntimeError(
            f"linalg.{name}: the batch dimensions of A {A.shape} and B {B.shape} don't broadcast"
        ) from None
    A = A.expand(*batch, *A.shape[-2:]) if A.shape[:-2] != batch else A
    B = B.expand(*batch, *B.shape[-2:]) if B.shape[:-2] != batch else B
    return A, B


# ---------------------------------------------------------------------- products, determinants


def inv(A: Tensor) -> Tensor:
    """A^-1 for square matrices (..., n, n); a singular matrix raises."""
    return _ops.inverse(A)


def inv_ex(A: Tensor, *, check_errors: bool = False):
    """(inverse, info) as PyTorch's ``inv_ex``: info (int32, the batch shape) is 0 for an
    invertible matrix, else LAPACK's: 1 + the first i with U[i, i] = 0 in its LU factorization;
    such a matrix's inverse is nan (PyTorch's holds whatever LAPACK left: nan and inf).
    ``check_errors`` raises ``inv``'s error instead."""
    try:
        return _InvExResult(inv(A), _info(A))
    except RuntimeError:
        if check_errors:
            raise
    info, bad, safe = _singular_replaced(A)
    return _InvExResult(inv(safe).masked_fill(bad, math.nan), info)


def _singular_replaced(A: Tensor) -> tuple:
    """(info, bad, A'): getrf's info per matrix of A (int32, A's batch shape: 0, or 1 + the
    first zero pivot), bad (batch shape + (1, 1), bool) where it is not 0, and A with the
    identity in place of those matrices, so a solver runs on every matrix and the good ones
    keep their gradient."""
    from .creation import eye

    info = _ops.LUFactor.apply(A.detach())[2]
    bad = (info != 0)[..., None, None]
    return info, bad, eye(A.shape[-1], dtype=A.dtype, device=A.device).where(bad, A)


def _info(A: Tensor) -> Tensor:
    from . import creation

    return creation.zeros(*A.shape[:-2], dtype="int32", device=A.device)


def det(A: Tensor) -> Tensor:
    """det A of square matrices (..., n, n); the gradient needs A invertible."""
    return _ops.det(A)


def slogdet(A: Tensor):
    """(sign, logabsdet) of square matrices (..., n, n), a named tuple."""
    return _ops.slogdet(A)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (-1 by default), other dims broadcast."""
    return _ops.cross(input, other, dim, name="linalg.cross")


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) along ``dim``, the other dims broadcast."""
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal ``offset`` of the (dim1, dim2) matrices, the last two dims by default."""
    return A.diagonal(offset, dim1, dim2)


def multi_dot(tensors) -> Tensor:
    """A_1 @ A_2 @ ... @ A_k of 2-D matrices, the first may be a 1-D row and the last a 1-D
    column vector. Multiplied left to right (PyTorch picks the cheapest order: the values
    agree up to rounding)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2-D (the first and last may be 1-D), got "
                f"shape {t.shape}"
            )
    out = tensors[0]
    for t in tensors[1:]:
        if out.shape[-1] != t.shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors cannot be chained: shapes "
                f"{[tuple(x.shape) for x in tensors]}"
            )
        out = matmul(out, t)
    return out


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n for square matrices by repeated squaring (about 2 log2 n products); n = 0 gives
    the identity, n < 0 the power of A^-1."""
    if not A.ndim >= 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, got shape {A.shape}"
        )
    if not isinstance(n, int):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:
        from . import creation

        eye = creation.eye(A.shape[-1], dtype=A.dtype, device=A.device)
        # masked_fill keeps the graph edge to A (a zero gradient, as PyTorch's), and no nan
        return A.masked_fill(A.new_ones(()).bool(), 0) + eye
    base = inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while True:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if not n:
            return result
        base = base @ base


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x (..., n): columns x^0, x^1, ..., x^(N-1) (N = n by
    default), as cumulative products of x so the gradient is exact at x = 0."""
    if x.ndim < 1:
        raise RuntimeError(f"linalg.vander: x must have at least one dimension, got {x.shape}")
    n = x.shape[-1] if N is None else N
    if n < 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got N={N}")
    ones = x.new_ones(*x.shape, 1)
    if n == 1:
        return ones
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    from .tensor import cat

    return cat([ones, powers], -1)


# ---------------------------------------------------------------------- norms


def vector_norm(
    x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None
) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (all dims when None); ord inf and -inf are max and
    min |x|, ord 0 counts the nonzeros. ``dtype`` casts x first."""
    if dtype is not None:
        x = x.to(dtype)
    if not x.is_floating_point():
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype}"
        )
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dim is None and keepdim is False:
        return x.flatten().norm(ord, 0) if x.ndim else x.norm(ord)
    return x.norm(ord, dim=tuple(range(x.ndim)) if dim is None else dim, keepdim=keepdim)


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims ``dim``: 'fro' sqrt(sum A^2), 'nuc' the sum of the
    singular values, inf / -inf the max / min absolute row sum, 1 / -1 the max / min absolute
    column sum, 2 / -2 the largest / smallest singular value."""
    from ._args import wrap_dim

    if dtype is not None:
        A = A.to(dtype)
    _matrix("matrix_norm", A)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(
            f"linalg.matrix_norm: Order {ord} not supported; expected 'fro', 'nuc', inf, -inf, "
            "1, -1, 2 or -2"
        )
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else dim
    if not isinstance(dim, tuple) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    rest = [d for d in range(A.ndim) if d not in (d0, d1)]
    m = A.permute(*rest, d0, d1)
    if ord == "nuc":
        out = svdvals(m).sum(-1)
    elif ord in (2, -2):
        s = svdvals(m)
        out = s[..., 0] if ord == 2 else s[..., -1]
    else:
        sums = m.abs().sum(-1 if ord in (math.inf, -math.inf) else -2)
        out = sums.amax(-1) if ord > 0 else sums.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector or matrix norm, chosen as PyTorch's: an int ``dim`` (or one dim) takes the
    vector norm, two dims the matrix norm; without ``dim``, ord None is the 2-norm of all
    elements, and a given ``ord`` needs a 1-D (vector) or 2-D (matrix) input."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(
            f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dim}"
        )
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(
        f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
        f"{A.ndim}D (shape {A.shape})."
    )


# ---------------------------------------------------------------------- solvers


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) when 1-D, or when its shape is A's without
    the last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for square A (..., n, n) and B (..., n, k),
    batch dims broadcast; B (..., n) is a batch of vectors when its shape is A's without the
    last dim (or B is 1-D), as PyTorch's. A singular A raises."""
    _square("solve", A)
    _floating("solve", B)
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype} and B of type {B.dtype} instead"
        )
    vector = _is_vector_rhs(A, B)
    b = B.unsqueeze(-1) if vector else B
    if not left and not vector:
        b = b.mT
    a = A if left else A.mT
    n = a.shape[-1]
    if b.ndim < 2 or b.shape[-2] != n or (vector and not left):  # PyTorch has no X A = b
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} (A {A.shape}, B {B.shape})"
        )
    a, b = _batch_broadcast("solve", a, b)
    x = _ops.Solve.apply(a, b)
    if vector:
        return x.squeeze(-1)
    return x if left else x.mT


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for triangular A: only the ``upper`` or lower
    triangle of A is read, its diagonal taken as ones when ``unitriangular``. B must be a
    matrix (..., n, k) as in PyTorch; batch dims broadcast."""
    _square("solve_triangular", A)
    _floating("solve_triangular", B)
    if B.ndim < 2:
        raise RuntimeError(
            f"linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got "
            f"shape {B.shape}"
        )
    t = A.triu() if upper else A.tril()
    if unitriangular:
        t = (A.triu(1) if upper else A.tril(-1)) + _eye_like(A)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} (A {A.shape}, B {B.shape})"
        )
    if left:
        a, b = _batch_broadcast("solve_triangular", t, B)
        return _ops.Solve.apply(a, b)
    a, b = _batch_broadcast("solve_triangular", t.mT, B.mT)
    return _ops.Solve.apply(a, b).mT


def _eye_like(A: Tensor) -> Tensor:
    from . import creation

    return creation.eye(A.shape[-1], dtype=A.dtype, device=A.device)


def _default_rtol(A: Tensor, atol, rtol):
    """PyTorch's pinv/matrix_rank tolerances: rtol = eps max(m, n) when neither is given, and
    0 when only a positive atol is."""

    if rtol is None:
        if atol is not None and (not isinstance(atol, (int, float)) or atol > 0):
            rtol = 0.0
        else:
            rtol = float(np_finfo(A.array.dtype).eps) * max(A.shape[-2], A.shape[-1])
    return 0.0 if atol is None else atol, rtol


def _tolerance(s_max: Tensor, atol, rtol):
    """max(atol, rtol * s_max) per matrix, shape (..., 1)."""
    tol = s_max * rtol
    if isinstance(atol, Tensor):
        return tol.maximum(atol.unsqueeze(-1) if atol.ndim else atol)
    return tol.clamp(min=atol) if atol else tol


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse V diag(1/S) U^T from the thin SVD, with singular
    values at most max(atol, rtol * S_max) taken as zero (``hermitian``: from eigh, |w| for
    S). The gradient assumes the rank stays constant, as PyTorch's."""
    _matrix("pinv", A)
    atol, rtol = _default_rtol(A, atol, rtol)
    if hermitian:
        _square("pinv", A)
        w, v = eigh(A)
        keep = w.abs() > _tolerance(w.abs().amax(-1, keepdim=True), atol, rtol)
        w_inv = w.masked_fill(~keep, 1).reciprocal().masked_fill(~keep, 0)
        return (v * w_inv.unsqueeze(-2)) @ v.mT
    u, s, vh = svd(A, full_matrices=False)
    keep = s > _tolerance(s[..., :1], atol, rtol)
    s_inv = s.masked_fill(~keep, 1).reciprocal().masked_fill(~keep, 0)
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * S_max) (int64, no gradient);
    ``hermitian`` counts |eigenvalues| instead."""
    from .grad_mode import no_grad

    _matrix("matrix_rank", A)
    atol, rtol = _default_rtol(A, atol, rtol)
    with no_grad():
        s = eigvalsh(A).abs() if hermitian else svdvals(A)
        s_max = s.amax(-1, keepdim=True) if s.shape[-1] else s.new_zeros(*s.shape[:-1], 1)
        return (s > _tolerance(s_max, atol, rtol)).sum(-1)


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None):
    """(solution, residuals, rank, singular_values): the X minimizing ||A X - B||_F for A
    (..., m, n) and B (..., m, k) (or (..., m) vectors), as pinv(A) @ B with singular values
    below ``rcond * S_max`` dropped. Like PyTorch's CPU default driver 'gelsy': the rank is
    computed, residuals and singular values are empty. ``driver`` is accepted and ignored."""
    _matrix("lstsq", A)
    _floating("lstsq", B)
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.ndim < 2 or b.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) (A {A.shape}, "
            f"B {B.shape})"
        )
    a, b = _batch_broadcast("lstsq", A, b)
    x = pinv(a, rtol=rcond) @ b
    empty = A.new_zeros(0)
    rank = matrix_rank(a, rtol=rcond)
    return _LstsqResult(x.squeeze(-1) if vector else x, empty, rank, empty)


# ---------------------------------------------------------------------- decompositions


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of symmetric positive-definite A = L L^T (``upper``: U = L^T with
    A = U^T U); only the lower triangle of A is read. A matrix that is not positive-definite
    raises PyTorch's error naming the leading minor that fails."""
    _square("cholesky", A)
    low = _ops.Cholesky.apply(A)
    return low.mT if upper else low


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """(L, info) as PyTorch's ``cholesky_ex``: info (int32, the batch shape) is 0 where the
    matrix is positive-definite, else the order of its first leading minor that is not; that
    matrix's L is nan (PyTorch's holds LAPACK's partial factor). ``check_errors`` raises
    ``cholesky``'s error instead."""
    try:
        return _CholeskyExResult(cholesky(A, upper=upper), _info(A))
    except RuntimeError:
        if check_errors:
            raise
    from .creation import eye

    info = Tensor._make(recorder.call(_cholesky_info, A.detach().array))  # on A's device
    bad = (info != 0)[..., None, None]
    safe = eye(A.shape[-1], dtype=A.dtype, device=A.device).where(bad, A)
    return _CholeskyExResult(cholesky(safe, upper=upper).masked_fill(bad, math.nan), info)


def _cholesky_info(a):
    return xp_of(a).asarray(_ops.cholesky_info(a))


def eigh(A: Tensor, UPLO: str = "L"):
    """(eigenvalues, eigenvectors) of symmetric A (..., n, n), read from its lower (``UPLO``
    'L') or upper ('U') triangle: eigenvalues ascending, orthonormal eigenvector columns.

    The gradient, V (diag(g_w) + F o skew(V^T g_V) / 2) V^T with F_ij = 1 / (w_j - w_i),
    needs distinct eigenvalues; it is symmetric (the triangle read is not singled out).
    """
    _square("eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _EighResult(*_ops.Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric A; gradient V diag(g) V^T, which needs no
    distinct eigenvalues."""
    _square("eigvalsh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _ops.Eigvalsh.apply(A, uplo=UPLO)


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh for A (..., m, n), S descending (k = min(m, n)).

    ``full_matrices`` gives U (..., m, m) and Vh (..., n, n); otherwise (..., m, k) and
    (..., k, n). The gradient needs distinct nonzero singular values; with ``full_matrices``
    the columns past k get none (any basis of that space would do), as PyTorch's.
    ``driver`` (CUDA only in PyTorch) is accepted and ignored.
    """
    _matrix("svd", A)
    return _SVDResult(*_ops.SVD.apply(A, full_matrices))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values of A (..., m, n), descending; gradient U diag(g) Vh."""
    _matrix("svdvals", A)
    return _ops.SVDVals.apply(A)


def qr(A: Tensor, mode: str = "reduced"):
    """(Q, R) with A = Q R for A (..., m, n): ``mode`` 'reduced' gives Q (..., m, k) and
    R (..., k, n) with k = min(m, n), 'complete' Q (..., m, m) and R (..., m, n), 'r' only R
    (Q empty). Differentiable for 'reduced', and for 'complete' when m <= n, as PyTorch's."""
    _matrix("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    return _QRResult(*_ops.QR.apply(A, mode))


def eig(A: Tensor):
    """Not available: the eigenvalues and eigenvectors of a general real matrix are complex,
    and tensorgrad has no complex tensors. Raises NotImplementedError; for symmetric matrices
    ``eigh`` gives real ones."""
    raise NotImplementedError(
        "linalg.eig: the eigenvalues of a general real matrix are complex, and tensorgrad has no "
        "complex tensors; for a symmetric matrix use linalg.eigh (or linalg.eigvalsh)"
    )


def eigvals(A: Tensor):
    """Not available, as ``eig``: the eigenvalues of a general real matrix are complex, and
    tensorgrad has no complex tensors. Raises NotImplementedError; see ``eigvalsh``."""
    raise NotImplementedError(
        "linalg.eigvals: the eigenvalues of a general real matrix are complex, and tensorgrad "
        "has no complex tensors; for a symmetric matrix use linalg.eigvalsh"
    )


# ---------------------------------------------------------------------- LU


def _check_lu_info(info, name: str) -> None:
    """PyTorch's error for the first matrix whose U has a zero on its diagonal."""
    import numpy as np

    flat = np.asarray(info.get() if hasattr(info, "get") else info).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        i = int(bad[0])
        batch = f"(Batch element {i}): " if info.ndim else ""
        j = int(flat[i])
        raise LinAlgError(
            f"torch.linalg.{name}: {batch}U[{j},{j}] is zero and using it on lu_solve would "
            "result in a division by zero. If you still want to perform the factorization, "
            "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )


def _lu_input(name: str, A: Tensor, pivot: bool) -> None:
    if A.ndim < 2:
        raise RuntimeError(
            f"torch.{name}: Expected tensor with 2 or more dimensions. Got size: "
            f"{list(A.shape)} instead"
        )
    _floating(name, A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info): the LU factorization with partial pivoting of A (..., m, n), packed
    as LAPACK's getrf: P^T A = L U with L (unit lower, k = min(m, n) columns) below LU's
    diagonal and U on and above it; pivots (..., k) int32 the 1-based rows swapped in turn;
    info (int32, batch shape) 1 + the first i with U[i, i] = 0, else 0. ``check_errors``
    raises for info > 0. The gradient flows from LU (pivots and info have none);
    ``pivot=False`` raises, as PyTorch's CPU."""
    _lu_input("lu_factor_ex", A, pivot)
    lu_, pivots, info = _ops.LUFactor.apply(A)
    if check_errors:
        recorder.check(_check_lu_info, info.array, "lu_factor_ex")
    return _LUFactorExResult(lu_, pivots, info)


def lu_factor(A: Tensor, *, pivot: bool = True):
    """(LU, pivots) as ``lu_factor_ex``, raising PyTorch's error when some U has a zero on its
    diagonal (``lu_solve`` would divide by it)."""
    _lu_input("lu_factor", A, pivot)
    lu_, pivots, info = _ops.LUFactor.apply(A)
    recorder.check(_check_lu_info, info.array, "lu_factor")
    return _LUFactorResult(lu_, pivots)


def lu(A: Tensor, *, pivot: bool = True):
    """(P, L, U) with A = P L U for A (..., m, n), k = min(m, n): P (..., m, m) a permutation
    matrix, L (..., m, k) unit lower triangular, U (..., k, n) upper triangular (partial
    pivoting, as ``lu_factor``; a singular A is factored too). L and U have gradients, P none."""
    _lu_input("lu", A, pivot)
    lu_, pivots, _ = _ops.LUFactor.apply(A)
    return _LUResult(*_ops.lu_unpack(lu_, pivots))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False):
    """X with A X = B from A's packed LU factorization (``lu_factor``), A = P L U square:
    X = U^-1 L^-1 P^T B. ``adjoint`` solves A^T X = B, ``left=False`` X A = B (X A^T = B with
    ``adjoint``). B is (..., n, k) (``left=False``: (..., k, n)); batch dims broadcast. Written
    with triangular solves and a row gather, so the gradient reaches LU and B."""
    from ._args import broadcast_shape

    _matrix("lu_solve", LU)
    _floating("lu_solve", B)
    n = LU.shape[-1]
    if LU.shape[-2] != n:
        raise RuntimeError(
            f"torch.linalg.lu_solve: A must be batches of square matrices, but they are "
            f"{LU.shape[-2]} by {n} matrices"
        )
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise RuntimeError(
            f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got "
            f"pivots with shape {list(pivots.shape)} instead"
        )
    if B.ndim < 2 or (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({LU.shape[-2]}x{n} and "
            f"{'x'.join(str(d) for d in B.shape[-2:])})"
        )
    if LU.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
            f"{LU.dtype} and B of type {B.dtype} instead"
        )
    recorder.check(_ops.check_pivots, pivots.array, n, "linalg.lu_solve")
    b = B if left else B.mT
    transposed = adjoint == left  # left + adjoint: A^T X = B; right: A^T X^T = B^T
    batch = broadcast_shape("linalg.lu_solve", LU.shape[:-2], b.shape[:-2])
    perm = Tensor._make(recorder.call(_ops.pivots_to_permutation, pivots.array, n))
    lu_ = LU.expand(*batch, n, n)
    b = b.expand(*batch, *b.shape[-2:])
    index = perm.expand(*batch, n).unsqueeze(-1).expand(*batch, n, b.shape[-1])
    if not transposed:  # X = U^-1 L^-1 (P^T B), P^T B = B[perm]
        y = solve_triangular(lu_, b.take_along_dim(index, -2), upper=False, unitriangular=True)
        x = solve_triangular(lu_, y, upper=True)
    else:  # A^T = U^T L^T P^T: X = P L^-T U^-T B, and P Y = Y[perm^-1]
        y = solve_triangular(lu_.mT, b, upper=False)
        y = solve_triangular(lu_.mT, y, upper=True, unitriangular=True)
        inverse = Tensor._make(recorder.call(_inverse_permutation, perm.array))
        index = inverse.expand(*batch, n).unsqueeze(-1).expand(*batch, n, b.shape[-1])
        x = y.take_along_dim(index, -2)
    return x if left else x.mT


@recorder.pure
def _inverse_permutation(perm):
    from .backend import xp_of

    return xp_of(perm).argsort(perm, axis=-1)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """(result, info): ``solve(A, B, left=left)`` and info (int32, A's batch shape) as
    ``inv_ex``'s: 0, or 1 + the first zero pivot of a singular A, whose result is then nan.
    ``check_errors`` raises ``solve``'s error instead."""
    try:
        return _SolveExResult(solve(A, B, left=left), _info(A))
    except RuntimeError:
        if check_errors:
            raise
    info, bad, safe = _singular_replaced(A)
    out = solve(safe, B, left=left)
    if B.ndim == A.ndim - 1 or B.ndim == 1:  # a vector right-hand side: one value per row
        bad = bad[..., 0]
    return _SolveExResult(out.masked_fill(bad, math.nan), info)


# ---------------------------------------------------------------------- matrix functions


def matrix_exp(A: Tensor) -> Tensor:
    """e^A = sum_k A^k / k! of square matrices (..., n, n), by scaling and squaring with a Padé
    approximant (Higham 2005). The gradient is the adjoint Fréchet derivative, the top right
    block of e^[[A^T, G], [0, A^T]], itself a matrix exponential (so any order works)."""
    _square("matrix_exp", A)
    return _ops.MatrixExp.apply(A)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k for A (..., m, n) (m >= n >= k) and tau (..., k):
    H_i = I - tau_i v_i v_i^T with v_i = (0, ..., 0, 1, A[i+1:, i]) (LAPACK's orgqr, the Q of
    ``geqrf``). Built right to left as X <- X - tau_i v_i (v_i^T X) from the identity, in tensor
    ops: gradients reach A and tau."""
    from . import creation

    _matrix("householder_product", A)
    _floating("householder_product", tau)
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(
            "torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
            f"input.shape[-1] (got shape {A.shape})"
        )
    if tau.ndim < 1 or tau.shape[-1] > n:
        raise RuntimeError(
            "torch.linalg.householder_product: input.shape[-1] must be greater than or equal to "
            f"tau.shape[-1] (got {A.shape} and {tau.shape})"
        )
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(
            "torch.linalg.householder_product: Expected batch dimensions of tau to be equal to "
            f"input.shape[:-2], but got {list(tau.shape[:-1])}"
        )
    x = creation.eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, n)
    below = creation.ones(m, n, dtype="bool", device=A.device).tril(-1)
    v_all = A.masked_fill(~below, 0) + creation.eye(m, n, dtype=A.dtype, device=A.device)
    if tau.shape[-1] == 0:  # the identity, with the graph edge to A (zero gradient) kept
        return x + A.masked_fill(A.new_ones(()).bool(), 0)
    for i in reversed(range(tau.shape[-1])):
        v = v_all[..., :, i : i + 1]  # (..., m, 1)
        x = x - (tau[..., i, None, None] * v) @ (v.mT @ x)
    return x


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A for ``tensordot(A, X, ind)``: with m the product of A's first ``ind``
    dims and n of the rest (m == n), A as an (m, n) matrix inverted and reshaped to
    A.shape[ind:] + A.shape[:ind]."""
    if not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    return inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with ``tensordot(A, X, X.ndim) = B``: A's dims ``dims`` (when given) are moved to the
    end first; then A as a (prod(B.shape), prod(rest)) matrix, which must be square, solves for
    B flattened, and X has shape A.shape[B.ndim:]."""
    if dims is not None:
        from ._args import wrap_dim

        moved = [wrap_dim(d, A.ndim) for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in moved], *moved)
    rows, cols = math.prod(A.shape[: B.ndim]), math.prod(A.shape[B.ndim :])
    if rows != cols or B.numel() != rows:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {cols} != {rows}"
        )
    x = solve(A.reshape(rows, cols), B.reshape(rows))
    return x.reshape(*A.shape[B.ndim :])


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of A with respect to the matrix norm ``p``: for p None, 2 and -2
    the ratio of the extreme singular values (sigma_max / sigma_min, or its inverse for -2),
    any shape (..., m, n); for 'fro', 'nuc', inf, -inf, 1, -1, ||A||_p ||A^-1||_p of square A,
    inf where A is singular (an exact zero pivot). Differentiable in all of them (PyTorch's
    gradient for the norms that invert A fails with an in-place error)."""
    _matrix("cond", A)
    if p is None or (p in (2, -2) and not isinstance(p, bool)):
        s = svdvals(A)
        return s[..., 0] / s[..., -1] if p in (None, 2) else s[..., -1] / s[..., 0]
    if p not in _MATRIX_ORDS or isinstance(p, bool):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    from .grad_mode import no_grad
    from .tensor import where

    with no_grad():
        info = _ops.LUFactor.apply(A)[2]
    singular = Tensor._make(recorder.call(_positive, info.array))  # an array also when 0-d
    safe = where(singular.unsqueeze(-1).unsqueeze(-1), _eye_like(A), A)
    out = matrix_norm(A, p) * matrix_norm(inv(safe), p)
    return out.masked_fill(singular, math.inf)


@recorder.pure
def _positive(info):
    from .backend import xp_of

    return xp_of(info).asarray(info > 0)
