"""Property tests of broadcasting (Hypothesis): for random broadcast-compatible shapes the binary
ops and ``where`` match PyTorch in value and in every input's gradient (reduced back to the
input's shape); incompatible shapes raise a RuntimeError naming both."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
# after importorskip, so that a machine without Hypothesis skips this file instead of failing
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SHAPE_PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
SHAPE_TRIPLES = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=4)
DTYPES = st.sampled_from(["float32", "float64"])
SEEDS = st.integers(0, 2**32 - 1)

BINARY = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
}


def values(rng, shape):
    """Normal values kept away from 0 (division) and, being continuous, free of ties (maximum)."""
    x = rng.standard_normal(shape)
    return np.sign(x + (x == 0)) * (np.abs(x) + 0.5)


def run(lib, fn, arrays, grad, dtype, diff):
    """Forward and backward in ``lib``; returns the output and the gradients of ``diff`` inputs."""
    tensors = [
        lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=d)
        if a.dtype != bool
        else lib.tensor(a)
        for a, d in zip(arrays, diff)
    ]
    out = fn(lib, *tensors)
    out.backward(lib.tensor(grad, dtype=getattr(lib, dtype)))
    return out, [t.grad for t, d in zip(tensors, diff) if d]


def compare(fn, arrays, diff, dtype, rng):
    shape = np.broadcast_shapes(*[a.shape for a in arrays])
    grad = rng.standard_normal(shape)
    out, grads = run(tg, fn, arrays, grad, dtype, diff)
    t_out, t_grads = run(torch, fn, arrays, grad, dtype, diff)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}
    assert out.shape == tuple(t_out.shape)
    assert str(out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1]
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), **tol)
    for g, tg_, a in zip(grads, t_grads, [a for a, d in zip(arrays, diff) if d]):
        assert g is not None and g.shape == a.shape
        np.testing.assert_allclose(g.numpy(), tg_.numpy(), **tol)


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=SHAPE_PAIRS, dtype=DTYPES, seed=SEEDS)
def test_binary_broadcast_matches_torch(name, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    arrays = [values(rng, s) for s in shapes.input_shapes]
    compare(BINARY[name], arrays, [True, True], dtype, rng)


@SETTINGS
@given(shapes=SHAPE_TRIPLES, dtype=DTYPES, seed=SEEDS)
def test_where_broadcast_matches_torch(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    cond_shape, a_shape, b_shape = shapes.input_shapes
    arrays = [rng.random(cond_shape) > 0.5, values(rng, a_shape), values(rng, b_shape)]
    compare(lambda lib, c, a, b: lib.where(c, a, b), arrays, [False, True, True], dtype, rng)


@st.composite
def incompatible_shapes(draw):
    """Two shapes with at least one trailing-aligned dimension that differs and isn't 1."""
    side = st.integers(1, 4)
    a = draw(st.lists(side, min_size=1, max_size=4))
    b = draw(st.lists(side, min_size=1, max_size=4))
    k = draw(st.integers(1, min(len(a), len(b))))  # the clash, counted from the end
    a[-k] = draw(st.integers(2, 4))
    b[-k] = draw(st.integers(2, 4).filter(lambda n: n != a[-k]))
    if draw(st.booleans()):
        a, b = b, a
    return tuple(a), tuple(b)


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=incompatible_shapes())
def test_incompatible_shapes_raise(name, shapes):
    sa, sb = shapes
    a = tg.ones(sa, requires_grad=True)
    b = tg.ones(sb, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        BINARY[name](tg, a, b)
    message = str(info.value)
    assert str(sa) in message and str(sb) in message, message
    with pytest.raises(RuntimeError):
        BINARY[name](torch, torch.ones(sa), torch.ones(sb))


@SETTINGS
@given(shapes=incompatible_shapes(), cond_first=st.booleans())
def test_where_incompatible_shapes_raise(shapes, cond_first):
    sa, sb = shapes
    if cond_first:  # the clash between the condition and an input
        cond, a, b = tg.ones(sa, dtype=tg.bool), tg.ones(sb), tg.ones(())
    else:
        cond, a, b = tg.ones((), dtype=tg.bool), tg.ones(sa), tg.ones(sb)
    with pytest.raises(RuntimeError) as info:
        tg.where(cond, a, b)
    message = str(info.value)
    assert str(sa) in message and str(sb) in message, message


INPLACE = {
    "add_": lambda y, b: y.add_(b),
    "sub_": lambda y, b: y.sub_(b),
    "mul_": lambda y, b: y.mul_(b),
    "div_": lambda y, b: y.div_(b),
}


@pytest.mark.parametrize("name", list(INPLACE))
@SETTINGS
@given(shapes=SHAPE_PAIRS, seed=SEEDS)
def test_inplace_broadcast_matches_torch(name, shapes, seed):
    """``y.op_(b)`` broadcasts ``b`` into ``y``'s shape; recorded on a non-leaf ``y``."""
    rng = np.random.default_rng(seed)
    a_array = values(rng, shapes.result_shape)
    b_array = values(rng, shapes.input_shapes[1])
    grad = rng.standard_normal(shapes.result_shape)
    results = []
    for lib in (tg, torch):
        a = lib.tensor(a_array, requires_grad=True)
        b = lib.tensor(b_array, requires_grad=True)
        y = a * 1
        INPLACE[name](y, b)
        y.backward(lib.tensor(grad))
        results.append((y, a.grad, b.grad))
    for ours, theirs in zip(*results):
        # atol as compare's: a gradient summed over broadcast dims can cancel to near 0, where
        # the two libraries' summation orders differ by more than rtol (div_: 1.7e-12 of 1e-4)
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("name", list(INPLACE))
@SETTINGS
@given(shapes=SHAPE_PAIRS, recording=st.booleans())
def test_inplace_cannot_broadcast_the_tensor_itself(name, shapes, recording):
    sa, sb = shapes.input_shapes
    hypothesis.assume(tuple(shapes.result_shape) != tuple(sa))
    y = tg.ones(sa, dtype=tg.float64, requires_grad=recording) * 1
    with pytest.raises(RuntimeError) as info:
        INPLACE[name](y, tg.ones(sb, dtype=tg.float64))
    assert str(tuple(sa)) in str(info.value), str(info.value)
    with pytest.raises(RuntimeError):
        INPLACE[name](torch.ones(sa), torch.ones(sb))
