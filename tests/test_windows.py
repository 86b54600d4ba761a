"""Window functions against PyTorch's: values to a float32 rounding step, dtype, length."""

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

NAMES = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_window_matches_torch(name, periodic, dtype):
    for length in (0, 1, 2, 5, 8, 11, 64):
        ours = getattr(tg, name)(length, periodic, dtype=getattr(tg, dtype))
        theirs = getattr(torch, name)(length, periodic, dtype=getattr(torch, dtype)).numpy()
        assert ours.numpy().dtype == theirs.dtype and ours.shape == theirs.shape
        atol = 3e-7 if dtype == "float32" else 4e-15
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=0, atol=atol)


def test_window_parameters_and_defaults():
    np.testing.assert_allclose(
        tg.hamming_window(10, False, 0.6, 0.4).numpy(),
        torch.hamming_window(10, False, 0.6, 0.4).numpy(),
        atol=3e-7,
    )
    np.testing.assert_allclose(
        tg.kaiser_window(9, beta=5.0).numpy(), torch.kaiser_window(9, True, 5.0).numpy(), atol=3e-7
    )
    assert tg.hann_window(4).dtype == tg.float32
    assert tg.hann_window(4, requires_grad=True).requires_grad


def test_window_errors():
    with pytest.raises(RuntimeError, match="hann_window expects a floating point dtype"):
        tg.hann_window(4, dtype=tg.int64)
    with pytest.raises(RuntimeError, match="non-negative window_length"):
        tg.hann_window(-1)
