"""bfloat16 tensors (ml_dtypes' NumPy dtype): casts, promotion, arithmetic, training, autocast
and files, against PyTorch. The op tables check every op's values and gradients in bfloat16
(``op_harness.compare_with_torch_bfloat16``); this file checks what lies around the ops."""

import subprocess
import sys

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn as nn
import tensorgrad.nn.functional as F

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")


def _bits(t) -> np.ndarray:
    """The 16 bits of each value of a bfloat16 tensor of either library; NaN as one pattern
    (PyTorch's vectorised casts make every NaN 0xFFFF, its scalar ones 0x7FC0)."""
    if isinstance(t, torch.Tensor):
        bits = t.detach().view(torch.int16).numpy().view(np.uint16)
    else:
        bits = t.detach().numpy().view(np.uint16)
    return np.where((bits & 0x7FFF) > 0x7F80, 0x7FC0, bits)


def _values() -> np.ndarray:
    """float32 values that round in every way: ties to even, overflow to inf, subnormals,
    signed zeros, NaN."""
    rng = np.random.default_rng(0)
    bits = np.arange(0x3F00, 0x3F80, dtype=np.uint32)  # 0.5 .. 1, and negated below
    ties = (bits << 16 | 0x8000).view(np.float32)
    ties = np.concatenate([ties, -ties])
    special = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, -3.39e38, 1e-40, -1e-45, 1.17e-38],
        np.float32,
    )
    return np.concatenate([rng.standard_normal(500).astype(np.float32) * 100, ties, special])


def test_the_dtype_answers_as_pytorch():
    assert tg.bfloat16.is_floating_point and tg.bfloat16.itemsize == 2
    assert repr(tg.bfloat16) == "tensorgrad.bfloat16" and tg.BFloat16Tensor.dtype is tg.bfloat16
    for field in ("bits", "eps", "max", "min", "tiny", "resolution"):
        assert getattr(tg.finfo(tg.bfloat16), field) == getattr(torch.finfo(torch.bfloat16), field)
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for name in names:
        ours = tg.promote_types(tg.bfloat16, getattr(tg, name))
        assert (
            str(ours).split(".")[-1]
            == str(torch.promote_types(torch.bfloat16, getattr(torch, name))).split(".")[-1]
        )


def test_casts_round_to_nearest_even_as_pytorch():
    v = _values()
    for dtype in ("float32", "float64", "float16"):
        with np.errstate(over="ignore"):  # float16: the large values become inf
            a = v.astype(dtype)
        assert np.array_equal(
            _bits(tg.tensor(a).bfloat16()), _bits(torch.from_numpy(a).bfloat16())
        ), dtype
    x = tg.tensor(v).bfloat16()
    theirs = torch.from_numpy(v).bfloat16().float().numpy()
    assert np.array_equal(x.float().numpy(), theirs, equal_nan=True)
    assert x.to(tg.int32)[:500].tolist() == torch.from_numpy(v).bfloat16()[:500].int().tolist()
    for make in (
        lambda lib: lib.zeros(2, 3, dtype=lib.bfloat16),
        lambda lib: lib.full((2,), 1 / 3, dtype=lib.bfloat16),
        lambda lib: lib.tensor([1 / 3, 2.5e-3], dtype=lib.bfloat16),
        lambda lib: lib.arange(0, 3, 0.25, dtype=lib.bfloat16),
        lambda lib: lib.linspace(0, 1, 7, dtype=lib.bfloat16),
        lambda lib: lib.ones(3).bfloat16(),
        lambda lib: lib.ones(3, dtype=lib.bfloat16).double(),
    ):
        ours, theirs = make(tg), make(torch)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert np.array_equal(ours.float().numpy(), theirs.float().numpy())


@pytest.mark.parametrize(
    "draw",
    [
        lambda lib: lib.rand(40, dtype=lib.bfloat16),
        lambda lib: lib.randn(40, dtype=lib.bfloat16),  # the redrawn tail: block by block
        lambda lib: lib.randn(7, dtype=lib.bfloat16),
        lambda lib: lib.empty(1003, dtype=lib.bfloat16).normal_(0.5, 2.5),
        lambda lib: lib.empty(30, dtype=lib.bfloat16).uniform_(-2, 3),
        lambda lib: lib.randint(0, 10, (20,), dtype=lib.bfloat16),
        lambda lib: lib.nn.functional.dropout(lib.ones(40, dtype=lib.bfloat16), 0.5),
        lambda lib: lib.nn.Linear(6, 8, dtype=lib.bfloat16).weight.detach(),
        lambda lib: lib.empty(30, dtype=lib.bfloat16).exponential_(),
    ],
)
def test_random_draws_are_pytorchs(draw):
    for seed in (0, 3):
        torch.manual_seed(seed)
        tg.manual_seed(seed)
        for _ in range(2):  # the stream moves on as PyTorch's
            assert np.array_equal(_bits(draw(tg)), _bits(draw(torch)))


def test_printing_is_pytorchs():
    v = [-0.490234375, -0.255859375, 1.5859375, 3.0]
    assert repr(tg.tensor(v).bfloat16()) == repr(torch.tensor(v).bfloat16()).replace(
        "torch.", "tensorgrad."
    )
    assert type(tg.tensor(v).bfloat16()[0].item()) is float


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x * 1e-3,
        lambda x: x / 3,
        lambda x: 3 / x,
        lambda x: x + 1e-3,
        lambda x: x - 1 / 3,
        lambda x: x * x,
        lambda x: x + x.flip(0),
        lambda x: x.exp(),
        lambda x: x.tanh(),
        lambda x: x.sigmoid(),
        lambda x: x.relu(),
        lambda x: x.sum(),
        lambda x: x.sum(0),
        lambda x: x.amax(-1),
        lambda x: x @ x.T,
        lambda x: x.softmax(-1),
        lambda x: x.sort(-1).values,
        lambda x: (x[:, :24] * 0.1 + 1).prod(-1),  # rounded after each factor (longer
        # rows: PyTorch multiplies in vector lanes, in another order)
        lambda x: x.mean(-1),
        lambda x: x.std(0),
        lambda x: torch_or_tg(x).nn.functional.silu(x),
        lambda x: torch_or_tg(x).nn.functional.layer_norm(x, (64,)),
        lambda x: torch_or_tg(x).nn.functional.gelu(x),
        lambda x: x.log_softmax(-1),  # two bfloat16 intermediates, as PyTorch's kernel
        lambda x: x.log_softmax(0),  # one rounding: PyTorch's kernel for inner dims
        lambda x: torch_or_tg(x).nn.functional.cross_entropy(
            x, torch_or_tg(x).tensor([3, 0, 63]), reduction="none"
        ),
        lambda x: x * torch_or_tg(x).tensor(2.5),
        lambda x: x + torch_or_tg(x).ones(3, 64),
    ],
)
def test_primitives_round_once_as_pytorch(op):
    """A primitive computes in float32 and rounds its result once, as PyTorch's CPU kernels:
    the same bits (a matmul's or a sum's float32 accumulation order may differ in the last
    bit of a few values)."""
    a = np.random.default_rng(1).standard_normal((3, 64)).astype(np.float32)
    ours, theirs = op(tg.tensor(a).bfloat16()), op(torch.from_numpy(a).bfloat16())
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if ours.dtype == tg.bfloat16:
        same = _bits(ours) == _bits(theirs)
        assert same.mean() >= 0.97, f"{same.mean():.3f} of the values have PyTorch's bits"
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=8e-3)


def torch_or_tg(x):
    return torch if isinstance(x, torch.Tensor) else tg


def test_sorting_puts_nan_last_as_pytorch():
    a = np.array([[0.5, np.nan, -1.0, 2.0], [np.nan, 1.0, np.nan, -3.0]], np.float32)
    for f in (
        lambda x: x.sort(-1).values,
        lambda x: x.argsort(-1),
        lambda x: x.nanmedian(-1).values,
        lambda x: x.topk(2, -1).values,
        lambda x: x.unique(),
    ):
        ours, theirs = f(tg.tensor(a).bfloat16()), f(torch.from_numpy(a).bfloat16())
        assert np.array_equal(ours.float().numpy(), theirs.float().numpy(), equal_nan=True)


def _train(lib, model_dtype, steps=8, optimizer="adamw"):
    """A seeded MLP (its weights drawn by each library's own generator: the same draws) trained
    in bfloat16 or under autocast; the losses as floats."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(
        lib.nn.Linear(20, 64), lib.nn.ReLU(), lib.nn.LayerNorm(64), lib.nn.Linear(64, 5)
    )
    if model_dtype == "bfloat16":
        model = model.bfloat16()
    opt = (
        lib.optim.AdamW(model.parameters(), lr=1e-2)
        if optimizer == "adamw"
        else lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    )
    x = lib.randn(32, 20)
    y = lib.randint(0, 5, (32,))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        if model_dtype == "autocast":
            with lib.autocast("cpu"):  # PyTorch's CPU default: bfloat16
                logits = model(x)
            assert logits.dtype == lib.bfloat16
        else:
            logits = model(x.to(lib.bfloat16))
        loss = lib.nn.functional.cross_entropy(logits.float(), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, model


@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_a_bfloat16_model_trains_as_under_pytorch(optimizer):
    ours, model = _train(tg, "bfloat16", optimizer=optimizer)
    theirs, _ = _train(torch, "bfloat16", optimizer=optimizer)
    assert all(p.dtype == tg.bfloat16 for p in model.parameters())
    assert all(p.grad is None or p.grad.dtype == tg.bfloat16 for p in model.parameters())
    np.testing.assert_allclose(ours, theirs, rtol=3e-2)
    assert ours[-1] < ours[0]


def test_autocast_on_the_cpu_defaults_to_bfloat16_and_keeps_float32_weights():
    assert tg.get_autocast_dtype("cpu") is tg.bfloat16
    ours, model = _train(tg, "autocast")
    theirs, _ = _train(torch, "autocast")
    assert all(p.dtype == tg.float32 for p in model.parameters())
    np.testing.assert_allclose(ours, theirs, rtol=2e-2)
    with pytest.raises(RuntimeError, match="bfloat16 is not supported on 'cuda'"):
        tg.autocast("cuda", dtype=tg.bfloat16)


def test_files_keep_the_bits_both_ways(tmp_path):
    w = torch.randn(4, 3).bfloat16()
    torch.save({"w": w}, tmp_path / "t.pt")
    loaded = tg.load(tmp_path / "t.pt")["w"]
    assert loaded.dtype == tg.bfloat16 and np.array_equal(_bits(loaded), _bits(w))
    tg.save({"w": loaded}, tmp_path / "tg.pt")
    assert np.array_equal(_bits(tg.load(tmp_path / "tg.pt")["w"]), _bits(w))
    tg.save({"w": loaded}, tmp_path / "torch.pt", format="torch")
    back = torch.load(tmp_path / "torch.pt", weights_only=True)["w"]
    assert back.dtype == torch.bfloat16 and torch.equal(back, w)
    pytest.importorskip("safetensors")
    from safetensors.torch import load_file, save_file

    save_file({"w": w, "b": torch.ones(2)}, tmp_path / "t.safetensors")
    ours = tg.checkpoint.load_safetensors(tmp_path / "t.safetensors")
    assert ours["w"].dtype == tg.bfloat16 and np.array_equal(_bits(ours["w"]), _bits(w))
    tg.checkpoint.save_safetensors(ours, tmp_path / "tg.safetensors", metadata={"k": "v"})
    again = load_file(tmp_path / "tg.safetensors")
    assert again["w"].dtype == torch.bfloat16 and torch.equal(again["w"], w)
    assert torch.equal(again["b"], torch.ones(2))


def test_without_ml_dtypes_the_name_still_works_and_a_tensor_says_what_to_install():
    code = (
        "import sys; sys.modules['ml_dtypes'] = None\n"
        "import tensorgrad as tg\n"
        "assert {'bf16': tg.bfloat16}['bf16'].is_floating_point\n"
        "with tg.autocast('cpu', dtype=tg.bfloat16, enabled=False):\n"
        "    pass\n"
        "for make in (lambda: tg.ones(2).bfloat16(), lambda: tg.zeros(2, dtype='bfloat16')):\n"
        "    try:\n"
        "        make()\n"
        "    except TypeError as e:\n"
        "        assert 'pip install ml_dtypes' in str(e), e\n"
        "    else:\n"
        "        raise AssertionError('no error')\n"
        "try:\n"
        "    tg.autocast('cpu')\n"
        "except RuntimeError as e:\n"
        "    assert 'ml_dtypes' in str(e) and 'float16' in str(e), e\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_bfloat16_grad_flows_back_through_casts():
    w = tg.randn(3, 4, requires_grad=True)
    y = (w.bfloat16() * 2).sum()
    assert y.dtype == tg.bfloat16
    y.backward()
    assert w.grad.dtype == tg.float32 and np.array_equal(w.grad.numpy(), np.full((3, 4), 2.0))
    m = nn.Linear(4, 2).bfloat16()
    out = F.gelu(m(tg.randn(5, 4).bfloat16()), approximate="tanh").mean()
    out.backward()
    assert m.weight.grad.dtype == tg.bfloat16


def _compiled_training(compiled: bool, fuse: bool = True, steps: int = 6):
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(8, 16), nn.GELU(), nn.LayerNorm(16), nn.Dropout(0.1), nn.Linear(16, 3)
    ).bfloat16()
    opt = tg.optim.AdamW(model.parameters(), lr=1e-2)
    x, y = tg.randn(10, 8).bfloat16(), tg.randint(0, 3, (10,))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x).float(), y)
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = tg.compile(step, fuse=fuse)
    losses = [step(x, y).item() for _ in range(steps)]
    return losses, [p.detach().float().numpy() for p in model.parameters()], step


@pytest.mark.parametrize("fuse", [False, True])
def test_tg_compile_replays_a_bfloat16_step_bit_for_bit(fuse, recwarn):
    """A replay runs each op as Op.apply does on bfloat16 (float32 copies in, rounded out):
    the same losses and weights as eager, with dropout, AdamW and no eager fallback."""
    eager_losses, eager_params, _ = _compiled_training(False)
    losses, params, step = _compiled_training(True, fuse)
    assert losses == eager_losses
    for a, b in zip(params, eager_params):
        np.testing.assert_array_equal(a, b)
    assert not [w for w in recwarn if "eagerly" in str(w.message)]
    assert "bfloat16" in str(step.explain())


def test_moving_a_bfloat16_tensor_to_cuda_says_cupy_has_none():
    # the check comes before CuPy is imported, so it runs here without one
    array = tg.ones(2, 3).bfloat16().array
    with pytest.raises(TypeError, match=r"bfloat16 tensor of shape \(2, 3\) to cuda.*CuPy"):
        tg.backend.to_device(array, tg.device("cuda"))
