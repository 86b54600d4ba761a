"""tensorgrad.nn.utils (gradient clipping, parameter vectors) against torch.nn.utils."""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn import utils

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
