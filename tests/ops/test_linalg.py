"""Matrix products (matmul in all of torch.matmul's shape cases, dot, outer, einsum, the
fixed-shape mm/bmm/add* family, tensordot, kron, cross, cdist) against PyTorch and finite
differences (see tests/op_harness.py)."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import OpSpec, away_from_zero, make_tests

torch = pytest.importorskip("torch")

MATMUL = [
    ((3,), (3,)),  # 1-D @ 1-D: a dot product
    ((3,), (3, 2)),  # 1-D @ 2-D: a prepended 1, removed again
    ((2, 3), (3,)),  # 2-D @ 1-D: matrix-vector
    ((2, 3), (3, 4)),
    ((4, 2, 3), (4, 3, 2)),  # batched
    ((4, 1, 2, 3), (5, 3, 2)),  # broadcast batch dims
    ((3,), (4, 3, 2)),  # 1-D @ 3-D
    ((4, 2, 3), (3,)),  # 3-D @ 1-D
    ((2, 3), (4, 3, 2)),  # 2-D @ 3-D: the matrix broadcasts over the batch
    ((1, 2, 3), (4, 3, 1)),
]


def einsum(equation, cases):
    return OpSpec("einsum", lambda lib, *xs: lib.einsum(equation, *xs), cases)


OPS = [
    OpSpec("__matmul__", lambda lib, a, b: a @ b, MATMUL, covers=("matmul",)),
    OpSpec("matmul", lambda lib, a, b: lib.matmul(a, b), MATMUL[:6]),
    OpSpec("matmul", lambda lib, a, b: a.matmul(b), MATMUL[4:]),
    OpSpec("__rmatmul__", lambda lib, a, b: b.__rmatmul__(a), [((2, 3), (3, 2)), ((3,), (3,))]),
    OpSpec("dot", lambda lib, a, b: a.dot(b), [((3,), (3,)), ((1,), (1,))]),
    OpSpec("dot", lambda lib, a, b: lib.dot(a, b), [((4,), (4,))]),
    OpSpec("outer", lambda lib, a, b: a.outer(b), [((3,), (2,)), ((1,), (4,))]),
    OpSpec("outer", lambda lib, a, b: lib.outer(a, b), [((2,), (2,))]),
    einsum("ij,jk->ik", [((2, 3), (3, 4))]),
    einsum("bij,bjk->bik", [((2, 2, 3), (2, 3, 2))]),
    einsum("ij->ji", [((2, 3),)]),
    einsum("ij->", [((2, 3),)]),
    einsum("ij->j", [((2, 3),)]),
    einsum("i,i->", [((3,), (3,))]),
    einsum("i,j->ij", [((3,), (2,))]),
    einsum("bhqd,bhkd->bhqk", [((2, 2, 3, 2), (2, 2, 4, 2))]),
    einsum("...ij,...jk->...ik", [((2, 2, 3), (2, 3, 2)), ((2, 3), (3, 2))]),
    einsum("...ij,...jk->...ik", [((3, 2, 3), (1, 3, 2)), ((2, 3), (2, 3, 2))]),  # broadcast
    einsum("ij,jk", [((2, 3), (3, 4))]),  # implicit output: letters seen once, sorted
    einsum("ba,ac", [((2, 3), (3, 4))]),
    einsum("ij,jk->i", [((2, 3), (3, 4))]),  # k is summed out of b alone
    einsum("i,jk->", [((2,), (3, 2))]),
    einsum("ij,ij->i", [((2, 3), (2, 3))]),
    einsum("ij,jk,kl->il", [((2, 3), (3, 2), (2, 2))]),
    einsum(" i j , j k -> i k ", [((2, 3), (3, 1))]),
    einsum("ii->", [((3, 3),)]),  # repeated subscripts: trace, diagonal, batched diagonal
    einsum("ii", [((3, 3),)]),
    einsum("ii->i", [((3, 3),)]),
    einsum("bii->bi", [((2, 3, 3),)]),
    einsum("iji->j", [((3, 2, 3),)]),
    einsum("ij,kjj->ik", [((2, 3), (4, 3, 3))]),
    einsum("...ii->...i", [((2, 3, 3),)]),
    OpSpec("einsum", lambda lib, a, b: lib.einsum("ij,jk->ik", [a, b]), [((2, 3), (3, 2))]),
    # ------------------------------------------------------------------ fixed-shape products
    OpSpec("mm", lambda lib, a, b: a.mm(b), [((2, 3), (3, 4)), ((1, 3), (3, 1))]),
    OpSpec("mm", lambda lib, a, b: lib.mm(a, b), [((3, 2), (2, 2))]),
    OpSpec("mv", lambda lib, a, v: a.mv(v), [((2, 3), (3,)), ((1, 1), (1,))]),
    OpSpec("mv", lambda lib, a, v: lib.mv(a, v), [((4, 2), (2,))]),
    OpSpec("bmm", lambda lib, a, b: a.bmm(b), [((2, 2, 3), (2, 3, 4)), ((1, 3, 1), (1, 1, 2))]),
    OpSpec("bmm", lambda lib, a, b: lib.bmm(a, b), [((3, 2, 2), (3, 2, 2))]),
    OpSpec(
        "addmm",
        lambda lib, c, a, b: c.addmm(a, b),
        [((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4)), ((), (2, 3), (3, 1))],
    ),
    OpSpec(
        "addmm",
        lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2),
        [((2, 1), (2, 3), (3, 4))],
    ),
    # beta=0: the input is ignored, and its gradient is zeros (not None), as PyTorch's
    OpSpec("addmm", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), [((2, 4), (2, 3), (3, 4))]),
    OpSpec(
        "addmv", lambda lib, c, a, v: c.addmv(a, v), [((2,), (2, 3), (3,)), ((1,), (2, 3), (3,))]
    ),
    OpSpec("addmv", lambda lib, c, a, v: lib.addmv(c, a, v, beta=2, alpha=3), [((), (4, 2), (2,))]),
    OpSpec(
        "baddbmm",
        lambda lib, c, a, b: c.baddbmm(a, b),
        [((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((2, 1), (3, 2, 3), (3, 3, 1))],
    ),
    OpSpec(
        "baddbmm",
        lambda lib, c, a, b: lib.baddbmm(c, a, b, beta=0.5, alpha=2),
        [((1, 2, 2), (3, 2, 3), (3, 3, 2))],
    ),
    OpSpec(
        "addbmm",
        lambda lib, c, a, b: c.addbmm(a, b, alpha=0.5),
        [((2, 4), (3, 2, 3), (3, 3, 4)), ((4,), (1, 2, 3), (1, 3, 4))],
    ),
    OpSpec("addbmm", lambda lib, c, a, b: lib.addbmm(c, a, b), [((2, 2), (2, 2, 3), (2, 3, 2))]),
    OpSpec("addr", lambda lib, c, a, b: c.addr(a, b), [((2, 3), (2,), (3,)), ((3,), (2,), (3,))]),
    OpSpec("addr", lambda lib, c, a, b: lib.addr(c, a, b, beta=2, alpha=0.5), [((), (2,), (2,))]),
    # ------------------------------------------------------------------ tensordot, kron, cross
    OpSpec("tensordot", lambda lib, a, b: lib.tensordot(a, b), [((4, 2, 3), (2, 3, 2))]),
    OpSpec(
        "tensordot",
        lambda lib, a, b: lib.tensordot(a, b, dims=1),
        [((2, 3), (3, 4)), ((4, 2, 3), (3,)), ((3,), (3, 1))],
    ),
    OpSpec("tensordot", lambda lib, a, b: lib.tensordot(a, b, 0), [((2,), (3,)), ((), (2, 3))]),
    OpSpec(
        "tensordot",
        lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])),
        [((3, 4, 2), (4, 2, 3))],
    ),
    OpSpec(
        "tensordot",
        lambda lib, a, b: lib.tensordot(a, b, dims=([-1], [0])),
        [((2, 3), (3, 2)), ((4, 2, 3), (3, 1))],
    ),
    OpSpec("kron", lambda lib, a, b: a.kron(b), [((2, 3), (3, 2)), ((2,), (4, 2, 3)), ((), (2,))]),
    OpSpec("kron", lambda lib, a, b: lib.kron(a, b), [((3, 1), (1, 3)), ((4, 2, 3), (1,))]),
    OpSpec(
        "cross",
        lambda lib, a, b: a.cross(b, dim=-1),
        [((3,), (3,)), ((2, 3), (2, 3)), ((4, 2, 3), (1, 2, 3)), ((2, 1, 3), (1, 4, 3))],
    ),
    OpSpec("cross", lambda lib, a, b: lib.cross(a, b, 0), [((3, 2), (3, 2)), ((3, 1), (3, 4))]),
    OpSpec("cross", lambda lib, a, b: _quiet(a.cross, b), [((2, 3, 3), (2, 3, 3))]),
    # ------------------------------------------------------------------ distances
    # gen=normal: no two points coincide, where the p-norm's slope is undefined
    OpSpec("cdist", lambda lib, a, b: lib.cdist(a, b), [((3, 2), (4, 2)), ((2, 3, 4), (2, 2, 4))]),
    # more than 25 rows: PyTorch's one-matmul form (EuclideanDist), batch dims broadcast
    OpSpec(
        "cdist", lambda lib, a, b: lib.cdist(a, b), [((27, 2), (3, 2)), ((2, 3, 2), (1, 26, 2))]
    ),
    OpSpec(
        "cdist",
        lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        [((3, 2), (4, 2))],
    ),
    OpSpec(
        "cdist",
        lambda lib, a, b: lib.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
        [((27, 2), (3, 2))],
    ),
    OpSpec("cdist", lambda lib, a, b: lib.cdist(a, b, p=1.0), [((3, 2), (2, 2))]),
    OpSpec("cdist", lambda lib, a, b: lib.cdist(a, b, 3.0), [((2, 2, 3), (1, 4, 3))]),
    OpSpec(
        "cdist",
        lambda lib, a, b: lib.cdist(a, b, p=float("inf")),
        [((3, 2), (4, 2))],
        second_order=False,  # a max: piecewise linear
    ),
]


def invertible(rng, shape):
    """Normal entries plus 4 on the diagonal: well conditioned, positive determinant."""
    return rng.standard_normal(shape) + 4 * np.eye(shape[-1])


SQUARE = [((3, 3),), ((2, 2, 2),), ((1, 1),)]
OPS += [
    OpSpec("inverse", lambda lib, a: a.inverse(), SQUARE, gen=invertible),
    OpSpec("inverse", lambda lib, a: lib.linalg.inv(a), [((2, 3, 3),)], gen=invertible),
    OpSpec("det", lambda lib, a: a.det(), SQUARE, gen=invertible),
    OpSpec("det", lambda lib, a: lib.linalg.det(-a), [((2, 3, 3),)], gen=invertible),  # det < 0
    OpSpec("logdet", lambda lib, a: a.logdet(), SQUARE, gen=invertible),
    # the sign has no gradient (PyTorch's requires grad, and gets zeros): compared below
    OpSpec("slogdet", lambda lib, a: lib.slogdet(a).logabsdet, SQUARE, gen=invertible),
    OpSpec("slogdet", lambda lib, a: lib.linalg.slogdet(-a)[1], [((3, 3),)], gen=invertible),
    OpSpec("cross", lambda lib, a, b: lib.linalg.cross(a, b), [((2, 3), (1, 3)), ((3,), (3,))]),
]


# ---------------------------------------------------------------------- tg.linalg: norms, solvers,
# decompositions. Eigenvectors and singular vectors are defined up to sign (LAPACK builds may
# differ), so the tables compare quantities that don't depend on it: v * v, u_i v_i^T, U diag(S) Vh.


def square_plus_eye(rng, shape):
    """Normal entries, plus 4 on the diagonal of square ones: well-conditioned matrices."""
    x = rng.standard_normal(shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        x = x + 4 * np.eye(shape[-1])
    return x


def spd(lib, a):
    """A symmetric positive-definite matrix from any square a: a a^T + n I."""
    n = a.shape[-1]
    return a @ a.mT + n * lib.eye(n, dtype=a.dtype)


def eigh_invariants(lib, a, uplo="L"):
    w, v = lib.linalg.eigh(a + a.mT, UPLO=uplo)  # symmetric, so either triangle gives one A
    return w, v * v, v[..., :1] @ v[..., :1].mT


def svd_invariants(lib, a, full_matrices=True):
    u, s, vh = lib.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]  # past k, full_matrices' columns are any basis
    u, vh = u[..., :k], vh[..., :k, :]
    return u * u, s, vh * vh, u[..., :, :1] @ vh[..., :1, :], (u * s.unsqueeze(-2)) @ vh


INF = float("inf")
LINALG = [
    # ------------------------------------------------------------------ norms
    OpSpec(
        "linalg.vector_norm",
        lambda lib, x: lib.linalg.vector_norm(x),
        [((3,),), ((2, 3),), ((4, 2, 3),)],
    ),
    *[
        OpSpec(
            "linalg.vector_norm",
            lambda lib, x, o=o: lib.linalg.vector_norm(x, ord=o, dim=(0, -1), keepdim=True),
            [((2, 3),), ((4, 2, 3),)],
            gen=away_from_zero,
            second_order=o not in (1, INF, -INF),
        )
        for o in (2, 1, INF, -INF, 3, 0.5, -1)
    ],
    OpSpec(
        "linalg.vector_norm",
        lambda lib, x: lib.linalg.vector_norm(x, 3, dim=1, dtype=lib.float64),
        [((2, 3),)],
    ),
    *[
        OpSpec(
            "linalg.matrix_norm",
            lambda lib, a, o=o: lib.linalg.matrix_norm(a, ord=o),
            [((3, 3),), ((2, 3, 4),)],
            second_order=o not in (1, -1, INF, -INF),
        )
        for o in ("fro", "nuc", INF, -INF, 1, -1, 2, -2)
    ],
    OpSpec(
        "linalg.matrix_norm",
        lambda lib, a: lib.linalg.matrix_norm(a, "nuc", dim=(2, 0), keepdim=True),
        [((2, 3, 4),)],
    ),
    OpSpec(
        "linalg.matrix_norm",
        lambda lib, a: lib.linalg.matrix_norm(a, 1, dim=(0, 2), keepdim=True),
        [((2, 3, 4),)],
        second_order=False,
    ),
    OpSpec("linalg.norm", lambda lib, a: lib.linalg.norm(a), [((2, 3),), ((4, 2, 3),)]),
    OpSpec("linalg.norm", lambda lib, a: lib.linalg.norm(a, keepdim=True), [((2, 3),)]),
    OpSpec("linalg.norm", lambda lib, a: lib.linalg.norm(a, 3), [((3,),)], gen=away_from_zero),
    OpSpec("linalg.norm", lambda lib, a: lib.linalg.norm(a, "nuc"), [((3, 2),)]),
    OpSpec("linalg.norm", lambda lib, a: lib.linalg.norm(a, dim=1), [((4, 2, 3),)]),
    OpSpec("linalg.norm", lambda lib, a: lib.linalg.norm(a, 2, dim=(0, 2)), [((4, 2, 3),)]),
    # ------------------------------------------------------------------ solvers
    OpSpec(
        "linalg.solve",
        lambda lib, a, b: lib.linalg.solve(a, b),
        [
            ((3, 3), (3, 2)),
            ((2, 3, 3), (2, 3, 1)),
            ((3, 3), (2, 3, 2)),  # A broadcasts over B's batch
            ((2, 1, 2, 2), (3, 2, 2)),
            ((2, 3, 3), (3,)),  # 1-D B: a vector
            ((2, 3, 3), (2, 3)),  # B of A's shape less the last dim: a batch of vectors
        ],
        gen=square_plus_eye,
    ),
    OpSpec(
        "linalg.solve",
        lambda lib, a, b: lib.linalg.solve(a, b, left=False),
        [((3, 3), (2, 3)), ((2, 3, 3), (2, 1, 3))],
        gen=square_plus_eye,
    ),
    OpSpec(
        "linalg.solve_triangular",
        lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
        [((3, 3), (3, 2)), ((2, 3, 3), (3, 1))],
        gen=square_plus_eye,
    ),
    OpSpec(
        "linalg.solve_triangular",
        lambda lib, a, b: lib.linalg.solve_triangular(
            a, b, upper=False, left=False, unitriangular=True
        ),
        [((3, 3), (2, 3)), ((2, 3, 3), (2, 2, 3))],
        gen=square_plus_eye,
    ),
    OpSpec("linalg.pinv", lambda lib, a: lib.linalg.pinv(a), [((3, 3),), ((4, 2),), ((2, 2, 4),)]),
    OpSpec(
        "linalg.pinv",
        lambda lib, a: lib.linalg.pinv(spd(lib, a), hermitian=True),
        [((3, 3),), ((2, 2, 2),)],
    ),
    OpSpec(
        "linalg.lstsq",
        lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
        [((4, 3), (4, 2)), ((2, 3, 3), (2, 3, 1)), ((2, 4, 2), (2, 4))],
        gen=square_plus_eye,
    ),
    # ------------------------------------------------------------------ decompositions
    OpSpec(
        "linalg.cholesky", lambda lib, a: lib.linalg.cholesky(spd(lib, a)), SQUARE + [((2, 3, 3),)]
    ),
    OpSpec(
        "linalg.cholesky",
        lambda lib, a: lib.linalg.cholesky(spd(lib, a), upper=True),
        [((3, 3),), ((2, 2, 2),)],
    ),
    OpSpec("linalg.cholesky_ex", lambda lib, a: lib.linalg.cholesky_ex(spd(lib, a)).L, [((3, 3),)]),
    OpSpec("linalg.eigh", lambda lib, a: eigh_invariants(lib, a), [((3, 3),), ((2, 4, 4),)]),
    OpSpec("linalg.eigh", lambda lib, a: eigh_invariants(lib, a, "U"), [((3, 3),)]),
    OpSpec(
        "linalg.eigh",
        lambda lib, a: lib.linalg.eigh(a + a.mT).eigenvalues,  # the vectors get no gradient
        [((3, 3),)],
    ),
    OpSpec(
        "linalg.eigvalsh",
        lambda lib, a: lib.linalg.eigvalsh(a + a.mT),
        [((3, 3),), ((2, 2, 2),), ((1, 1),)],
    ),
    OpSpec("linalg.eigvalsh", lambda lib, a: lib.linalg.eigvalsh(a + a.mT, UPLO="U"), [((3, 3),)]),
    *[
        OpSpec(
            "linalg.svd",
            lambda lib, a, full=full: svd_invariants(lib, a, full),
            [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)],
            atol=1e-4,
        )
        for full in (True, False)
    ],
    OpSpec(
        "linalg.svd",
        lambda lib, a: lib.linalg.svd(a, full_matrices=False).S,  # the vectors get no gradient
        [((3, 2),)],
    ),
    OpSpec(
        "linalg.svdvals",
        lambda lib, a: lib.linalg.svdvals(a),
        [((3, 3),), ((4, 2),), ((2, 2, 3),), ((1, 1),)],
    ),
    OpSpec(
        "linalg.qr",
        lambda lib, a: tuple(lib.linalg.qr(a)),
        [((3, 3),), ((4, 2),), ((2, 4),), ((2, 4, 3),)],
    ),
    OpSpec(
        "linalg.qr",
        lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")),
        [((3, 3),), ((2, 4),), ((2, 2, 3),)],
    ),
    # ------------------------------------------------------------------ products
    *[
        OpSpec(
            "linalg.matrix_power",
            lambda lib, a, n=n: lib.linalg.matrix_power(a, n) + a,  # + a: n = 0 has no gradient
            [((3, 3),), ((2, 2, 2),)],
            gen=square_plus_eye,
        )
        for n in (0, 1, 2, 5, -1, -3)
    ],
    OpSpec(
        "linalg.multi_dot",
        lambda lib, *xs: lib.linalg.multi_dot(xs),
        [((2, 3), (3, 4)), ((3,), (3, 4), (4, 2), (2,)), ((2, 3), (3, 1), (1, 2), (2, 2))],
    ),
    OpSpec("linalg.vander", lambda lib, x: lib.linalg.vander(x), [((3,),), ((2, 4),)]),
    OpSpec("linalg.vander", lambda lib, x: lib.linalg.vander(x, N=2), [((2, 3),)]),
    OpSpec("linalg.vecdot", lambda lib, x, y: lib.linalg.vecdot(x, y), [((2, 3), (3,))]),
    OpSpec("linalg.vecdot", lambda lib, x, y: lib.linalg.vecdot(x, y, dim=0), [((3, 2), (3, 1))]),
    OpSpec(
        "linalg.diagonal",
        lambda lib, a: lib.linalg.diagonal(a, offset=1),
        [((3, 4),), ((2, 3, 3),)],
    ),
    OpSpec(
        "linalg.inv_ex", lambda lib, a: lib.linalg.inv_ex(a).inverse, [((3, 3),)], gen=invertible
    ),
]
OPS += LINALG


# ---------------------------------------------------------------------- LU, matrix functions, and
# PyTorch's older forms (torch.svd, torch.cholesky_solve, ...). LU is compared as PyTorch returns
# it: normal matrices have no ties between pivot candidates, so both pick the same rows.


def lu_solve_fn(left=True, adjoint=False):
    def fn(lib, a, b):
        lu, pivots = lib.linalg.lu_factor(a)
        return lib.linalg.lu_solve(lu, pivots, b, left=left, adjoint=adjoint)

    return fn


def lower_factor(lib, a, upper=False):
    """A triangular Cholesky-like factor with a dominant diagonal, from any square a."""
    n = a.shape[-1]
    t = a.triu() if upper else a.tril()
    return t + n * lib.eye(n, dtype=a.dtype)


def tensor_invertible(rng, shape):
    """An invertible n x n matrix (normal + 4 I) reshaped to ``shape``; normal values where the
    size is no square (tensorsolve's right-hand side)."""
    n = int(round(np.sqrt(np.prod(shape))))
    if n * n != np.prod(shape):
        return rng.standard_normal(shape)
    return (rng.standard_normal((n, n)) + 4 * np.eye(n)).reshape(shape)


def old_svd_invariants(lib, a, some=True):
    u, s, v = lib.svd(a, some=some)
    k = s.shape[-1]
    u, v = u[..., :k], v[..., :k]
    return u * u, s, v * v, (u * s.unsqueeze(-2)) @ v.mT


def cond_fn(p):
    """linalg.cond: PyTorch's backward for the norms that invert A fails (an in-place error in
    its graph), so its side is the definition ||A||_p ||A^-1||_p."""

    def fn(lib, a):
        if lib is tg or p in (None, 2, -2):
            return lib.linalg.cond(a, p)
        return lib.linalg.matrix_norm(a, p) * lib.linalg.matrix_norm(lib.linalg.inv(a), p)

    return fn


LU_SHAPES = [((3, 3),), ((2, 3, 4),), ((4, 2),), ((2, 2, 5, 3),), ((1, 1),)]
NEWER = [
    OpSpec("linalg.lu_factor", lambda lib, a: tuple(lib.linalg.lu_factor(a)), LU_SHAPES),
    OpSpec(
        "linalg.lu_factor_ex",
        lambda lib, a: tuple(lib.linalg.lu_factor_ex(a)),
        [((3, 3),), ((2, 4, 3),)],
    ),
    OpSpec("linalg.lu", lambda lib, a: tuple(lib.linalg.lu(a)), LU_SHAPES),
    OpSpec(
        "lu_unpack",
        lambda lib, a: tuple(lib.lu_unpack(*lib.linalg.lu_factor(a))),
        [((3, 3),), ((2, 2, 3),), ((3, 2),)],
    ),
    OpSpec("lu", lambda lib, a: _quiet(a.lu), [((3, 3),), ((2, 3, 2),)]),
    OpSpec("lu", lambda lib, a: _quiet(lib.lu, a, get_infos=True), [((2, 3, 3),)]),
    OpSpec(
        "linalg.lu_solve",
        lu_solve_fn(),
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((3, 3), (2, 3, 2)), ((2, 1, 2, 2), (3, 2, 2))],
        gen=square_plus_eye,
    ),
    OpSpec(
        "linalg.lu_solve",
        lu_solve_fn(adjoint=True),
        [((3, 3), (3, 2)), ((2, 3, 3), (3, 1))],
        gen=square_plus_eye,
    ),
    *[
        OpSpec(
            "linalg.lu_solve",
            lu_solve_fn(left=False, adjoint=adj),
            [((3, 3), (2, 3)), ((2, 3, 3), (2, 4, 3))],
            gen=square_plus_eye,
        )
        for adj in (False, True)
    ],
    OpSpec(
        "lu_solve",
        lambda lib, b, a: _quiet(b.lu_solve, *lib.linalg.lu_factor(a)),
        [((3, 2), (3, 3)), ((2, 3, 1), (2, 3, 3))],
        gen=square_plus_eye,
    ),
    OpSpec(
        "linalg.solve_ex",
        lambda lib, a, b: tuple(lib.linalg.solve_ex(a, b)),
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3))],
        gen=square_plus_eye,
    ),
    OpSpec(
        "linalg.matrix_exp",
        lambda lib, a: lib.linalg.matrix_exp(a),
        [((3, 3),), ((2, 2, 2),), ((1, 1),)],
    ),
    OpSpec(
        "linalg.matrix_exp",  # norms past Padé 13's theta: scaled by 2^-s, squared s times
        lambda lib, a: lib.linalg.matrix_exp(a * 3),
        [((4, 4),), ((2, 3, 3),)],
        rtol=1e-3,
    ),
    OpSpec("matrix_exp", lambda lib, a: a.matrix_exp(), [((3, 3),)]),
    OpSpec("matrix_exp", lambda lib, a: lib.matrix_exp(a * 0.01), [((2, 3, 3),)]),  # Padé 3
    OpSpec(
        "linalg.householder_product",
        lambda lib, a, tau: lib.linalg.householder_product(a, tau),
        [((3, 2), (2,)), ((4, 3), (2,)), ((2, 3, 3), (2, 3)), ((4, 2), (0,))],
    ),
    OpSpec(
        "linalg.tensorinv",
        lambda lib, a: lib.linalg.tensorinv(a),
        [((2, 3, 6),), ((2, 2, 2, 2),)],
        gen=tensor_invertible,
    ),
    OpSpec(
        "linalg.tensorinv",
        lambda lib, a: lib.linalg.tensorinv(a, ind=1),
        [((4, 2, 2),)],
        gen=tensor_invertible,
    ),
    OpSpec(
        "linalg.tensorsolve",
        lambda lib, a, b: lib.linalg.tensorsolve(a, b),
        [((2, 3, 6), (2, 3)), ((4, 2, 2), (4,))],
        gen=tensor_invertible,
    ),
    OpSpec(
        "linalg.tensorsolve",
        lambda lib, a, b: lib.linalg.tensorsolve(a, b, dims=(0,)),
        [((4, 2, 2), (2, 2))],
        gen=tensor_invertible,
    ),
    *[
        OpSpec(
            "linalg.cond",
            cond_fn(p),
            [((3, 3),), ((2, 2, 2),)] + ([((4, 2),)] if p in (None, 2, -2) else []),
            gen=square_plus_eye,
            second_order=p not in (1, -1, INF, -INF),
        )
        for p in (None, 2, -2, "fro", "nuc", INF, -INF, 1, -1)
    ],
    # ------------------------------------------------------------------ PyTorch's older forms
    OpSpec("svd", lambda lib, a: old_svd_invariants(lib, a), [((3, 3),), ((4, 2),), ((2, 2, 3),)]),
    OpSpec("svd", lambda lib, a: old_svd_invariants(lib, a, some=False), [((4, 2),), ((2, 3),)]),
    OpSpec("svd", lambda lib, a: tuple(a.svd(compute_uv=False)), [((3, 2),), ((2, 2, 3),)]),
    OpSpec("qr", lambda lib, a: tuple(_quiet(a.qr)), [((3, 3),), ((4, 2),)]),
    OpSpec("qr", lambda lib, a: tuple(_quiet(lib.qr, a, some=False)), [((2, 3),)]),
    OpSpec("cholesky", lambda lib, a: _quiet(spd(lib, a).cholesky), [((3, 3),), ((2, 2, 2),)]),
    OpSpec("cholesky", lambda lib, a: _quiet(lib.cholesky, spd(lib, a), upper=True), [((3, 3),)]),
    OpSpec(
        "cholesky_solve",
        lambda lib, b, a: b.cholesky_solve(lower_factor(lib, a)),
        [((3, 2), (3, 3)), ((2, 3, 1), (2, 3, 3)), ((4, 1, 2, 2), (2, 2, 2))],
    ),
    OpSpec(
        "cholesky_solve",
        lambda lib, b, a: lib.cholesky_solve(b, lower_factor(lib, a, upper=True), upper=True),
        [((3, 2), (3, 3)), ((2, 3, 2), (3, 3))],
    ),
    OpSpec(
        "cholesky_solve",  # the factor of a Cholesky decomposition, as it is used
        lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky(spd(lib, a))),
        [((3, 2), (3, 3))],
    ),
    OpSpec(
        "cholesky_inverse",
        lambda lib, a: lower_factor(lib, a).cholesky_inverse(),
        [((3, 3),), ((2, 2, 2),)],
    ),
    OpSpec(
        "cholesky_inverse",
        lambda lib, a: lib.cholesky_inverse(lower_factor(lib, a, upper=True), upper=True),
        [((3, 3),)],
    ),
    *[
        OpSpec(
            "triangular_solve",
            lambda lib, b, a, kw=kw: tuple(_quiet(b.triangular_solve, a, **kw)),
            [((3, 2), (3, 3)), ((2, 3, 1), (2, 3, 3)), ((3, 3, 2), (3, 3))],
            gen=square_plus_eye,
        )
        for kw in (
            {},
            {"upper": False},
            {"transpose": True},
            {"upper": False, "transpose": True, "unitriangular": True},
        )
    ],
    OpSpec(
        "triangular_solve",
        lambda lib, b, a: tuple(_quiet(lib.triangular_solve, b, a, False)),
        [((3, 1), (3, 3))],
        gen=square_plus_eye,
    ),
    OpSpec("pinverse", lambda lib, a: a.pinverse(), [((3, 3),), ((4, 2),), ((2, 2, 3),)]),
    OpSpec("pinverse", lambda lib, a: lib.pinverse(a, 1e-3), [((3, 2),)]),
    *[
        OpSpec(
            "matrix_power",
            lambda lib, a, n=n: a.matrix_power(n) + a,  # + a: n = 0 has no gradient
            [((3, 3),), ((2, 2, 2),)],
            gen=square_plus_eye,
        )
        for n in (0, 3, -2)
    ],
    OpSpec("matrix_power", lambda lib, a: lib.matrix_power(a, 2), [((3, 3),)]),
    OpSpec("ger", lambda lib, a, b: a.ger(b), [((3,), (2,)), ((1,), (4,))]),
    OpSpec("ger", lambda lib, a, b: lib.ger(a, b), [((2,), (2,))]),
    OpSpec("adjoint", lambda lib, a: a.adjoint(), [((2, 3),), ((4, 2, 3),)], covers=("mH", "H")),
    OpSpec("adjoint", lambda lib, a: lib.adjoint(a) + a.mH + a[0].H, [((2, 3, 3),)]),
    OpSpec(
        "chain_matmul",
        lambda lib, *xs: _quiet(lib.chain_matmul, *xs),
        [((2, 3),), ((2, 3), (3, 4)), ((2, 3), (3, 1), (1, 2), (2, 2))],
    ),
    OpSpec(
        "nuclear_norm",
        lambda lib, a: _quiet(lib.nuclear_norm, a),
        [((3, 3),), ((2, 3, 4),)],
    ),
    OpSpec(
        "nuclear_norm",
        lambda lib, a: _quiet(lib.nuclear_norm, a, (0, 2), True),
        [((2, 3, 4),)],
    ),
    OpSpec("nuclear_norm", lambda lib, a: _quiet(lib.nuclear_norm, a, True), [((3, 2),)]),
    OpSpec(
        "frobenius_norm",
        lambda lib, a: _quiet(lib.frobenius_norm, a, (0, 1)),
        [((2, 3),), ((2, 3, 4),)],
    ),
    OpSpec(
        "frobenius_norm",
        lambda lib, a: _quiet(lib.frobenius_norm, a, 1, True),
        [((2, 3, 4),)],
    ),
]
OPS += NEWER


def _quiet(method, *args, **kwargs):
    """``method(*args, **kwargs)`` without PyTorch's (and our) deprecation warnings (cross's
    dim; torch.lu, torch.qr, torch.cholesky, ... in favour of torch.linalg's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return method(*args, **kwargs)


test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((4, 2, 3), (5, 2))])
def test_matmul_shape_mismatch_names_both_shapes(shapes):
    a, b = (tg.zeros(*s) for s in shapes)
    with pytest.raises(RuntimeError) as info:
        a @ b
    message = str(info.value)
    assert "matmul" in message
    for s in shapes:
        assert str(s) in message
    with pytest.raises(RuntimeError):
        torch.zeros(*shapes[0]) @ torch.zeros(*shapes[1])


def test_matmul_batch_shapes_that_dont_broadcast_raise():
    with pytest.raises(RuntimeError, match=r"\(3, 2, 2\) @ \(2, 2, 2\).*\(3,\).*\(2,\)"):
        tg.zeros(3, 2, 2) @ tg.zeros(2, 2, 2)


def test_matmul_of_0d_raises():
    with pytest.raises(RuntimeError, match="matmul"):
        tg.tensor(2.0) @ tg.zeros(2)


def test_matmul_promotes_dtypes_like_torch():
    a = np.arange(6).reshape(2, 3)
    b = np.ones((3, 2), np.float32)
    out = tg.from_numpy(a).float() @ tg.from_numpy(b)
    assert out.dtype == tg.float32
    np.testing.assert_array_equal(out.numpy(), a @ b)


def test_einsum_errors():
    a = tg.zeros(2, 3)
    with pytest.raises(ValueError):
        tg.einsum("ij,jk->ik", a)  # one operand for two subscripts
    with pytest.raises((ValueError, RuntimeError)):
        tg.einsum("ij,jk->ik", a, tg.zeros(4, 2))  # j is 3 in one and 4 in the other
    with pytest.raises((ValueError, RuntimeError)):
        tg.einsum("ij->ik", a)  # k appears in no operand
    with pytest.raises(RuntimeError, match="sizes don't match, 3 != 2"):
        tg.einsum("ii->i", a)  # a diagonal of a non-square pair of dims


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(2, 3).mm(lib.zeros(4, 5)),  # inner sizes differ
        lambda lib: lib.zeros(2, 3, 4).mm(lib.zeros(4, 5)),  # not a matrix
        lambda lib: lib.zeros(2, 3).mv(lib.zeros(4)),
        lambda lib: lib.zeros(2, 3).mv(lib.zeros(3, 1)),
        lambda lib: lib.zeros(2, 3, 4).bmm(lib.zeros(3, 4, 5)),  # batch sizes differ
        lambda lib: lib.zeros(2, 3, 4).bmm(lib.zeros(2, 5, 5)),  # inner sizes differ
        lambda lib: lib.zeros(3, 4).bmm(lib.zeros(3, 4)),  # not 3-D
        lambda lib: lib.zeros(3, 3).addmm(lib.zeros(2, 3), lib.zeros(3, 2)),  # input too big
        lambda lib: lib.zeros(2, 2, 3).baddbmm(lib.zeros(2, 2, 3), lib.zeros(3, 3, 3)),
        lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(4, 3), dims=([1], [0])),
        lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(3, 4), dims=3),
        lambda lib: lib.zeros(2, 3).cross(lib.zeros(3), dim=-1),  # ndims differ
        lambda lib: lib.zeros(2, 3).cross(lib.zeros(2, 3), dim=0),  # size 2, not 3
        lambda lib: lib.cdist(lib.zeros(3), lib.zeros(3)),
        lambda lib: lib.cdist(lib.zeros(2, 3), lib.zeros(2, 4)),
    ],
)
def test_fixed_shape_products_raise_like_torch_and_name_the_shapes(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=r"\(\d"):  # a shape in the message
        call(tg)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", "use_mm_for_euclid_dist_if_necessary"])
def test_cdist_matmul_form_at_zero_distance_like_torch(mode):
    # VQ-VAE codebooks and k-means call cdist on hundreds of rows: PyTorch then computes
    # sqrt(|x|^2 - 2 x.y + |y|^2) clamped at 0, and its gradient at a zero distance is 0
    rng = np.random.default_rng(0)
    a = rng.standard_normal((30, 3))
    b = np.concatenate([a[:2], rng.standard_normal((3, 3))])
    got, want = [], []
    for lib, out in ((tg, got), (torch, want)):
        x = lib.tensor(a, requires_grad=True)
        d = lib.cdist(x, lib.tensor(b), compute_mode=mode)
        d.sum().backward()
        out += [d.detach().numpy(), x.grad.numpy()]
    assert got[0][0, 0] == want[0][0, 0] == 0 and got[0][1, 1] == want[0][1, 1] == 0
    np.testing.assert_allclose(got[0], want[0], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-7)


def test_cdist_compute_mode_is_checked_like_torch():
    for lib in (tg, torch):
        with pytest.raises(ValueError, match="not a valid value for compute_mode"):
            lib.cdist(lib.zeros(2, 3), lib.zeros(2, 3), compute_mode="fast")


def test_addmm_beta_zero_ignores_nan_in_input():
    c = tg.full((2, 2), float("nan"), requires_grad=True)
    a, b = tg.ones(2, 3), tg.ones(3, 2)
    out = tg.addmm(c, a, b, beta=0)
    np.testing.assert_array_equal(out.detach().numpy(), np.full((2, 2), 3.0))
    out.sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), np.zeros((2, 2)))


def test_cross_without_dim_warns_and_takes_the_first_dim_of_size_3():
    a, b = np.random.default_rng(0).standard_normal((2, 3, 4, 3))
    with pytest.warns(UserWarning, match="dim"):
        out = tg.cross(tg.tensor(a), tg.tensor(b))
    expected = _quiet(torch.cross, torch.tensor(a), torch.tensor(b))  # PyTorch warns once only
    np.testing.assert_allclose(out.numpy(), expected.numpy())


def test_slogdet_sign_like_torch():
    a = np.random.default_rng(0).standard_normal((4, 3, 3))
    sign, logabsdet = tg.slogdet(tg.tensor(a))
    expected = torch.slogdet(torch.tensor(a))
    np.testing.assert_array_equal(sign.numpy(), expected.sign.numpy())
    np.testing.assert_allclose(logabsdet.numpy(), expected.logabsdet.numpy())


def test_logdet_of_negative_and_zero_determinants_like_torch():
    a = np.array([[[0.0, 1.0], [1.0, 0.0]], [[1.0, 2.0], [2.0, 4.0]]])  # det -1 and 0
    out, expected = tg.tensor(a).logdet(), torch.tensor(a).logdet()
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["inverse", "det", "logdet", "slogdet"])
def test_inverse_and_determinants_need_square_float_matrices(name):
    for bad in (tg.zeros(2, 3), tg.zeros(3), tg.zeros(2, 2, dtype=tg.int64)):
        with pytest.raises(RuntimeError, match=name):
            getattr(bad, name)()


def test_inverse_of_a_singular_matrix_raises_a_runtime_error():
    with pytest.raises(RuntimeError, match=r"singular"):
        tg.zeros(2, 3, 3).inverse()


# ---------------------------------------------------------------------- tg.linalg: errors, values


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.cholesky(lib.zeros(2, 3)),  # not square
        lambda lib: lib.linalg.solve(lib.zeros(2, 3), lib.zeros(2, 1)),
        lambda lib: lib.linalg.solve(lib.eye(3), lib.zeros(4, 1)),  # rows differ
        lambda lib: lib.linalg.solve(lib.eye(3).expand(2, 3, 3), lib.zeros(3, 3, 1)),  # batch
        lambda lib: lib.linalg.solve(lib.eye(3), lib.zeros(3, dtype=lib.float64)),  # dtypes
        lambda lib: lib.linalg.solve(lib.eye(3), lib.zeros(3), left=False),  # X A = b
        lambda lib: lib.linalg.eigh(lib.zeros(3, 2)),
        lambda lib: lib.linalg.svd(lib.zeros(3)),
        lambda lib: lib.linalg.qr(lib.zeros(3)),
        lambda lib: lib.linalg.matrix_norm(lib.zeros(3, 3), ord=3),
        lambda lib: lib.linalg.matrix_norm(lib.zeros(3)),
        lambda lib: lib.linalg.norm(lib.zeros(2, 2, 2), ord=2),  # ord needs 1-D or 2-D
        lambda lib: lib.linalg.vector_norm(lib.zeros(3, dtype=lib.int64)),
        lambda lib: lib.linalg.matrix_power(lib.zeros(2, 3), 2),
        lambda lib: lib.linalg.multi_dot([lib.zeros(2, 3), lib.zeros(4, 2)]),
    ],
)
def test_linalg_bad_shapes_raise_like_torch_and_name_them(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=r"linalg|multi_dot"):
        call(tg)


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_cholesky_of_a_matrix_that_is_not_positive_definite_raises_torch_message(shape):
    a = np.broadcast_to(np.diag([1.0, -1.0, 2.0]), shape).copy()
    with pytest.raises(RuntimeError) as expected:
        torch.linalg.cholesky(torch.tensor(a))
    with pytest.raises(RuntimeError) as info:
        tg.linalg.cholesky(tg.tensor(a))
    assert str(info.value) == str(expected.value)
    assert "order 2" in str(info.value)


def test_solve_with_a_singular_matrix_raises_a_runtime_error():
    with pytest.raises(RuntimeError, match=r"singular.*|.*singular"):
        tg.linalg.solve(tg.zeros(2, 3, 3), tg.ones(2, 3, 1))


def test_eigh_reads_only_the_uplo_triangle_like_torch():
    a = np.random.default_rng(0).standard_normal((2, 3, 3))  # not symmetric
    for uplo in ("L", "U"):
        w = tg.linalg.eigvalsh(tg.tensor(a), UPLO=uplo)
        expected = torch.linalg.eigvalsh(torch.tensor(a), UPLO=uplo)
        np.testing.assert_allclose(w.numpy(), expected.numpy(), atol=1e-12)
        w, v = tg.linalg.eigh(tg.tensor(a), UPLO=uplo)
        np.testing.assert_allclose(w.numpy(), expected.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 5)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_shapes_and_orthonormal_factors_like_torch(shape, full):
    a = np.random.default_rng(0).standard_normal(shape)
    u, s, vh = tg.linalg.svd(tg.tensor(a), full_matrices=full)
    expected = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    for x, y in zip((u, s, vh), expected):
        assert x.shape == tuple(y.shape)
    k = s.shape[-1]
    recon = (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
    np.testing.assert_allclose(recon.numpy(), a, atol=1e-12)
    for q in (u.mT, vh):  # orthonormal rows
        gram = (q @ q.mT).numpy()
        np.testing.assert_allclose(
            gram, np.broadcast_to(np.eye(gram.shape[-1]), gram.shape), atol=1e-12
        )


def test_qr_mode_r_and_complete_tall_refuse_backward_like_torch():
    a = tg.randn(4, 2, dtype=tg.float64, requires_grad=True)
    q, r = tg.linalg.qr(a, mode="r")
    assert q.shape == (0,) and r.shape == (2, 2)
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()
    q, r = tg.linalg.qr(a, mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 2)
    with pytest.raises(RuntimeError, match="complete"):
        (q.sum() + r.sum()).backward()


def test_gradients_at_repeated_singular_values_and_eigenvalues_are_finite():
    # svdvals and eigvalsh have the gradient U diag(g) Vh with no differences of values; eigh
    # and svd used only for their values drop the terms that would divide by zero
    a = tg.eye(3, dtype=tg.float64, requires_grad=True)
    for f in (
        lambda x: tg.linalg.svdvals(x).sum(),
        lambda x: tg.linalg.eigvalsh(x).sum(),
        lambda x: tg.linalg.svd(x).S.sum(),
        lambda x: tg.linalg.eigh(x).eigenvalues.sum(),
        lambda x: tg.linalg.matrix_norm(x, "nuc"),
    ):
        (g,) = tg.autograd.grad(f(a), [a])
        np.testing.assert_allclose(g.numpy(), np.eye(3), atol=1e-12)


def test_matrix_rank_lstsq_and_inv_ex_like_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 2)) @ rng.standard_normal((3, 2, 4))  # rank 2
    a[1] = np.eye(4)
    for kwargs in ({}, {"atol": 1.0}, {"rtol": 0.5}, {"hermitian": True}):
        x = a + a.swapaxes(-1, -2) if kwargs.get("hermitian") else a
        out = tg.linalg.matrix_rank(tg.tensor(x), **kwargs)
        expected = torch.linalg.matrix_rank(torch.tensor(x), **kwargs)
        assert out.dtype == tg.int64
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
    b = rng.standard_normal((3, 4, 2))
    full_rank = rng.standard_normal((3, 4, 2))
    out = tg.linalg.lstsq(tg.tensor(full_rank), tg.tensor(b))
    expected = torch.linalg.lstsq(torch.tensor(full_rank), torch.tensor(b))
    np.testing.assert_allclose(out.solution.numpy(), expected.solution.numpy(), atol=1e-12)
    np.testing.assert_array_equal(out.rank.numpy(), expected.rank.numpy())
    for x, y in (
        (out.residuals, expected.residuals),
        (out.singular_values, expected.singular_values),
    ):
        assert x.shape == tuple(y.shape)
    inverse, info = tg.linalg.inv_ex(tg.tensor(np.eye(3) * 2))
    expected = torch.linalg.inv_ex(torch.tensor(np.eye(3) * 2))
    np.testing.assert_allclose(inverse.numpy(), expected.inverse.numpy())
    assert info.dtype == tg.int32 and info.shape == tuple(expected.info.shape)


# ---------------------------------------------------------------------- LU, matrix functions, and
# the older forms: errors and values the tables can't hold


def _singular_batch():
    a = np.zeros((2, 3, 3))
    a[0] = np.eye(3)
    a[1, 0, 1] = 1.0  # first column zero: U[1, 1] = 0
    return a


def _ones(lib, a, *shape):
    return lib.ones(*shape, dtype=a.dtype)


def _spd_or_not(lib, a):
    """a aᵀ + 0.1 I, pushed off positive-definiteness where a[..., 0, 0] > 0."""
    eye = lib.eye(3, dtype=a.dtype)
    return a @ a.mT + 0.1 * eye - 3 * eye * (a[..., :1, :1] > 0)


EX_CALLS = {
    "inv_ex": lambda lib, a, **kw: lib.linalg.inv_ex(a, **kw),
    "solve_ex": lambda lib, a, **kw: lib.linalg.solve_ex(a, _ones(lib, a, 3, 3, 2), **kw),
    "solve_ex vector": lambda lib, a, **kw: lib.linalg.solve_ex(a, _ones(lib, a, 3), **kw),
    "solve_ex right": lambda lib, a, **kw: lib.linalg.solve_ex(
        a, _ones(lib, a, 3, 2, 3), left=False, **kw
    ),
    "cholesky_ex": lambda lib, a, **kw: lib.linalg.cholesky_ex(_spd_or_not(lib, a), **kw),
    "cholesky_ex upper": lambda lib, a, **kw: lib.linalg.cholesky_ex(
        _spd_or_not(lib, a), upper=True, **kw
    ),
}


@pytest.mark.parametrize("name", list(EX_CALLS))
def test_ex_functions_report_info_as_torch_instead_of_raising(name):
    """The batch mixes good and failing matrices: info equals PyTorch's, the good matrices'
    results too (and their gradient flows), the failing ones are nan; check_errors raises."""
    call = EX_CALLS[name]
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3, 3))
    if "cholesky" not in name:
        a[1, :, 0] = 0  # singular: the first column is zero
        a[2, 2] = a[2, 1]  # singular: two equal rows
    got = call(tg, tg.tensor(a, requires_grad=True))
    want = call(torch, torch.tensor(a))
    np.testing.assert_array_equal(got.info.numpy(), want.info.numpy())
    assert got.info.dtype == tg.int32 and (got.info.numpy() != 0).any()
    good = want.info.numpy() == 0
    out, expected = got[0].detach().numpy(), want[0].numpy()
    np.testing.assert_allclose(out[good], expected[good], rtol=1e-10, atol=1e-12)
    assert np.isnan(out[~good]).all()
    got[0].masked_fill(got[0].isnan(), 0).sum().backward()  # no nan reaches the gradient
    with pytest.raises(RuntimeError):
        call(tg, tg.tensor(a), check_errors=True)
    ok = call(tg, tg.tensor(a[good]))
    assert (ok.info.numpy() == 0).all()


def test_lu_factor_of_a_singular_matrix_raises_torch_message_and_ex_reports_info():
    a = _singular_batch()
    for call in (
        lambda lib, x: lib.linalg.lu_factor(x),
        lambda lib, x: lib.linalg.lu_factor_ex(x, check_errors=True),
    ):
        for x in (a, a[1]):
            with pytest.raises(RuntimeError) as expected:
                call(torch, torch.tensor(x))
            with pytest.raises(tg.linalg.LinAlgError) as info:
                call(tg, tg.tensor(x))
            assert str(info.value) == str(expected.value)
    out, expected = tg.linalg.lu_factor_ex(tg.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    for x, y in zip(out, expected):
        assert str(x.dtype).split(".")[-1] == str(y.dtype).split(".")[-1]
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    lu_, pivots, info = tg.lu(tg.tensor(a), get_infos=True)  # torch.lu never raises
    np.testing.assert_array_equal(info.numpy(), [0, 1])


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.lu_factor(lib.zeros(3)),
        lambda lib: lib.linalg.lu_factor(lib.eye(3), pivot=False),
        lambda lib: lib.linalg.lu(lib.eye(3), pivot=False),
        lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3)), lib.zeros(4, 2)),
        lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3)), lib.zeros(3)),
        lambda lib: lib.linalg.lu_solve(lib.zeros(3, 4), lib.ones(3, dtype=lib.int32), lib.eye(3)),
        lambda lib: lib.linalg.lu_solve(
            lib.eye(3).expand(2, 3, 3), lib.ones(3, dtype=lib.int32), lib.zeros(2, 3, 1)
        ),
        lambda lib: lib.linalg.matrix_exp(lib.zeros(2, 3)),
        lambda lib: lib.linalg.matrix_exp(lib.zeros(2, 2, dtype=lib.int64)),
        lambda lib: lib.linalg.tensorinv(lib.zeros(2, 3, 4), 1),
        lambda lib: lib.linalg.tensorinv(lib.zeros(2, 2), 0),
        lambda lib: lib.linalg.tensorsolve(lib.zeros(2, 3, 5), lib.zeros(2, 3)),
        lambda lib: lib.linalg.cond(lib.eye(3), 3),
        lambda lib: lib.linalg.cond(lib.zeros(3, 2), "fro"),
        lambda lib: lib.linalg.householder_product(lib.zeros(2, 3), lib.zeros(2)),
        lambda lib: lib.linalg.householder_product(lib.zeros(3, 2), lib.zeros(3)),
        lambda lib: lib.linalg.householder_product(lib.zeros(2, 3, 2), lib.zeros(3, 2)),
        lambda lib: lib.cholesky_solve(lib.zeros(3), lib.eye(3)),
        lambda lib: lib.cholesky_solve(lib.zeros(2, 1), lib.eye(3)),
        lambda lib: lib.triangular_solve(lib.zeros(2, 1), lib.eye(3)),
        lambda lib: _quiet(lib.chain_matmul),
        lambda lib: _quiet(lib.chain_matmul, lib.zeros(3), lib.zeros(3, 2)),
        lambda lib: lib.ger(lib.zeros(2, 2), lib.zeros(2)),
        lambda lib: lib.zeros(2, 2, 2).H,
        lambda lib: lib.zeros(2).H,
        lambda lib: lib.zeros(2).mH,
        lambda lib: lib.zeros(2).adjoint(),
    ],
)
def test_lu_and_older_forms_raise_like_torch(call):
    with pytest.raises(RuntimeError) as expected:
        call(torch)
    with pytest.raises(RuntimeError) as info:
        call(tg)
    prefix = str(expected.value).split(":")[0]  # the function PyTorch's message names
    if " " not in prefix:
        assert prefix.split(".")[-1].removesuffix("()") in str(info.value)


def test_lu_unpack_without_data_or_pivots_gives_empty_tensors_like_torch():
    a = np.random.default_rng(0).standard_normal((2, 3, 3))
    lu_, pivots = tg.linalg.lu_factor(tg.tensor(a))
    expected = torch.linalg.lu_factor(torch.tensor(a))
    for kw in ({"unpack_data": False}, {"unpack_pivots": False}):
        out = tg.lu_unpack(lu_, pivots, **kw)
        ref = torch.lu_unpack(*expected, **kw)
        for x, y in zip(out, ref):
            assert x.shape == tuple(y.shape)
            np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="pivots"):
        tg.lu_unpack(lu_, pivots * 0)


def test_eig_and_eigvals_raise_not_implemented_naming_the_reason():
    from tensorgrad import as_torch

    for fn in (tg.linalg.eig, tg.linalg.eigvals):
        with pytest.raises(NotImplementedError, match="complex"):
            fn(tg.eye(3))
    with as_torch.installed() as th:
        with pytest.raises(NotImplementedError, match="complex.*eigh|complex.*eigvalsh"):
            th.linalg.eigvals(th.eye(3))


def test_cond_of_singular_matrices_is_inf_like_torch():
    a = _singular_batch()
    for p in (None, 2, -2, "fro", "nuc", INF, -INF, 1, -1):
        out = tg.linalg.cond(tg.tensor(a), p)
        expected = torch.linalg.cond(torch.tensor(a), p)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_matrix_exp_values_like_torch():
    rng = np.random.default_rng(0)
    for scale in (0.0, 1e-3, 0.2, 1.0, 2.5, 40.0):
        a = rng.standard_normal((3, 4, 4)) * scale
        out = tg.linalg.matrix_exp(tg.tensor(a)).numpy()
        expected = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
        err = np.abs(out - expected) / np.abs(expected).max(axis=(-2, -1), keepdims=True)
        assert err.max() < 1e-12, scale
    mixed = np.stack([np.eye(2) * 1e-4, np.eye(2) * 30])  # one batch, different scalings
    np.testing.assert_allclose(
        tg.linalg.matrix_exp(tg.tensor(mixed)).numpy(),
        np.exp(np.diagonal(mixed, 0, 1, 2))[..., None] * np.eye(2),
        rtol=1e-13,
    )
    assert tg.linalg.matrix_exp(tg.zeros(0, 0)).shape == (0, 0)
    assert tg.linalg.matrix_exp(tg.zeros(2, 2, dtype=tg.float32)).dtype == tg.float32


def test_cholesky_solve_gradient_for_a_full_factor_is_torchs():
    """PyTorch's gradient for the factor is the whole -(C + C^T) L, also above the diagonal that
    the solve never reads; tensorgrad's is the same."""
    rng = np.random.default_rng(0)
    factor = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    g = rng.standard_normal((3, 2))
    for upper in (False, True):
        grads = []
        for lib in (tg, torch):
            f = lib.tensor(factor, requires_grad=True)
            x = lib.cholesky_solve(lib.tensor(b), f, upper)
            x.backward(lib.tensor(g))
            grads.append((x.detach().numpy(), f.grad.numpy()))
        np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10)


def test_solve_ex_and_svd_without_uv_like_torch():
    a = np.eye(3) + 0.1
    b = np.random.default_rng(0).standard_normal((4, 2, 3, 1))
    out = tg.linalg.solve_ex(tg.tensor(a).expand(2, 3, 3), tg.tensor(b))
    expected = torch.linalg.solve_ex(torch.tensor(a).expand(2, 3, 3), torch.tensor(b))
    np.testing.assert_allclose(out.result.numpy(), expected.result.numpy(), rtol=1e-12)
    assert out.info.shape == tuple(expected.info.shape) and out.info.dtype == tg.int32
    u, s, v = tg.svd(tg.ones(2, 4, 3), compute_uv=False)
    assert (u.shape, s.shape, v.shape) == ((2, 4, 4), (2, 3), (2, 3, 3))


@pytest.mark.cuda
def test_lu_and_matrix_exp_on_cupy_match_numpy():
    cp = pytest.importorskip("cupy")
    try:
        cp.cuda.runtime.getDeviceCount()
    except Exception:
        pytest.skip("no CUDA device")
    from tensorgrad.ops import linalg as ops

    a = np.random.default_rng(0).standard_normal((3, 5, 4))
    for got, expected in zip(ops.lu_factor_arrays(cp.asarray(a)), ops.lu_factor_arrays(a)):
        np.testing.assert_allclose(cp.asnumpy(got), expected, rtol=1e-12, atol=1e-14)
    pivots = ops.lu_factor_arrays(a)[1]
    got = ops.pivots_to_permutation(cp.asarray(pivots), 5)
    np.testing.assert_array_equal(cp.asnumpy(got), ops.pivots_to_permutation(pivots, 5))
    b = a[..., :4, :] * 3
    got = cp.asnumpy(ops.matrix_exp_array(cp.asarray(b)))
    np.testing.assert_allclose(got, ops.matrix_exp_array(b), rtol=1e-12)
