"""tg.compile (tensorgrad/jit/): replayed training steps against eager ones, bit for bit, and
the guards that decide when a recording may be replayed."""

import re
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.lr_scheduler import WarmupCosineLR

F = nn.functional
STEPS = 20


# ----------------------------------------------------------------------------- workloads


def _mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 5))


class _CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(8 * 4 * 4, 10))

    def forward(self, x):
        return self.head(self.features(x))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU("tanh"), nn.Linear(4 * dim, dim), nn.Dropout(0.1)
        )
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / np.sqrt(c // self.heads))
        causal = tg.ones(t, t, dtype=tg.bool).tril()
        att = F.dropout(att.masked_fill(~causal, float("-inf")).softmax(-1), 0.1, self.training)
        x = x + self.drop(self.proj((att @ v).transpose(1, 2).reshape(b, t, c)))
        return x + self.mlp(self.ln2(x))


class _GPT(nn.Module):
    def __init__(self, vocab: int = 11, context: int = 8, dim: int = 16) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Embedding(context, dim)
        self.blocks = nn.Sequential(_Block(dim, 2), _Block(dim, 2))
        self.ln, self.head = nn.LayerNorm(dim), nn.Linear(dim, vocab)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(tg.arange(idx.shape[1]))
        return self.head(self.ln(self.blocks(x)))


def _batches(kind: str, n: int = STEPS, batch: int = 8):
    rng = np.random.default_rng(1)
    if kind == "cnn":
        xs = rng.standard_normal((n, batch, 1, 8, 8)).astype(np.float32)
        ys = rng.integers(0, 10, (n, batch))
    elif kind == "gpt":
        xs = rng.integers(0, 11, (n, batch, 8))
        ys = rng.integers(0, 11, (n, batch, 8))
    else:
        xs = rng.standard_normal((n, batch, 20)).astype(np.float32)
        ys = rng.integers(0, 5, (n, batch))
    return [(tg.tensor(x), tg.tensor(y)) for x, y in zip(xs, ys)]


def _training(kind: str, optimizer: str, compiled: bool, fuse: bool = True):
    """A fresh model, optimizer (and scheduler) seeded alike, and its step function."""
    tg.manual_seed(0)
    model = {"mlp": _mlp, "cnn": _CNN, "gpt": _GPT}[kind]()
    params = model.parameters()
    opt = {
        "sgd": lambda: tg.optim.SGD(params, lr=0.05, momentum=0.9),
        "adam": lambda: tg.optim.Adam(params, lr=1e-2),
        "adamw": lambda: tg.optim.AdamW(params, lr=1e-2, weight_decay=0.1),
    }[optimizer]()
    sched = WarmupCosineLR(opt, warmup_epochs=5, max_epochs=STEPS) if kind == "gpt" else None

    def step(x, y):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        return loss

    return model, opt, tg.compile(step, fuse=fuse) if compiled else step


def _state(model, opt, losses) -> dict:
    state = {"loss": np.array(losses), "rng": np.asarray(tg.get_rng_state())}
    for name, p in model.named_parameters():
        state[name] = p.array.copy()
        state[name + ".grad"] = p.grad.array.copy()
    for name, b in model.named_buffers():
        state[name] = b.array.copy()
    for i, s in enumerate(opt.state.values()):
        for key, v in s.items():
            state[f"opt{i}.{key}"] = np.asarray(v.array if isinstance(v, tg.Tensor) else v)
    state["lr"] = np.array([g["lr"] for g in opt.param_groups])
    return state


def _run(kind, optimizer, compiled, fuse=True):
    model, opt, step = _training(kind, optimizer, compiled, fuse)
    losses = [step(x, y).array.copy() for x, y in _batches(kind)]
    return _state(model, opt, losses), step


@pytest.mark.parametrize(
    "kind, optimizer",
    [("mlp", "sgd"), ("mlp", "adam"), ("mlp", "adamw"), ("cnn", "adam"), ("gpt", "adamw")],
)
def test_replayed_steps_equal_eager(kind, optimizer):
    """Unfused: bit for bit. Fused: to rounding (rtol 1e-5)."""
    eager, _ = _run(kind, optimizer, compiled=False)
    for fuse in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no eager fallback
            replayed, step = _run(kind, optimizer, compiled=True, fuse=fuse)
        assert step.replays == STEPS - 2  # call 1 eager, call 2 recorded, the rest replayed
        assert eager.keys() == replayed.keys()
        for key in eager:
            if fuse:
                np.testing.assert_allclose(replayed[key], eager[key], rtol=1e-5, atol=1e-7)
            else:
                np.testing.assert_array_equal(replayed[key], eager[key], err_msg=key)


def test_a_tanh_chain_fuses_into_kernels_equal_to_eager():
    """The per-op chain of the overhead benchmark: forward and backward each one kernel run."""
    x0 = np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32)
    results = []
    for compiled in (False, True):
        x = tg.tensor(x0, requires_grad=True)

        def step(x=x):
            x.grad = None
            y = x
            for _ in range(20):
                y = (y * 1.0001 + 0.0001).tanh()
            y.sum().backward()
            return y

        fn = tg.compile(step) if compiled else step
        outs = [fn().array.copy() for _ in range(4)]
        results.append((outs[-1], x.grad.array.copy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-6)
    text = fn.explain()
    assert text.count("fused kernel:") >= 2 and "tanh(" in text
    assert "Tanh.forward" not in text  # every tanh is inside a kernel


# ----------------------------------------------------------------------------- guards


def _simple():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 3))
    opt = tg.optim.SGD(model.parameters(), lr=0.1)

    @tg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def _batch(n, seed=0):
    rng = np.random.default_rng(seed)
    return tg.tensor(rng.standard_normal((n, 4)).astype(np.float32)), tg.tensor(
        rng.integers(0, 3, n)
    )


def test_a_new_batch_size_records_again_and_the_old_one_still_replays():
    _, _, step = _simple()
    for _ in range(3):
        step(*_batch(8))
    assert step.replays == 1
    for _ in range(3):
        step(*_batch(5))
    assert step.replays == 2 and len(step._replays) == 2
    step(*_batch(8))
    assert step.replays == 3
    assert "new argument signature" in step.explain()


def test_returned_tensors_are_new_on_every_replay():
    _, _, step = _simple()
    x, y = _batch(8)
    losses = [step(x, y) for _ in range(4)]
    assert len({id(t.array) for t in losses}) == 4
    assert len({float(t.array) for t in losses}) == 4  # the parameters moved each time


def test_train_eval_switch_records_again():
    model, _, step = _simple()
    x, y = _batch(8)
    for _ in range(3):
        step(x, y)
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(x, y)  # the eval recording replaces the stale one
        assert "eval mode" in step.explain()
        step(x, y)
    replays = step.replays
    step(x, y)
    assert step.replays == replays + 1


def test_load_state_dict_mid_run_matches_eager():
    """A state loaded mid-run reaches the replay: copied into the same arrays, or new ones
    (which record again)."""
    results = []
    for compiled in (False, True):
        model, opt, step = _simple()
        fn = step if compiled else step.__wrapped__
        saved = None
        for i in range(8):
            if i == 3:
                saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if i == 6:
                model.load_state_dict(saved)
            fn(*_batch(8, seed=i))
        results.append([p.array.copy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_item_inside_the_step_runs_eagerly_with_a_warning_naming_the_line():
    model, opt, _ = _simple()
    seen = []

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        seen.append(loss.item())  # the read
        loss.backward()
        opt.step()
        return loss

    compiled = tg.compile(step)
    compiled(*_batch(8))
    with pytest.warns(UserWarning, match=r"tensor\.item\(\) at .*test_compile\.py:\d+"):
        compiled(*_batch(8))
    for i in range(3):
        compiled(*_batch(8, seed=i))
    assert compiled.replays == 0 and len(seen) == 5  # every call ran the Python


def test_item_inside_the_step_with_fullgraph_is_an_error():
    model, opt, _ = _simple()

    @tg.compile(fullgraph=True)
    def step(x):
        if model(x).sum().item() > 0:
            return x
        return x

    step(_batch(8)[0])
    with pytest.raises(RuntimeError, match=r"fullgraph=True.*tensor\.item\(\) at .*test_compile"):
        step(_batch(8)[0])


def test_a_recorded_call_that_returns_a_python_value_is_a_host_read():
    # Library code that runs a function through recorder.call and gets a Python value back
    # would hold the recording's value on every replay: the recorder refuses it.
    from tensorgrad.jit import recorder

    def python_sum(a):
        return float(a.sum())

    def total(x):
        return tg.tensor(recorder.call(python_sum, x.array))

    step = tg.compile(total, fullgraph=True)
    step(tg.ones(3))
    with pytest.raises(RuntimeError, match=r"fullgraph=True.*python_sum, which returned a float"):
        step(tg.ones(3))


def test_a_comparison_of_0d_tensors_replays():
    # NumPy compares 0-d arrays into a NumPy scalar; recorder.call hands back a 0-d array, so
    # the result is tracked (it was a constant of the recording: stale on every replay)
    step = tg.compile(lambda x: (x.sum() > 2).float() * x, fullgraph=True)
    for values in ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]):
        x = tg.tensor(values)
        np.testing.assert_array_equal(step(x).numpy(), ((x.sum() > 2).float() * x).numpy())
    assert step.replays == 2


def test_generation_under_no_grad_replays_the_forward():
    model, _, _ = _simple()
    model.eval()
    forward = tg.compile(lambda x: model(x).softmax(-1))
    x, _ = _batch(8)
    with tg.no_grad():
        expected = model(x).softmax(-1).array
        outs = [forward(x) for _ in range(4)]
    assert forward.replays == 2
    for out in outs:
        np.testing.assert_array_equal(out.array, expected)
        assert not out.requires_grad


def test_scheduler_changes_reach_the_replay():
    model, opt, step = _simple()
    x, y = _batch(8)
    for _ in range(3):
        step(x, y)
    before = [p.array.copy() for p in model.parameters()]
    opt.param_groups[0]["lr"] = 0.0
    step(x, y)
    assert step.replays == 2
    for a, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(p.array, a)


def test_reset_drops_the_recordings():
    _, _, step = _simple()
    x, y = _batch(8)
    for _ in range(3):
        step(x, y)
    step.reset()
    step(x, y)
    assert step.replays == 0 and not step._replays


def test_explain_shows_the_array_code():
    _, _, step = _simple()
    x, y = _batch(8)
    for _ in range(3):
        step(x, y)
    text = step.explain()
    assert "def replay(v0, v1):" in text
    assert re.search(r"_linear_into\(v0, c\d+, c\d+, out=b0\)", text)  # a planned buffer
    assert re.search(r"results written into \d+ planned buffers", text)
    assert "_uniform(" in text  # dropout draws again on every replay
    assert "SGD.step" in text or "step(" in text


def test_profile_times_every_line_of_real_replayed_steps():
    model, _, step = _simple()
    twin, _, twin_step = _simple()  # the same steps without the clocks
    x, y = _batch(8)
    tg.manual_seed(1)  # the same dropout masks for both
    text = step.profile(x, y, steps=5, top=3)
    tg.manual_seed(1)
    for _ in range(7):  # profile's eager and recording calls, then its 5 replays
        twin_step(x, y)
    assert step.replays == 5
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.array, q.array)  # timed replays compute the same
    head, columns, *rest = text.splitlines()
    assert re.fullmatch(
        r"tg\.compile\(step\): 5 replays, [\d.]+ ms per call, [\d.]+ ms in its \d+ lines", head
    )
    assert columns.split() == ["us/call", "share", "line"]
    slowest = rest[:3]
    assert all(re.fullmatch(r" *[\d.]+ +[\d.]+%  \S.*", line) for line in slowest)
    assert rest[3].split() == ["us/call", "share", "function", "(lines)"]
    callees = rest[4:]
    assert len(callees) == 3
    # profiling again reuses the recording: only the timed calls run. With every function
    # listed, the two Linear layers' lines show under one callee (which are the slowest depends
    # on the machine: the dropout draw can outrun them)
    everything = step.profile(x, y, steps=2, top=50)
    assert step.replays == 7
    assert any("_linear_into (2)" in line for line in everything.splitlines())


def test_profile_without_a_replay_to_time_says_why():
    _, _, step = _simple()
    x, y = _batch(8)
    with pytest.raises(ValueError, match="steps and top must be >= 1"):
        step.profile(x, y, steps=0)

    @tg.compile
    def reads_a_value(x):
        return float((x * 2).sum().item())

    with pytest.warns(UserWarning, match="runs eagerly"):
        reads_a_value(x)
        reads_a_value(x)
    with pytest.raises(RuntimeError, match="runs eagerly.*no replay to time"):
        reads_a_value.profile(x)


def test_profile_of_a_compiled_module_times_its_forward_under_no_grad():
    tg.manual_seed(0)
    model = tg.compile(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)))
    x, _ = _batch(8)
    with pytest.raises(TypeError, match="under no_grad"):
        model.forward.profile(x)
    with tg.no_grad():
        text = model.forward.profile(x, steps=3)
    assert text.startswith("tg.compile(forward): 3 replays")
    assert "_linear_into" in text


@pytest.mark.parametrize("kind", ["mlp", "cnn", "gpt"])
def test_compiled_module_with_eager_backward_equals_eager(kind):
    """model = tg.compile(model): forward and backward replayed as one node each, loss.backward()
    and the optimizer outside. Unfused: bit for bit; fused: to rounding."""
    results = []
    for compiled, fuse in ((False, False), (True, False), (True, True)):
        tg.manual_seed(0)
        model = {"mlp": _mlp, "cnn": _CNN, "gpt": _GPT}[kind]()
        if compiled:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert tg.compile(model, fuse=fuse) is model
        opt = tg.optim.Adam(model.parameters(), lr=1e-2)
        for x, y in _batches(kind, n=6):
            opt.zero_grad()
            logits = model(x)
            F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).backward()
            opt.step()
        results.append(_state(model, opt, []))
        if compiled:
            assert model.forward.replays == 4
    eager = results[0]
    for key in eager:
        np.testing.assert_array_equal(results[1][key], eager[key], err_msg=key)
        np.testing.assert_allclose(results[2][key], eager[key], rtol=1e-5, atol=1e-7, err_msg=key)


def test_compiled_module_keeps_its_parameters_and_state_dict_keys():
    model = _mlp()
    keys, params = list(model.state_dict()), list(model.parameters())
    assert tg.compile(model) is model and tg.compile(model) is model  # compiled once
    assert list(model.state_dict()) == keys and list(model.parameters()) == params


def test_compiled_module_refuses_create_graph():
    model = tg.compile(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    x = tg.ones(2, 3)
    for _ in range(2):
        model(x).sum().backward()
    y = model(x).sum()  # a replay: one node
    with pytest.raises(RuntimeError, match="create_graph=True"):
        tg.autograd.grad(y, list(model.parameters()), create_graph=True)


def test_compiled_module_under_no_grad_replays_the_forward():
    tg.manual_seed(0)
    model = _GPT().eval()
    expected = model(tg.tensor(np.arange(8).reshape(1, 8) % 11)).array
    tg.compile(model)
    with tg.no_grad():
        outs = [model(tg.tensor(np.arange(8).reshape(1, 8) % 11)) for _ in range(4)]
    assert model.forward.replays == 2
    for out in outs:
        np.testing.assert_allclose(out.array, expected, rtol=1e-5, atol=1e-6)


def test_a_custom_function_in_the_step_runs_eagerly():
    class Double(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    compiled = tg.compile(lambda x: Double.apply(x))
    x = tg.ones(3)
    compiled(x)
    with pytest.warns(UserWarning, match="custom autograd.Function Double"):
        compiled(x)
    assert compiled(x).array.tolist() == [2.0, 2.0, 2.0]


def test_an_unrecorded_array_computation_falls_back_instead_of_going_stale():
    """A library path that computes on raw arrays outside the recorded ops (here one made up
    by hand) would be frozen into the replay; the recorder notices the orphaned array."""

    def step(x):
        mask = tg.Tensor._make(x.array > 0)  # raw NumPy, out of the recorder's sight
        return x * mask

    compiled = tg.compile(step)
    x = tg.tensor(np.array([1.0, -1.0], np.float32))
    compiled(x)
    with pytest.warns(UserWarning, match="computed outside the recorded ops"):
        compiled(x)
    y = tg.tensor(np.array([-1.0, 1.0], np.float32))
    assert compiled(y).array.tolist() == [0.0, 1.0]


def test_more_than_eight_signatures_runs_eagerly_with_one_warning():
    compiled = tg.compile(lambda x: x * 2)
    with pytest.warns(UserWarning, match="more than 8 argument signatures"):
        for n in range(1, 11):
            for _ in range(2):  # each size: once eagerly, then recorded
                out = compiled(tg.ones(n))
    assert out.array.tolist() == [2.0] * 10 and len(compiled._replays) == 0


def test_a_fused_run_over_0d_arrays_gives_0d_arrays():
    """clip_grad_norm_'s coefficient is such a run: its result must stay an array."""
    compiled = tg.compile(lambda a: ((a * 2.0 + 1.0) / 3.0).clamp(max=1.0))
    a = tg.tensor(np.float32(0.5))
    for _ in range(3):
        out = compiled(a)
    assert compiled.replays == 1 and type(out.array) is np.ndarray and out.shape == ()
    assert float(out) == pytest.approx(2.0 / 3.0)
    assert "fused kernel" in compiled.explain()


def test_grad_scaler_steps_replay_like_eager():
    """GradScaler's unscale, inf check, skipped step and scale update run as Python on every
    replay, and the scale the loss is multiplied by is read afresh: an overflowing first scale
    backs off exactly as eager."""
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        opt = tg.optim.SGD(model.parameters(), lr=0.1)
        scaler = tg.amp.GradScaler("cpu", init_scale=2.0**16, growth_interval=2)

        def step(x, y, model=model, opt=opt, scaler=scaler):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            return loss

        fn = tg.compile(step) if compiled else step
        scales = []
        for i in range(8):
            x, y = _batch(8, seed=i)
            fn(x * float("inf") if i in (3, 6) else x, y)  # non-finite: the step is skipped
            scales.append(scaler.get_scale())
        results.append((scales, [p.array.copy() for p in model.parameters()]))
    scales = results[0][0]
    assert results[1][0] == scales
    assert any(b < a for a, b in zip(scales, scales[1:]))  # an overflow backed the scale off
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)
    assert fn.replays == 6


def test_the_gradient_of_an_argument_runs_eagerly():
    """x.grad of an argument is set on that call's tensor: a replay cannot know the next one."""
    compiled = tg.compile(lambda x: (x * x).sum().backward())
    for i in range(3):
        x = tg.tensor(np.array([1.0, 2.0], np.float32) * (i + 1), requires_grad=True)
        if i == 1:
            with pytest.warns(UserWarning, match="on an argument tensor"):
                compiled(x)
        else:
            compiled(x)
        assert x.grad.array.tolist() == [2.0 * (i + 1), 4.0 * (i + 1)]


def test_an_assignment_without_a_graph_is_replayed():
    def step(x):
        y = x.clone()
        y[x > 0] = 0.0  # no graph: an in-place write into y's array
        return y

    compiled = tg.compile(step)
    for i in range(4):
        x = tg.tensor(np.array([1.0, -2.0, 3.0, -4.0], np.float32) * (-1) ** i)
        np.testing.assert_array_equal(compiled(x).array, step(x).array)
    assert compiled.replays == 2


def test_our_own_checks_run_again_on_every_replay():
    """A check of ours on array values (a class index in range, an embedding index in range,
    a probability in [0, 1]) is a declared branch point: a replay runs it on the new arrays
    and raises eager mode's error, and the next good call replays as before."""
    tg.manual_seed(0)
    emb, head = nn.Embedding(10, 4), nn.Linear(4, 3)
    opt = tg.optim.SGD([*emb.parameters(), *head.parameters()], lr=0.1)

    @tg.compile(fullgraph=True)
    def step(tokens, y, target):
        opt.zero_grad()
        h = head(emb(tokens))
        loss = F.cross_entropy(h, y) + F.binary_cross_entropy(h.sigmoid(), target)
        loss.backward()
        nn.utils.clip_grad_norm_(emb.parameters(), 1.0, error_if_nonfinite=True)
        opt.step()
        return loss

    tokens, y = tg.tensor([1, 2, 3, 4]), tg.tensor([0, 1, 2, 0])
    target = tg.full((4, 3), 0.5)
    for _ in range(3):
        step(tokens, y, target)
    assert step.replays == 1
    with pytest.raises(IndexError, match="target 3 is out of bounds for 3 classes"):
        step(tokens, tg.tensor([0, 1, 3, 0]), target)
    with pytest.raises(IndexError, match="index 10 is out of range for num_embeddings=10"):
        step(tg.tensor([1, 2, 10, 4]), y, target)
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        step(tokens, y, tg.full((4, 3), float("nan")))
    step(tokens, y, target)
    assert step.replays == 5 and not step._eager
    text = step.explain()
    assert all(
        f"{name}(" in text
        for name in (
            "NllLoss.forward",
            "_check_indices",
            "_check_probabilities",
            "_check_finite_norm",
        )
    )


def test_product_gradient_replays_with_and_without_zeros():
    """Prod's backward branches on whether its input has a zero; while recording it takes the
    general formula instead of reading that value, so the step replays (fullgraph) and equals
    eager mode bit for bit with no, one, two and three zeros."""
    w = tg.tensor([1.0, 2.0, 3.0, 0.5], requires_grad=True)

    def step(x):
        w.grad = None
        (x + w).prod().backward()
        return w.grad

    compiled = tg.compile(step, fullgraph=True)
    for shift in ([1, 2, 3, 4], [-1, 0, 3, 4], [-1, -2, 3, 4], [-1, -2, -3, 4], [2, 1, 3, 4]):
        x = tg.tensor(shift, dtype=tg.float32)
        got = compiled(x).numpy().copy()
        np.testing.assert_array_equal(got, step(x).numpy())
    assert compiled.replays == 3


def test_indices_and_constants_made_outside_ops_replay_from_each_call():
    """Arrays our own code makes on the side (argmax's indices, slogdet's sign, an adaptive
    pool's window tables and the indices of its maxima) go through the recorder: the step
    replays (fullgraph) and every replay equals eager mode on that call's values."""
    F = nn.functional

    def step(x):
        pooled, index = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
        sign, logabsdet = x[0, 0, :3, :3].slogdet()
        means = F.adaptive_avg_pool1d(x[0], 3), F.adaptive_avg_pool2d(x, (2, 2))
        return pooled, index, sign, logabsdet, x.argmax(-1), x.argmin(), *means

    compiled = tg.compile(step, fullgraph=True)
    for seed in range(5):
        tg.manual_seed(seed)
        x = tg.randn(2, 3, 5, 7)
        for got, want in zip(compiled(x), step(x), strict=True):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert compiled.replays == 3


def test_orders_and_order_statistics_replay_from_each_call():
    """Sorting-style results (sort, topk, kthvalue, median, mode, quantile, cummax, histc,
    bucketize) come from indices computed on the values; they go through the recorder, so the
    step replays (fullgraph) and equals eager mode, gradients included, on new values."""
    w = tg.tensor(np.linspace(-1.0, 1.0, 7), dtype=tg.float32, requires_grad=True)

    def step(x):
        w.grad = None
        y = x * w
        y = y.masked_fill(y > 1.5, float("nan"))  # NaNs move with the values
        outs = [
            *y.sort(-1),
            *y.topk(3),
            *y.kthvalue(2, 0),
            *y.median(1),
            *y.nanmedian(0),
            y.median(),
            *y.mode(1),
            y.nanquantile(tg.tensor([0.2, 0.9]), dim=1),
            y.quantile(0.5, 0, interpolation="nearest"),
            *y.cummax(1),
            *y.cummin(0),
            y.histc(5, -2.0, 2.0),
            tg.bucketize(y, tg.tensor([-1.0, 0.0, 0.5])),
        ]
        (y.nan_to_num().sort(0).values[0].sum() + y.nanmedian(1).values.sum()).backward()
        return *outs, w.grad

    compiled = tg.compile(step, fullgraph=True)
    for seed in range(5):
        x = tg.tensor(np.random.default_rng(seed).standard_normal((4, 7)).astype(np.float32))
        for got, want in zip(compiled(x), step(x), strict=True):
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert compiled.replays == 3


def test_a_declared_value_that_changes_records_again():
    """Values our code branches on (whether a mask is the causal one, a packed sequence's batch
    sizes) are guards: computed again before each replay, a new value records again, and the
    results are eager mode's for the new value."""
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False).eval()
    lstm = nn.LSTM(3, 4)

    def step(x, mask, packed):
        return encoder(x, mask=mask).sum() + lstm(packed)[0].data.sum()

    compiled = tg.compile(step, fullgraph=True)
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32))
    causal = nn.Transformer.generate_square_subsequent_mask(5)
    other = tg.zeros(5, 5).masked_fill(tg.eye(5, dtype=tg.bool), float("-inf")).T.contiguous()
    other[0, 0] = 0.0
    seqs = tg.tensor(np.random.default_rng(1).standard_normal((5, 3, 3)).astype(np.float32))
    pack = nn.utils.rnn.pack_padded_sequence
    a, b = pack(seqs, [5, 3, 2]), pack(seqs, [5, 4, 1])  # one data shape
    with tg.no_grad():
        for mask, packed in [(causal, a)] * 3 + [(other, a), (other, a), (other, b), (other, b)]:
            np.testing.assert_allclose(
                compiled(x, mask, packed).array, step(x, mask, packed).array, rtol=1e-5
            )
    log = "\n".join(compiled.log)
    assert compiled.replays == 3, log
    assert "the causal-mask test is False, the recording saw True" in log
    assert "a packed sequence's batch sizes is [3, 2, 2, 2, 1]" in log
    assert "the causal-mask test is False" in compiled.explain()


def test_batch_norm_with_a_cumulative_average_replays():
    """BatchNorm(momentum=None) averages over num_batches_tracked: a tensor op, not a read of
    the count, so the step replays (no warning) and equals eager bit for bit."""
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, momentum=None), nn.Tanh())
        opt = tg.optim.SGD(model.parameters(), lr=0.1)

        def step(x, model=model, opt=opt):
            opt.zero_grad()
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            return loss

        if compiled:
            step = tg.compile(step, fullgraph=True, fuse=False)
        data = np.random.default_rng(2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(6):
                step(tg.tensor(data.standard_normal((8, 4)).astype(np.float32)))
        if compiled:
            assert step.replays == 4
        results.append({k: v.array.copy() for k, v in model.state_dict().items()})
    for key, eager in results[0].items():
        np.testing.assert_array_equal(results[1][key], eager, err_msg=key)
    assert int(results[1]["1.num_batches_tracked"]) == 6


RANDOM_STEPS = {
    "bernoulli": lambda x: (x * 0 + 0.5).bernoulli() + x,
    "bernoulli_": lambda x: (x * 1).bernoulli_(0.3) + x,
    "tg.bernoulli": lambda x: tg.bernoulli(x * 0 + 0.5) + x,
    "multinomial": lambda x: (x * 0 + 1).multinomial(2).float().sum() + x,
    "tg.normal": lambda x: tg.normal(x, x * 0 + 2.0) + x,
    "uniform_": lambda x: (x * 1).uniform_(-1, 1) + x,
    "normal_": lambda x: (x * 1).normal_() + x,
    "exponential_": lambda x: (x * 1).exponential_() + x,
    "random_": lambda x: (x * 1).random_(0, 10) + x,
}


@pytest.mark.parametrize("name", sorted(RANDOM_STEPS))
def test_random_draws_replay_as_eager_mode_draws(name):
    # every replay draws again, from the same generator in the same order as eager mode
    fn = RANDOM_STEPS[name]
    x = tg.ones(5)
    tg.manual_seed(3)
    eager = [fn(x).numpy() for _ in range(5)]
    tg.manual_seed(3)
    compiled = tg.compile(fn, fullgraph=True)
    replayed = [compiled(x).numpy() for _ in range(5)]
    assert compiled.replays == 3
    for e, r in zip(eager, replayed, strict=True):
        np.testing.assert_array_equal(e, r)


@pytest.mark.parametrize(
    "write",
    [
        lambda h: h[:, 0].add_(1.0),  # a column of the output, through += on a select
        lambda h: h.diagonal().mul_(2.0),
        lambda h: h.t().mul_(2.0),
        lambda h: h[1:3].clamp_(max=0.5),
    ],
    ids=["select", "diagonal", "transpose", "slice"],
)
def test_in_place_ops_on_views_replay_like_eager(write):
    """An in-place op on a view of an intermediate (CopySlices in the graph): the backward's
    mask of the view's positions is an array call, so the step replays instead of falling
    back to eager mode, and replays equal eager steps to the bit."""

    def run(compiled):
        w = tg.tensor(np.random.default_rng(0).standard_normal((4, 4)), requires_grad=True)

        def step(x):
            h = x @ w
            write(h)
            loss = h.square().sum()
            loss.backward()
            return loss

        step = tg.compile(step) if compiled else step
        losses = []
        for i in range(5):
            x = tg.tensor(np.random.default_rng(i + 1).standard_normal((8, 4)))
            losses.append(step(x).array)
        return step, losses, w.grad.array

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an eager fallback warns
        step, losses, grad = run(compiled=True)
    assert step.replays == 3
    _, eager_losses, eager_grad = run(compiled=False)
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(grad, eager_grad)


def test_a_causal_mask_made_inside_the_step_replays():
    """generate_square_subsequent_mask inside the forward is tensor ops (PyTorch's too), so
    nn.MultiheadAttention with it replays instead of falling back to eager mode."""
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)

    def step(x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        y, _ = attention(x, x, x, attn_mask=mask, need_weights=False)
        return y

    compiled = tg.compile(step, fuse=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(4):
            x = tg.tensor(np.random.default_rng(i).standard_normal((2, 5, 8)), dtype=tg.float32)
            np.testing.assert_array_equal(compiled(x).array, step(x).array)
    assert compiled.replays == 2


def test_packed_sequences_replay_and_new_lengths_record_again():
    """pack_padded_sequence / pad_packed_sequence under tg.compile: their gather indices are
    recorded array calls; lengths made inside the step from a list are fixed, lengths passed
    as a tensor are a guard (other lengths record again, the old ones still replay)."""

    def run(compiled, lengths_seq):
        tg.manual_seed(0)
        gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
        opt = tg.optim.SGD(gru.parameters(), lr=0.1)

        def step(x, lengths):
            opt.zero_grad()
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            out, h = gru(packed)
            out, out_lengths = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
            fixed = nn.utils.rnn.pack_padded_sequence(x, tg.tensor([5, 5, 5]), batch_first=True)
            loss = out.square().sum() + h.sum() + fixed.data.sum()
            loss.backward()
            opt.step()
            return loss, out_lengths

        step = tg.compile(step, fuse=False) if compiled else step
        results = []
        for i, lengths in enumerate(lengths_seq):
            x = tg.tensor(np.random.default_rng(i).standard_normal((3, 5, 3)), dtype=tg.float32)
            loss, out_lengths = step(x, tg.tensor(lengths))
            results.append((loss.array, out_lengths.array))
        return step, results, [p.array for p in gru.parameters()]

    lengths_seq = [[5, 2, 3], [5, 2, 3], [5, 2, 3], [4, 5, 1], [4, 5, 1], [5, 2, 3]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an eager fallback warns
        compiled, results, params = run(True, lengths_seq)
    _, eager_results, eager_params = run(False, lengths_seq)
    assert compiled.replays == 2  # calls 3 and 6; the new lengths ran eagerly and recorded
    for (loss, lengths), (eager_loss, eager_lengths) in zip(results, eager_results):
        np.testing.assert_array_equal(loss, eager_loss)
        np.testing.assert_array_equal(lengths, eager_lengths)
    for p, q in zip(params, eager_params):
        np.testing.assert_array_equal(p, q)


def _key_padding_attention():
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(x):
        padding = tg.arange(5)[None, :] >= tg.tensor([5, 3])[:, None]  # (N, S) True: left out
        y, weights = attention(x, x, x, key_padding_mask=padding)
        return y.sum() + weights.sum()

    return forward, attention.parameters(), (2, 5, 8)


def _resampling(mode, **kwargs):
    tg.manual_seed(0)
    conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(x):
        return nn.functional.interpolate(conv(x), size=(7, 9), mode=mode, **kwargs).square().sum()

    return forward, conv.parameters(), (2, 2, 4, 5)


def _validated_distribution():
    tg.manual_seed(0)
    linear = nn.Linear(8, 2)

    def forward(x):
        lam = tg.distributions.Beta(tg.tensor(0.4), tg.tensor(0.4)).sample()
        return linear(lam * x + (1 - lam) * x.flip(0)).square().sum()

    return forward, linear.parameters(), (2, 8)


@pytest.mark.parametrize(
    "build",
    [
        _key_padding_attention,
        lambda: _resampling("bilinear", align_corners=False),
        lambda: _resampling("bicubic", align_corners=True),
        lambda: _resampling("nearest"),
        _validated_distribution,
    ],
    ids=["key_padding_mask", "bilinear", "bicubic", "nearest", "distribution_checks"],
)
def test_forward_patterns_replay_like_eager(build):
    """Forwards whose masks, resampling taps or argument checks were computed out of the
    recorder's sight, so their steps fell back to eager mode; now they replay, equal to eager
    to the bit (and with the same random draws)."""

    def run(compiled):
        forward, params, shape = build()
        params = list(params)

        def step(x):
            loss = forward(x)
            loss.backward()
            return loss

        step = tg.compile(step, fuse=False) if compiled else step
        tg.manual_seed(1)
        losses = []
        for i in range(4):
            x = tg.tensor(np.random.default_rng(i).standard_normal(shape), dtype=tg.float32)
            losses.append(step(x).array)
        return step, losses, [p.grad.array for p in params]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an eager fallback warns
        compiled, losses, grads = run(True)
    assert compiled.replays == 2
    _, eager_losses, eager_grads = run(False)
    np.testing.assert_array_equal(losses, eager_losses)
    for g, e in zip(grads, eager_grads):
        np.testing.assert_array_equal(g, e)


def test_a_distribution_check_runs_again_on_every_replay():
    """A distribution's argument check is a declared check: a replay whose parameter turns
    invalid raises PyTorch's ValueError, as eager mode does, instead of reusing the verdict."""

    @tg.compile
    def log_prob(scale, x):
        return tg.distributions.Normal(tg.zeros(3), scale).log_prob(x).sum()

    x = tg.zeros(3)
    for _ in range(3):
        log_prob(tg.ones(3), x)
    assert log_prob.replays == 1
    with pytest.raises(ValueError, match="to satisfy the constraint"):
        log_prob(-tg.ones(3), x)


class _LossInside(nn.Module):
    """A forward that returns several tensors, as nanoGPT's ``(logits, loss)`` or a dict of
    outputs: one differentiable output the loss ignores on some calls, and one that does not
    require grad (the predicted classes)."""

    def __init__(self, as_dict: bool):
        super().__init__()
        self.body, self.head = nn.Linear(6, 8), nn.Linear(8, 3)
        self.as_dict = as_dict

    def forward(self, x, y=None):
        h = self.body(x).tanh()
        logits = self.head(h)
        loss = None if y is None else F.cross_entropy(logits, y)
        if self.as_dict:
            return {"logits": logits, "hidden": h, "loss": loss, "classes": logits.argmax(1)}
        return logits, (loss, h), logits.argmax(1)


@pytest.mark.parametrize("as_dict", [False, True], ids=["tuple", "dict"])
def test_compiled_module_returning_several_tensors_equals_eager(as_dict):
    """tg.compile(model) for a forward returning a tuple or dict of tensors (with None and a
    tensor that needs no grad beside): one node with an output per tensor, its backward
    replayed from one gradient per output (zeros for an output the loss did not use), bit
    for bit as eager unfused. Under no_grad (generation) the forward alone replays."""
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = _LossInside(as_dict)
        if compiled:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                tg.compile(model, fuse=False)
        opt = tg.optim.SGD(model.parameters(), lr=0.1)
        outputs = []
        for i in range(6):
            rng = np.random.default_rng(i)
            x = tg.tensor(rng.standard_normal((5, 6)), dtype=tg.float32)
            y = tg.tensor(rng.integers(0, 3, 5))
            out = model(x, y)
            if as_dict:
                loss, hidden, classes = out["loss"], out["hidden"], out["classes"]
            else:
                _, (loss, hidden), classes = out
            assert not classes.requires_grad and loss.requires_grad
            total = loss + hidden.square().mean() if i % 2 else loss  # hidden unused on evens
            opt.zero_grad()
            total.backward()
            opt.step()
            outputs += [loss.array, classes.array]
        with tg.no_grad():
            for _ in range(3):
                generated = model(x)
        outputs.append((generated["logits"] if as_dict else generated[0]).array)
        results.append((outputs, [p.array.copy() for p in model.parameters()]))
        if compiled:
            assert model.forward.replays == 4 + 1  # 4 training calls, 1 under no_grad
    (eager_out, eager_params), (out, params) = results
    for a, b in zip(out, eager_out):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(params, eager_params):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "select",
    [
        lambda out, y: F.cross_entropy(out[y >= 1], y[y >= 1]),  # a mask made in the step
        lambda out, y: out.masked_select(out > 0).sum(),
        lambda out, y: out.index_select(0, (y >= 1).nonzero().squeeze(1)).sum(),
    ],
    ids=["bool_index", "masked_select", "nonzero"],
)
def test_a_size_computed_from_values_in_the_step_runs_eagerly(select):
    """A result whose size is a count of values the step computes (boolean indexing,
    masked_select, nonzero) cannot be replayed with the recorded size: the function runs
    eagerly, with a warning saying why, and gives eager's numbers. (Replays used to crash on
    a planned buffer of the old size, or run on with it.)"""
    tg.manual_seed(0)
    linear = nn.Linear(4, 3)

    def step(x, y):
        loss = select(linear(x), y)
        loss.backward()
        return loss

    compiled = tg.compile(step)
    with pytest.warns(UserWarning, match="the number of nonzeros of"):
        for i in range(5):
            rng = np.random.default_rng(i)
            x = tg.tensor(rng.standard_normal((8, 4)), dtype=tg.float32)
            y = tg.tensor(rng.integers(0, 3, 8))
            linear.zero_grad()
            got, got_grad = compiled(x, y).array, linear.weight.grad.array.copy()
            linear.zero_grad()
            np.testing.assert_array_equal(got, step(x, y).array)
            np.testing.assert_array_equal(got_grad, linear.weight.grad.array)
    assert compiled.replays == 0


def test_sizes_from_argument_values_are_guards():
    """unique's size, a mask argument's count and one_hot's class count read from arguments
    are guards: the same sizes replay, another size records again, never a stale size."""

    def step(x, mask, labels):
        distinct = tg.unique(labels).numel()  # a Python int the step goes on with
        return x[mask].sum() * distinct + F.one_hot(labels).sum(0).double() @ x[:4, :1].sum(1)

    compiled = tg.compile(step, fuse=False)
    rng = np.random.default_rng(0)
    for i in range(8):
        count = 3 if i < 4 else 5  # the mask's count changes at call 5
        x = tg.tensor(rng.standard_normal((6, 4)))
        mask = tg.tensor(rng.permutation(6) < count)
        labels = tg.tensor(rng.permutation(4))  # 4 distinct labels, 4 classes every call
        np.testing.assert_array_equal(compiled(x, mask, labels).array, step(x, mask, labels).array)
    assert compiled.replays == 5  # calls 3, 4, then 6, 7, 8 (call 5 records again)
    assert "the number of nonzeros of a boolean index is 5" in compiled.explain()


@pytest.mark.parametrize(
    "read",
    [
        lambda x: x[x.sum(1).argmax()],  # a 0-d index tensor the step computes
        lambda x: x * (2.0 if x.allclose(x.abs()) else 3.0),
        lambda x: print(x) or x,
    ],
    ids=["0d_index", "allclose", "print"],
)
def test_python_values_read_from_computed_tensors_run_eagerly(read, capsys):
    """A 0-d index tensor (read as a Python int), allclose's bool and a printed tensor are
    values Python reads: the function runs eagerly (with a warning), never replaying the value
    or the print it saw while recording."""
    compiled = tg.compile(read)
    with pytest.warns(UserWarning, match="runs eagerly from now on"):
        for i in range(4):
            x = tg.tensor(np.random.default_rng(i).standard_normal((4, 3)))
            np.testing.assert_array_equal(compiled(x).array, read(x).array)
    assert compiled.replays == 0


def test_an_ema_of_the_weights_inside_the_step_replays_like_eager():
    """AveragedModel.update_parameters in a compiled step: its first-update branch is a guard
    on its counter, and the parameters it reads through p.detach() are guarded through the
    parameters themselves (a detached copy dies with the call), so the step replays, equal to
    eager to the bit."""

    def run(compiled):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        ema = tg.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=tg.optim.swa_utils.get_ema_multi_avg_fn(0.9)
        )

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            ema.update_parameters(model)
            return loss.detach()

        step = tg.compile(step, fuse=False) if compiled else step
        for i in range(6):
            rng = np.random.default_rng(i)
            x = tg.tensor(rng.standard_normal((5, 6)), dtype=tg.float32)
            step(x, tg.tensor(rng.integers(0, 3, 5)))
        return step, [p.detach().numpy().copy() for p in ema.parameters()]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled, averaged = run(True)
    assert compiled.replays == 4
    for a, b in zip(averaged, run(False)[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_embedding_steps_replay_like_eager(scale_grad_by_freq):
    """Embedding forward into a planned buffer (no frequency scaling), or as the op itself,
    which leaves its per-position 1/count factor for the backward (scale_grad_by_freq)."""

    def run(compiled):
        tg.manual_seed(0)
        table = nn.Embedding(10, 4, scale_grad_by_freq=scale_grad_by_freq)
        opt = tg.optim.SGD(table.parameters(), lr=0.5)

        def step(index):
            opt.zero_grad()
            loss = table(index).square().sum()
            loss.backward()
            opt.step()
            return loss.detach()

        step = tg.compile(step, fuse=False) if compiled else step
        losses = [step(tg.tensor(np.random.default_rng(i).integers(0, 10, 7))) for i in range(5)]
        return step, [loss.array for loss in losses], table.weight.detach().numpy()

    compiled, losses, weight = run(True)
    _, eager_losses, eager_weight = run(False)
    assert compiled.replays == 3
    np.testing.assert_array_equal(losses, eager_losses)
    np.testing.assert_array_equal(weight, eager_weight)
