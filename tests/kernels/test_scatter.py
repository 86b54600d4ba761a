"""The row scatter-add kernel (``tensorgrad/kernels/scatter.py``) behind ``backend.scatter_add``
and the embedding's gradient, against ``np.add.at`` (the NumPy path): equal to the bit with
repeated and negative indices, odd, empty and non-contiguous inputs."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import backend, kernels

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")


def _scatter(target, index, values):
    out = target.copy()
    backend.scatter_add(out, index, values)
    return out


def _assert_paths_equal(path, args):
    np.testing.assert_array_equal(path("numba", _scatter, *args), path("numpy", _scatter, *args))


# (num rows, row shape, index count): many into few, few into many, odd, empty, 3-D rows
CASES = [(3, (8,), 1000), (500, (5,), 7), (7, (13,), 29), (4, (3,), 0), (0, (2,), 0),
         (6, (2, 3), 17), (5, (0,), 9), (1, (1,), 5)]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_scatter_rows_equal_add_at(path, case, dtype):
    num, row, count = case
    rng = np.random.default_rng(3)
    target = rng.standard_normal((num, *row)).astype(dtype)
    idx = rng.integers(-num, num, count) if num else np.zeros(0, np.int64)
    values = rng.standard_normal((count, *row)).astype(dtype)
    for index_dtype in (np.int64, np.int32):
        args = (target, (idx.astype(index_dtype),), values)
        _assert_paths_equal(path, args)


def test_non_contiguous_values_and_index(path):
    rng = np.random.default_rng(4)
    target = rng.standard_normal((9, 6)).astype(np.float32)
    values = rng.standard_normal((6, 40)).astype(np.float32).T  # (40, 6), transposed
    idx = rng.integers(0, 9, 80)[::2]  # strided
    args = (target, (idx,), values)
    _assert_paths_equal(path, args)


def test_cases_the_kernel_leaves_to_numpy(path):
    rng = np.random.default_rng(5)
    target = rng.standard_normal((5, 4))
    # broadcast values, a 2-D index, a bool mask, float16: all np.add.at's
    for index, values in [
        ((np.array([0, 0, 3]),), np.float64(1.5)),
        ((np.array([[0, 1], [1, 1]]),), rng.standard_normal((2, 2, 4))),
        ((np.array([True, False, True, False, True]),), rng.standard_normal((3, 4))),
    ]:
        args = (target, index, values)
        _assert_paths_equal(path, args)
    half = (target.astype(np.float16), (np.array([1, 1]),), np.ones((2, 4), np.float16))
    _assert_paths_equal(path, half)


@pytest.mark.parametrize("bad", [5, -6])
def test_out_of_bounds_still_raises(path, bad):
    target = np.zeros((5, 3))
    with pytest.raises(IndexError):
        path("numba", _scatter, target, (np.array([0, bad]),), np.ones((2, 3)))


def _embedding_grads(padding_idx):
    rng = np.random.default_rng(6)
    weight = tg.tensor(rng.standard_normal((11, 7)).astype(np.float32), requires_grad=True)
    index = tg.tensor(rng.integers(0, 11, (4, 25)))
    out = tg.nn.functional.embedding(index, weight, padding_idx=padding_idx)
    out.backward(tg.tensor(rng.standard_normal(out.shape).astype(np.float32)))
    return weight.grad.numpy()


@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_backward_equal(path, padding_idx):
    np.testing.assert_array_equal(
        path("numba", _embedding_grads, padding_idx), path("numpy", _embedding_grads, padding_idx)
    )
