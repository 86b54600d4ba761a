"""The bias kernels (``tensorgrad/kernels/bias.py``) behind ``Add`` of a vector along the last
dim and ``Linear``'s bias: equal to NumPy's add to the bit, in either operand order, for odd,
3-D and strided shapes; the cases the kernels leave to NumPy stay NumPy's."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.autograd.function import SCRATCH
from tensorgrad.ops import elementwise as ew
from tensorgrad.ops.fused import Linear

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")

SHAPES = [(128, 512), (7, 13), (1, 1), (3, 5, 9), (2, 1, 4, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_add_of_a_row_vector_equals_numpy(path, shape, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    v = rng.standard_normal(shape[-1] * 2).astype(dtype)[::2]  # strided
    x.flat[0] = np.nan
    for a, b in ((x, v), (v, x)):
        fast = path("numba", ew.Add.forward, SCRATCH, a, b)
        assert fast.flags.c_contiguous and fast.dtype == dtype
        np.testing.assert_array_equal(fast, a + b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_bias_added_in_place_equals_numpy(path, dtype):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 9, 6)).astype(dtype), rng.standard_normal((5, 6)).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    fast = path("numba", Linear.forward, SCRATCH, x, w, b)
    reference = path("numpy", Linear.forward, SCRATCH, x, w, b)
    np.testing.assert_array_equal(fast, reference)


def test_cases_left_to_numpy(path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    arrays = [
        (x.T, rng.standard_normal(4).astype(np.float32)),  # x not C-contiguous
        (x, rng.standard_normal(6)),  # float32 + float64
        (x, rng.standard_normal((1, 6)).astype(np.float32)),  # a (1, n) row: NumPy's
        (x[:0], np.zeros(6, np.float32)),  # empty
    ]
    for a, b in arrays:
        assert path("numba", ew.bias_operands, a, b) is None
    for a, b in [*arrays, (rng.standard_normal(6).astype(np.float32), 2.5)]:
        got = path("numba", ew.Add.forward, SCRATCH, a, b)
        np.testing.assert_array_equal(got, a + b)
        assert got.dtype == (a + b).dtype


def test_add_into_a_buffer_and_the_gradients(path):
    """tg.compile's buffers take the same kernel; the op's gradients are untouched."""
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    out = np.full((6, 4), np.nan, np.float32)
    got = path("numba", lambda: ew.add_into(x, v, out=out))
    assert got is out
    np.testing.assert_array_equal(out, x + v)
    a = tg.tensor(x, requires_grad=True)
    b = tg.tensor(v, requires_grad=True)
    (a + b).sum().backward()
    np.testing.assert_array_equal(b.grad.array, np.full(4, 6, np.float32))
