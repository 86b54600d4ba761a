"""tensorgrad.viz: the DOT text of known graphs, gradient norms, collapsing, rendering."""

import re
import shutil

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn, viz
from tensorgrad.autograd import function

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` is not on PATH (apt-get install graphviz; CI installs it)",
)


def parse(source: str) -> tuple:
    """The DOT text as ({id: label}, {(from label, to label)})."""
    labels = dict(re.findall(r'^\s+(\w+) \[label="(.*?)"', source, re.M))
    labels = {k: v.replace("\\n", "\n") for k, v in labels.items()}
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"^\s+(\w+) -> (\w+)$", source, re.M)}
    return labels, edges


def small_graph():
    a = tg.randn(2, 3, requires_grad=True)
    b = tg.randn(2, 3, requires_grad=True)
    c = tg.randn(3, requires_grad=True)
    return a, b, c, ((a * b) + c).sum()


def test_dot_of_a_small_graph_has_the_nodes_and_edges():
    a, b, c, loss = small_graph()
    labels, edges = parse(viz.draw_graph(loss, params={"a": a, "b": b, "c": c}).source)
    assert sorted(labels.values()) == sorted(
        [
            "SumBackward0\n() float32",
            "AddBackward0\n(2, 3) float32",
            "MulBackward0\n(2, 3) float32",
            "a\n(2, 3) float32",
            "b\n(2, 3) float32",
            "c\n(3,) float32",
            "output\n() float32",
        ]
    )
    mul, add = "MulBackward0\n(2, 3) float32", "AddBackward0\n(2, 3) float32"
    total = "SumBackward0\n() float32"
    assert edges == {
        ("a\n(2, 3) float32", mul),
        ("b\n(2, 3) float32", mul),
        (mul, add),
        ("c\n(3,) float32", add),
        (add, total),
        (total, "output\n() float32"),
    }


def test_leaves_without_params_are_called_leaf_and_dtypes_follow_the_graph():
    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    labels, _ = parse(viz.draw_graph((x.exp() * 2).mean()).source)
    assert "leaf\n(3,) float64" in labels.values()
    assert "ExpBackward0\n(3,) float64" in labels.values()


def test_show_grads_shows_the_norms_of_the_real_gradients():
    a, b, c, loss = small_graph()
    graph = viz.draw_graph(loss, params={"a": a, "b": b, "c": c}, show_grads=True)
    assert "grad norm" not in graph.source  # nothing flowed yet
    loss.backward()
    labels = graph.labels
    by_title = {text.split("\n")[0]: text for text in labels.values()}

    def norm(title):
        return float(re.search(r"grad norm (\S+)", by_title[title]).group(1))

    exact = {labels[k].split("\n")[0]: v for k, v in graph.grad_norms.items()}
    for name, t in (("a", a), ("b", b), ("c", c)):
        assert exact[name] == pytest.approx(np.linalg.norm(t.grad.numpy()), rel=1e-6)
        assert norm(name) == pytest.approx(exact[name], rel=5e-3)  # 3 significant digits
    assert exact["SumBackward0"] == pytest.approx(1.0)
    assert exact["MulBackward0"] == pytest.approx(np.sqrt(6))  # d sum / d(a*b) = 1
    assert exact["c"] == pytest.approx(np.sqrt(12))  # c broadcast over 2 rows: grad 2 each


def test_collapse_draws_one_box_per_repeated_block():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return x + self.fc(x).tanh()

    model = nn.Sequential(Block(), Block(), Block())
    x = tg.randn(2, 4)
    with viz.trace(model):
        loss = model(x).sum()
    assert function._watch is None  # tracing stops with the block
    labels, edges = parse(viz.draw_graph(loss, collapse=True).source)
    boxes = sorted(t for t in labels.values() if "(Block)" in t)
    assert [b.split("\n")[0] for b in boxes] == ["0 (Block)", "1 (Block)", "2 (Block)"]
    assert all("3 ops, 2 params" in b for b in boxes)  # linear, tanh, add; fc.weight, fc.bias
    assert not any(t.startswith(("LinearBackward0", "TanhBackward0")) for t in labels.values())
    first = {b.split("\n")[0]: b for b in boxes}
    assert (first["0 (Block)"], first["1 (Block)"]) in edges
    assert (first["1 (Block)"], first["2 (Block)"]) in edges


def test_collapse_without_trace_says_what_to_do():
    _, _, _, loss = small_graph()
    with pytest.raises(ValueError, match="viz.trace"):
        viz.draw_graph(loss, collapse=True)


def test_trace_names_parameters_and_records_nothing_outside():
    model = nn.Linear(3, 2)
    with viz.trace(model):
        y = model(tg.randn(1, 3)).sum()
    labels, _ = parse(viz.draw_graph(y).source)
    assert {"weight\n(2, 3) float32", "bias\n(2,) float32"} <= set(labels.values())
    z = model(tg.randn(1, 3)).sum()
    assert not hasattr(z.grad_fn, "_viz_modules")
    assert not model._forward_hooks and not model._forward_pre_hooks


def mlp_graph():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    loss = nn.CrossEntropyLoss()(model(tg.randn(5, 4)), tg.tensor([0, 1, 2, 0, 1]))
    return viz.draw_graph(loss, dict(model.named_parameters()), show_grads=True), loss


@needs_dot
def test_render_svg_of_an_mlp_holds_its_node_labels(tmp_path):
    pytest.importorskip("graphviz")
    graph, loss = mlp_graph()
    loss.backward()
    path = graph.render(tmp_path / "mlp.svg")
    svg = open(path).read()
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    for label in (
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "LinearBackward0",
        "ReluBackward0",
        "(5, 8) float32",
        "grad norm",
    ):
        assert label in svg, label
    png = graph.render(tmp_path / "mlp.png")
    assert open(png, "rb").read().startswith(b"\x89PNG")


def test_render_without_dot_raises_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    graph, _ = mlp_graph()
    with pytest.raises(RuntimeError, match="apt-get install graphviz|pip install graphviz"):
        graph.render(tmp_path / "mlp.svg")
