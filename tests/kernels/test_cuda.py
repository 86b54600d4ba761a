"""tensorgrad/kernels/cuda.py on a machine without a GPU: it imports without CuPy, takes no
NumPy array, and its switch works. The kernels themselves are tested against their CuPy
references on a GPU (tests/cuda/test_kernels.py)."""

import numpy as np

from tensorgrad.kernels import cuda as ck


def test_takes_no_host_arrays_and_switches():
    x = np.ones((3, 4), np.float32)
    assert not ck.takes(x) and not ck.takes(x, x)
    was = ck.ENABLED
    try:
        ck.use(False)
        assert ck.ENABLED is False
        ck.use(True)
        assert ck.ENABLED is True
    finally:
        ck.use(was)


def test_rows_fit_is_about_the_last_axis():
    x = np.ones((2, 3, 5), np.float32)
    assert ck.rows_fit(x, 2) and not ck.rows_fit(x, 1)
    assert not ck.rows_fit(np.ones((2, ck.MAX_ROW + 1), np.float32), 1)
    assert not ck.rows_fit(np.ones((2, 0), np.float32), 1)


def test_kernel_sources_name_every_template_they_instantiate():
    # the RawModule is built from these names (name_expressions): each must be in the source
    for name in ck._ROW_KERNELS:
        assert f"__global__ void {name}(" in ck._ROWS
