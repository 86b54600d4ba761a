"""``nn.utils.prune`` against PyTorch: the same layer built in both libraries from PyTorch's
weights and pruned the same way (random methods after the same seed), then the masks, the
pruned weight, the state dict (``weight_orig``, ``weight_mask``), the forward and the gradient
of ``weight_orig``; iterative and global pruning, ``remove``, the errors, and a training step."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn.utils import prune
from tests.nn.layer_harness import check_layer, copy_weights

torch = pytest.importorskip("torch")
tprune = pytest.importorskip("torch.nn.utils.prune")


def _np(t):
    return t.detach().numpy()


def _both(build):
    """``build(lib)`` in both libraries, PyTorch's weights copied into ours."""
    ours, theirs = build(tg), build(torch)
    copy_weights(ours, theirs)
    return ours, theirs


def linear(lib):
    return lib.nn.Linear(6, 5)


def conv(lib):
    return lib.nn.Conv2d(3, 4, 3)


def _prune_both(ours, theirs, fn: str, *args, seed=0, **kwargs):
    """``prune.<fn>`` on ours and PyTorch's, each library's generator seeded alike."""
    tg.manual_seed(seed)
    getattr(prune, fn)(ours, *args, **kwargs)
    torch.manual_seed(seed)
    getattr(tprune, fn)(theirs, *args, **kwargs)


def _assert_same_state(ours, theirs, name="weight"):
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key, value in theirs_sd.items():
        np.testing.assert_array_equal(_np(ours_sd[key]), _np(value), err_msg=key)
    np.testing.assert_array_equal(_np(getattr(ours, name)), _np(getattr(theirs, name)))


def _check_forward_backward(ours, theirs, in_shape):
    """Outputs, input gradients and every parameter's gradient (``weight_orig``'s too)."""
    x = np.random.default_rng(1).standard_normal(in_shape)
    check_layer(ours, theirs, [x], copy=False)


def _scores(lib, shape):
    return lib.tensor(np.random.default_rng(2).standard_normal(shape).astype(np.float32))


CASES = [
    ("identity", (), {}),
    ("l1_unstructured", (), {"amount": 0.3}),
    ("l1_unstructured", (), {"amount": 7}),
    ("random_unstructured", (), {"amount": 0.45}),
    ("random_unstructured", (), {"amount": 11}),
    ("ln_structured", (), {"amount": 2, "n": 2, "dim": 0}),
    ("ln_structured", (), {"amount": 0.5, "n": 1, "dim": 1}),
    ("ln_structured", (), {"amount": 1, "n": float("inf"), "dim": -1}),
    ("ln_structured", (), {"amount": 1, "n": float("-inf"), "dim": 0}),
    ("random_structured", (), {"amount": 2, "dim": 0}),
    ("random_structured", (), {"amount": 0.34, "dim": 1}),
    ("random_structured", (), {"amount": 1, "dim": -1}),
]


@pytest.mark.parametrize("build", [linear, conv])
@pytest.mark.parametrize(("fn", "args", "kwargs"), CASES)
def test_method_matches_torch(build, fn, args, kwargs):
    ours, theirs = _both(build)
    _prune_both(ours, theirs, fn, "weight", *args, seed=3, **kwargs)
    assert list(ours.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in ours.named_parameters()] == ["bias", "weight_orig"]
    assert "weight" not in dict(ours.named_parameters())
    assert prune.is_pruned(ours)
    _assert_same_state(ours, theirs)
    mask = _np(ours.weight_mask)
    assert mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
    in_shape = (3, 6) if build is linear else (2, 3, 5, 5)
    _check_forward_backward(ours, theirs, in_shape)


@pytest.mark.parametrize("build", [linear, conv])
def test_importance_scores_match_torch(build):
    ours, theirs = _both(build)
    shape = tuple(theirs.weight.shape)
    prune.l1_unstructured(ours, "weight", 0.5, importance_scores=_scores(tg, shape))
    tprune.l1_unstructured(theirs, "weight", 0.5, importance_scores=_scores(torch, shape))
    prune.ln_structured(ours, "weight", 1, 2, 0, importance_scores=_scores(tg, shape))
    tprune.ln_structured(theirs, "weight", 1, 2, 0, importance_scores=_scores(torch, shape))
    _assert_same_state(ours, theirs)


def test_custom_from_mask_and_bias_match_torch():
    ours, theirs = _both(linear)
    mask = np.random.default_rng(4).random(5) > 0.5
    prune.custom_from_mask(ours, "bias", tg.tensor(mask))
    tprune.custom_from_mask(theirs, "bias", torch.tensor(mask))
    assert list(ours.state_dict()) == ["weight", "bias_orig", "bias_mask"]
    _assert_same_state(ours, theirs, "bias")
    _check_forward_backward(ours, theirs, (3, 6))


@pytest.mark.parametrize("n", ["nuc", "fro"])
def test_matrix_norms_on_a_3d_weight_match_torch(n):
    """torch.norm reads 'nuc' and 'fro' over two dims as matrix norms (over three, an error)."""
    ours, theirs = _both(lambda lib: lib.nn.Conv1d(3, 5, 3))
    _prune_both(ours, theirs, "ln_structured", "weight", amount=2, n=n, dim=0)
    _assert_same_state(ours, theirs)
    for lib, layer in ((prune, conv(tg)), (tprune, conv(torch))):
        with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
            lib.ln_structured(layer, "weight", amount=2, n=n, dim=0)


def test_iterative_pruning_combines_masks_like_torch():
    ours, theirs = _both(conv)
    _prune_both(ours, theirs, "l1_unstructured", "weight", amount=0.2)
    first = _np(ours.weight_mask).copy()
    _prune_both(ours, theirs, "random_structured", "weight", amount=1, dim=0, seed=5)
    _prune_both(ours, theirs, "ln_structured", "weight", amount=1, n=1, dim=1)
    _prune_both(ours, theirs, "random_unstructured", "weight", amount=0.25, seed=6)
    hooks = list(ours._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer)
    kinds = [type(m).__name__ for m in hooks[0]]
    assert kinds == ["L1Unstructured", "RandomStructured", "LnStructured", "RandomUnstructured"]
    last = _np(ours.weight_mask)
    assert np.all(last <= first)  # pruned entries stay pruned
    _assert_same_state(ours, theirs)
    _check_forward_backward(ours, theirs, (2, 3, 5, 5))


def test_global_unstructured_matches_torch():
    builds = [linear, conv, lambda lib: lib.nn.Linear(5, 3)]
    pairs = [_both(b) for b in builds]
    # the first one already pruned: its mask is respected and its zeros not counted again
    _prune_both(*pairs[0], "l1_unstructured", "weight", amount=10)
    for lib, p in ((prune, 0), (tprune, 1)):
        params = [(pair[p], "weight") for pair in pairs] + [(pairs[2][p], "bias")]
        lib.global_unstructured(params, pruning_method=lib.L1Unstructured, amount=60)
    for ours, theirs in pairs:
        _assert_same_state(ours, theirs)
    total = sum(int((_np(o.weight_mask) == 0).sum()) for o, _ in pairs)
    assert total + int((_np(pairs[2][0].bias_mask) == 0).sum()) == 70
    tg.manual_seed(7)
    prune.global_unstructured(
        ((o, "weight") for o, _ in pairs), prune.RandomUnstructured, amount=0.1
    )
    torch.manual_seed(7)
    tprune.global_unstructured(
        [(t, "weight") for _, t in pairs], tprune.RandomUnstructured, amount=0.1
    )
    for ours, theirs in pairs:
        _assert_same_state(ours, theirs)
    _check_forward_backward(*pairs[1], (2, 3, 5, 5))


def test_global_unstructured_importance_scores_match_torch():
    pairs = [_both(linear), _both(linear)]
    for lib, p in ((tg, 0), (torch, 1)):
        params = [(pair[p], "weight") for pair in pairs]
        scores = {params[1]: _scores(lib, (5, 6))}
        (prune if lib is tg else tprune).global_unstructured(
            params,
            (prune if lib is tg else tprune).L1Unstructured,
            importance_scores=scores,
            amount=0.5,
        )
    for ours, theirs in pairs:
        _assert_same_state(ours, theirs)


def test_remove_makes_pruning_permanent():
    ours, theirs = _both(linear)
    _prune_both(ours, theirs, "l1_unstructured", "weight", amount=0.5)
    _prune_both(ours, theirs, "ln_structured", "weight", amount=1, n=2, dim=0)
    orig = ours.weight_orig
    assert prune.remove(ours, "weight") is ours
    tprune.remove(theirs, "weight")
    assert list(ours.state_dict()) == ["bias", "weight"]  # weight registered again, last
    assert ours.weight is orig and isinstance(ours.weight, tg.nn.Parameter)
    assert not prune.is_pruned(ours) and not ours._forward_pre_hooks and not ours._call_hooks
    _assert_same_state(ours, theirs)
    _check_forward_backward(ours, theirs, (3, 6))


def test_pytorch_checkpoint_loads_into_a_pruned_module():
    _, theirs = _both(conv)
    tprune.l1_unstructured(theirs, "weight", amount=0.4)
    ours = prune.identity(conv(tg), "weight")  # the keys a pruned checkpoint needs
    copy_weights(ours, theirs)
    _check_forward_backward(ours, theirs, (2, 3, 5, 5))  # the forward recomputes weight
    _assert_same_state(ours, theirs)


def test_is_pruned_looks_at_submodules():
    net = tg.nn.Sequential(tg.nn.Linear(3, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
    assert not prune.is_pruned(net)
    prune.random_unstructured(net[2], "bias", amount=1)
    assert prune.is_pruned(net)


def test_prune_method_on_a_tensor_matches_torch():
    w = np.random.default_rng(8).standard_normal((4, 5)).astype(np.float32)
    ours = prune.L1Unstructured(amount=6).prune(tg.tensor(w))
    theirs = tprune.L1Unstructured(amount=6).prune(torch.tensor(w))
    np.testing.assert_array_equal(_np(ours), _np(theirs))
    ours = prune.LnStructured(2, n=2, dim=1).prune(tg.tensor(w), default_mask=tg.ones(4, 5))
    theirs = tprune.LnStructured(2, n=2, dim=1).prune(torch.tensor(w))
    np.testing.assert_array_equal(_np(ours), _np(theirs))


def test_a_pruned_model_trains():
    """weight_orig's gradient is the weight's masked, so an optimizer step leaves the pruned
    weights at zero; the step matches PyTorch's."""
    ours, theirs = _both(linear)
    _prune_both(ours, theirs, "l1_unstructured", "weight", amount=0.5)
    x = np.random.default_rng(9).standard_normal((8, 6)).astype(np.float32)
    for model, lib in ((ours, tg), (theirs, torch)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            model(lib.tensor(x)).square().mean().backward()
            opt.step()
    mask = _np(ours.weight_mask)
    assert np.all(_np(ours.weight_orig.grad)[mask == 0] == 0)
    ours(tg.tensor(x))  # the pre-hook recomputes weight from the stepped weight_orig
    theirs(torch.tensor(x))
    assert np.all(_np(ours.weight)[mask == 0] == 0)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(_np(ours.state_dict()[key]), _np(value), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("fn", "kwargs", "error", "match"),
    [
        ("l1_unstructured", {"name": "weight", "amount": 1.5}, ValueError, "float in the range"),
        ("l1_unstructured", {"name": "weight", "amount": -1}, ValueError, "non-negative"),
        ("random_unstructured", {"name": "weight", "amount": "a"}, TypeError, "Invalid type"),
        ("l1_unstructured", {"name": "weight", "amount": 31}, ValueError, "smaller than"),
        ("random_structured", {"name": "weight", "amount": 6, "dim": 0}, ValueError, "smaller"),
        ("l1_unstructured", {"name": "wieght", "amount": 1}, AttributeError, "wieght"),
        ("random_structured", {"name": "bias", "amount": 1, "dim": 0}, ValueError, "multidim"),
        ("ln_structured", {"name": "weight", "amount": 1, "n": 2, "dim": 2}, IndexError, "2"),
    ],
)
def test_errors_match_torch_and_leave_the_module_unpruned(fn, kwargs, error, match):
    ours, theirs = _both(linear)
    with pytest.raises(error, match=match):
        getattr(tprune, fn)(theirs, **kwargs)
    with pytest.raises(error, match=match):
        getattr(prune, fn)(ours, **kwargs)
    # a failed first pruning registers weight again, last (as PyTorch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert not prune.is_pruned(ours)


def test_a_failed_second_pruning_keeps_the_first():
    """(PyTorch drops the first pruning's hook here; tensorgrad keeps the module as it was.)"""
    ours = linear(tg)
    prune.l1_unstructured(ours, "weight", amount=3)
    with pytest.raises(ValueError, match="smaller than"):
        prune.l1_unstructured(ours, "weight", amount=28)  # 27 entries are left unpruned
    hooks = list(ours._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.L1Unstructured)
    prune.l1_unstructured(ours, "weight", amount=2)
    with pytest.raises(ValueError, match="smaller than"):
        prune.l1_unstructured(ours, "weight", amount=26)
    with pytest.raises(AssertionError, match="same shape"):
        prune.l1_unstructured(ours, "weight", amount=1, importance_scores=ours.bias)
    (container,) = ours._forward_pre_hooks.values()
    assert len(container) == 2 and int((_np(ours.weight_mask) == 0).sum()) == 5


def test_other_errors_match_torch():
    for lib, nn in ((prune, tg.nn), (tprune, torch.nn)):
        layer = nn.Linear(6, 5)
        with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
            lib.remove(layer, "weight")
        with pytest.raises(AssertionError, match="same shape as parameter weight"):
            lib.l1_unstructured(layer, "weight", 1, importance_scores=layer.bias)
        with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE'):
            lib.global_unstructured([(layer, "weight")], lib.LnStructured, amount=1, n=2)
        with pytest.raises(TypeError, match="parameters is not an Iterable"):
            lib.global_unstructured(3, lib.L1Unstructured, amount=1)
        container = lib.PruningContainer(lib.L1Unstructured.apply(layer, "weight", 1))
        with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
            container.add_pruning_method(3)
        with pytest.raises(ValueError, match="Can only add pruning methods acting on"):
            container.add_pruning_method(lib.Identity.apply(layer, "bias"))


def test_tied_scores_prune_as_many_of_the_smallest():
    """PyTorch leaves which of tied entries topk picks unspecified (its CPU quickselect's
    order); ours takes the lowest indices. The count and the values pruned agree."""
    w = np.array([[0.5, -0.1, 0.1, 0.3, -0.1, 0.2], [0.1, 0.4, -0.1, 0.6, 0.7, 0.1]], np.float32)
    for lib, nn in ((prune, tg.nn), (tprune, torch.nn)):
        layer = nn.Linear(6, 2)
        layer.weight.data = (tg if lib is prune else torch).tensor(w)
        lib.l1_unstructured(layer, "weight", amount=4)
        pruned = _np(layer.weight_mask) == 0
        assert pruned.sum() == 4 and np.all(np.abs(w[pruned]) == np.float32(0.1))
    assert _np(prune.l1_unstructured(linear(tg), "weight", 0.0).weight_mask).all()
