"""Matrix products (matmul in all of torch.matmul's shape cases, dot, outer, einsum, the
fixed-shape mm/bmm/add* family, tensordot, kron, cross, cdist) against PyTorch and finite
differences (see tests/op_harness.py)."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import OpSpec, make_tests

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


def _quiet(method, *args):
    """``method(*args)`` without PyTorch's (and our) deprecation warning for cross's dim."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return method(*args)


test_matches_torch, test_gradcheck = make_tests(OPS)


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
