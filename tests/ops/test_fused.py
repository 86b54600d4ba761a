"""The fused primitives of tensorgrad/ops/fused.py on arrays larger than one kernel block.

The op tables (tests/ops/test_reduce.py softmax, tests/ops/test_elementwise.py gelu and the
attention table in tests/nn/test_attention.py) check them with finite differences to second
order, but on small shapes, which run as one block. These compare values and gradients with
PyTorch where the NumPy kernels loop over blocks (sizes not a multiple of the block).
"""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops import fused
from tests.op_harness import Const, OpSpec, make_tests

torch = pytest.importorskip("torch")


def nll_loss_gradient(reduction):
    """The input gradient of nll_loss for an upstream gradient ``g``: NllLossBackward, whose
    gradient (NllLoss) double backward runs."""

    def fn(lib, x, t, g):
        out = lib.nn.functional.nll_loss(x, t, reduction=reduction, ignore_index=1)
        # + 0 x: PyTorch links this gradient to x with a zero derivative, tensorgrad not at all
        return lib.autograd.grad(out, x, g, create_graph=True)[0] + 0 * x

    return fn


CLASS_WEIGHTS = np.array([0.5, 2.0, 1.25, 3.0])  # a constant: weight gets no gradient


OPS = [
    # fused.Linear: one GEMM over all rows of a (..., in) input, bias added in place
    OpSpec(
        "nn.functional.linear",
        lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
        cases=[((2, 3, 4), (5, 4), (5,)), ((2, 1, 3, 4), (5, 4), (5,)), ((4,), (5, 4), (5,))],
    ),
    OpSpec(
        "nn.functional.linear",
        lambda lib, x, w: lib.nn.functional.linear(x, w),
        [((3, 2, 4), (5, 4))],
    ),
    # MatMul's (..., n, k) @ (k, m) path: one GEMM over the stacked rows, also for a weight
    # used transposed (its gradient then comes out in the weight's own layout)
    OpSpec("__matmul__", lambda lib, x, w: x @ w.mT, [((2, 3, 4), (5, 4)), ((2, 1, 3, 4), (5, 4))]),
    OpSpec("__matmul__", lambda lib, x, w: x @ w, [((2, 3, 4), (4, 5))]),
    # fused.NllLoss and its gradient NllLossBackward (whose own gradient is NllLoss): class
    # targets with ignored entries (-100 and 2 for ignore_index=2), classes in dim 1 or dim 0
    *[
        OpSpec(
            "nn.functional.nll_loss",
            lambda lib, x, t, reduction=reduction: lib.nn.functional.nll_loss(
                x, t, reduction=reduction
            ),
            [((5, 4), Const(lambda rng: np.array([3, -100, 0, 3, 1])))],
            covers=("nn.functional.cross_entropy",),
        )
        for reduction in ("mean", "sum", "none")
    ],
    OpSpec(
        "nn.functional.nll_loss",
        lambda lib, x, t: lib.nn.functional.nll_loss(
            x, t, lib.tensor(CLASS_WEIGHTS, dtype=x.dtype), ignore_index=2
        ),
        [
            ((3, 4, 2, 3), Const(lambda rng: rng.integers(0, 4, (3, 2, 3)))),
            ((4,), Const(lambda rng: np.array(1))),
        ],
        noncontiguous=False,  # PyTorch's nll_loss2d backward: "grad_input must be contiguous"
    ),
    OpSpec(
        "nn.functional.nll_loss",
        nll_loss_gradient("none"),
        [((5, 4), Const(lambda rng: np.array([3, 1, 0, 1, 2])), (5,))],
    ),
    OpSpec(
        "nn.functional.nll_loss",
        nll_loss_gradient("mean"),
        [((5, 4), Const(lambda rng: np.array([3, 1, 0, 1, 2])), ())],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, reduction="none"),
        [((3, 4, 5), Const(lambda rng: rng.integers(0, 4, (3, 5))))],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)

LARGE = (3, 50, 300)  # 45000 elements: more than one block, the last one partial
assert np.prod(LARGE) > fused._BLOCK


def _compare(fn, x, dtype, rtol):
    x = x.astype(dtype)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    a = tg.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = fn(tg, a), fn(torch, b)
    ya.backward(tg.tensor(g))
    yb.backward(torch.tensor(g))
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_over_blocks_matches_torch(approximate, dtype, rtol):
    x = np.random.default_rng(0).standard_normal(LARGE) * 3
    _compare(lambda lib, t: lib.nn.functional.gelu(t, approximate=approximate), x, dtype, rtol)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_over_blocks_matches_torch(dim, dtype, rtol):
    x = np.random.default_rng(0).standard_normal(LARGE) * 5
    _compare(lambda lib, t: t.softmax(dim), x, dtype, rtol)


def test_softmax_over_blocks_of_noncontiguous_input():
    x = np.random.default_rng(0).standard_normal((300, 150)).T  # F-ordered (150, 300)
    _compare(lambda lib, t: (t * 1.0).softmax(-1), x, np.float64, 1e-10)


def test_masked_softmax_leaves_out_masked_positions_and_safe_rows():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 30, 50))
    keep = rng.random((30, 50)) < 0.7
    keep[3] = False  # a row with nothing left
    t = tg.tensor(x, requires_grad=True)
    y = fused.Softmax.apply(t, dim=2, mask=keep, safe=True)
    ref = np.where(keep, x, -np.inf)
    ref = np.exp(ref - ref.max(-1, keepdims=True, initial=-1e300, where=keep))
    with np.errstate(invalid="ignore"):
        ref = np.nan_to_num(ref / ref.sum(-1, keepdims=True))
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-15)
    assert np.all(y.detach().numpy()[:, 3] == 0)
    y.backward(tg.tensor(rng.standard_normal(x.shape)))
    grad = t.grad.numpy()
    assert np.all(grad[:, ~keep] == 0) and np.isfinite(grad).all()
    unsafe = fused.Softmax.apply(tg.tensor(x), dim=2, mask=keep).numpy()
    assert np.isnan(unsafe[:, 3]).all() and np.isfinite(np.delete(unsafe, 3, axis=1)).all()


@pytest.mark.parametrize("sa,sb", [((2, 3, 0), (0, 4)), ((2, 0, 3), (3, 4)), ((2, 3, 4), (4, 0))])
def test_matmul_and_linear_row_folding_with_empty_dimensions(sa, sb):
    """The folded (rows, k) reshape must not use -1, which is ambiguous when a size is 0."""
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(sa), rng.standard_normal(sb)
    for fn in (lambda lib, a, b: a @ b, lambda lib, a, b: lib.nn.functional.linear(a, b.mT)):
        a, b = tg.tensor(a_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
        ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
        y, ty = fn(tg, a, b), fn(torch, ta, tb)
        assert y.shape == tuple(ty.shape)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())
