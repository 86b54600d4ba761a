"""The ``torch``-level forms of nn.functional's functions (tensorgrad/nn/aliases.py), called with
PyTorch's positional signatures and compared with ``torch.<name>``: values, dtypes, tuples,
the gradients of every floating input (random upstream gradients) and the inputs afterwards
(running statistics), in float64."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn import aliases

torch = pytest.importorskip("torch")


class Const:
    """A float array passed without requires_grad (running statistics, loss weights)."""

    def __init__(self, array):
        self.array = array


def _lib_args(lib, args):
    out = []
    for a in args:
        if isinstance(a, Const):
            out.append(lib.tensor(a.array))
        elif isinstance(a, np.ndarray):
            t = lib.tensor(a)
            if a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


def _check(name, *args, **kwargs):
    ours_in, theirs_in = _lib_args(tg, args), _lib_args(torch, args)
    ours = _flat(getattr(tg, name)(*ours_in, **kwargs))
    theirs = _flat(getattr(torch, name)(*theirs_in, **kwargs))
    assert len(ours) == len(theirs), name
    rng = np.random.default_rng(0)
    roots, th_roots, grads = [], [], []
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape), f"{name}: {a.shape} vs {tuple(b.shape)}"
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12)
        if b.requires_grad:
            g = rng.standard_normal(tuple(b.shape))
            roots.append(a)
            th_roots.append(b)
            grads.append(g)
    if roots:
        tg.autograd.backward(roots, [tg.tensor(g) for g in grads])
        torch.autograd.backward(th_roots, [torch.tensor(g) for g in grads])
    for a, b in zip(ours_in, theirs_in):
        if isinstance(b, torch.Tensor):  # values too: running statistics are updated in place
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
        if isinstance(b, torch.Tensor) and b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


def _r(*shape, seed=0, low=None):
    rng = np.random.default_rng(seed + len(shape))
    if low is not None:
        return rng.uniform(low, low + 1.5, shape)
    return rng.standard_normal(shape)


def _distinct(*shape):
    n = int(np.prod(shape))
    return (np.random.default_rng(3).permutation(n) * 0.1 - n * 0.05).reshape(shape)


def _signs(n):
    return np.where(np.random.default_rng(5).random(n) < 0.5, -1.0, 1.0)


CASES = [
    ("conv1d", (_r(2, 3, 7), _r(4, 3, 3), _r(4), 2, 1)),
    ("conv1d", (_r(2, 4, 7), _r(4, 2, 3), None, 1, "same", 2, 2)),
    ("conv2d", (_r(2, 3, 5, 6), _r(4, 3, 3, 2), _r(4), (2, 1), (1, 0))),
    ("conv3d", (_r(1, 2, 4, 5, 4), _r(3, 2, 2, 3, 2), _r(3), 1, 1, (1, 2, 1))),
    ("conv_transpose1d", (_r(2, 3, 5), _r(3, 2, 3), _r(2), 2, 1, 1)),
    ("conv_transpose2d", (_r(2, 4, 3, 3), _r(4, 1, 3, 2), None, 2, 0, 1, 2)),
    ("conv_transpose3d", (_r(1, 2, 2, 3, 2), _r(2, 3, 2, 2, 2), _r(3), 2, 1, 1, 1, 1)),
    ("max_pool1d", (_distinct(2, 3, 9), 3, 2, 1)),
    ("max_pool2d", (_distinct(2, 3, 6, 5), 2)),
    ("max_pool2d", (_distinct(2, 3, 6, 5), (3, 2), (2, 1), 1, 1, True)),
    ("max_pool3d", (_distinct(1, 2, 4, 5, 4), 2, 1, 1, (2, 1, 1))),
    ("max_pool1d_with_indices", (_distinct(2, 3, 9), 3, 2, 1, 1, True)),
    ("avg_pool1d", (_r(2, 3, 9), 3, 2, 1, True, False)),
    ("adaptive_avg_pool1d", (_r(2, 3, 9), 4)),
    ("adaptive_max_pool1d", (_distinct(2, 3, 9), 4)),
    (
        "batch_norm",
        (_r(4, 3, 5), _r(3), _r(3), Const(_r(3)), Const(_r(3, low=0.5)), True, 0.2, 1e-3, False),
    ),
    (
        "batch_norm",
        (_r(4, 3), None, None, Const(_r(3)), Const(_r(3, low=0.5)), False, 0.1, 1e-5, True),
    ),
    ("instance_norm", (_r(2, 3, 6), _r(3), _r(3), None, None, True, 0.1, 1e-5, False)),
    ("layer_norm", (_r(2, 3, 4), (3, 4), _r(3, 4), _r(3, 4), 1e-4)),
    ("group_norm", (_r(2, 6, 4), 3, _r(6), _r(6))),
    ("rms_norm", (_r(2, 3, 4), (4,), _r(4), 1e-3)),
    ("embedding", (_r(5, 3), np.array([[0, 2, 4], [2, 2, 1]]))),
    ("embedding", (_r(5, 3), np.array([[0, 2, 4], [2, 2, 1]]), 2)),
    ("embedding", (_r(5, 3), np.array([0, 4, 3]), -2)),  # negative: no padding row
    ("dropout", (_r(3, 4), 0.5, False)),
    ("alpha_dropout", (_r(3, 4), 0.5, False)),
    ("feature_alpha_dropout", (_r(3, 4), 0.5, False)),
    ("pixel_shuffle", (_r(2, 8, 2, 3), 2)),
    ("pixel_unshuffle", (_r(2, 2, 4, 6), 2)),
    ("channel_shuffle", (_r(2, 6, 2, 2), 3)),
    ("prelu", (_r(2, 3, 4), _r(3))),
    ("selu", (_r(3, 4),)),
    ("celu", (_r(3, 4), 1.5)),
    ("celu", (_r(3, 4),)),
    ("hardshrink", (_r(3, 4), 0.3)),
    ("threshold", (_r(3, 4), 0.1, -2.0)),
    ("bilinear", (_r(3, 4), _r(3, 5), _r(2, 4, 5), _r(2))),
    ("cosine_similarity", (_r(3, 4), _r(3, 4), 1, 1e-6)),
    ("pairwise_distance", (_r(3, 4), _r(3, 4), 3.0, 1e-6, True)),
    ("kl_div", (_r(3, 4), _r(3, 4, low=0.1))),
    ("kl_div", (_r(3, 4), _r(3, 4), 1), {"log_target": True}),
    ("kl_div", (_r(3, 4), _r(3, 4, low=0.1), 2)),
    ("poisson_nll_loss", (_r(3, 4), _r(3, 4, low=0.0), True, False, 1e-8, 1)),
    ("poisson_nll_loss", (_r(3, 4, low=0.5), _r(3, 4, low=0.0), False, True, 1e-8, 0)),
    ("margin_ranking_loss", (_r(5), _r(5, seed=1), _signs(5))),
    ("margin_ranking_loss", (_r(5), _r(5, seed=1), _signs(5), 0.3, 2)),
    ("hinge_embedding_loss", (_r(5), _signs(5), 0.5, 1)),
    ("hinge_embedding_loss", (_r(5), _signs(5))),
    ("cosine_embedding_loss", (_r(5, 3), _r(5, 3, seed=1), _signs(5), 0.2, 1)),
    ("triplet_margin_loss", (_r(4, 3), _r(4, 3, seed=1), _r(4, 3, seed=2), 0.5, 1.5, 1e-6, True)),
    ("triplet_margin_loss", (_r(4, 3), _r(4, 3, seed=1), _r(4, 3, seed=2), 1.0, 2, 1e-6, False, 2)),
    ("binary_cross_entropy_with_logits", (_r(3, 4), _r(3, 4, low=0.0) / 1.5)),
    (
        "binary_cross_entropy_with_logits",
        (_r(3, 4), _r(3, 4, low=0.0) / 1.5, Const(_r(3, 4, low=0.5)), Const(_r(4, low=0.5)), 1),
    ),
    ("constant_pad_nd", (_r(2, 3), (1, 2, 0, 1), 0.5)),
    ("constant_pad_nd", (_r(2, 3, 2), (1, 0))),
    ("grid_sampler", (_r(1, 2, 3, 4), _r(1, 2, 3, 2) * 0.8, 0, 0, False)),
    ("grid_sampler", (_r(1, 2, 3, 4), _r(1, 2, 3, 2) * 0.8, 2, 2, True)),
    ("grid_sampler", (_r(1, 2, 2, 3, 4), _r(1, 2, 2, 3, 3) * 0.8, 1, 1, False)),
    ("affine_grid_generator", (_r(2, 2, 3), (2, 3, 4, 5), False)),
    ("affine_grid_generator", (_r(2, 3, 4), (2, 1, 2, 3, 4), True)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_matches_torch(case):
    name, args, *kwargs = case
    _check(name, *args, **(kwargs[0] if kwargs else {}))


def test_every_alias_is_exported_at_the_top_level_and_documented():
    for name in aliases.__all__:
        fn = getattr(tg, name)
        assert fn is getattr(aliases, name)
        assert fn.__doc__, name
        assert hasattr(torch, name), name
    assert {c[0] for c in CASES} == set(aliases.__all__)


def test_dropout_in_training_and_required_arguments():
    x = tg.ones(2000)
    y = tg.dropout(x, 0.25, True)
    kept = y.numpy() != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75, rtol=1e-6)
    with pytest.raises(TypeError):
        tg.dropout(x, 0.5)  # train is required, as in PyTorch


def test_grid_sampler_rejects_unknown_enums():
    with pytest.raises(RuntimeError, match="interpolation_mode in"):
        tg.grid_sampler(tg.randn(1, 1, 2, 2), tg.randn(1, 1, 1, 2), 3, 0, False)


def test_torch_names_resolve_under_as_torch():
    """``import torch`` under tensorgrad.as_torch finds these names in tensorgrad."""
    from tensorgrad.as_torch.mapping import MODULES

    assert MODULES["torch"].targets == ("tensorgrad",)
    for name in ("conv3d", "max_pool3d", "batch_norm", "grid_sampler", "constant_pad_nd"):
        assert callable(getattr(tg, name))
