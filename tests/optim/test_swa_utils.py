"""tensorgrad.optim.swa_utils against torch.optim.swa_utils: averaged weights and buffers over
a sequence of model states (SWA, EMA, per-tensor and list functions, use_buffers), SWALR's
learning rates, and update_bn's recomputed BatchNorm statistics."""

import numpy as np
import pytest
import torch

import tensorgrad as tg


def _models():
    """The same small model in both libraries: Linear, BatchNorm1d (buffers), Linear."""
    rng = np.random.default_rng(0)
    models = []
    for lib in (tg, torch):
        nn = lib.nn
        models.append(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)))
    state = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32)
             for k, v in models[1].state_dict().items() if v.dtype == torch.float32}  # fmt: skip
    for model, lib in zip(models, (tg, torch)):
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()}, strict=False)
    return models


def _perturb(models, step):
    rng = np.random.default_rng(10 + step)
    for name, _ in models[1].state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        delta = rng.standard_normal(tuple(models[1].state_dict()[name].shape)).astype(np.float32)
        for model, lib in zip(models, (tg, torch)):
            with lib.no_grad():
                model.state_dict()[name].add_(lib.tensor(delta))


def _same(ours, theirs, rtol=1e-6):
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_allclose(a[k].numpy(), b[k].numpy(), rtol=rtol, atol=1e-6, err_msg=k)


KINDS = {
    "swa": lambda lib: {},
    "ema list": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)},
    "ema tensor": lambda lib: {"avg_fn": lib.optim.swa_utils.get_ema_avg_fn(0.8)},
    "swa list": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_swa_multi_avg_fn()},
    "swa buffers": lambda lib: {"use_buffers": True},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_averaged_model_follows_torch(kind):
    models = _models()
    averaged = [
        lib.optim.swa_utils.AveragedModel(model, **KINDS[kind](lib))
        for model, lib in zip(models, (tg, torch))
    ]
    for step in range(4):
        _perturb(models, step)
        for avg, model in zip(averaged, models):
            avg.update_parameters(model)
        _same(*averaged)
    assert averaged[0].n_averaged.item() == 4 and averaged[0].n_averaged.dtype == tg.int64
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    for avg in averaged:
        avg.eval()
    np.testing.assert_allclose(
        averaged[0](tg.tensor(x)).detach().numpy(), averaged[1](torch.tensor(x)).detach().numpy(),
        rtol=1e-5, atol=1e-6,
    )  # fmt: skip


def test_both_average_functions_raise():
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        tg.optim.swa_utils.AveragedModel(tg.nn.Linear(2, 2), avg_fn=len, multi_avg_fn=len)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3])
def test_swalr_learning_rates_match_torch(strategy, anneal_epochs):
    lrs = []
    for lib in (tg, torch):
        ps = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(2))]
        opt = lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=1.0)
        swa = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.1], anneal_epochs=anneal_epochs,
                                        anneal_strategy=strategy)  # fmt: skip
        seen = []
        for _ in range(6):
            opt.step()
            swa.step()
            seen.append(swa.get_last_lr())
        lrs.append(seen)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-12)


def test_swalr_checks_like_torch():
    opt = tg.optim.SGD([tg.nn.Parameter(tg.zeros(2))], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear'"):
        tg.optim.swa_utils.SWALR(opt, 0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        tg.optim.swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)


def test_update_bn_recomputes_running_statistics_as_torch():
    models = _models()
    x = np.random.default_rng(2).standard_normal((24, 3)).astype(np.float32) * 3 + 1
    for model, lib in zip(models, (tg, torch)):
        batches = [(lib.tensor(x[i : i + 8]), lib.zeros(8)) for i in range(0, 24, 8)]
        model.eval()
        lib.optim.swa_utils.update_bn(batches, model)
        assert not model.training and model[1].momentum == 0.1
    _same(*models, rtol=1e-5)
