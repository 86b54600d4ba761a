"""The op table machinery: every differentiable op is an ``OpSpec``; each spec drives

* a float64 finite-difference ``gradcheck`` (and ``gradgradcheck`` when twice differentiable),
* a comparison with PyTorch: forward values and dtype, and the gradient of every input under a
  random upstream gradient, in float32 and float64,

over the standard broadcast shapes and once with non-contiguous inputs. Test modules build
their ``OPS`` list and call ``make_tests(OPS)``; ``tests/test_op_coverage.py`` fails when a
differentiable op or public name is missing from every table.

A spec's ``fn(lib, *inputs)`` is written once for both libraries: ``lib`` is ``tensorgrad`` or
``torch`` and the inputs are that library's tensors (``x.exp()``,
``lib.nn.functional.gelu(x)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

SHAPES = [(), (1,), (3, 1), (2, 3), (4, 2, 3)]
UNARY = [(s,) for s in SHAPES]
BINARY = [
    ((2, 3), (2, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((1,), (4, 2, 3)),
    ((3, 1), (3, 1)),
    ((3, 1), (1, 3)),
    ((2, 3), (4, 2, 3)),
    ((4, 2, 3), (1,)),
]


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    """Normal values pushed at least 0.1 away from 0 (kinks of relu, abs, sign...)."""
    x = rng.standard_normal(shape)
    return np.sign(x + (x == 0)) * (np.abs(x) + 0.1)


def distinct(rng, shape):
    """Values at least 0.05 apart, so max/min/sort have no ties."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - n * 0.05 + rng.uniform(0, 0.05, n)).reshape(shape)


@dataclass
class Const:
    """A non-differentiable input: ``make(rng)`` returns a NumPy array (indices, masks, ...)."""

    make: Callable


@dataclass
class OpSpec:
    name: str  # the public name(s) it covers, e.g. "exp" or "__mul__"; see test_op_coverage
    fn: Callable  # fn(lib, *inputs) -> tensor or tuple of tensors
    cases: list = field(default_factory=lambda: list(UNARY))  # each case: a tuple of inputs
    gen: Callable = normal  # values for float inputs given as shapes
    second_order: bool = True
    covers: tuple = ()  # further public names this spec exercises
    atol: float = 1e-5  # float32 comparison with PyTorch
    rtol: float = 1e-4
    gradcheck_atol: float = 1e-5
    noncontiguous: bool = True

    def __post_init__(self):
        self.cases = [c if isinstance(c, tuple) else (c,) for c in self.cases]


def _noncontiguous(a: np.ndarray) -> np.ndarray:
    """The same values in a non-contiguous array (a transposed or strided view)."""
    if a.ndim >= 2:
        return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
    if a.ndim == 1:
        return np.repeat(a, 2)[::2]
    return a


def make_arrays(spec: OpSpec, case: tuple, dtype, seed: int, contiguous: bool = True) -> list:
    rng = np.random.default_rng(seed)
    arrays = []
    for item in case:
        if isinstance(item, Const):
            arrays.append(item.make(rng))
            continue
        a = np.asarray(spec.gen(rng, item), dtype=dtype)
        if not contiguous:
            a = _noncontiguous(a)
        arrays.append(a)
    return arrays


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _to_lib(lib, arrays, requires_grad=True):
    out = []
    for a in arrays:
        if not isinstance(a, np.ndarray):
            out.append(a)
            continue
        t = tg.from_numpy(a) if lib is tg else torch.from_numpy(a)
        if requires_grad and _is_float(a):
            t.requires_grad_(True)
        out.append(t)
    return out


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def compare_with_torch(spec: OpSpec, case: tuple, dtype, contiguous: bool, seed: int = 0):
    arrays = make_arrays(spec, case, dtype, seed, contiguous)
    tg_in = _to_lib(tg, arrays)
    th_in = _to_lib(torch, arrays)
    tg_out = _outputs(spec.fn(tg, *tg_in))
    th_out = _outputs(spec.fn(torch, *th_in))
    assert len(tg_out) == len(th_out)
    tol = (
        dict(atol=spec.atol, rtol=spec.rtol) if dtype == np.float32 else dict(atol=1e-9, rtol=1e-7)
    )
    rng = np.random.default_rng(seed + 1)
    tg_roots, th_roots, upstream = [], [], []
    for a, b in zip(tg_out, th_out):
        assert tuple(a.shape) == tuple(b.shape), f"{spec.name}: shape {a.shape} vs torch {b.shape}"
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (
            f"{spec.name}: dtype {a.dtype} vs torch {b.dtype}"
        )
        np.testing.assert_allclose(_np(a), _np(b), **tol, err_msg=f"{spec.name} forward")
        if b.requires_grad:
            assert a.requires_grad, f"{spec.name}: output should require grad"
            g = rng.standard_normal(tuple(b.shape)).astype(_np(b).dtype)
            tg_roots.append(a)
            th_roots.append(b)
            upstream.append(g)
    if not th_roots:
        return
    tg.autograd.backward(tg_roots, [tg.tensor(g) for g in upstream])
    torch.autograd.backward(th_roots, [torch.from_numpy(g) for g in upstream])
    for i, (a, b) in enumerate(zip(tg_in, th_in)):
        if not hasattr(b, "requires_grad") or not b.requires_grad:
            continue
        if b.grad is None:
            assert a.grad is None or not np.any(_np(a.grad)), f"{spec.name}: input {i} grad"
            continue
        assert a.grad is not None, f"{spec.name}: input {i} got no gradient"
        assert a.grad.shape == tuple(b.grad.shape)
        np.testing.assert_allclose(
            _np(a.grad), _np(b.grad), **tol, err_msg=f"{spec.name} gradient of input {i}"
        )


def check_gradients(spec: OpSpec, case: tuple, contiguous: bool, second_order: bool, seed=0):
    arrays = make_arrays(spec, case, np.float64, seed, contiguous)
    inputs = _to_lib(tg, arrays)
    diff = [x for x in inputs if isinstance(x, tg.Tensor) and x.requires_grad]
    if not diff:
        pytest.skip("no differentiable input")

    def f(*xs):
        return spec.fn(tg, *xs)

    assert tg.autograd.gradcheck(f, inputs, atol=spec.gradcheck_atol)
    if second_order:
        # Second order in PyTorch's fast mode (v^T J u for random u and v, not the whole
        # Jacobian of the gradient): it halves the suite's time. Only a mismatch is checked
        # against the whole Jacobian, since finite differences of a steep function (erfinv
        # near 1) can cancel in the projection beyond the tolerance.
        try:
            fast = tg.autograd.gradgradcheck(f, inputs, atol=spec.gradcheck_atol, fast_mode=True)
        except tg.autograd.GradcheckError:
            fast = False
        assert fast or tg.autograd.gradgradcheck(f, inputs, atol=spec.gradcheck_atol)


def _params(ops: list):
    for spec in ops:
        for k, case in enumerate(spec.cases):
            yield pytest.param(spec, case, True, id=f"{spec.name}-{k}")
        if spec.noncontiguous:
            case = max(spec.cases, key=lambda c: sum(len(i) for i in c if isinstance(i, tuple)))
            yield pytest.param(spec, case, False, id=f"{spec.name}-noncontiguous")


def make_tests(ops: list) -> tuple:
    """The two parametrized test functions for a module's ``OPS``."""

    @pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
    @pytest.mark.parametrize("spec,case,contiguous", list(_params(ops)))
    def test_matches_torch(spec, case, contiguous, dtype):
        compare_with_torch(spec, case, dtype, contiguous)

    @pytest.mark.parametrize("spec,case,contiguous", list(_params(ops)))
    def test_gradcheck(spec, case, contiguous):
        check_gradients(spec, case, contiguous, spec.second_order)

    return test_matches_torch, test_gradcheck
