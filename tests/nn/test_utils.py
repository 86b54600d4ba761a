"""tensorgrad.nn.utils (gradient clipping, parameter vectors, the weight-norm and spectral-norm
hooks, batch-norm fusion, skip_init) against torch.nn.utils; the parametrizations are in
tests/nn/test_parametrize.py."""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn import utils
from tests.nn.layer_harness import check_layer, copy_weights

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (3,), (2, 2, 2), ()]


def _pair(scale=1.0, dtype=np.float32, shapes=SHAPES, with_grad=(True, True, False, True)):
    """The same parameters (and gradients where ``with_grad``) in both libraries."""
    rng = np.random.default_rng(0)
    tg_params, th_params = [], []
    for shape, has_grad in zip(shapes, with_grad):
        value = rng.standard_normal(shape).astype(dtype)
        p, q = tg.nn.Parameter(tg.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        if has_grad:
            g = (scale * rng.standard_normal(shape)).astype(dtype)
            p.grad, q.grad = tg.tensor(g), torch.tensor(g)
        tg_params.append(p)
        th_params.append(q)
    return tg_params, th_params


def _assert_grads_equal(tg_params, th_params, rtol=1e-6):
    for p, q in zip(tg_params, th_params):
        if q.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == tg.float32 or p.grad.dtype == tg.float64
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])  # clipping, and a coefficient clamped to 1
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    tg_params, th_params = _pair(scale=3.0)
    total = utils.clip_grad_norm_(tg_params, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(th_params, max_norm, norm_type=norm_type)
    assert isinstance(total, tg.Tensor) and total.shape == ()
    assert total.dtype == tg.float32
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-6)
    _assert_grads_equal(tg_params, th_params)


def test_clip_grad_norm_result_has_max_norm():
    tg_params, _ = _pair(scale=10.0, dtype=np.float64)
    before = utils.clip_grad_norm_(tg_params, 2.0)
    after = math.sqrt(
        sum(float((p.grad.numpy() ** 2).sum()) for p in tg_params if p.grad is not None)
    )
    assert before.item() > 2.0
    assert after == pytest.approx(2.0 * before.item() / (before.item() + 1e-6), rel=1e-12)


def test_clip_grad_norm_float64_and_a_single_tensor():
    tg_params, th_params = _pair(dtype=np.float64)
    total = utils.clip_grad_norm_(tg_params[0], 0.1)
    expected = torch.nn.utils.clip_grad_norm_(th_params[0], 0.1)
    assert total.dtype == tg.float64
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    _assert_grads_equal(tg_params, th_params, rtol=1e-12)


def test_clip_grad_norm_accepts_a_generator_such_as_module_parameters():
    model = tg.nn.Linear(4, 3)
    model(tg.randn(5, 4)).sum().backward()
    w = model.weight.grad.numpy().copy()
    b = model.bias.grad.numpy().copy()
    total = utils.clip_grad_norm_(model.parameters(), 0.01)
    np.testing.assert_allclose(total.item(), np.sqrt((w**2).sum() + (b**2).sum()), rtol=1e-6)
    coef = 0.01 / (total.item() + 1e-6)
    np.testing.assert_allclose(model.weight.grad.numpy(), w * coef, rtol=1e-5)


def test_clip_grad_norm_without_gradients_returns_zero():
    tg_params, _ = _pair(with_grad=(False, False, False, False))
    total = utils.clip_grad_norm_(tg_params, 1.0)
    assert total.item() == 0.0
    assert all(p.grad is None for p in tg_params)
    with pytest.warns(UserWarning, match="empty generator"):
        assert utils.clip_grad_norm_((p for p in []), 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    tg_params, th_params = _pair()
    for params in (tg_params, th_params):
        params[0].grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(tg_params, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(th_params, 1.0, error_if_nonfinite=True)
    # unchecked, the NaN spreads to every gradient, as in PyTorch
    total = utils.clip_grad_norm_(tg_params, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(th_params, 1.0)
    assert math.isnan(total.item()) and math.isnan(expected.item())
    for p, q in zip(tg_params, th_params):
        if q.grad is not None:
            np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(q.grad.numpy()))


def test_clip_grad_norm_inf_is_rejected_only_when_asked():
    tg_params, _ = _pair()
    tg_params[1].grad[0] = float("inf")
    with pytest.raises(RuntimeError, match="order 2.0"):
        utils.clip_grad_norm_(tg_params, 1.0, error_if_nonfinite=True)


def test_clip_records_no_graph():
    tg_params, _ = _pair()
    for p in tg_params:
        if p.grad is not None:
            p.grad.requires_grad_(True)
    total = utils.clip_grad_norm_(tg_params, 0.1)
    assert total.grad_fn is None
    assert all(p.grad.grad_fn is None for p in tg_params if p.grad is not None)


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    tg_params, th_params = _pair(scale=2.0)
    tg_grads = [p.grad for p in tg_params if p.grad is not None]
    th_grads = [p.grad for p in th_params if p.grad is not None]
    for norm_type in (2.0, 1.0, math.inf):
        total = utils.get_total_norm(tg_grads, norm_type)
        expected = torch.nn.utils.get_total_norm(th_grads, norm_type)
        np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-6)
    utils.clip_grads_with_norm_(tg_params, 0.3, utils.get_total_norm(tg_grads))
    torch.nn.utils.clip_grads_with_norm_(th_params, 0.3, torch.nn.utils.get_total_norm(th_grads))
    _assert_grads_equal(tg_params, th_params)


def test_clip_grad_norm_deprecated_alias():
    tg_params, th_params = _pair(scale=3.0)
    with pytest.warns(FutureWarning):
        total = utils.clip_grad_norm(tg_params, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(th_params, 0.5)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("clip_value", [0.5, 2, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    tg_params, th_params = _pair(scale=2.0)
    assert utils.clip_grad_value_(tg_params, clip_value) is None
    torch.nn.utils.clip_grad_value_(th_params, clip_value)
    _assert_grads_equal(tg_params, th_params)
    # a single tensor works too
    tg_params, th_params = _pair(scale=2.0)
    utils.clip_grad_value_(tg_params[0], clip_value)
    torch.nn.utils.clip_grad_value_(th_params[0], clip_value)
    _assert_grads_equal(tg_params, th_params)


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    tg_model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.ReLU(), tg.nn.Linear(4, 2))
    th_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tg_model.load_state_dict(th_model.state_dict())
    vec = utils.parameters_to_vector(tg_model.parameters())
    expected = torch.nn.utils.parameters_to_vector(th_model.parameters())
    assert vec.shape == (sum(p.numel() for p in th_model.parameters()),)
    np.testing.assert_array_equal(vec.detach().numpy(), expected.detach().numpy())
    weights = np.arange(vec.shape[0], dtype=np.float32)
    (vec * tg.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for (name, p), q in zip(tg_model.named_parameters(), th_model.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)


def test_vector_to_parameters_matches_torch_and_shares_storage():
    tg_model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Linear(4, 2, bias=False))
    th_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2, bias=False))
    n = sum(p.numel() for p in th_model.parameters())
    values = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    vec = tg.tensor(values)
    utils.vector_to_parameters(vec, tg_model.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(values), th_model.parameters())
    for (name, p), q in zip(tg_model.named_parameters(), th_model.parameters()):
        assert p.shape == tuple(q.shape)
        assert isinstance(p, tg.nn.Parameter) and p.requires_grad
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
    # the parameters are views of vec, as in PyTorch
    vec.data[0] = 123.0
    assert tg_model[0].weight.detach().numpy()[0, 0] == 123.0
    # round trip
    np.testing.assert_array_equal(
        utils.parameters_to_vector(tg_model.parameters()).detach().numpy(), vec.numpy()
    )


def test_vector_to_parameters_errors():
    model = tg.nn.Linear(3, 2)
    with pytest.raises(TypeError, match="expected tensorgrad.Tensor"):
        utils.vector_to_parameters(np.zeros(8), model.parameters())
    with pytest.raises(RuntimeError, match="vec has 5 elements"):
        utils.vector_to_parameters(tg.zeros(5), model.parameters())


def test_importable_as_torch_spells_it():
    # the import itself is the test (torch.nn.utils spells it this way)
    from tensorgrad.nn.utils import clip_grad_norm_, parameters_to_vector  # noqa: F401

    assert tg.nn.utils.clip_grad_value_ is utils.clip_grad_value_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        utils.clip_grad_norm_(tg.nn.Linear(2, 2).parameters(), 1.0)


# ---------------------------------------------------------------------- weight norm (hooks)

WEIGHT_NORM_LAYERS = [
    ("Linear", (4, 3), (5, 4)),
    ("Conv1d", (2, 3, 3), (2, 2, 6)),
    ("Conv2d", (2, 3, 3), (1, 2, 5, 5)),
    ("ConvTranspose2d", (3, 2, 2), (1, 3, 3, 3)),
]


@pytest.mark.parametrize("dim", [0, 1, None, -2])
@pytest.mark.parametrize("name, args, shape", WEIGHT_NORM_LAYERS)
def test_weight_norm_matches_torch(name, args, shape, dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours = utils.weight_norm(getattr(tg.nn, name)(*args), dim=dim)
        theirs = torch.nn.utils.weight_norm(getattr(torch.nn, name)(*args), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # bias, weight_g, weight_v
    assert ours.weight_g.shape == tuple(theirs.weight_g.shape)
    x = np.random.default_rng(0).standard_normal(shape)
    check_layer(ours, theirs, [x])  # output, input gradient, weight_g / weight_v gradients
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy())


def test_weight_norm_starts_at_the_weight_warns_and_is_removable():
    layer = tg.nn.Linear(4, 3)
    weight = layer.weight.detach().numpy().copy()
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        utils.weight_norm(layer)
    np.testing.assert_allclose(layer.weight.detach().numpy(), weight, rtol=1e-6)
    np.testing.assert_allclose(
        layer.weight_g.detach().numpy()[:, 0], np.linalg.norm(weight, axis=1), rtol=1e-6
    )
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError, match="Cannot register two"):
        utils.weight_norm(layer)
    layer.weight_v.detach().mul_(2.0)  # the direction's scale does not matter
    layer(tg.randn(2, 4))
    np.testing.assert_allclose(layer.weight.detach().numpy(), weight, rtol=1e-6)
    with tg.no_grad():
        layer.weight_g.mul_(3.0)
    utils.remove_weight_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"]
    assert isinstance(layer.weight, tg.nn.Parameter)
    np.testing.assert_allclose(layer.weight.detach().numpy(), 3 * weight, rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        utils.remove_weight_norm(layer)


# ---------------------------------------------------------------------- spectral norm (hooks)


@pytest.mark.parametrize(
    "name, args, shape, kwargs",
    [
        ("Linear", (4, 3), (5, 4), {}),
        ("Linear", (6, 5), (2, 6), {"n_power_iterations": 3, "eps": 1e-6}),
        ("Conv2d", (2, 3, 3), (1, 2, 5, 5), {}),
        ("ConvTranspose2d", (3, 2, 2), (1, 3, 3, 3), {}),  # dim 1 by default
        ("Conv1d", (2, 4, 3), (2, 2, 6), {"dim": 1}),
    ],
)
def test_spectral_norm_matches_torch_in_training_and_eval(name, args, shape, kwargs):
    ours = utils.spectral_norm(getattr(tg.nn, name)(*args), **kwargs)
    theirs = torch.nn.utils.spectral_norm(getattr(torch.nn, name)(*args), **kwargs)
    keys = ["bias", "weight_orig", "weight_u", "weight_v"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    ours.double()
    theirs.double()
    copy_weights(ours, theirs)  # the same starting u and v
    x = np.random.default_rng(0).standard_normal(shape)
    for _ in range(2):  # training: each call runs the power iteration and updates u, v
        check_layer(ours, theirs, [x], copy=False)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            p.grad, q.grad = None, None
    check_layer(ours, theirs, [x], train=False, copy=False)  # eval: u and v as stored


def test_spectral_norm_converges_to_the_largest_singular_value_and_is_removable():
    layer = tg.nn.Linear(5, 4)
    w = layer.weight.detach().numpy().copy()
    utils.spectral_norm(layer, n_power_iterations=20)
    layer(tg.randn(1, 5))
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(layer.weight.detach().numpy(), w / sigma, rtol=1e-4)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        utils.spectral_norm(layer)
    utils.remove_spectral_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(layer.weight.detach().numpy(), w / sigma, rtol=1e-4)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        utils.remove_spectral_norm(layer)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        utils.spectral_norm(tg.nn.Linear(2, 2), n_power_iterations=0)


# ---------------------------------------------------------------------- fusion


def _bn_pair(name, channels, affine=True):
    ours, theirs = (
        getattr(tg.nn, name)(channels, affine=affine),
        getattr(torch.nn, name)(channels, affine=affine),
    )
    rng = np.random.default_rng(1)
    state = {k: v.numpy().copy() for k, v in theirs.state_dict().items()}
    state["running_mean"] = rng.standard_normal(channels).astype(np.float32)
    state["running_var"] = rng.uniform(0.5, 2.0, channels).astype(np.float32)
    if affine:
        state["weight"] = rng.standard_normal(channels).astype(np.float32)
        state["bias"] = rng.standard_normal(channels).astype(np.float32)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.load_state_dict(state)
    return ours.eval(), theirs.eval()


@pytest.mark.parametrize(
    "conv, args, bn, shape, transpose, affine",
    [
        ("Conv2d", (3, 4, 3), "BatchNorm2d", (2, 3, 5, 5), False, True),
        ("Conv1d", (3, 4, 1), "BatchNorm1d", (2, 3, 5), False, False),
        ("ConvTranspose2d", (3, 4, 2), "BatchNorm2d", (1, 3, 3, 3), True, True),
    ],
)
def test_fuse_conv_bn_eval_matches_torch(conv, args, bn, shape, transpose, affine):
    c_ours, c_theirs = getattr(tg.nn, conv)(*args), getattr(torch.nn, conv)(*args)
    copy_weights(c_ours, c_theirs)
    b_ours, b_theirs = _bn_pair(bn, args[1], affine)
    c_ours.eval()
    c_theirs.eval()
    fused = utils.fuse_conv_bn_eval(c_ours, b_ours, transpose=transpose)
    reference = torch.nn.utils.fuse_conv_bn_eval(c_theirs, b_theirs, transpose=transpose)
    assert type(fused) is type(c_ours) and fused is not c_ours
    for (k, p), (j, q) in zip(fused.named_parameters(), reference.named_parameters()):
        assert k == j and isinstance(p, tg.nn.Parameter) and p.requires_grad
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7)
    x = tg.randn(*shape)
    np.testing.assert_allclose(
        fused(x).detach().numpy(), b_ours(c_ours(x)).detach().numpy(), rtol=1e-4, atol=1e-5
    )


def test_fuse_linear_bn_eval_and_weights_match_torch():
    l_ours, l_theirs = tg.nn.Linear(4, 3, bias=False), torch.nn.Linear(4, 3, bias=False)
    copy_weights(l_ours, l_theirs)
    b_ours, b_theirs = _bn_pair("BatchNorm1d", 3)
    l_ours.eval()
    l_theirs.eval()
    fused = utils.fuse_linear_bn_eval(l_ours, b_ours)
    reference = torch.nn.utils.fuse_linear_bn_eval(l_theirs, b_theirs)
    for p, q in zip(fused.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7)
    x = tg.randn(5, 4)
    np.testing.assert_allclose(
        fused(x).detach().numpy(), b_ours(l_ours(x)).detach().numpy(), rtol=1e-4, atol=1e-5
    )
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        utils.fuse_linear_bn_eval(l_ours.train(), b_ours)
    with pytest.raises(AssertionError, match="bn.num_features == 1"):
        utils.fuse_linear_bn_eval(tg.nn.Linear(4, 2).eval(), b_ours)
    w, b = utils.fuse_linear_bn_weights(
        l_ours.weight, None, b_ours.running_mean, b_ours.running_var, 1e-5,
        b_ours.weight, b_ours.bias,
    )  # fmt: skip
    v, c = torch.nn.utils.fuse_linear_bn_weights(
        l_theirs.weight, None, b_theirs.running_mean, b_theirs.running_var, 1e-5,
        b_theirs.weight, b_theirs.bias,
    )  # fmt: skip
    np.testing.assert_allclose(w.detach().numpy(), v.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), c.detach().numpy(), rtol=1e-6)
    assert not b.requires_grad and not c.requires_grad  # a zero bias made for the fusion


# ---------------------------------------------------------------------- skip_init


def test_skip_init_builds_the_module_without_consuming_random_draws():
    tg.manual_seed(0)
    expected = tg.rand(3).numpy()
    tg.manual_seed(0)
    m = utils.skip_init(tg.nn.Linear, 10, 5, dtype=tg.float64)
    assert type(m) is tg.nn.Linear and m.weight.shape == (5, 10) and m.weight.dtype == tg.float64
    np.testing.assert_array_equal(tg.rand(3).numpy(), expected)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        utils.skip_init(int)
    with pytest.raises(RuntimeError, match="support a 'device' arg"):
        utils.skip_init(tg.nn.ReLU)
