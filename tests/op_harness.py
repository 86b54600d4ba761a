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


def _bf16_close(actual, torch_bf16, exact, what: str) -> None:
    """bfloat16 results: PyTorch rounds each of its kernels once, tensorgrad each of its ops
    (the same for a primitive, a few roundings apart for a composite), so a value must be
    within a few units in the 8th bit (3% of itself plus 3% of the largest, or of 1: the tables'
    inputs and upstream gradients are of order 1, so a sum that cancels to ~0 keeps their
    rounding) of PyTorch's bfloat16 result or of the exact one (PyTorch in float32 on the same
    inputs), whichever is nearer: a composite that cancels (sinc's gradient) is rounded
    differently by each."""
    a = np.asarray(actual, np.float32)
    near = np.zeros(a.shape, bool)
    for b in (torch_bf16, exact):
        b = np.asarray(b, np.float32)
        scale = float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0))
        bound = 3e-2 * np.abs(b) + 3e-2 * max(scale, 1.0)
        near |= np.isclose(a, b, rtol=0, atol=0, equal_nan=True) | (np.abs(a - b) <= bound)
    if not near.all():
        np.testing.assert_allclose(a, np.asarray(torch_bf16, np.float32), rtol=3e-2, err_msg=what)


class _torch_lacks_bfloat16:
    """Skips the test when PyTorch has no bfloat16 kernel for the op (tensorgrad computes it)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        lacks = ("BFloat16", "float and double", "float or double")
        if isinstance(e, (RuntimeError, NotImplementedError)) and any(w in str(e) for w in lacks):
            pytest.skip(f"PyTorch has no bfloat16 kernel: {str(e).splitlines()[0]}")
        return False


def compare_with_torch_bfloat16(spec: OpSpec, case: tuple, seed: int = 0):
    """The spec on bfloat16 inputs in both libraries: outputs' dtypes equal, values and every
    input's gradient (random bfloat16 upstream gradient) equal to bfloat16 rounding."""
    arrays = make_arrays(spec, case, np.float32, seed)

    def inputs(lib, dtype):
        out = []
        for t in _to_lib(lib, arrays, requires_grad=False):
            if isinstance(t, (tg.Tensor, torch.Tensor)) and t.is_floating_point():
                t = t.to(lib.bfloat16).to(dtype).requires_grad_(True)
            out.append(t)
        return out

    tg_in, th_in = inputs(tg, tg.bfloat16), inputs(torch, torch.bfloat16)
    exact_in = inputs(torch, torch.float32)  # the same values, computed without rounding
    with _torch_lacks_bfloat16():
        th_out = _outputs(spec.fn(torch, *th_in))
    tg_out = _outputs(spec.fn(tg, *tg_in))
    exact_out = _outputs(spec.fn(torch, *exact_in))
    assert len(tg_out) == len(th_out)
    rng = np.random.default_rng(seed + 1)
    roots = ([], [], [])
    upstream = []
    for a, b, c in zip(tg_out, th_out, exact_out):
        assert tuple(a.shape) == tuple(b.shape), f"{spec.name}: shape {a.shape} vs torch {b.shape}"
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (
            f"{spec.name}: dtype {a.dtype} vs torch {b.dtype}"
        )
        _bf16_close(_np(a.float()), _np(b.float()), _np(c), f"{spec.name} forward")
        if b.requires_grad:
            g = rng.standard_normal(tuple(b.shape)).astype(np.float32)
            g = torch.from_numpy(g).to(torch.bfloat16)
            for r, t in zip(roots, (a, b, c)):
                r.append(t)
            upstream.append(g)
    if not upstream:
        return
    tg.autograd.backward(roots[0], [tg.tensor(g.float().numpy()).bfloat16() for g in upstream])
    with _torch_lacks_bfloat16():
        torch.autograd.backward(roots[1], upstream)
    torch.autograd.backward(roots[2], [g.float() for g in upstream])
    for i, (a, b, c) in enumerate(zip(tg_in, th_in, exact_in)):
        if not isinstance(b, torch.Tensor) or not b.requires_grad:
            continue
        if b.grad is None:
            assert a.grad is None or not np.any(_np(a.grad.float())), f"{spec.name}: input {i}"
            continue
        assert a.grad is not None, f"{spec.name}: input {i} got no gradient"
        assert a.grad.dtype == a.dtype, f"{spec.name}: input {i} gradient dtype {a.grad.dtype}"
        exact = _np(c.grad) if c.grad is not None else np.zeros(c.shape, np.float32)
        _bf16_close(_np(a.grad.float()), _np(b.grad.float()), exact, f"{spec.name} gradient {i}")


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

    @pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in ops])
    def test_matches_torch_bfloat16(spec):
        pytest.importorskip("ml_dtypes")
        case = max(spec.cases, key=lambda c: sum(len(i) for i in c if isinstance(i, tuple)))
        compare_with_torch_bfloat16(spec, case)

    return test_matches_torch, test_gradcheck, test_matches_torch_bfloat16
