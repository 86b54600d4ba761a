"""The random stream's numba loops (``tensorgrad/kernels/random.py``) against the NumPy path:
the same seed gives the same words, uniforms, normals and permutations to the bit, and leaves
the generator in the same state, for sizes around the kernels' threshold and MT19937's 624-word
regeneration, and for empty draws."""

import numpy as np
import pytest

from tensorgrad import kernels
from tensorgrad.random_stream import Stream

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")

SIZES = [0, 1, 15, 16, 255, 256, 257, 623, 624, 625, 1249, 5000, 140_003]  # 2^16 pairs: parallel
DRAWS = {
    "words": lambda s, n: s.words(n).astype(np.uint64),
    "uniform float32": lambda s, n: s.random(n, np.float32),
    "uniform float64": lambda s, n: s.random(n),
    "uniform float32 bounds": lambda s, n: s.uniform(-0.3, 0.05, n, np.float32),
    "normal float32": lambda s, n: s.normal(0.25, 3.0, n, np.float32),
    "normal float64": lambda s, n: s.standard_normal(min(n, 5000)),
    "integers": lambda s, n: s.integers(-5, 1000, n),
    "permutation": lambda s, n: s.permutation(n),
}


def _draws(path_name, path, name, n):
    def run():
        stream = Stream(2024)
        stream.words(100)  # start mid-state
        values = [DRAWS[name](stream, n) for _ in range(2)]
        state = stream.bit_generator.state["state"]
        return values, state["key"], state["pos"]

    return path(path_name, run)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", list(DRAWS))
def test_kernels_draw_the_numpy_paths_numbers(path, name, n):
    (expected, key, pos), (got, kernel_key, kernel_pos) = (
        _draws(p, path, name, n) for p in ("numpy", "numba")
    )
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)
    np.testing.assert_array_equal(kernel_key, key)
    assert kernel_pos == pos


def test_the_kernels_read_numpys_state_in_place():
    stream = Stream(5)
    assert stream.c_state is not None  # NumPy's mt19937_state has the layout read
    stream.words(1000)
    state = stream.bit_generator.state["state"]
    np.testing.assert_array_equal(stream.c_state[:624], state["key"])
    assert stream.c_state[624] == state["pos"]
