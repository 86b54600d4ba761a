"""tensorgrad.training: the loops against a hand-written loop, modes, scheduler stepping, callbacks,
History (lists and PNG), plain progress lines, Ctrl-C, exact resume and the README example."""

import math
import os

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import checkpoint, nn, optim
from tensorgrad.lr_scheduler import ReduceLROnPlateau, StepLR
from tensorgrad.training import (
    Callback,
    EarlyStopping,
    History,
    ModelCheckpoint,
    evaluate,
    fit,
    train_one_epoch,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _batches(sizes=(8, 8, 5), features=4, classes=3, seed=0):
    """A list of (x, y) batches with class-index targets; the last batch is short."""
    rng = np.random.default_rng(seed)
    return [
        (
            tg.tensor(rng.standard_normal((n, features)).astype(np.float32)),
            tg.tensor(rng.integers(0, classes, n)),
        )
        for n in sizes
    ]


def _model(features=4, classes=3, dropout=0.0):
    layers = [nn.Linear(features, 16), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(16, classes))


def _clone(model):
    other = _model()
    other.load_state_dict(model.state_dict())
    return other


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


class _ShufflingLoader:
    """An epoch-shuffling loader drawing its permutation from tensorgrad's default RNG (as
    DataLoader(shuffle=True) does), so the tests need no tensorgrad.data."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __iter__(self):
        perm = tg.randperm(len(self.x))
        for i in range(0, len(self.x), self.batch_size):
            idx = perm[i : i + self.batch_size]
            yield self.x[idx], self.y[idx]


# -------------------------------------------------------------------- train_one_epoch / evaluate


def test_train_one_epoch_matches_manual_loop():
    batches = _batches()
    model = _model()
    ref = _clone(model)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    stats = train_one_epoch(model, batches, loss_fn, opt, progress=False)

    total, correct, n = 0.0, 0, 0
    for x, y in batches:
        ref_opt.zero_grad()
        out = ref(x)
        loss = loss_fn(out, y)
        loss.backward()
        ref_opt.step()
        total += loss.item() * len(y)
        correct += int((out.argmax(dim=1) == y).sum().item())
        n += len(y)
    assert stats["loss"] == pytest.approx(total / n, rel=1e-12)
    assert stats["accuracy"] == correct / n
    assert stats["lr"] == 0.1
    for k, v in _weights(ref).items():
        np.testing.assert_array_equal(_weights(model)[k], v)
    assert model.training


def test_evaluate_matches_manual_loop_and_restores_modes():
    batches = _batches(sizes=(6, 3))
    model = _model(dropout=0.5)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    model[0].eval()  # a mixed state (e.g. a frozen layer) must come back as it was

    seen = []
    model.register_forward_hook(lambda m, i, o: seen.append((m.training, tg.is_grad_enabled())))
    stats = evaluate(model, batches, loss_fn)

    assert seen == [(False, False)] * 2
    assert model.training and not model[0].training and model[2].training
    model.eval()
    with tg.no_grad():
        outs = [(model(x), y) for x, y in batches]
    loss = sum(loss_fn(o, y).item() * len(y) for o, y in outs) / 9
    acc = sum(int((o.argmax(dim=1) == y).sum().item()) for o, y in outs) / 9
    assert stats == {"loss": pytest.approx(loss, rel=1e-12), "accuracy": acc}


def test_no_accuracy_for_regression_targets():
    x = tg.randn(10, 4)
    batches = [(x[:6], tg.randn(6, 1)), (x[6:], tg.randn(4, 1))]
    model = nn.Linear(4, 1)
    stats = train_one_epoch(model, batches, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01))
    assert set(stats) == {"loss", "lr"}
    assert set(evaluate(model, batches, nn.MSELoss())) == {"loss"}


def test_accuracy_over_sequence_targets():
    out = tg.tensor(np.eye(3, dtype=np.float32)[None].repeat(2, 0))  # (N=2, C=3, L=3)
    y = tg.tensor([[0, 1, 2], [0, 0, 2]])

    class Fixed(nn.Module):
        def forward(self, x):
            return out

    stats = evaluate(Fixed(), [(tg.zeros(2), y)], lambda o, t: tg.tensor(0.0))
    assert stats["accuracy"] == 5 / 6


def test_train_one_epoch_steps_scheduler_per_batch():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    stats = train_one_epoch(model, _batches(), nn.CrossEntropyLoss(), opt, scheduler=sched)
    assert stats["lr"] == 0.25  # the lr of the last (third) step
    assert opt.param_groups[0]["lr"] == 0.125


def test_grad_clip_bounds_the_update():
    model = _model()
    before = _weights(model)
    opt = optim.SGD(model.parameters(), lr=1.0)
    x, y = _batches(sizes=(8,))[0]
    train_one_epoch(model, [(x * 100, y)], nn.CrossEntropyLoss(), opt, grad_clip=1e-3)
    step = np.sqrt(sum(((_weights(model)[k] - v) ** 2).sum() for k, v in before.items()))
    assert 0 < step <= 1e-3 * (1 + 1e-5)


def test_loop_errors():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no batches"):
        train_one_epoch(model, [], nn.CrossEntropyLoss(), opt)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) pair"):
        evaluate(model, [(tg.randn(2, 4),)], nn.CrossEntropyLoss())


# ------------------------------------------------------------------------------------------- fit


def test_fit_modes_and_history(capsys):
    model = _model(dropout=0.1)
    seen = []
    model.register_forward_hook(lambda m, i, o: seen.append((m.training, tg.is_grad_enabled())))
    train, val = _batches(), _batches(sizes=(4,), seed=1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, train, nn.CrossEntropyLoss(), opt, 2, val_loader=val, progress=False)

    assert seen == ([(True, True)] * 3 + [(False, False)]) * 2
    assert len(history) == 2 and history.epoch == [0, 1]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "time"):
        assert len(history.history[key]) == 2
        assert getattr(history, key) is history[key]
    assert history.lr == [0.1, 0.1]
    assert history.val_loss[1] == pytest.approx(
        evaluate(model, val, nn.CrossEntropyLoss())["loss"], rel=1e-12
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "val_loss" in lines[0] and "train_accuracy" in lines[0] and "lr 0.1" in lines[0]


def test_fit_without_val_has_no_val_metrics():
    model = _model()
    history = fit(model, _batches(), nn.CrossEntropyLoss(), optim.SGD(model.parameters(), 0.1), 1)
    assert "val_loss" not in history.history and history.val_loss == []
    with pytest.raises(AttributeError):
        history.nonexistent  # noqa: B018 (the attribute access is what must raise)


def test_fit_steps_epoch_scheduler_once_per_epoch():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 3, scheduler=sched)
    assert history.lr == [0.1, 0.05, 0.025]
    assert sched.last_epoch == 3 and opt.param_groups[0]["lr"] == 0.0125


class _RecordingPlateau(ReduceLROnPlateau):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = []

    def step(self, metrics):
        self.metrics.append(float(metrics))
        super().step(metrics)


@pytest.mark.parametrize("with_val", [True, False])
def test_fit_steps_plateau_with_val_loss(with_val):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = _RecordingPlateau(opt, patience=0, factor=0.5, threshold=10.0, threshold_mode="abs")
    val = _batches(sizes=(5,), seed=2) if with_val else None
    history = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 3, val_loader=val, scheduler=sched)
    assert sched.metrics == (history.val_loss if with_val else history.train_loss)
    assert history.lr == [0.1, 0.1, 0.05]  # first epoch sets best, then one cut per epoch


def test_fit_plain_lines_when_progress_false(capsys):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, _batches(), nn.CrossEntropyLoss(), opt, 3, progress=False)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3 and all(
        line.startswith(f"epoch {i + 1}/3 - ") for i, line in enumerate(lines)
    )
    assert "\r" not in captured.out + captured.err  # no progress bar


def test_fit_argument_errors(tmp_path):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        fit(model, _batches(), nn.CrossEntropyLoss(), opt, 1, resume=True)
    with pytest.raises(ValueError, match="num_epochs"):
        fit(model, _batches(), nn.CrossEntropyLoss(), opt, -1)


# ------------------------------------------------------------------------------------- callbacks


def test_early_stopping_rules():
    es = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.1)
    stops = [es.on_epoch_end(e, {"val_loss": v}) for e, v in enumerate([1.0, 0.95, 0.85, 0.8, 0.9])]
    # 0.95 is not better than 1.0 - 0.1; 0.85 is; 0.8 and 0.9 are not -> stop after the fifth
    assert stops == [False, False, False, False, True]
    assert es.best == 0.85 and es.stopped_epoch == 4
    es_max = EarlyStopping(monitor="val_accuracy", patience=1, mode="max")
    assert [es_max.on_epoch_end(e, {"val_accuracy": v}) for e, v in enumerate([0.5, 0.6, 0.6])] == [
        False,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="'val_loss' is not among"):
        EarlyStopping().on_epoch_end(0, {"train_loss": 1.0})
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="auto")


def test_early_stopping_stops_fit():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    # the training loss falls, so in 'max' mode the second epoch is already no improvement
    es = EarlyStopping(monitor="train_loss", patience=1, mode="max")
    history = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 10, callbacks=[es])
    assert len(history) == 2 and es.stopped_epoch == 1


@pytest.mark.parametrize("how", ["return", "attribute"])
def test_callback_can_stop_fit(how):
    class StopAtTwo(Callback):
        def on_epoch_end(self, epoch, logs, model=None, **kwargs):
            if epoch == 1:
                if how == "return":
                    return True
                self.stop_training = True
            return None

    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 5, callbacks=[StopAtTwo()])
    assert len(history) == 2


def test_model_checkpoint_best_only(tmp_path):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    mc = ModelCheckpoint(
        str(tmp_path / "ckpt-{epoch}.tgc"), monitor="val_loss", save_best_only=True
    )
    for epoch, v in enumerate([3.0, 2.0, 2.5, 1.0]):
        mc.on_epoch_end(epoch, {"epoch": epoch, "val_loss": v}, model, opt)
    assert sorted(os.listdir(tmp_path)) == ["ckpt-0.tgc", "ckpt-1.tgc", "ckpt-3.tgc"]
    assert mc.best == 1.0 and mc.last_saved == str(tmp_path / "ckpt-3.tgc")
    fresh = _model()
    assert checkpoint.load_checkpoint(tmp_path / "ckpt-3.tgc", fresh)["epoch"] == 3
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(_weights(fresh)[k], v)
    with pytest.raises(ValueError, match="needs a monitor"):
        ModelCheckpoint(tmp_path / "x.tgc", save_best_only=True)


def test_model_checkpoint_in_fit_saves_every_epoch(tmp_path):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    mc = ModelCheckpoint(tmp_path / "last.tgc")
    fit(model, _batches(), nn.CrossEntropyLoss(), opt, 2, callbacks=[mc])
    assert checkpoint.load_checkpoint(tmp_path / "last.tgc", _model())["epoch"] == 1


# --------------------------------------------------------------------------------------- History


def test_history_plot_writes_png(tmp_path):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 2, val_loader=_batches(seed=3))
    history.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("epochs", [1, 2, 10, 37])
def test_history_plot_ticks_whole_epochs(tmp_path, epochs):
    h = History()
    for e in range(epochs):
        h.append({"epoch": e, "train_loss": 1.0 / (e + 1), "train_accuracy": 0.5, "lr": 0.1})
    figure = h.plot(tmp_path / "curves.png")
    for ax in figure.axes:
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_history_plot_without_matplotlib(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install tensorgrad\[train\]"):
        History().plot(tmp_path / "x.png")


def test_history_state_dict_round_trip():
    h = History()
    h.append({"epoch": 0, "train_loss": 1.5, "lr": 0.1, "time": 0.2})
    h2 = History()
    h2.load_state_dict(h.state_dict())
    assert h2.history == h.history and h2.epoch == [0]


# ------------------------------------------------------------------------- checkpoints and resume


def test_ctrl_c_saves_checkpoint_and_returns_history(tmp_path, capsys):
    batches = _batches()

    class Interrupting:
        def __init__(self):
            self.epochs = 0

        def __iter__(self):
            self.epochs += 1
            for i, b in enumerate(batches):
                if self.epochs == 2 and i == 1:
                    raise KeyboardInterrupt
                yield b

    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "run.tgc"
    history = fit(model, Interrupting(), nn.CrossEntropyLoss(), opt, 5, checkpoint=path)
    assert len(history) == 1
    assert "interrupted" in capsys.readouterr().err
    fresh = _model()
    info = checkpoint.load_checkpoint(path, fresh, optim.SGD(fresh.parameters(), lr=0.1))
    assert info["epoch"] == 0 and info["interrupted"] is True
    assert info["history"]["train_loss"] == history.train_loss
    for k, v in _weights(model).items():  # the weights of the interrupted epoch
        np.testing.assert_array_equal(_weights(fresh)[k], v)


def test_ctrl_c_without_checkpoint_returns_history():
    calls = []

    def loss_fn(out, y):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(out, y)

    model = _model()
    history = fit(model, _batches(), loss_fn, optim.SGD(model.parameters(), lr=0.1), 3)
    assert len(history) == 1


def _resume_setup(loader_factory):
    tg.manual_seed(123)
    model = _model(dropout=0.3)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = StepLR(opt, step_size=1, gamma=0.7)
    return model, opt, sched, loader_factory()


def _check_resume(tmp_path, loader_factory):
    loss_fn = nn.CrossEntropyLoss()
    model, opt, sched, loader = _resume_setup(loader_factory)
    straight = fit(model, loader, loss_fn, opt, 4, scheduler=sched, progress=False)
    expected = _weights(model)

    path = tmp_path / "resume.tgc"
    model, opt, sched, loader = _resume_setup(loader_factory)
    es = EarlyStopping(monitor="train_loss", patience=10)
    fit(model, loader, loss_fn, opt, 2, scheduler=sched, callbacks=[es], checkpoint=path)
    tg.manual_seed(999)  # the checkpoint's RNG state must win over whatever happened since
    model, opt, sched, loader = _resume_setup(loader_factory)
    es2 = EarlyStopping(monitor="train_loss", patience=10)
    resumed = fit(
        model,
        loader,
        loss_fn,
        opt,
        4,
        scheduler=sched,
        callbacks=[es2],
        checkpoint=path,
        resume=True,
    )
    for k, v in expected.items():
        np.testing.assert_array_equal(_weights(model)[k], v)
    assert resumed.history == {**straight.history, "time": resumed.time}
    assert resumed.epoch == [0, 1, 2, 3] and es2.best == min(straight.train_loss)
    assert checkpoint.load_checkpoint(path, _model(dropout=0.3))["epoch"] == 3


def test_resume_is_bit_identical_with_dropout_and_shuffling(tmp_path):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((40, 4)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 3, 40))
    _check_resume(tmp_path, lambda: _ShufflingLoader(x, y, batch_size=8))


def test_resume_without_file_starts_from_scratch(tmp_path, capsys):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "new.tgc"
    history = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 2, checkpoint=path, resume=True)
    assert len(history) == 2 and path.exists()
    assert "starting from scratch" in capsys.readouterr().out
    # resuming a finished run trains no more epochs
    again = fit(model, _batches(), nn.CrossEntropyLoss(), opt, 2, checkpoint=path, resume=True)
    assert again.history == history.history


def test_progress_bar_shows_running_metrics(capsys, monkeypatch):
    import tensorgrad.training as training

    monkeypatch.setattr(training, "_use_tqdm", lambda progress: progress)  # as on a terminal
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, _batches(), nn.CrossEntropyLoss(), opt, 2, val_loader=_batches(seed=4))
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "loss=" in captured.err and "accuracy=" in captured.err
    assert "lr=0.1" in captured.err
    assert [line.split(" - ")[0] for line in captured.out.splitlines()] == [
        "epoch 1/2",
        "epoch 2/2",
    ]
    fit(model, _batches(), nn.CrossEntropyLoss(), opt, 1, progress=False)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------- with tensorgrad.data's DataLoader

SEED_EXAMPLE = """\
from tensorgrad.tensor import Tensor
from tensorgrad.nn import Linear, ReLU, Sequential, CrossEntropyLoss
from tensorgrad.optim import Adam
from tensorgrad.data import TensorDataset, DataLoader
from tensorgrad.training import fit
x = Tensor.randn(1000, 20); y = Tensor.randint(0, 5, (1000,))
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
model = Sequential(Linear(20, 64), ReLU(), Linear(64, 5))
fit(model, loader, CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3), num_epochs=10)
"""


def test_seed_example_runs_verbatim_and_learns(capsys):
    exec(SEED_EXAMPLE, {"__name__": "__main__"})
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    losses = [float(line.split("train_loss ")[1].split()[0]) for line in lines]
    assert losses[-1] < losses[0] - 0.05


def test_resume_with_dataloader_is_bit_identical(tmp_path):
    from tensorgrad.data import DataLoader, TensorDataset

    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((44, 4)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 3, 44))
    _check_resume(tmp_path, lambda: DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True))


def test_fit_with_dataloaders_weights_the_short_batch():
    from tensorgrad.data import DataLoader, TensorDataset

    x, y = tg.randn(21, 4), tg.randint(0, 3, (21,))
    model = _model()
    val = DataLoader(TensorDataset(x, y), batch_size=8)
    expected = evaluate(model, [(x, y)], nn.CrossEntropyLoss())
    got = evaluate(model, val, nn.CrossEntropyLoss())
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-6)
    assert got["accuracy"] == expected["accuracy"]
    train = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    history = fit(model, train, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), 2)
    assert len(history) == 2
