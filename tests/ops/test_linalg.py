"""Matrix products (matmul in all of torch.matmul's shape cases, dot, outer, einsum) against
PyTorch and finite differences (see tests/op_harness.py)."""

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
]

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
