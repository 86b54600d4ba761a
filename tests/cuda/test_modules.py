"""Layers, losses, optimizers, schedulers, DataLoader and checkpoints on ``'cuda'``, each compared
with the same thing on the CPU (float32 tolerances)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tests.cuda import _common
from tests.cuda._common import assert_close, flat

DEV = _common.DEVICE


def _f(*shape):
    return ("f", shape)


def _i(high, *shape):
    return ("i", high, shape)


def _arrays(specs, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        if s[0] == "f":
            out.append(rng.standard_normal(s[1]).astype(np.float32))
        else:
            out.append(rng.integers(0, s[1], s[2]))
    return out


# name -> (factory, input specs, forward or None, train mode)
LAYERS = {
    "Linear": (lambda: nn.Linear(5, 4), [_f(3, 5)], None, True),
    "Linear-nobias": (lambda: nn.Linear(5, 4, bias=False), [_f(2, 3, 5)], None, True),
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3, padding=1), [_f(2, 3, 8)], None, True),
    "Conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), [_f(2, 3, 9, 9)], None, True),
    "Conv2d-groups": (lambda: nn.Conv2d(4, 4, 3, groups=2), [_f(2, 4, 6, 6)], None, True),
    "ConvTranspose2d": (
        lambda: nn.ConvTranspose2d(3, 4, 3, stride=2),
        [_f(2, 3, 5, 5)],
        None,
        True,
    ),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), [_f(2, 3, 8)], None, True),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), [_f(2, 3, 8, 8)], None, True),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), [_f(2, 3, 8, 8)], None, True),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 2)), [_f(2, 3, 6, 6)], None, True),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), [_f(6, 4)], None, True),
    "BatchNorm1d-eval": (lambda: nn.BatchNorm1d(4), [_f(6, 4)], None, False),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), [_f(2, 3, 4, 4)], None, True),
    "LayerNorm": (lambda: nn.LayerNorm(5), [_f(2, 3, 5)], None, True),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), [_f(2, 4, 3, 3)], None, True),
    "RMSNorm": (lambda: nn.RMSNorm(5), [_f(2, 3, 5)], None, True),
    "Embedding": (lambda: nn.Embedding(10, 4), [_i(10, 3, 5)], None, True),
    "Dropout-eval": (lambda: nn.Dropout(0.5), [_f(3, 4)], None, False),
    "ReLU": (lambda: nn.ReLU(), [_f(3, 4)], None, True),
    "GELU": (lambda: nn.GELU(), [_f(3, 4)], None, True),
    "GELU-tanh": (lambda: nn.GELU(approximate="tanh"), [_f(3, 4)], None, True),
    "ELU": (lambda: nn.ELU(), [_f(3, 4)], None, True),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), [_f(3, 4)], None, True),
    "SiLU": (lambda: nn.SiLU(), [_f(3, 4)], None, True),
    "Sigmoid": (lambda: nn.Sigmoid(), [_f(3, 4)], None, True),
    "Tanh": (lambda: nn.Tanh(), [_f(3, 4)], None, True),
    "Softplus": (lambda: nn.Softplus(), [_f(3, 4)], None, True),
    "Softmax": (lambda: nn.Softmax(dim=-1), [_f(3, 4)], None, True),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=-1), [_f(3, 4)], None, True),
    "Identity": (lambda: nn.Identity(), [_f(3, 4)], None, True),
    "Flatten": (lambda: nn.Flatten(), [_f(2, 3, 4)], None, True),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), [_f(4, 6)], None, True),
    "Sequential": (
        lambda: nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)),
        [_f(4, 5)],
        None,
        True,
    ),
    "RNN": (lambda: nn.RNN(4, 5, batch_first=True), [_f(2, 3, 4)], None, True),
    "LSTM": (lambda: nn.LSTM(4, 5, num_layers=2, batch_first=True), [_f(2, 3, 4)], None, True),
    "GRU": (lambda: nn.GRU(4, 5, batch_first=True), [_f(2, 3, 4)], None, True),
    "RNNCell": (lambda: nn.RNNCell(4, 5), [_f(3, 4)], None, True),
    "LSTMCell": (lambda: nn.LSTMCell(4, 5), [_f(3, 4)], None, True),
    "GRUCell": (lambda: nn.GRUCell(4, 5), [_f(3, 4)], None, True),
    "MultiheadAttention": (
        lambda: nn.MultiheadAttention(8, 2, batch_first=True),
        [_f(2, 5, 8)],
        lambda m, x: m(x, x, x),
        True,
    ),
    "MultiheadAttention-causal": (
        lambda: nn.MultiheadAttention(8, 2, batch_first=True),
        [_f(2, 5, 8)],
        lambda m, x: m(
            x,
            x,
            x,
            attn_mask=nn.Transformer.generate_square_subsequent_mask(5, device=x.device),
            need_weights=False,
        ),
        True,
    ),
    "TransformerEncoderLayer": (
        lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
        [_f(2, 5, 8)],
        None,
        True,
    ),
    "TransformerEncoderLayer-prenorm-gelu": (
        lambda: nn.TransformerEncoderLayer(
            8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        ),
        [_f(2, 5, 8)],
        None,
        True,
    ),
    "TransformerDecoderLayer": (
        lambda: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
        [_f(2, 4, 8), _f(2, 5, 8)],
        None,
        True,
    ),
    "Transformer": (
        lambda: nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True),
        [_f(2, 5, 8), _f(2, 4, 8)],
        None,
        True,
    ),
}


def _run_layer(name, device):
    factory, specs, forward, train = LAYERS[name]
    tg.manual_seed(0)
    layer = factory()
    layer.to(device)
    layer.train(train)
    inputs = []
    for a in _arrays(specs):
        t = tg.tensor(a, device=device)
        if a.dtype.kind == "f":
            t.requires_grad_(True)
        inputs.append(t)
    out = flat((forward or (lambda m, *xs: m(*xs)))(layer, *inputs))
    roots = [o for o in out if o.requires_grad]
    rng = np.random.default_rng(1)
    grads = [tg.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float32), device=device)
             for o in roots]  # fmt: skip
    tg.autograd.backward(roots, grads)
    return layer, inputs, out


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_cpu(name):
    cpu_layer, cpu_in, cpu_out = _run_layer(name, "cpu")
    gpu_layer, gpu_in, gpu_out = _run_layer(name, DEV)
    for p in gpu_layer.parameters():
        assert p.device.type == DEV, f"{name}: a parameter stayed on {p.device}"
    for i, (g, c) in enumerate(zip(gpu_out, cpu_out)):
        assert_close(g, c, f"{name} output {i}")
    for i, (g, c) in enumerate(zip(gpu_in, cpu_in)):
        if c.requires_grad:
            assert_close(g.grad, c.grad, f"{name} gradient of input {i}")
    gpu_params = dict(gpu_layer.named_parameters())
    for k, c in cpu_layer.named_parameters():
        assert_close(gpu_params[k].grad, c.grad, f"{name} gradient of {k}")
    gpu_state = gpu_layer.state_dict()
    for k, c in cpu_layer.state_dict().items():  # buffers too: running statistics
        assert_close(gpu_state[k], c, f"{name} state {k}")


LOSSES = {
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(), [_f(6, 5), _i(5, 6)]),
    "CrossEntropyLoss-smooth-weight": (
        lambda: nn.CrossEntropyLoss(
            weight=tg.tensor([1.0, 2.0, 0.5, 1.0, 3.0], device=DEV_HOLDER[0]),
            label_smoothing=0.1,
        ),
        [_f(6, 5), _i(5, 6)],
    ),
    "CrossEntropyLoss-ignore-3d": (
        lambda: nn.CrossEntropyLoss(ignore_index=2),
        [_f(2, 5, 7), _i(5, 2, 7)],
    ),
    "CrossEntropyLoss-sum": (lambda: nn.CrossEntropyLoss(reduction="sum"), [_f(6, 5), _i(5, 6)]),
    "NLLLoss": (lambda: nn.NLLLoss(), [_f(6, 5), _i(5, 6)]),
    "MSELoss": (lambda: nn.MSELoss(), [_f(3, 4), _f(3, 4)]),
    "L1Loss": (lambda: nn.L1Loss(), [_f(3, 4), _f(3, 4)]),
    "HuberLoss": (lambda: nn.HuberLoss(delta=0.5), [_f(3, 4), _f(3, 4)]),
    "SmoothL1Loss": (lambda: nn.SmoothL1Loss(), [_f(3, 4), _f(3, 4)]),
    "BCEWithLogitsLoss": (lambda: nn.BCEWithLogitsLoss(), [_f(3, 4), _f(3, 4)]),
    "BCELoss": (lambda: nn.BCELoss(), [_f(3, 4), _f(3, 4)]),
}
DEV_HOLDER = ["cpu"]  # the device a loss factory builds its weight on


def _run_loss(name, device):
    factory, specs = LOSSES[name]
    DEV_HOLDER[0] = device
    loss_fn = factory()
    a, b = _arrays(specs)
    if name.startswith("BCE"):
        b = (b > 0).astype(np.float32)  # targets in [0, 1]
    x = tg.tensor(a, device=device, requires_grad=True)
    inp = x.sigmoid() if name == "BCELoss" else x
    loss = loss_fn(inp, tg.tensor(b, device=device))
    loss.backward()
    return loss, x.grad


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_cpu(name):
    cpu_loss, cpu_grad = _run_loss(name, "cpu")
    gpu_loss, gpu_grad = _run_loss(name, DEV)
    assert_close(gpu_loss, cpu_loss, f"{name} value")
    assert_close(gpu_grad, cpu_grad, f"{name} gradient")


OPTIMIZERS = {
    "SGD": lambda p: tg.optim.SGD(p, lr=0.1),
    "SGD-momentum": lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2),
    "SGD-nesterov": lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda p: tg.optim.Adam(p, lr=1e-2),
    "Adam-amsgrad": lambda p: tg.optim.Adam(p, lr=1e-2, amsgrad=True, weight_decay=1e-2),
    "AdamW": lambda p: tg.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "RMSprop": lambda p: tg.optim.RMSprop(p, lr=1e-2, momentum=0.5),
    "Adagrad": lambda p: tg.optim.Adagrad(p, lr=1e-1),
    "Lion": lambda p: tg.optim.Lion(p, lr=1e-3),
    "Adadelta": lambda p: tg.optim.Adadelta(p, weight_decay=1e-2),
    "Adamax": lambda p: tg.optim.Adamax(p, lr=1e-2),
    "NAdam": lambda p: tg.optim.NAdam(p, lr=1e-2, decoupled_weight_decay=True, weight_decay=0.1),
    "RAdam": lambda p: tg.optim.RAdam(p, lr=1e-2),
    "ASGD": lambda p: tg.optim.ASGD(p, lr=1e-2, t0=3),
}


def _train(make_opt, device, steps=10, scheduler=None):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).to(device)
    opt = make_opt(model.parameters())
    sched = scheduler(opt) if scheduler else None
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((32, 6)).astype(np.float32), device=device)
    y = tg.tensor(rng.integers(0, 3, 32), device=device)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if sched is not None:
            sched.step()
    return model, opt


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_ten_steps_match_cpu(name):
    cpu_model, _ = _train(OPTIMIZERS[name], "cpu")
    gpu_model, gpu_opt = _train(OPTIMIZERS[name], DEV)
    gpu_params = dict(gpu_model.named_parameters())
    for k, c in cpu_model.named_parameters():
        assert_close(gpu_params[k], c, f"{name}: parameter {k} after 10 steps", atol=1e-4)
    for state in gpu_opt.state.values():
        for key, v in state.items():
            if isinstance(v, tg.Tensor) and v.ndim > 0:
                assert v.device.type == DEV, f"{name}: state {key} on {v.device}"


@pytest.mark.parametrize(
    "make_sched",
    [
        lambda o: tg.lr_scheduler.StepLR(o, 3, gamma=0.5),
        lambda o: tg.lr_scheduler.CosineAnnealingLR(o, T_max=10),
        lambda o: tg.lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=10),
    ],
    ids=["StepLR", "CosineAnnealingLR", "OneCycleLR"],
)
def test_scheduler_matches_cpu(make_sched):
    def opt(p):
        return tg.optim.SGD(p, lr=0.1, momentum=0.9)

    cpu_model, _ = _train(opt, "cpu", scheduler=make_sched)
    gpu_model, _ = _train(opt, DEV, scheduler=make_sched)
    gpu_params = dict(gpu_model.named_parameters())
    for k, c in cpu_model.named_parameters():
        assert_close(gpu_params[k], c, f"parameter {k}", atol=1e-4)


def test_dataloader_builds_batches_on_the_device():
    x = tg.arange(20, dtype=tg.float32).reshape(10, 2)
    y = tg.arange(10)
    loader = tg.data.DataLoader(tg.data.TensorDataset(x, y), batch_size=4, device=DEV)
    batches = list(loader)
    assert len(batches) == 3
    for bx, by in batches:
        assert bx.device.type == DEV and by.device.type == DEV
    np.testing.assert_array_equal(batches[0][0].cpu().numpy(), x[:4].numpy())
    np.testing.assert_array_equal(batches[2][1].cpu().numpy(), [8, 9])


def test_checkpoint_round_trip_gpu_cpu_gpu(tmp_path):
    model, opt = _train(OPTIMIZERS["AdamW"], DEV, steps=3)
    path = tmp_path / "ckpt.tgc"
    tg.save({"model": model.state_dict(), "optim": opt.state_dict()}, path)
    on_cpu = tg.load(path, map_location="cpu")
    on_gpu = tg.load(path, map_location=DEV)
    as_saved = tg.load(path)
    for k, v in model.state_dict().items():
        assert on_cpu["model"][k].device.type == "cpu"
        assert on_gpu["model"][k].device.type == DEV
        assert as_saved["model"][k].device.type == DEV
        np.testing.assert_array_equal(on_cpu["model"][k].numpy(), v.cpu().numpy())
        np.testing.assert_array_equal(on_gpu["model"][k].cpu().numpy(), v.cpu().numpy())
    # CPU copy -> a CPU model -> back to the GPU, training on from the loaded optimizer state
    tg.manual_seed(1)
    cpu_model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    cpu_model.load_state_dict(on_cpu["model"])
    gpu_model = cpu_model.to(DEV)
    gpu_opt = tg.optim.AdamW(gpu_model.parameters(), lr=1e-2, weight_decay=0.1)
    gpu_opt.load_state_dict(on_gpu["optim"])
    x = tg.randn(4, 6, device=DEV)
    gpu_model(x).sum().backward()
    gpu_opt.step()
    for p in gpu_model.parameters():
        assert p.device.type == DEV


@pytest.mark.skipif(DEV == "cpu", reason="mixing needs two devices")
@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a @ b.T,
        lambda a, b: tg.cat([a, b]),
        lambda a, b: tg.where(a > 0, a, b),
        lambda a, b: nn.functional.mse_loss(a, b),
        lambda a, b: a * b,
    ],
    ids=["add", "matmul", "cat", "where", "mse_loss", "mul"],
)
def test_mixing_devices_raises_naming_both(op):
    a = tg.ones(2, 3)
    b = tg.ones(2, 3, device="cuda")
    for x, y in ((a, b), (b, a)):
        with pytest.raises(RuntimeError, match=r"(?s)(cpu.*cuda|cuda.*cpu)"):
            op(x, y)


@pytest.mark.skipif(DEV == "cpu", reason="mixing needs two devices")
def test_layer_on_gpu_with_cpu_input_raises_naming_both():
    layer = nn.Linear(3, 2).to("cuda")
    with pytest.raises(RuntimeError, match=r"(?s)(cpu.*cuda|cuda.*cpu)"):
        layer(tg.ones(4, 3))
