"""tensorgrad.amp: autocast's op policy (vs torch's CPU autocast where the lists agree) and
GradScaler step for step against torch.amp.GradScaler('cpu')."""

import numpy as np
import pytest
import torch

import tensorgrad as tg
import tensorgrad.nn.functional as F

rng = np.random.default_rng(0)


def _arr(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _pair(*arrays):
    return [tg.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


# ----------------------------------------------------------------------------- autocast ops

# (name, fn(lib, functional, *inputs), input arrays); the dtype under autocast must match torch's
TORCH_CASES = [
    ("matmul", lambda lib, f, a, b: a @ b, (_arr(3, 4), _arr(4, 5))),
    ("matmul_1d", lambda lib, f, a, b: lib.matmul(a, b), (_arr(4), _arr(4, 5))),
    ("matmul_mixed", lambda lib, f, a, b: a @ b, (_arr(3, 4, dtype=np.float16), _arr(4, 5))),
    ("matmul_float64", lambda lib, f, a, b: a @ b.mT, (_arr(3, 4, dtype=np.float64),) * 2),
    ("linear", lambda lib, f, x, w, b: f.linear(x, w, b), (_arr(2, 4), _arr(3, 4), _arr(3))),
    ("linear_nobias", lambda lib, f, x, w: f.linear(x, w), (_arr(2, 5, 4), _arr(3, 4))),
    (
        "einsum",
        lambda lib, f, a, b: lib.einsum("bij,bjk->bik", a, b),
        (_arr(2, 3, 4), _arr(2, 4, 5)),
    ),
    ("conv1d", lambda lib, f, x, w, b: f.conv1d(x, w, b), (_arr(2, 3, 7), _arr(4, 3, 3), _arr(4))),
    (
        "conv2d",
        lambda lib, f, x, w: f.conv2d(x, w, padding=1),
        (_arr(2, 3, 5, 5), _arr(4, 3, 3, 3)),
    ),
    (
        "conv_transpose2d",
        lambda lib, f, x, w, b: f.conv_transpose2d(x, w, b, stride=2),
        (_arr(2, 3, 4, 4), _arr(3, 2, 3, 3), _arr(2)),
    ),
    (
        "cross_entropy",
        lambda lib, f, x, t: f.cross_entropy(x, t),
        (_arr(4, 5, dtype=np.float16), np.array([0, 1, 4, 2])),
    ),
    (
        "nll_loss",
        lambda lib, f, x, t: f.nll_loss(x, t),
        (_arr(4, 5, dtype=np.float16), np.array([0, 1, 4, 2])),
    ),
    ("mse_loss", lambda lib, f, x, y: f.mse_loss(x, y), (_arr(4, 5, dtype=np.float16),) * 2),
    ("l1_loss", lambda lib, f, x, y: f.l1_loss(x, y), (_arr(4, 5, dtype=np.float16),) * 2),
    (
        "bce_with_logits",
        lambda lib, f, x, y: f.binary_cross_entropy_with_logits(x, y),
        (_arr(4, 5, dtype=np.float16), rng.random((4, 5)).astype(np.float16)),
    ),
    (
        "linear_then_ce",
        lambda lib, f, x, w, t: f.cross_entropy(f.linear(x, w), t),
        (_arr(4, 3), _arr(5, 3), np.array([0, 1, 4, 2])),
    ),
]


@pytest.mark.parametrize("name,fn,arrays", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_autocast_dtype_matches_torch_cpu(name, fn, arrays):
    ours, theirs = _pair(*arrays)
    with tg.amp.autocast("cpu", dtype=tg.float16):
        out = fn(tg, F, *ours)
    with torch.autocast("cpu", dtype=torch.float16):
        expected = fn(torch, torch.nn.functional, *theirs)
    assert str(out.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    tol = 1e-2 if expected.dtype == torch.float16 else 1e-3
    np.testing.assert_allclose(
        out.numpy().astype(np.float64), expected.float().numpy(), rtol=tol, atol=tol * 5
    )


# the float32 list that follows PyTorch's CUDA autocast (on CPU torch keeps these in float16)
FP32_CASES = [
    ("softmax", lambda x: F.softmax(x, dim=-1), (4, 5)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1), (4, 5)),
    ("tensor_softmax", lambda x: x.softmax(-1), (4, 5)),
    ("layer_norm", lambda x: F.layer_norm(x, (5,), tg.ones(5), tg.zeros(5)), (4, 5)),
    ("LayerNorm", lambda x: tg.nn.LayerNorm(5)(x), (4, 5)),
    ("group_norm", lambda x: F.group_norm(x, 2, tg.ones(4), tg.zeros(4)), (3, 4, 5)),
    ("BatchNorm1d", lambda x: tg.nn.BatchNorm1d(4)(x), (3, 4, 5)),
    ("rms_norm", lambda x: F.rms_norm(x, (5,), tg.ones(5)), (4, 5)),
]


@pytest.mark.parametrize("name,fn,shape", FP32_CASES, ids=[c[0] for c in FP32_CASES])
def test_autocast_fp32_policy(name, fn, shape):
    x = tg.tensor(_arr(*shape, dtype=np.float16))
    with tg.amp.autocast("cpu", dtype=tg.float16):
        out = fn(x)
    assert out.dtype == tg.float32
    np.testing.assert_allclose(
        out.detach().numpy(), fn(x.float()).detach().numpy(), rtol=1e-5, atol=1e-5
    )


def test_gradients_reach_float32_master_weights():
    x = tg.tensor(_arr(6, 4))
    w = tg.tensor(_arr(3, 4), requires_grad=True)
    b = tg.tensor(_arr(3), requires_grad=True)
    t = tg.tensor([0, 1, 2, 0, 1, 2])
    with tg.amp.autocast("cpu", dtype=tg.float16):
        h = F.linear(x, w, b)
        assert h.dtype == tg.float16
        loss = F.cross_entropy(h, t)
    assert loss.dtype == tg.float32
    loss.backward()
    assert w.dtype == w.grad.dtype == b.grad.dtype == tg.float32
    w32 = tg.tensor(w.detach().numpy(), requires_grad=True)
    b32 = tg.tensor(b.detach().numpy(), requires_grad=True)
    F.cross_entropy(F.linear(x, w32, b32), t).backward()
    np.testing.assert_allclose(w.grad.numpy(), w32.grad.numpy(), atol=5e-3)
    np.testing.assert_allclose(b.grad.numpy(), b32.grad.numpy(), atol=5e-3)


def test_outside_autocast_nothing_changes():
    a, b = tg.tensor(_arr(3, 4)), tg.tensor(_arr(4, 2))
    assert not tg.amp.is_autocast_enabled("cpu")
    assert (a @ b).dtype == tg.float32
    h = tg.tensor(_arr(3, 4, dtype=np.float16))
    assert h.softmax(-1).dtype == tg.float16


def test_device_type_must_match():
    a, b = tg.tensor(_arr(3, 4)), tg.tensor(_arr(4, 2))
    with tg.amp.autocast("cuda"):  # CPU tensors are not affected by CUDA autocast
        assert tg.amp.is_autocast_enabled("cuda") and not tg.amp.is_autocast_enabled("cpu")
        assert (a @ b).dtype == tg.float32
    assert not tg.amp.is_autocast_enabled("cuda")


def test_nesting_enabled_false_and_decorator():
    a, b = tg.tensor(_arr(3, 4)), tg.tensor(_arr(4, 2))
    with tg.amp.autocast("cpu", dtype=tg.float16):
        with tg.amp.autocast("cpu", dtype=tg.float16, enabled=False):
            assert not tg.amp.is_autocast_enabled("cpu")
            assert (a @ b).dtype == tg.float32
            with tg.amp.autocast("cpu", dtype=tg.float16):
                assert (a @ b).dtype == tg.float16
            assert (a @ b).dtype == tg.float32
        assert (a @ b).dtype == tg.float16
    assert not tg.amp.is_autocast_enabled("cpu")

    @tg.amp.autocast("cpu", dtype=tg.float16)
    def f(x, y):
        return x @ y

    assert f(a, b).dtype == tg.float16
    assert (a @ b).dtype == tg.float32
    with pytest.raises(ValueError):
        with tg.amp.autocast("cpu", dtype=tg.float16):
            raise ValueError("boom")
    assert not tg.amp.is_autocast_enabled("cpu")


def test_autocast_argument_errors():
    with pytest.raises(RuntimeError, match="bfloat16 is not supported on 'cuda'"):
        tg.amp.autocast("cuda", dtype=tg.bfloat16)
    with pytest.raises(RuntimeError, match="float16"):
        tg.amp.autocast("cpu", dtype=tg.float64)
    with pytest.raises(RuntimeError, match="device_type"):
        tg.amp.autocast("tpu", dtype=tg.float16)


# ----------------------------------------------------------------------------- GradScaler


def _scaler_run(lib, scaler, w0, b0, xs, ys, inject):
    """A few SGD-momentum steps of a linear regression with loss scaling; at the steps in
    ``inject`` one gradient entry is replaced by inf (or nan)."""
    w = lib.tensor(w0.copy(), requires_grad=True)
    b = lib.tensor(b0.copy(), requires_grad=True)
    opt = lib.optim.SGD([w, b], lr=0.05, momentum=0.9)
    scales, results = [], []
    for i, (x, y) in enumerate(zip(xs, ys)):
        opt.zero_grad()
        pred = lib.tensor(x) @ w.mT + b
        loss = ((pred - lib.tensor(y)) ** 2).mean()
        scaler.scale(loss).backward()
        if i in inject:
            g = w.grad.numpy().copy()
            g[0, 1] = inject[i]
            w.grad = lib.tensor(g)
        if i % 3 == 1:
            scaler.unscale_(opt)  # as before gradient clipping
        results.append(scaler.step(opt))
        scaler.update()
        scales.append(scaler.get_scale())
    return w.detach().numpy(), b.detach().numpy(), scales, results


def test_grad_scaler_matches_torch_step_for_step():
    w0, b0 = _arr(2, 3), _arr(2)
    xs = [_arr(5, 3) for _ in range(9)]
    ys = [_arr(5, 2) for _ in range(9)]
    inject = {2: np.inf, 3: np.nan, 7: -np.inf}
    kw = dict(init_scale=2.0**10, growth_factor=4.0, backoff_factor=0.25, growth_interval=2)
    ours = tg.amp.GradScaler("cpu", **kw)
    theirs = torch.amp.GradScaler("cpu", **kw)
    w, b, scales, results = _scaler_run(tg, ours, w0, b0, xs, ys, inject)
    tw, tb, tscales, tresults = _scaler_run(torch, theirs, w0, b0, xs, ys, inject)
    assert scales == tscales
    assert [r is None for r in results] == [r is None for r in tresults]
    np.testing.assert_allclose(w, tw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, tb, rtol=1e-5, atol=1e-6)
    assert ours.state_dict() == theirs.state_dict()


def test_grad_scaler_skips_step_and_returns_step_value():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.1)
    scaler = tg.amp.GradScaler("cpu", init_scale=8.0)
    assert scaler.scale(w.sum()).item() == 24.0
    scaler.scale((w * w).sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [16.0, 32.0])
    scaler.step(opt)
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])  # unscaled in place
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])
    scaler.update()
    w.grad = tg.tensor([np.inf, 1.0])
    assert scaler.step(opt) is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])  # skipped
    scaler.update()
    assert scaler.get_scale() == 4.0
    with pytest.raises(RuntimeError, match="Closure"):
        scaler.step(opt, closure=lambda: 0.0)


def test_unscale_twice_and_step_twice_errors():
    w = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.1)
    scaler = tg.amp.GradScaler("cpu")
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.step(opt)
    scaler.update()
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)  # a new iteration may unscale again


def test_grad_scaler_state_dict_round_trip_and_disabled():
    a = tg.amp.GradScaler("cpu", init_scale=32.0, growth_interval=7)
    a._growth_tracker = 3
    sd = a.state_dict()
    assert sd == {
        "scale": 32.0,
        "growth_factor": 2.0,
        "backoff_factor": 0.5,
        "growth_interval": 7,
        "_growth_tracker": 3,
    }
    assert set(sd) == set(torch.amp.GradScaler("cpu").state_dict())
    b = tg.amp.GradScaler("cpu")
    b.load_state_dict(sd)
    assert b.state_dict() == sd
    b.update(new_scale=4.0)
    assert b.get_scale() == 4.0

    off = tg.amp.GradScaler("cpu", enabled=False)
    assert not off.is_enabled() and off.get_scale() == 1.0 and off.state_dict() == {}
    x = tg.tensor([3.0])
    assert off.scale(x) is x
    with pytest.raises(RuntimeError, match="empty"):
        b.load_state_dict({})
    with pytest.raises(AssertionError, match="No inf checks"):
        tg.amp.GradScaler("cpu").update()


# ----------------------------------------------------------------------------- training


def _train(use_amp: bool) -> float:
    """A 2-32-3 MLP on three Gaussian blobs: float32 vs autocast(float16) + GradScaler."""
    tg.manual_seed(0)
    data = np.random.default_rng(1)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]], np.float32)
    labels = data.integers(0, 3, 600)
    points = centers[labels] + 0.6 * data.standard_normal((600, 2)).astype(np.float32)
    x, y = tg.tensor(points), tg.tensor(labels)
    model = tg.nn.Sequential(tg.nn.Linear(2, 32), tg.nn.ReLU(), tg.nn.Linear(32, 3))
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = tg.amp.GradScaler("cpu", enabled=use_amp)
    for _ in range(60):
        for i in range(0, 600, 100):
            opt.zero_grad()
            with tg.amp.autocast("cpu", dtype=tg.float16, enabled=use_amp):
                logits = model(x[i : i + 100])
                loss = F.cross_entropy(logits, y[i : i + 100])
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    assert all(p.dtype == tg.float32 for p in model.parameters())
    with tg.no_grad():
        return float((model(x).argmax(1) == y).float().mean().item())


def test_autocast_training_matches_float32_accuracy():
    acc32, acc16 = _train(False), _train(True)
    assert acc32 > 0.9
    assert acc16 >= acc32 - 0.02


@pytest.mark.parametrize("shape", [(), (3,)])
@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_grad_scaler_scale_dtype_and_value_match_torch(shape, dtype):
    """Regression: a 0-dim float16 loss times the default scale 65536 was inf (the scale was
    cast to float16); PyTorch multiplies by a 0-dim float32 scale, so the result is float32."""
    values = np.full(shape, 0.5)
    ours = tg.amp.GradScaler("cpu").scale(tg.tensor(values, dtype=getattr(tg, dtype)))
    theirs = torch.amp.GradScaler("cpu").scale(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ----------------------------------------------------------------------------- torch names


@pytest.fixture
def _restore_autocast_defaults():
    saved = dict(tg.amp.AutocastState.defaults)
    yield
    tg.amp.AutocastState.defaults = saved


def test_top_level_names_are_torchs():
    assert tg.autocast is tg.amp.autocast and tg.GradScaler is tg.amp.GradScaler
    assert tg.is_autocast_enabled is tg.amp.is_autocast_enabled
    import inspect

    ours = inspect.signature(tg.autocast.__init__).parameters
    theirs = inspect.signature(torch.autocast.__init__).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == [
        (p.name, p.kind, p.default) for p in theirs.values()
    ]
    with pytest.raises(TypeError):
        tg.autocast()  # device_type is required, as in torch.autocast
    for name in ("custom_fwd", "custom_bwd"):
        mine = inspect.signature(getattr(tg.amp, name)).parameters
        want = inspect.signature(getattr(torch.amp, name)).parameters
        assert [(p.name, p.kind, p.default) for p in mine.values()] == [
            (p.name, p.kind, p.default) for p in want.values()
        ]


def test_is_autocast_enabled_and_available_like_torch():
    for lib in (tg, torch):
        assert lib.amp.is_autocast_available("cpu") and lib.amp.is_autocast_available("cuda")
        with lib.autocast("cpu", dtype=lib.float16):
            # no argument asks about CUDA, as torch.is_autocast_enabled()
            assert lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled()
            assert lib.get_autocast_dtype("cpu") == lib.float16
        assert not lib.is_autocast_enabled("cpu")
        assert lib.get_autocast_dtype("cuda") == lib.float16
    assert not tg.amp.is_autocast_available("mps")  # tensorgrad has CPU and CUDA only


def test_set_autocast_dtype(_restore_autocast_defaults):
    a, b = tg.tensor(_arr(3, 4)), tg.tensor(_arr(4, 2))
    assert tg.get_autocast_dtype("cpu") == tg.bfloat16  # PyTorch's CPU default
    tg.set_autocast_dtype("cpu", tg.float16)  # then autocast('cpu') needs no dtype
    assert tg.get_autocast_dtype("cpu") == tg.float16
    with tg.autocast("cpu"):
        assert (a @ b).dtype == tg.float16
    with pytest.raises(RuntimeError, match="only float16 and bfloat16"):
        tg.set_autocast_dtype("cpu", tg.float32)
    with pytest.raises(RuntimeError, match="device_type must be 'cpu' or 'cuda'"):
        tg.set_autocast_dtype("tpu", tg.float16)


def _custom_functions(lib):
    amp = lib.amp
    cast = lib.float32

    class Plain(lib.autograd.Function):
        """Runs under the caller's autocast state; backward under forward's."""

        seen: list = []

        @staticmethod
        @amp.custom_fwd(device_type="cpu")
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            out = x @ w
            Plain.seen.append(("fwd", lib.is_autocast_enabled("cpu"), str(out.dtype)))
            return out

        @staticmethod
        @amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            gx = g @ w.t()
            Plain.seen.append(("bwd", lib.is_autocast_enabled("cpu"), str(gx.dtype)))
            return gx, x.t() @ g

    class Cast(lib.autograd.Function):
        """Gets float32 inputs and runs with autocast off (cast_inputs)."""

        seen: list = []

        @staticmethod
        @amp.custom_fwd(device_type="cpu", cast_inputs=cast)
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            out = x @ w
            Cast.seen.append(("fwd", lib.is_autocast_enabled("cpu"), str(x.dtype), str(out.dtype)))
            return out

        @staticmethod
        @amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            Cast.seen.append(("bwd", lib.is_autocast_enabled("cpu"), str(g.dtype)))
            return g @ w.t(), x.t() @ g

    return Plain, Cast


def test_custom_fwd_bwd_follow_torch():
    xs, ws = _arr(3, 4, dtype=np.float16), _arr(4, 2)
    runs = {}
    for lib in (tg, torch):
        Plain, Cast = _custom_functions(lib)
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.float16):
            a = Plain.apply(x, w)
            b = Cast.apply(x, w)
        (a.float().sum() + b.sum()).backward()
        Plain.apply(x.float().detach().requires_grad_(), w)  # outside autocast: a plain call
        runs[lib] = (
            [s[:2] + (s[2].split(".")[-1],) for s in Plain.seen],
            [s[:2] + tuple(d.split(".")[-1] for d in s[2:]) for s in Cast.seen],
            str(a.dtype).split(".")[-1],
            str(b.dtype).split(".")[-1],
            str(x.grad.dtype).split(".")[-1],
            str(w.grad.dtype).split(".")[-1],
        )
    assert runs[tg] == runs[torch]
    plain, cast = runs[tg][:2]
    assert plain[0] == ("fwd", True, "float16") and plain[-1] == ("fwd", False, "float32")
    assert cast[0] == ("fwd", False, "float32", "float32")  # float32 in, autocast off inside


def test_custom_fwd_arguments():
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        tg.amp.custom_fwd(lambda ctx, x: x, device_type=0)
    with pytest.raises(TypeError):
        tg.amp.custom_fwd(lambda ctx, x: x)  # device_type is keyword-only and required
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        tg.amp.custom_bwd(device_type=None)
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    from tensorgrad.amp import _cast

    y16 = tg.tensor([1.0], dtype=tg.float16)
    out = _cast({"a": [x, y16, tg.tensor([1, 2])], "s": "text"}, "cpu", tg.float32)
    assert out["a"][0] is x and out["a"][1].dtype == tg.float32  # float64 is left alone
    assert out["a"][2].dtype == tg.int64 and out["s"] == "text"
