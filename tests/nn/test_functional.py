"""``tensorgrad.nn.functional`` against ``torch.nn.functional`` and finite differences (see
tests/op_harness.py), plus numerical stability, dropout and one_hot.

Class-index targets are ``Const`` int64 inputs. Class weights are made inside the spec in the
input's dtype: PyTorch has no gradient for them, and the harness would make a float input
differentiable.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.op_harness import UNARY, Const, OpSpec, away_from_zero, make_tests

torch = pytest.importorskip("torch")

F = tg.nn.functional
M23, T423 = ((2, 3),), ((4, 2, 3),)


def targets(*shape, classes=3, ignore=None):
    """Class indices; with ``ignore``, a few of them (and always the first) set to it."""

    def make(rng):
        t = rng.integers(0, classes, shape)
        if ignore is not None:
            t[rng.random(shape) < 0.3] = ignore
            t.flat[0] = ignore
        return t

    return Const(make)


def probabilities(*shape, dim=1):
    def make(rng):
        e = np.exp(rng.standard_normal(shape))
        return e / e.sum(axis=dim, keepdims=True)

    return Const(make)


def weight(lib, x):
    return lib.tensor([0.5, 2.0, 1.25], dtype=x.dtype)


def fn_(name, **kwargs):
    """``lib.nn.functional.<name>(*inputs, **kwargs)``"""
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kwargs)


def ce(**kwargs):
    return lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, **kwargs)


def ce_weighted(**kwargs):
    return lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, weight=weight(lib, x), **kwargs)


def nll(**kwargs):
    return lambda lib, x, t: lib.nn.functional.nll_loss(x, t, **kwargs)


def nll_weighted(**kwargs):
    return lambda lib, x, t: lib.nn.functional.nll_loss(x, t, weight=weight(lib, x), **kwargs)


def pad(widths, **kwargs):
    return lambda lib, x: lib.nn.functional.pad(x, widths, **kwargs)


NC = (4, 3)  # (N, C) logits
NCD = (2, 3, 4)  # (N, C, d) logits

OPS = [
    # ------------------------------------------------------------------ activations
    OpSpec("nn.functional.softmax", fn_("softmax", dim=-1), UNARY),
    OpSpec("nn.functional.softmax", fn_("softmax", dim=0), [M23, T423]),
    OpSpec("nn.functional.softmax", fn_("softmax", dim=1), [M23, T423, ((3, 1),)]),
    OpSpec("nn.functional.log_softmax", fn_("log_softmax", dim=-1), UNARY),
    OpSpec("nn.functional.log_softmax", fn_("log_softmax", dim=0), [M23, T423]),
    OpSpec("nn.functional.log_softmax", fn_("log_softmax", dim=1), [M23, T423, ((3, 1),)]),
    OpSpec("nn.functional.relu", fn_("relu"), UNARY, gen=away_from_zero),
    OpSpec("nn.functional.gelu", fn_("gelu"), UNARY),
    OpSpec("nn.functional.gelu", fn_("gelu", approximate="tanh"), UNARY),
    OpSpec("nn.functional.silu", fn_("silu"), UNARY),
    OpSpec("nn.functional.tanh", fn_("tanh"), UNARY),
    OpSpec("nn.functional.sigmoid", fn_("sigmoid"), UNARY),
    OpSpec("nn.functional.softplus", fn_("softplus"), UNARY),
    OpSpec("nn.functional.softplus", fn_("softplus", beta=2.0, threshold=1.5), UNARY),
    OpSpec("nn.functional.elu", fn_("elu"), UNARY, gen=away_from_zero),
    OpSpec("nn.functional.elu", fn_("elu", alpha=0.5), UNARY, gen=away_from_zero),
    OpSpec("nn.functional.leaky_relu", fn_("leaky_relu"), UNARY, gen=away_from_zero),
    OpSpec(
        "nn.functional.leaky_relu", fn_("leaky_relu", negative_slope=0.2), UNARY, gen=away_from_zero
    ),
    # ------------------------------------------------------------------ linear
    OpSpec(
        "nn.functional.linear",
        fn_("linear"),  # weight (out, in), bias (out,)
        [((4, 3), (2, 3), (2,)), ((5, 4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)), ((4, 3), (2, 3))],
    ),
    # ------------------------------------------------------------------ regression losses
    OpSpec(
        "nn.functional.mse_loss", fn_("mse_loss"), [((2, 3), (2, 3)), ((), ()), ((4, 2, 3),) * 2]
    ),
    OpSpec("nn.functional.mse_loss", fn_("mse_loss", reduction="sum"), [((2, 3), (2, 3))]),
    OpSpec("nn.functional.mse_loss", fn_("mse_loss", reduction="none"), [((2, 3), (2, 3))]),
    # ------------------------------------------------------------------ classification losses
    OpSpec("nn.functional.cross_entropy", ce(), [(NC, targets(4)), ((3,), targets())]),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(),
        [(NCD, targets(2, 4)), ((2, 3, 2, 2), targets(2, 2, 2))],
    ),
    OpSpec(
        "nn.functional.cross_entropy", ce(reduction="sum"), [(NC, targets(4)), (NCD, targets(2, 4))]
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(reduction="none"),
        [(NC, targets(4)), (NCD, targets(2, 4))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce_weighted(),
        [(NC, targets(4)), (NCD, targets(2, 4))],
    ),
    OpSpec("nn.functional.cross_entropy", ce_weighted(reduction="none"), [(NC, targets(4))]),
    OpSpec("nn.functional.cross_entropy", ce_weighted(reduction="sum"), [(NCD, targets(2, 4))]),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(),  # some targets are the default ignore_index -100
        [(NC, targets(4, ignore=-100)), (NCD, targets(2, 4, ignore=-100))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(ignore_index=1, reduction="none"),
        [(NC, targets(4, ignore=1)), (NCD, targets(2, 4, ignore=1))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce_weighted(ignore_index=2),
        [(NC, targets(4, ignore=2)), (NCD, targets(2, 4, ignore=2))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(label_smoothing=0.1),
        [(NC, targets(4)), (NCD, targets(2, 4)), ((3,), targets())],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(label_smoothing=0.2, reduction="sum"),
        [(NC, targets(4, ignore=-100)), (NCD, targets(2, 4))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(label_smoothing=0.2, reduction="none"),
        [(NC, targets(4, ignore=-100))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce_weighted(label_smoothing=0.3, ignore_index=0),
        [(NC, targets(4, ignore=0)), (NCD, targets(2, 4, ignore=0))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce_weighted(label_smoothing=0.3, reduction="none"),
        [(NCD, targets(2, 4))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(),  # class probabilities as targets (differentiable too)
        [(NC, probabilities(*NC)), (NCD, probabilities(*NCD)), ((3,), probabilities(3, dim=0))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        ce(label_smoothing=0.1, reduction="sum"),
        [(NC, probabilities(*NC)), (NCD, probabilities(*NCD))],
    ),
    OpSpec(
        "nn.functional.cross_entropy",
        lambda lib, x, t: lib.nn.functional.cross_entropy(x, t, weight(lib, x), reduction="none"),
        [(NCD, probabilities(*NCD))],
    ),
    OpSpec(
        "nn.functional.nll_loss", nll(), [(NC, targets(4)), (NCD, targets(2, 4)), ((3,), targets())]
    ),
    OpSpec("nn.functional.nll_loss", nll(reduction="sum"), [(NC, targets(4))]),
    OpSpec("nn.functional.nll_loss", nll(reduction="none"), [(NCD, targets(2, 4))]),
    OpSpec(
        "nn.functional.nll_loss",
        nll_weighted(ignore_index=1),
        [(NC, targets(4, ignore=1)), (NCD, targets(2, 4, ignore=1))],
    ),
    OpSpec(
        "nn.functional.nll_loss",
        nll(ignore_index=-100, reduction="none"),
        [(NC, targets(4, ignore=-100))],
    ),
    # ------------------------------------------------------------------ padding
    OpSpec("nn.functional.pad", pad((1, 2)), [((3,),), M23, T423]),
    OpSpec("nn.functional.pad", pad((1, 2, 0, 1), value=0.5), [M23, T423]),
    OpSpec("nn.functional.pad", pad((1, 0, 2, 1, 1, 1), mode="constant", value=-1.0), [T423]),
    OpSpec("nn.functional.pad", pad((-1, 1)), [M23, T423]),  # negative widths crop
    OpSpec("nn.functional.pad", pad((1, -1, -1, 2)), [T423]),
    OpSpec("nn.functional.pad", pad((0, 0)), [M23]),
    OpSpec("nn.functional.pad", pad((2, 1), mode="reflect"), [M23, T423]),
    OpSpec("nn.functional.pad", pad((1, 2, 1, 0), mode="reflect"), [((2, 3, 4),)]),
    OpSpec("nn.functional.pad", pad((2, 3), mode="replicate"), [M23, T423]),
    OpSpec("nn.functional.pad", pad((1, 0, 2, 1), mode="replicate"), [((2, 2, 3),)]),
    OpSpec("nn.functional.pad", pad((1, 2), mode="circular"), [M23, T423]),
    OpSpec("nn.functional.pad", pad((3, 0, 1, 2), mode="circular"), [((2, 3, 3),)]),
    # negative widths crop first, then wrap around what is left
    OpSpec("nn.functional.pad", pad((-1, 1), mode="circular"), [T423]),
    OpSpec("nn.functional.pad", pad((2, -1, -1, 1), mode="circular"), [((2, 3, 4),)]),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_softmax_family_is_stable_for_large_logits(scale):
    logits = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, -2.0]]) * scale
    target = np.array([2, 0])
    results = {}
    for lib in (tg, torch):
        x = lib.tensor(logits, requires_grad=True)
        t = lib.tensor(target)
        outs = [
            lib.nn.functional.softmax(x, dim=1),
            lib.nn.functional.log_softmax(x, dim=1),
            lib.nn.functional.cross_entropy(x, t),
            lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1),
        ]
        sum(o.sum() for o in outs[1:]).backward()
        results[lib] = [o.detach().numpy() for o in outs] + [x.grad.numpy()]
    for ours, theirs in zip(results[tg], results[torch]):
        assert np.all(np.isfinite(ours))
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------- dropout


def test_dropout_identity_when_not_training_or_p_zero():
    x = tg.randn(4, 5)
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())


def test_dropout_zeros_fraction_and_scaling():
    p = 0.3
    x = tg.ones(200, 500)
    y = F.dropout(x, p).numpy()
    zeros = np.mean(y == 0)
    assert abs(zeros - p) < 0.01  # 100k Bernoulli draws: std of the fraction is 0.0015
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert y.dtype == np.float32


def test_dropout_p_one_zeroes_everything_and_bad_p_raises():
    assert not F.dropout(tg.ones(3, 3), 1.0).numpy().any()
    with pytest.raises(ValueError):
        F.dropout(tg.ones(3), 1.5)
    with pytest.raises(ValueError):
        F.dropout(tg.ones(3), -0.1)


def test_dropout_is_reproducible_under_manual_seed():
    x = tg.randn(10, 10)
    tg.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    tg.manual_seed(123)
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_dropout_gradient_is_mask_times_scale():
    p = 0.25
    x = tg.randn(6, 7, dtype=tg.float64, requires_grad=True)
    y = F.dropout(x, p)
    g = np.random.default_rng(0).standard_normal((6, 7))
    y.backward(tg.tensor(g))
    kept = y.detach().numpy() != 0
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(x.grad.numpy(), g * kept / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * kept / (1 - p))


# ---------------------------------------------------------------------- one_hot


@pytest.mark.parametrize(
    "labels,num_classes",
    [([0, 2, 1, 2], -1), ([0, 2, 1, 2], 5), ([[1, 0], [3, 3]], -1), ([[1, 0], [3, 3]], 4), (2, 3)],
)
def test_one_hot_matches_torch(labels, num_classes):
    ours = F.one_hot(tg.tensor(labels), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), num_classes)
    assert ours.dtype == tg.int64
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_errors():
    with pytest.raises(RuntimeError):
        F.one_hot(tg.tensor([0, 3]), 3)  # class 3 needs num_classes >= 4
    with pytest.raises(RuntimeError):
        F.one_hot(tg.tensor([0.0, 1.0]))  # not an index tensor
