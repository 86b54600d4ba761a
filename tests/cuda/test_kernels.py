"""The CUDA kernels (tensorgrad/kernels/cuda.py) against the CuPy code they replace.

Each test runs an op (forward and backward) or an optimizer with the kernels on and off, on
sizes that are not multiples of a warp or a block, non-contiguous inputs and both float dtypes,
and compares every result. The op tables (tests/cuda/test_op_table.py) compare both with the
CPU as well.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.kernels import cuda as ck
from tests.cuda._common import DEVICE

pytestmark = pytest.mark.skipif(DEVICE != "cuda", reason="the CUDA kernels need a GPU")

TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
DTYPES = [np.float32, np.float64]


def on_and_off(run):
    """run() with the kernels on, then off: two lists of NumPy arrays."""
    try:
        ck.use(True)
        with_kernels = [np.asarray(a.detach().cpu().numpy()) for a in run()]
        ck.use(False)
        reference = [np.asarray(a.detach().cpu().numpy()) for a in run()]
    finally:
        ck.use(True)
    return with_kernels, reference


def assert_same(run, dtype, what):
    """Equal to rounding; sums over rows (parameter gradients) differ in summation order,
    so the absolute tolerance scales with the largest value."""
    got, want = on_and_off(run)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what} output {i}"
        tol = dict(TOL[dtype])
        tol["atol"] *= max(1.0, float(np.nanmax(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, err_msg=f"{what} output {i}", **tol)


def randn(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def grads_of(fn, inputs, rng):
    """fn's output and the gradient of each input under a random upstream gradient."""
    xs = [tg.tensor(a, device="cuda", requires_grad=True) for a in inputs]
    out = fn(*xs)
    g = tg.tensor(randn(rng, out.shape, inputs[0].dtype), device="cuda")
    out.backward(g)
    return [out, *[x.grad for x in xs]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("shape", [(1,), (7, 33), (3, 5, 1031), (64, 1536)])
def test_gelu(shape, approximate, dtype):
    x = randn(np.random.default_rng(0), shape, dtype, 3.0)
    assert ck.takes(tg.tensor(x, device="cuda").array)

    def run():
        return grads_of(lambda t: nn.functional.gelu(t, approximate=approximate), [x],
                        np.random.default_rng(1))  # fmt: skip

    assert_same(run, dtype, f"gelu {approximate} {shape}")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_non_contiguous_and_half(approximate):
    rng = np.random.default_rng(2)
    x = randn(rng, (33, 65), np.float32, 3.0)

    def run():
        return grads_of(lambda t: nn.functional.gelu(t.T[::2], approximate=approximate), [x],
                        np.random.default_rng(3))  # fmt: skip

    assert_same(run, np.float32, "gelu of a transposed, strided view")
    h = tg.tensor(x, device="cuda").half()
    got, want = on_and_off(lambda: [nn.functional.gelu(h, approximate=approximate)])
    np.testing.assert_allclose(got[0].astype(np.float32), want[0].astype(np.float32), rtol=2e-3,
                               atol=2e-3)  # fmt: skip


SOFTMAX_SHAPES = [(1, 1), (5, 31), (3, 33), (2, 6, 256, 256), (7, 1000), (3, 5000)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SOFTMAX_SHAPES)
def test_softmax(shape, dtype):
    x = randn(np.random.default_rng(4), shape, dtype, 4.0)

    def run():
        return grads_of(lambda t: nn.functional.softmax(t, dim=-1), [x], np.random.default_rng(5))

    assert_same(run, dtype, f"softmax {shape}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_masked_rows_and_views(dtype):
    rng = np.random.default_rng(6)
    x = randn(rng, (4, 9, 70), dtype)
    mask = rng.random((9, 70)) < 0.3
    mask[2] = True  # a row with nothing left: nan in softmax, 0 in attention (safe)

    def run():
        t = tg.tensor(x, device="cuda", requires_grad=True)
        m = tg.tensor(mask, device="cuda")
        a = nn.functional.softmax(t.masked_fill(m, float("-inf")), dim=-1)
        q = tg.tensor(x[:, :, :8], device="cuda")
        b = nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=~m[:, :9])
        c = nn.functional.softmax(t.transpose(1, 2), dim=-1)  # rows of a transposed view
        (c * c).sum().backward()
        return [a, b, c, t.grad]

    assert_same(run, dtype, "masked softmax")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,cols", [(1, 1), (7, 33), (1000, 1), (2049, 385), (16384, 384)])
def test_linear_bias_gradient_column_sums(rows, cols, dtype):
    rng = np.random.default_rng(7)
    x = randn(rng, (rows, 5), dtype)
    w = randn(rng, (cols, 5), dtype)
    b = randn(rng, (cols,), dtype)

    def run():
        return grads_of(nn.functional.linear, [x, w, b], np.random.default_rng(8))

    assert_same(run, dtype, f"linear ({rows}, {cols})")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 7), (4, 129, 384)])
def test_layer_norm_parameter_gradients(shape, dtype):
    rng = np.random.default_rng(9)
    x = randn(rng, shape, dtype)
    w = randn(rng, shape[-1:], dtype)
    b = randn(rng, shape[-1:], dtype)

    def run():
        fn = lambda t, w, b: nn.functional.layer_norm(t, shape[-1:], w, b)  # noqa: E731
        return grads_of(fn, [x, w, b], np.random.default_rng(10))

    assert_same(run, dtype, f"layer_norm {shape}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_without_affine_and_on_views(dtype):
    rng = np.random.default_rng(12)
    x = randn(rng, (6, 50, 33), dtype, 2.0)

    def run():
        t = tg.tensor(x, device="cuda", requires_grad=True)
        a = nn.functional.layer_norm(t, (33,))
        b = nn.functional.layer_norm(t.transpose(0, 1), (6, 33))  # two axes, a view
        (a * a).sum().backward()
        (b * b * b).sum().backward()
        return [a, b, t.grad]

    assert_same(run, dtype, "layer_norm without affine")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,dims,keepdim",
    [((7, 33), (0,), False), ((64, 256, 38), (0,), True), ((5, 6, 7), (0, 1), False),
     ((3000, 1), (0,), False), ((1, 9), (0,), True)],
)  # fmt: skip
def test_sum_over_leading_axes(shape, dims, keepdim, dtype):
    x = randn(np.random.default_rng(13), shape, dtype)

    def run():
        out = grads_of(lambda t: t.sum(dims, keepdim=keepdim), [x], np.random.default_rng(14))
        b = tg.tensor(x[0], device="cuda", requires_grad=True)  # a broadcast add's adjoint
        (tg.tensor(x, device="cuda") + b).pow(2).sum().backward()
        return [*out, b.grad]

    assert_same(run, dtype, f"sum {shape} over {dims}")


OPTIMIZERS = {
    "Adam": lambda ps: tg.optim.Adam(ps, lr=1e-2),
    "Adam wd maximize": lambda ps: tg.optim.Adam(ps, lr=1e-2, weight_decay=0.1, maximize=True),
    "AdamW": lambda ps: tg.optim.AdamW(ps, lr=1e-2, betas=(0.3, 0.99), weight_decay=0.1),
    "SGD": lambda ps: tg.optim.SGD(ps, lr=0.1),
    "SGD momentum wd": lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-2),
    "SGD dampening": lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
    "SGD nesterov maximize": lambda ps: tg.optim.SGD(
        ps, lr=0.1, momentum=0.9, nesterov=True, maximize=True
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_steps(name, dtype):
    rng = np.random.default_rng(11)
    shapes = [(33, 7), (7,), (1,), (1000, 3)]
    starts = [randn(rng, s, dtype) for s in shapes]
    grads = [[randn(rng, s, dtype) for s in shapes] for _ in range(5)]

    def run():
        ps = [tg.tensor(a, device="cuda", requires_grad=True) for a in starts]
        opt = OPTIMIZERS[name](ps)
        for step in grads:
            for p, g in zip(ps, step):
                p.grad = tg.tensor(g, device="cuda")
            opt.step()
        state = [v for s in opt.state.values() for v in s.values() if isinstance(v, tg.Tensor)]
        return ps + [v for v in state if v.ndim]

    assert_same(run, dtype, name)


def test_switch_and_takes():
    x = tg.randn(3, 4, device="cuda").array
    assert ck.takes(x) and ck.takes(x, x)
    assert not ck.takes(x.astype("float16")) and ck.takes(x.astype("float16"), half=True)
    assert not ck.takes(x, x.astype("float64"))
    assert not ck.takes(x.astype("int64"))
    assert not ck.takes(np.zeros(3, np.float32))
    ck.use(False)
    try:
        assert not ck.takes(x)
    finally:
        ck.use(True)
