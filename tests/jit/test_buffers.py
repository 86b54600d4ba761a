"""Buffer planning (tensorgrad/jit/buffers.py): results written into buffers made once, which
never alias what outlives a replay (parameters, gradients, optimizer state, returned tensors)."""

import contextlib

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels, nn
from tensorgrad.autograd.function import SCRATCH
from tensorgrad.jit import buffers
from tensorgrad.ops import elementwise as ew
from tensorgrad.ops.conv import AvgUnpool, BiasMatMul, Fold, MaxPool, Unfold, Unpool
from tensorgrad.ops.fused import (
    Gelu,
    GeluBackward,
    LayerNorm,
    Linear,
    LogSoftmax,
    LogSoftmaxBackward,
    NllLossBackward,
    Softmax,
    SoftmaxBackward,
    layer_norm_grads,
)
from tensorgrad.ops.indexing import Embedding, EmbeddingDenseBackward
from tensorgrad.ops.linalg import MatMul
from tensorgrad.ops.movement import Cat, Reshape

rng = np.random.default_rng(0)


def _array(*shape, dtype=np.float32, positive=False):
    a = rng.standard_normal(shape).astype(dtype)
    return np.abs(a) + 0.5 if positive else a


@contextlib.contextmanager
def _kernels(path: str):
    """Run the block on kernel path ``path`` (skipped without numba), the switch put back."""
    if path == "numba" and not kernels.AVAILABLE:
        pytest.skip("numba is not installed")
    saved = kernels.current()
    kernels.use(path)
    try:
        yield
    finally:
        kernels.use(saved)


def _cases():
    """(op, args, params) for every op in INTO: broadcasting, Python numbers, 0-d arrays,
    transposed and batched operands, both dtypes."""
    for dtype in (np.float32, np.float64):
        a, b = _array(3, 4, dtype=dtype), _array(4, dtype=dtype)
        for op in (ew.Add, ew.Sub, ew.Mul, ew.Div):
            yield op, (a, b), {}
            yield op, (a.T, 2.5), {}
            yield op, (1.5, a), {}
            yield op, (a, np.asarray(3.0, dtype)), {}
        for op in (ew.Neg, ew.Exp, ew.Tanh):
            yield op, (a.T,), {}
        for op in (ew.Log, ew.Sqrt):
            yield op, (_array(5, 2, dtype=dtype, positive=True),), {}
        yield MatMul, (_array(2, 3, 5, dtype=dtype), _array(5, 4, dtype=dtype)), {}
        yield MatMul, (_array(2, 3, 5, dtype=dtype), _array(2, 5, 4, dtype=dtype)), {}
        yield MatMul, (_array(3, 5, dtype=dtype), _array(4, 5, dtype=dtype).T), {}
        yield MatMul, (_array(5, dtype=dtype), _array(5, 4, dtype=dtype)), {}
        w, bias = _array(6, 5, dtype=dtype), _array(6, dtype=dtype)
        yield Linear, (_array(2, 3, 5, dtype=dtype), w, bias), {}
        yield Linear, (_array(4, 5, dtype=dtype), w, None), {}
        yield Linear, (_array(5, 4, dtype=dtype).T, w, bias), {}
        x, g = _array(3, 4, 7, dtype=dtype), _array(3, 4, 7, dtype=dtype)
        for approximate in ("none", "tanh"):
            yield Gelu, (x,), {"approximate": approximate}
            yield Gelu, (x.transpose(2, 0, 1),), {"approximate": approximate}  # NumPy path
            yield GeluBackward, (g, x), {"approximate": approximate}
            yield GeluBackward, (g, x.transpose(1, 0, 2).copy().transpose(1, 0, 2)), {}
        scores = x.copy()
        scores[..., 5:] = -np.inf
        mask = np.tril(np.ones((4, 7), bool))
        for dim in (-1, 2, 1):
            yield Softmax, (scores,), {"dim": dim}
            y = Softmax.forward(SCRATCH, x, dim)
            yield SoftmaxBackward, (g, y), {"dim": dim % 3}  # as Softmax.backward passes it
        yield Softmax, (x,), {"dim": -1, "mask": mask, "safe": True}
        yield Softmax, (scores.transpose(1, 0, 2),), {"dim": -1}
        for dim in (-1, 2, 1):
            yield LogSoftmax, (scores,), {"dim": dim}
            y = LogSoftmax.forward(SCRATCH, x, dim)
            yield LogSoftmaxBackward, (g, y), {"dim": dim % 3}
        yield LogSoftmax, (x.transpose(0, 2, 1),), {"dim": -1}
        # where: the masked-fill kernel (a number and a (T, T) mask), and NumPy's cases
        value = np.asarray(-np.inf, dtype)
        yield ew.Where, (mask, value, x), {}
        yield ew.Where, (mask, x, value), {}
        yield ew.Where, (mask, x, g), {}
        yield ew.Where, (mask[None], 0.5, x[:, :, ::-1]), {}
        yield ew.TanhBackward, (g, np.tanh(x)), {}
        yield ew.TanhBackward, (g.transpose(2, 1, 0), np.tanh(x).transpose(2, 1, 0)), {}
        relu_in = x.copy()
        relu_in[0, 0, :3] = (np.nan, -0.0, 0.0)
        yield ew.Relu, (relu_in,), {}
        yield ew.Relu, (relu_in.transpose(2, 0, 1),), {}  # the kernel in its memory order
        yield ew.ReluBackward, (g, np.maximum(relu_in, 0)), {}
        yield ew.ReluBackward, (g[:, ::-1], x[:, ::-1]), {}
        a2, b2 = _array(2, 6, 5, dtype=dtype), _array(2, 5, 7, dtype=dtype)
        yield BiasMatMul, (_array(2, 6, 1, dtype=dtype), a2, b2), {}
        yield BiasMatMul, (_array(6, 1, dtype=dtype), a2[0], b2[1].T.copy().T), {}
        image = _array(2, 3, 7, 6, dtype=dtype)
        geometry = {"kernel": (3, 2), "stride": (2, 1), "dilation": (1, 2)}
        yield Unfold, (image,), {**geometry, "pads": ((1, 2), (0, 1))}
        yield Unfold, (image.transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3),), {}
        yield Unfold, (image,), {"kernel": (3, 3), "pads": ((1, 1), (1, 1))}
        yield Cat, (x, g), {"dim": 0}
        yield Reshape, (x.transpose(1, 0, 2),), {"shape": (4, 21)}  # a copy
        yield Reshape, (x[:, ::2],), {"shape": (6, 7)}
        yield Cat, (x, g[:, :2], x.transpose(0, 2, 1).copy().transpose(0, 2, 1)), {"dim": 1}
        table, index = _array(9, 5, dtype=dtype), rng.integers(0, 9, (3, 4))
        yield Embedding, (table, index), {}
        yield EmbeddingDenseBackward, (x[..., :5], index), {"num_weights": 9}
        yield EmbeddingDenseBackward, (x[..., :5], index), {"num_weights": 9, "padding_idx": 2}
        target = np.array([3, -100, 0, 3, 1, 2])
        for reduction, up in (("mean", np.asarray(1.5, dtype)), ("none", _array(6, dtype=dtype))):
            params = {"shape": (6, 4), "dim": 1, "reduction": reduction}
            yield NllLossBackward, (up, target, None), params
            yield NllLossBackward, (up, target, _array(4, dtype=dtype)), params


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0].__name__)
def test_each_op_written_into_a_buffer_equals_its_forward(case):
    op, args, params = case
    expected = np.asarray(op.forward(SCRATCH, *args, **params))
    out = np.full(expected.shape, np.nan, expected.dtype)
    got = buffers.INTO[op](*args, **params, out=out)
    assert got.shape == expected.shape and np.shares_memory(got, out)
    np.testing.assert_array_equal(out, expected)


def _assert_forward_into(op, args, params):
    """``op``'s own forward with ``out=`` (a buffer laid out as its result) writes the result
    there and leaves the same ctx arrays as without one."""
    expected_ctx, ctx = type("Ctx", (), {})(), type("Ctx", (), {})()
    expected = op.forward(expected_ctx, *args, **params)
    out = np.full_like(expected, np.nan)  # the same layout
    assert out.strides == expected.strides
    got = op.forward(ctx, *args, **params, out=out)
    assert np.shares_memory(got, out) and got.strides == out.strides
    np.testing.assert_array_equal(out, expected)
    for name, value in vars(expected_ctx).items():
        np.testing.assert_array_equal(getattr(ctx, name), value)


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_written_into_a_buffer_equals_its_forward(path, dtype):
    """LayerNorm leaves its statistics on ctx for the backward, so its own forward takes the
    buffer (``FORWARD_OUT``): the same output and the same ctx arrays as without one."""
    with _kernels(path):
        x, w, b = _array(3, 4, 6, dtype=dtype), _array(6, dtype=dtype), _array(6, dtype=dtype)
        for args in ((x, w, b), (x.transpose(1, 0, 2), w, None), (x, None, None)):
            _assert_forward_into(LayerNorm, args, {"n": 1, "eps": 1e-5})


def _image_cases():
    """(op, args, params) of the image ops whose forward takes ``out=``: max pooling (its 2x2
    kernel and NumPy's windows), col2im (overlapping and 'first offset copied' paths), the
    pooling gradients (tiled, overlapping, non-finite), stored channels first or not."""
    for dtype in (np.float32, np.float64):
        x = _array(2, 3, 8, 6, dtype=dtype)
        stored = x.transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)  # channels first
        two = {"kernel": (2, 2), "stride": (2, 2)}
        three = {"kernel": (3, 3), "stride": (2, 2), "pads": ((1, 1), (1, 1))}
        for image in (x, stored):
            for params in (two, three):
                yield MaxPool, (image,), params
        geometry = {"kernel": (3, 2), "stride": (2, 1), "pads": ((1, 1), (0, 2))}
        cols = Unfold.forward(SCRATCH, x, **geometry)
        for channels_first in (True, False):
            yield Fold, (cols,), {**geometry, "size": (8, 6), "channels_first": channels_first}
        same = {"kernel": (3, 3), "pads": ((1, 1), (1, 1))}  # the centre offset covers all
        yield Fold, (Unfold.forward(SCRATCH, x, **same),), {**same, "size": (8, 6)}
        for params in (two, three):
            ctx = type("Ctx", (), {})()
            g = _array(*MaxPool.forward(ctx, x, **params).shape, dtype=dtype)
            infinite = g.copy()
            infinite[0, 1, 0, 0] = np.inf
            for up, channels_first in ((g, True), (g, False), (infinite, True)):
                unpool = {**params, "index": ctx.index, "size": (8, 6)}
                yield Unpool, (up,), {**unpool, "channels_first": channels_first}
            divisor = np.full(g.shape[2:], 4.0 if params is two else 9.0, dtype)
            average = {**params, "divisor": divisor, "size": (8, 6)}
            for channels_first in (True, False):
                yield AvgUnpool, (g,), {**average, "channels_first": channels_first}


@pytest.mark.parametrize("path", ["numba", "numpy"])
def test_image_ops_written_into_a_buffer_equal_their_forward(path):
    """Their results are stored channels first; the buffer is laid out so (as the planner lays
    it out), and the ops write into it: the same values and ctx arrays as without one."""
    with _kernels(path):
        for op, args, params in _image_cases():
            _assert_forward_into(op, args, params)


def test_an_image_op_refuses_a_buffer_laid_out_otherwise():
    x = _array(2, 3, 8, 6)
    with pytest.raises(ValueError, match="not an image stored"):
        MaxPool.forward(type("Ctx", (), {})(), x, kernel=(2, 2), stride=(2, 2),
                        out=np.empty((2, 3, 4, 3), np.float32))  # fmt: skip


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_gradient_written_into_a_buffer_equals_its_values(path, dtype):
    """LayerNorm's gradient is a ``call`` step returning (dx, dw, db); dx, the one that flows
    on, goes into a buffer (``CALL_INTO``): the same three arrays as without one."""
    with _kernels(path):
        x, w, b, g = (_array(*s, dtype=dtype) for s in ((3, 4, 6), (6,), (6,), (3, 4, 6)))
        ctx = type("Ctx", (), {})()
        LayerNorm.forward(ctx, x, w, b, n=1, eps=1e-5)
        xhat, rstd, mean = getattr(ctx, "xhat", None), ctx.rstd, getattr(ctx, "mean", None)
        for needs in ((True, True, True), (True, False, False)):
            args = (g, x, w, xhat, rstd, mean, 1, needs, (6,))
            expected = layer_norm_grads(*args)
            out = np.full(x.shape, np.nan, dtype)
            got = layer_norm_grads(*args, out=out)
            assert got[0] is out or np.shares_memory(got[0], out)
            for a, e in zip(got, expected, strict=True):
                assert (a is None) == (e is None)
                if e is not None:
                    np.testing.assert_array_equal(a, e)


def _deep_step(fuse: bool):
    tg.manual_seed(0)
    layers = []
    for _ in range(6):
        layers += [nn.Linear(16, 16), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(16, 3))
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, tg.compile(step, fuse=fuse)


@pytest.mark.parametrize("fuse", [False, True])
def test_buffers_are_reused_and_never_alias_what_outlives_a_replay(fuse):
    model, opt, step = _deep_step(fuse)
    x = tg.tensor(_array(32, 16))
    y = tg.tensor(rng.integers(0, 3, 32))
    losses = [step(x, y) for _ in range(5)]
    (replay,) = step._replays.values()
    (plan,) = replay.plans
    assert step.replays == 3
    # lifetimes end and their memory is taken again: fewer buffers than planned results
    assert len(plan.into) >= 10 and len(plan.buffers) < len(plan.into)
    lasting = [p.array for p in model.parameters()] + [p.grad.array for p in model.parameters()]
    lasting += [v.array for s in opt.state.values() for v in s.values() if isinstance(v, tg.Tensor)]
    lasting += [loss.array for loss in losses]
    for buffer in plan.buffers:
        assert not any(np.shares_memory(buffer, a) for a in lasting)
    # each returned loss is its own (a later replay did not overwrite an earlier one)
    assert len({float(loss.array) for loss in losses}) == len(losses)


def test_planned_replays_equal_unplanned_ones(monkeypatch):
    """The same 8 steps with and without planning: the same losses and parameters, bit for bit."""
    results = []
    for planned in (True, False):
        if not planned:
            monkeypatch.setattr(buffers, "plan", lambda *a, **k: buffers.Plan())
        model, _, step = _deep_step(fuse=False)
        data = np.random.default_rng(1)
        x = tg.tensor(data.standard_normal((32, 16)).astype(np.float32))
        y = tg.tensor(data.integers(0, 3, 32))
        losses = [float(step(x, y).array) for _ in range(8)]
        results.append((losses, [p.array.copy() for p in model.parameters()]))
        assert "out=b0" in step.explain() if planned else "out=b" not in step.explain()
    (losses_a, params_a), (losses_b, params_b) = results
    assert losses_a == losses_b
    for a, b in zip(params_a, params_b, strict=True):
        np.testing.assert_array_equal(a, b)


def _attention_step():
    """A pre-norm attention block on embeddings: LayerNorm, a qkv split, a masked fill, softmax,
    concatenation (split's gradient), embedding gradients, cross-entropy, AdamW."""
    tg.manual_seed(0)
    emb, ln, qkv = nn.Embedding(11, 8), nn.LayerNorm(8), nn.Linear(8, 24)
    head = nn.Linear(8, 11)
    params = [*emb.parameters(), *ln.parameters(), *qkv.parameters(), *head.parameters()]
    opt = tg.optim.AdamW(params, lr=1e-2)
    future = tg.ones(5, 5, dtype=tg.bool).triu(1)

    def step(tokens, targets):
        opt.zero_grad()
        x = emb(tokens)
        q, k, v = qkv(ln(x)).split(8, dim=2)
        att = (q @ k.transpose(-2, -1) * 0.35).masked_fill(future, float("-inf")).softmax(-1)
        loss = nn.functional.cross_entropy(head(x + att @ v).reshape(-1, 11), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    return params, tg.compile(step, fuse=False)


def test_planned_attention_replays_equal_unplanned_ones(monkeypatch):
    """The ops planning covers beyond the MLP (LayerNorm's input read by its gradient, split's
    views, masked fill, concatenation, embeddings): 8 steps with and without planning, bit for
    bit."""
    results = []
    for planned in (True, False):
        if not planned:
            monkeypatch.setattr(buffers, "plan", lambda *a, **k: buffers.Plan())
        params, step = _attention_step()
        data = np.random.default_rng(2)
        tokens = tg.tensor(data.integers(0, 11, (3, 5)))
        targets = tg.tensor(data.integers(0, 11, (3, 5)))
        losses = [float(step(tokens, targets).array) for _ in range(8)]
        results.append((losses, [p.array.copy() for p in params]))
        (replay,) = step._replays.values()
        assert (len(replay.plans[0].into) >= 15) if planned else not replay.plans[0].into
    (losses_a, params_a), (losses_b, params_b) = results
    assert losses_a == losses_b
    for a, b in zip(params_a, params_b, strict=True):
        np.testing.assert_array_equal(a, b)


def test_relu_into_a_buffer_laid_out_channels_first():
    """A convolution's output is (N, C, H, W) over (C, N, H, W) memory; ReLU and its gradient
    keep that layout, and so does their buffer: the kernel runs over the memory in order, as
    the op's forward does, and writes the buffer in place."""
    x = _array(3, 4, 5, 6).transpose(1, 0, 2, 3)  # (4, 3, 5, 6) stored channels first
    g = _array(3, 4, 5, 6).transpose(1, 0, 2, 3)
    for op, args in ((ew.Relu, (x,)), (ew.ReluBackward, (g, np.maximum(x, 0)))):
        expected = op.forward(SCRATCH, *args)
        out = np.full((3, 4, 5, 6), np.nan, np.float32).transpose(1, 0, 2, 3)
        got = buffers.INTO[op](*args, out=out)
        assert got is out and expected.strides == out.strides
        np.testing.assert_array_equal(out, expected)


def _conv_step():
    """Two conv blocks (a ReLU on channels-first memory, max pooling, col2im in the gradient)
    and a linear head, Adam."""
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 3),
    )  # fmt: skip
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return list(model.parameters()), tg.compile(step, fuse=False)


def test_planned_conv_replays_equal_unplanned_ones(monkeypatch):
    """im2col, the convolution's product, ReLU and its gradient on channels-first memory, max
    pooling and its gradient, col2im planned: 6 steps with and without planning, bit for
    bit."""
    results = []
    for planned in (True, False):
        if not planned:
            monkeypatch.setattr(buffers, "plan", lambda *a, **k: buffers.Plan())
        params, step = _conv_step()
        data = np.random.default_rng(3)
        x = tg.tensor(data.standard_normal((5, 2, 8, 8)).astype(np.float32))
        y = tg.tensor(data.integers(0, 3, 5))
        losses = [float(step(x, y).array) for _ in range(6)]
        results.append((losses, [p.array.copy() for p in params]))
        (replay,) = step._replays.values()
        lines = replay.source.splitlines()
        relu_planned = [line for line in lines if "relu" in line and "out=" in line]
        assert len(relu_planned) == (4 if planned else 0)  # both ReLUs, both gradients
        image_ops = ("MaxPool.forward", "Unpool.forward", "Fold.forward")
        images = [line for line in lines if line.split("= ")[-1].startswith(image_ops)]
        assert len(images) == 3 and all(("out=" in line) == planned for line in images)
    (losses_a, params_a), (losses_b, params_b) = results
    assert losses_a == losses_b
    for a, b in zip(params_a, params_b, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("path", ["numba", "numpy"])
def test_only_ops_that_write_any_layout_get_a_buffer_in_another_axis_order(path, monkeypatch):
    """A result stored in another axis order than C's (the conv step's images) gets a buffer
    laid out the same only from the ops whose ``out=`` function writes any layout
    (``ANY_LAYOUT``); the others reshape their ``out``, which would then be a copy."""
    seen = []
    plan = buffers.plan

    def spy(rec, steps, keep):
        result = plan(rec, steps, keep)
        seen.extend((steps[i], a) for i, a in result.into.items())
        return result

    monkeypatch.setattr(buffers, "plan", spy)
    with _kernels(path):
        _, step = _conv_step()
        data = np.random.default_rng(3)
        x = tg.tensor(data.standard_normal((5, 2, 8, 8)).astype(np.float32))
        y = tg.tensor(data.integers(0, 3, 5))
        for _ in range(3):
            step(x, y)
    laid_out = [s.op for s, a in seen if not a.flags.c_contiguous]
    assert laid_out and all(op in buffers.ANY_LAYOUT for op in laid_out)


def test_a_compiled_module_called_twice_before_backward():
    """Two forwards through one compiled module, then one backward: each call's saved arrays
    are its own (returned from the forward half, never planned), so gradients equal eager."""
    grads = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh())
        if compiled:
            tg.compile(model, fuse=False)
        data = np.random.default_rng(1)
        for _ in range(4):
            a, b = (tg.tensor(data.standard_normal((4, 8)).astype(np.float32)) for _ in "ab")
            model.zero_grad()
            (model(a) * model(b)).sum().backward()
        grads.append([p.grad.array.copy() for p in model.parameters()])
        if compiled:
            (replay,) = model.forward._replays.values()
            assert model.forward.replays == 6 and any(plan.into for plan in replay.plans)
    for eager, replayed in zip(*grads, strict=True):
        np.testing.assert_array_equal(replayed, eager)
