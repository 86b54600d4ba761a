"""tensorgrad.grad_flow (also tg.utils): grad_report's table, flags and plot, and
track_updates' update ratios."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.utils import grad_report, track_updates


class Scale(nn.Module):
    """Multiplies by a constant: 1e-12 starves everything before it of gradient."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def forward(self, x):
        return x * self.c


def _mlp(*middle):
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), *middle, nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 3))  # fmt: skip


def _backward(model, scale=1.0):
    x = tg.randn(16, 4)
    y = tg.randint(0, 3, (16,))
    (nn.functional.cross_entropy(model(x), y) * scale).backward()


def test_table_of_a_three_layer_mlp():
    model = _mlp()
    _backward(model)
    report = grad_report(model)
    names = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [r.name for r in report.rows] == names
    assert report["2.weight"].shape == (8, 8)
    g = model[2].weight.grad.numpy().astype(np.float64)
    row = report["2.weight"]
    assert row.grad_norm == pytest.approx(np.linalg.norm(g), rel=1e-6)
    assert row.grad_mean == pytest.approx(g.mean(), rel=1e-6, abs=1e-12)
    assert row.grad_max == pytest.approx(np.abs(g).max(), rel=1e-6)
    assert row.update_ratio is None and not report.flagged
    text = str(report)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["parameter", "shape", "grad", "norm"]
    body = lines[2 : 2 + len(names)]
    assert [line.split()[0] for line in body] == names
    assert len({len(line) for line in body}) == 1  # no flags here, so all rows end together
    # the columns line up: every number column ends where its header ends
    end = lines[0].index("grad norm") + len("grad norm")
    assert all(line[end - 1] != " " and line[end] == " " for line in body)
    assert "8x8" in text and "track_updates" in text
    assert all(line.rstrip().endswith("-") for line in body)  # ratio not tracked


def test_vanishing_layer_is_flagged_and_healthy_ones_are_not():
    model = _mlp(Scale(1e-12))  # everything before the scale gets ~1e-12 of the gradient
    _backward(model)
    report = grad_report(model)
    flags = {r.name: r.flag for r in report.rows}
    assert flags["0.weight"] == "vanishing" and flags["0.bias"] == "vanishing"
    # 3.weight's gradient is (upstream gradient) x (its input), and its input was scaled too
    assert flags["3.weight"] == "vanishing"
    assert all(flags[n] == "" for n in ["3.bias", "5.weight", "5.bias"])
    assert "vanishing" in str(report)


def test_deep_sigmoid_stack_vanishes_at_the_bottom():
    tg.manual_seed(0)
    layers = [nn.Linear(4, 8), nn.Sigmoid()]
    for _ in range(11):
        layers += [nn.Linear(8, 8), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(8, 3))
    with tg.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(0.3)
    _backward(model)
    flags = {r.name: r.flag for r in grad_report(model).rows}
    assert flags["0.weight"] == "vanishing"
    assert flags["24.weight"] == ""


def test_exploding_and_nan_flags():
    model = _mlp()
    _backward(model, scale=1e6)
    report = grad_report(model)
    assert report["4.weight"].flag == "exploding"
    assert all(r.flag == "" for r in grad_report(model, exploding=1e9).rows)
    model[0].bias.grad = tg.full((8,), float("nan"))
    model[2].bias.grad = None
    report = grad_report(model, exploding=1e9)
    assert report["0.bias"].flag == "nan/inf" and report["2.bias"].flag == "no grad"
    assert {r.name for r in report.flagged} == {"0.bias", "2.bias"}


def test_update_ratio_of_sgd_is_lr_times_grad_over_weight():
    model = _mlp()
    opt = tg.optim.SGD(model.parameters(), lr=0.05)
    updates = track_updates(opt)
    _backward(model)
    before = {n: p.detach().numpy().astype(np.float64) for n, p in model.named_parameters()}
    opt.step()
    report = grad_report(model, updates)
    for name, p in model.named_parameters():
        g = p.grad.numpy().astype(np.float64)
        expected = 0.05 * np.linalg.norm(g) / np.linalg.norm(before[name])
        assert report[name].update_ratio == pytest.approx(expected, rel=1e-4)
    assert updates.steps == 1
    # a huge learning rate makes the weights' updates explode, though the gradients are fine
    opt.param_groups[0]["lr"] = 100.0
    opt.step()
    report = grad_report(model, updates)
    assert report["2.weight"].flag == "exploding" and report["2.weight"].update_ratio > 0.1
    assert report["2.bias"].flag == ""  # biases are left out of the ratio test
    updates.remove()
    opt.step()
    assert updates.steps == 2


def test_mapping_and_pairs_are_accepted():
    model = _mlp()
    _backward(model)
    a = grad_report(dict(model.named_parameters()))
    b = grad_report(list(model.named_parameters()))
    assert [r.grad_norm for r in a.rows] == [r.grad_norm for r in b.rows]
    assert all(math.isfinite(r.grad_norm) for r in a.rows)


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    model = _mlp(Scale(1e-12))
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    updates = track_updates(opt)
    _backward(model)
    opt.step()
    path = tmp_path / "report.png"
    grad_report(model, updates).plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
