"""The masked-fill kernel (tensorgrad/kernels/where.py) against ``np.where``, and
``masked_fill`` forward and backward equal under both kernel switches."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.kernels import where as kwhere

pytest.importorskip("numba")
rng = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, cond_shape",
    [((3, 5, 7), (7,)), ((2, 3, 9, 9), (9, 9)), ((2, 3, 9, 9), (1, 1, 9, 9)), ((4, 6), (4, 6)),
     ((0, 5), (5,)), ((1, 1, 13), (13,)), ((0, 3), (0, 3)), ((2, 0), (0,))],
)  # fmt: skip
@pytest.mark.parametrize("number_first", [True, False])
def test_where_equals_numpy(dtype, shape, cond_shape, number_first):
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[::7] = np.nan
    cond = rng.random(cond_shape) < 0.4
    number = np.asarray(-np.inf, dtype)
    a, b = (number, x) if number_first else (x, number)
    got = kwhere.where(cond, a, b)
    assert got is not None and got.dtype == dtype and got.shape == shape
    np.testing.assert_array_equal(got, np.where(cond, a, b))


def test_where_leaves_other_cases_to_numpy():
    x = rng.standard_normal((4, 6)).astype(np.float32)
    number = np.asarray(0.0, np.float32)
    assert kwhere.where(rng.random((4, 1)) < 0.5, number, x) is None  # not trailing dims
    assert kwhere.where(rng.random((6,)) < 0.5, number, x.T.copy().T) is None  # layout
    assert kwhere.where(rng.random((6,)) < 0.5, np.asarray(0.0), x) is None  # dtypes differ
    assert kwhere.where(rng.random((6,)) < 0.5, x, x) is None  # no number
    assert kwhere.where(rng.random((1, 4, 6)) < 0.5, number, x) is None  # a larger result


def test_masked_fill_forward_and_backward_equal_on_both_paths(path):
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    mask = np.triu(np.ones((8, 8), bool), 1)
    g = rng.standard_normal(x.shape).astype(np.float32)

    def run():
        t = tg.tensor(x, requires_grad=True)
        y = t.masked_fill(tg.tensor(mask), float("-inf"))
        y.backward(tg.tensor(g))
        return y.array, t.grad.array

    (y_numba, g_numba), (y_numpy, g_numpy) = path("numba", run), path("numpy", run)
    np.testing.assert_array_equal(y_numba, y_numpy)
    np.testing.assert_array_equal(g_numba, g_numpy)


def test_where_whose_condition_adds_dims():
    """Regression: a condition with more dims than the other operand makes a larger result,
    which the kernel does not write (it gave x's shape)."""
    cond = tg.tensor(np.array([[[True], [False]]]))  # (1, 2, 1)
    x = tg.tensor(np.array([[1.0], [2.0]], np.float32))  # (2, 1)
    out = tg.where(cond, tg.tensor(np.float32(0.0)), x)
    assert out.shape == (1, 2, 1)
    np.testing.assert_array_equal(out.array, [[[0.0], [2.0]]])
