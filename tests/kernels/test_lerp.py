"""The lerp kernel against the op's NumPy path (tensorgrad/fma.py) and PyTorch: the same bits."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.kernels import lerp as klerp

pytest.importorskip("numba")
torch = pytest.importorskip("torch")


@pytest.mark.parametrize("n", [1, 7, 1000, 4099])
@pytest.mark.parametrize("weight", [0.001, 0.3, 0.5, 0.999, -0.25, 1.5])
def test_the_kernel_equals_the_numpy_path_and_pytorch(n, weight):
    rng = np.random.default_rng(n)
    a, b = (rng.standard_normal(n).astype(np.float32) * 10 for _ in range(2))
    out = klerp.lerp(a, b, weight)
    with_numpy = tg.tensor(a)
    kernels.use("numpy")
    try:
        reference = tg.tensor(a).lerp(tg.tensor(b), weight).numpy()
        with_numpy.lerp_(tg.tensor(b), weight)
    finally:
        kernels.use("numba")
    theirs = torch.from_numpy(a).lerp(torch.from_numpy(b), weight).numpy()
    np.testing.assert_array_equal(out, reference)
    np.testing.assert_array_equal(out, theirs)
    inplace = tg.tensor(a.copy())
    version = inplace._version
    assert inplace.lerp_(tg.tensor(b), weight) is not None
    np.testing.assert_array_equal(inplace.numpy(), theirs)
    assert inplace._version == version + 1
    np.testing.assert_array_equal(with_numpy.numpy(), theirs)


def test_what_the_kernel_leaves_to_numpy():
    a = np.ones((3, 4), np.float32)
    assert klerp.lerp(a.T, a.T, 0.1) is None  # not contiguous
    assert klerp.lerp(a, a[0], 0.1) is None  # broadcast
    assert klerp.lerp(a.astype(np.float64), a.astype(np.float64), 0.1) is None
    x = tg.ones(3, 4, requires_grad=True)
    y = x.detach().clone().requires_grad_(True)
    (x * 1).lerp_(y, 0.1).sum().backward()  # in a graph: the op, which records
    np.testing.assert_allclose(y.grad.numpy(), np.full((3, 4), 0.1, np.float32))
