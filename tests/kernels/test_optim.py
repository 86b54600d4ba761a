"""The SGD and Adam/AdamW numba kernels (``tensorgrad/kernels/optim.py``) against the NumPy
kernels they replace: the same steps from the same state give the same parameters and state to
the bit, on odd, empty, 0-d, parallel-sized and non-contiguous arrays."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels
from tensorgrad.kernels import optim as optim_kernels

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")

# odd sizes, empty, 0-d, and one above MIN_PARALLEL so the prange path runs too
SHAPES = [(), (1,), (7,), (33, 5), (0,), (3, 0), (optim_kernels.MIN_PARALLEL + 3,)]


def _train(make_opt, dtype, steps=4, transposed_grads=False, shapes=SHAPES):
    rng = np.random.default_rng(7)
    params = [tg.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    opt = make_opt(params)
    for _ in range(steps):
        for p in params:
            g = rng.standard_normal(p.shape).astype(dtype)
            if transposed_grads and g.ndim == 2:  # a non-contiguous gradient, same values
                p.grad = tg.tensor(np.ascontiguousarray(g.T)).T
                assert not p.grad.array.flags.c_contiguous
            else:
                p.grad = tg.tensor(g)
        opt.step()
    state = [
        {k: np.array(v.array) for k, v in opt.state[p].items()} if p in opt.state else {}
        for p in params
    ]
    return [p.array.copy() for p in params], state


def _assert_same(a, b):
    (pa, sa), (pb, sb) = a, b
    for x, y in zip(pa, pb, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    for x, y in zip(sa, sb, strict=True):
        assert x.keys() == y.keys()
        for k in x:
            np.testing.assert_array_equal(x[k], y[k], err_msg=k)


SGD_CASES = {
    "plain": dict(lr=0.05),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening_wd": dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "maximize": dict(lr=0.01, momentum=0.5, maximize=True),
}
ADAM_CASES = {
    "adam": (tg.optim.Adam, dict()),
    "adam_betas": (tg.optim.Adam, dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6)),
    "adam_amsgrad_wd_max": (
        tg.optim.Adam,
        dict(lr=0.02, weight_decay=0.05, amsgrad=True, maximize=True),
    ),
    "adam_beta1_zero": (tg.optim.Adam, dict(lr=0.01, betas=(0.0, 0.9))),  # lerp's other branch
    "adamw": (tg.optim.AdamW, dict()),
    "adamw_amsgrad_max": (tg.optim.AdamW, dict(lr=0.02, amsgrad=True, maximize=True)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", SGD_CASES.values(), ids=SGD_CASES.keys())
def test_sgd_kernel_equals_numpy(path, kwargs, dtype):
    def make(params):
        return tg.optim.SGD(params, **kwargs)

    _assert_same(path("numba", _train, make, dtype), path("numpy", _train, make, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_kernel_equals_numpy(path, case, dtype):
    cls, kwargs = case

    def make(params):
        return cls(params, **kwargs)

    _assert_same(path("numba", _train, make, dtype), path("numpy", _train, make, dtype))


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda ps: tg.optim.Adam(ps, lr=0.1, amsgrad=True),
    ],
    ids=["sgd", "adam"],
)
def test_non_contiguous_and_float16_take_the_numpy_kernel(path, make):
    # a transposed gradient can't be updated as a flat array: that parameter falls back
    shapes = [(5, 7), (optim_kernels.MIN_PARALLEL // 8 + 1, 9), (3,)]
    a = path("numba", _train, make, np.float32, 3, True, shapes)
    _assert_same(a, path("numpy", _train, make, np.float32, 3, True, shapes))
    _assert_same(a, path("numba", _train, make, np.float32, 3, False, shapes))
    half = path("numba", _train, make, np.float16, 2, False, [(4, 3)])
    _assert_same(half, path("numpy", _train, make, np.float16, 2, False, [(4, 3)]))


def test_the_kernel_runs_when_enabled(path, monkeypatch):
    calls = []
    for name in ("sgd_step", "adam_step"):
        real = getattr(optim_kernels, name)
        monkeypatch.setattr(
            optim_kernels, name, lambda *a, _real=real, **k: calls.append(1) or _real(*a, **k)
        )
    for make in (lambda ps: tg.optim.SGD(ps, lr=0.1), lambda ps: tg.optim.AdamW(ps)):
        path("numba", _train, make, np.float32, 1, False, [(3, 4), (2,)])
        assert len(calls) == 2
        path("numpy", _train, make, np.float32, 1, False, [(3, 4), (2,)])
        assert len(calls) == 2
        calls.clear()


def test_nan_and_inf_propagate_as_numpy(path):
    def run():
        p = tg.tensor(np.array([1.0, 2.0, 3.0, 0.0], dtype=np.float32), requires_grad=True)
        opt = tg.optim.Adam([p], lr=0.1, amsgrad=True)
        p.grad = tg.tensor(np.array([np.nan, np.inf, -np.inf, 0.0], dtype=np.float32))
        opt.step()
        p.grad = tg.tensor(np.array([1.0, np.nan, 1.0, 0.0], dtype=np.float32))
        opt.step()
        return [p.array.copy()], [{k: np.array(v.array) for k, v in opt.state[p].items()}]

    with np.errstate(all="ignore"):
        _assert_same(path("numba", run), path("numpy", run))
