"""Activations against PyTorch.

* an op table (tests/op_harness.py) for the functions added beside the modules (gradcheck,
  gradgradcheck, float32/float64 comparison with ``torch.nn.functional``), with inputs kept
  0.1 away from every kink (hardtanh at +-1, relu6 at 0 and 6, the shrinks at +-lambd, ...);
  softmax, log_softmax, relu, gelu, ... have theirs in tests/nn/test_functional.py;
* every module through ``check_layer``: values, input gradients and repr; ``PReLU``'s weight,
  its gradient and its state-dict key;
* the errors for bad input.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer, copy_weights
from tests.op_harness import UNARY, OpSpec, away_from_zero, make_tests

torch = pytest.importorskip("torch")
F_ = tg.nn.functional


def avoiding(*kinks, scale=3.0):
    """Normal values times ``scale``, each pushed at least 0.1 away from every kink."""

    def gen(rng, shape):
        x = rng.standard_normal(shape) * scale
        for k in kinks:
            d = x - k
            x = np.where(np.abs(d) < 0.1, k + np.sign(d + (d == 0)) * (np.abs(d) + 0.1), x)
        return x

    return gen


def fn_(name, **kwargs):
    """``lib.nn.functional.<name>(*inputs, **kwargs)``"""
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kwargs)


def spec(name, cases=UNARY, gen=away_from_zero, **kwargs):
    return OpSpec(f"nn.functional.{name}", fn_(name, **kwargs), cases, gen=gen)


PRELU = [  # (input, weight): one slope, or one per channel (dim 1)
    ((2, 3), (3,)),
    ((2, 3), (1,)),
    ((4, 3, 2), (3,)),
    ((3,), (1,)),
    ((), (1,)),
]

OPS = [
    spec("logsigmoid", gen=avoiding(scale=10.0)),  # wide: both tails of the stable formula
    spec("hardtanh", gen=avoiding(-1.0, 1.0)),
    spec("hardtanh", gen=avoiding(-0.5, 2.0), min_val=-0.5, max_val=2.0),
    spec("relu6", gen=avoiding(0.0, 6.0, scale=4.0)),
    spec("hardsigmoid", gen=avoiding(-3.0, 3.0, scale=4.0)),
    spec("hardswish", gen=avoiding(-3.0, 3.0, scale=4.0)),
    spec("mish", gen=avoiding(scale=3.0)),
    spec("selu"),
    spec("celu"),
    spec("celu", alpha=0.5),
    spec("softsign"),  # |x|: its second derivative jumps at 0
    spec("softmin", gen=avoiding(), dim=-1),
    spec("softmin", [((2, 3),), ((4, 2, 3),)], gen=avoiding(), dim=0),
    spec("glu", [((2, 4),), ((4, 2, 6),), ((6,),)], gen=avoiding()),
    spec("glu", [((4, 3),), ((2, 4, 3),)], gen=avoiding(), dim=0),
    spec("glu", [((2, 4, 3),)], gen=avoiding(), dim=1),
    spec("threshold", gen=avoiding(0.5), threshold=0.5, value=-2.0),
    spec("tanhshrink", gen=avoiding()),
    spec("softshrink", gen=avoiding(-0.5, 0.5)),
    spec("softshrink", gen=avoiding(-1.5, 1.5), lambd=1.5),
    spec("hardshrink", gen=avoiding(-0.5, 0.5)),
    spec("hardshrink", gen=avoiding(-1.5, 1.5), lambd=1.5),
    spec("prelu", PRELU),
    OpSpec("hardshrink", lambda lib, x: x.hardshrink(0.7), [((2, 3),)], gen=avoiding(-0.7, 0.7)),
    OpSpec("prelu", lambda lib, x, w: x.prelu(w), PRELU[:1], gen=avoiding()),
    # rrelu out of training: leaky_relu with slope (lower + upper) / 2
    spec("rrelu", gen=avoiding()),
    spec("rrelu", gen=avoiding(), lower=0.2, upper=0.6, training=False),
]


def in_place(name, gen=away_from_zero, **kwargs):
    """``lib.nn.functional.<name>`` (an in-place form) applied to ``x * 1``, a non-leaf whose
    storage it overwrites: the result's gradient flows through the in-place write."""

    def fn(lib, x):
        y = x * 1
        out = getattr(lib.nn.functional, name)(y, **kwargs)
        assert out is y
        return out

    return OpSpec(f"nn.functional.{name}", fn, UNARY, gen=gen)


OPS += [
    in_place("relu_"),
    in_place("elu_"),
    in_place("elu_", alpha=0.5),
    in_place("leaky_relu_"),
    in_place("leaky_relu_", negative_slope=0.2),
    in_place("hardtanh_", gen=avoiding(-1.0, 1.0)),
    in_place("hardtanh_", gen=avoiding(-0.5, 2.0), min_val=-0.5, max_val=2.0),
    in_place("threshold_", gen=avoiding(0.5), threshold=0.5, value=-2.0),
    in_place("celu_"),
    in_place("celu_", alpha=2.0),
    in_place("selu_"),
    in_place("rrelu_", gen=avoiding()),
    in_place("rrelu_", gen=avoiding(), lower=0.1, upper=0.2),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)

# (name, constructor args, constructor kwargs)
CASES = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("Tanh", (), {}),
    ("Sigmoid", (), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("GELU", ("none",), {}),
    ("SiLU", (), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("LeakyReLU", (), {"negative_slope": 0.3, "inplace": True}),
    ("Softplus", (), {}),
    ("Softplus", (2.0,), {}),
    ("Softplus", (), {"beta": 0.5, "threshold": 3.0}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("ELU", (), {"alpha": 2.0, "inplace": True}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (-1,), {}),
    ("Softmax", (0,), {}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (-1,), {}),
    ("LogSoftmax", (0,), {}),
    ("LogSigmoid", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardtanh", (), {"min_val": 0.0, "max_val": 3.0, "inplace": True}),
    ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (), {"inplace": True}),
    ("Hardswish", (), {}),
    ("Hardswish", (), {"inplace": True}),
    ("Mish", (), {}),
    ("Mish", (), {"inplace": True}),
    ("SELU", (), {}),
    ("SELU", (), {"inplace": True}),
    ("CELU", (), {}),
    ("CELU", (0.5,), {}),
    ("CELU", (), {"alpha": 2.0, "inplace": True}),
    ("Softsign", (), {}),
    ("Softmin", (), {"dim": 1}),
    ("Softmin", (-1,), {}),
    ("GLU", (), {}),
    ("GLU", (0,), {}),
    ("GLU", (), {"dim": 1}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (), {"threshold": -1.0, "value": 0.0, "inplace": True}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (1.0,), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (), {"lambd": 2.0}),
]
IDS = [f"{n}{a}{k}" for n, a, k in CASES]
SHAPES = [(4, 5), (2, 3, 4), (6,)]


def _input(shape, seed=0):
    # away from relu's kink at 0; wide enough to cross the Softplus thresholds
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    return np.asarray(np.sign(x) * (np.abs(x) + 0.05))  # an array even for shape ()


def _layers(name, args, kwargs):
    """inplace layers are checked out of place (an in-place op on a leaf that requires grad is
    an error, see the test below); tensorgrad's activations never write to their input."""
    kwargs = {k: v for k, v in kwargs.items() if k != "inplace"}
    return getattr(tg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


INPLACE = [(n, a, k) for n, a, k in CASES if k.get("inplace")]


@pytest.mark.parametrize("name, args, kwargs", INPLACE, ids=[f"{n}{a}" for n, a, _ in INPLACE])
def test_inplace_activation_refuses_a_leaf_that_requires_grad(name, args, kwargs):
    """inplace=True computes out of place but raises where PyTorch's write is refused."""
    for lib in (tg, torch):
        layer = getattr(lib.nn, name)(*args, **kwargs)
        leaf = lib.tensor(_input((3,)), requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being"):
            layer(leaf)
        assert layer(leaf * 1).shape == (3,)  # a non-leaf is fine
        with lib.no_grad():
            layer(leaf)


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_matches_torch(name, args, kwargs, shape):
    dim = args[0] if args else kwargs.get("dim", -1 if name == "GLU" else None)
    if name in ("Softmax", "LogSoftmax", "Softmin", "GLU") and dim == 1 and len(shape) < 2:
        pytest.skip("dim 1 needs two dimensions")
    if name == "GLU" and shape[dim] % 2:
        pytest.skip("GLU halves an even dimension")
    tg_layer, th_layer = _layers(name, args, kwargs)
    check_layer(tg_layer, th_layer, [_input(shape)])


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=IDS)
def test_activation_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(tg.nn, name)(*args, **kwargs)) == repr(
        getattr(torch.nn, name)(*args, **kwargs)
    )


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_uses_torch_implicit_dim(name, shape):
    tg_layer, th_layer = getattr(tg.nn, name)(), getattr(torch.nn, name)()
    assert repr(tg_layer) == repr(th_layer) == f"{name}(dim=None)"
    with pytest.warns(UserWarning):  # PyTorch warns that the implicit choice is deprecated
        check_layer(tg_layer, th_layer, [_input(shape)])


def test_activations_have_no_state():
    for name, args, kwargs in CASES:
        layer = getattr(tg.nn, name)(*args, **kwargs)
        assert list(layer.parameters()) == [] and list(layer.state_dict()) == []


def test_activations_float32_match_torch():
    x = _input((4, 8)).astype(np.float32)  # even sizes for GLU
    for name, args, kwargs in CASES:
        tg_layer, th_layer = _layers(name, args, kwargs)
        out = tg_layer(tg.tensor(x))
        assert out.dtype == tg.float32
        np.testing.assert_allclose(
            out.numpy(), th_layer(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )


def test_activation_in_sequential_repr():
    tg_model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.GELU("tanh"), tg.nn.Softmax(-1))
    th_model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.GELU("tanh"), torch.nn.Softmax(-1)
    )
    assert repr(tg_model) == repr(th_model)


@pytest.mark.parametrize(
    "num_parameters, shape",
    [(1, (4, 3)), (3, (4, 3)), (3, (2, 3, 5)), (2, (2, 2, 3, 3)), (1, (6,)), (1, ())],
)
def test_prelu_matches_torch(num_parameters, shape):
    tg_layer = tg.nn.PReLU(num_parameters)
    th_layer = torch.nn.PReLU(num_parameters)
    with torch.no_grad():  # distinct slopes, so a slope used for the wrong channel shows
        th_layer.weight.copy_(torch.linspace(-0.5, 0.75, num_parameters))
    check_layer(tg_layer, th_layer, [_input(shape)])


def test_prelu_parameter_state_dict_and_repr_are_torchs():
    for args, kwargs in [((), {}), ((3,), {}), ((), {"num_parameters": 4, "init": -0.1})]:
        ours, theirs = tg.nn.PReLU(*args, **kwargs), torch.nn.PReLU(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
        assert ours.weight.dtype == tg.float32 and ours.weight.requires_grad
        copy_weights(ours, theirs)
    assert tg.nn.PReLU(2, dtype=tg.float64).weight.dtype == tg.float64


def test_new_activation_signatures_are_torchs():
    import inspect

    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    for name in ["Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Mish", "SELU", "CELU",
                 "Softmin", "GLU", "Threshold", "Softshrink", "Hardshrink", "PReLU"]:  # fmt: skip
        assert params(getattr(tg.nn, name).__init__) == params(getattr(torch.nn, name).__init__)
    for name in ["hardtanh", "relu6", "hardsigmoid", "hardswish", "mish", "selu", "celu",
                 "softmin", "glu", "threshold"]:  # fmt: skip
        ours, theirs = getattr(tg.nn.functional, name), getattr(torch.nn.functional, name)
        assert params(ours) == params(theirs), name


def test_hardtanh_deprecated_bound_names_warn_as_torch():
    with pytest.warns(FutureWarning, match="min_val"):
        layer = tg.nn.Hardtanh(min_value=-2.0)
    assert repr(layer) == "Hardtanh(min_val=-2.0, max_val=1.0)"


def test_activation_errors_name_the_problem():
    F = tg.nn.functional
    with pytest.raises(RuntimeError, match=r"dimension 1 is size 3.*\(2, 3\)"):
        F.glu(tg.randn(2, 3), dim=1)
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(tg.tensor(1.0))
    with pytest.raises(IndexError, match="out of range"):
        F.glu(tg.randn(2, 4), dim=2)
    with pytest.raises(RuntimeError, match=r"weight of shape \(3,\).*input of shape \(2, 4\)"):
        F.prelu(tg.randn(2, 4), tg.ones(3))
    with pytest.raises(RuntimeError, match="no channel"):
        F.prelu(tg.tensor(1.0), tg.ones(3))
    with pytest.raises(RuntimeError, match=r"scalar or 1-d.*\(1, 1\)"):
        F.prelu(tg.randn(2, 4), tg.ones(1, 1))
    with pytest.raises(RuntimeError, match="type promoting"):
        F.prelu(tg.randn(2, 4), tg.ones(1, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="PReLU|mismatch"):
        tg.nn.PReLU(3)(tg.randn(2, 4))
    with pytest.raises(RuntimeError, match="greater or equal to 0"):
        F.softshrink(tg.randn(3), -0.5)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(tg.randn(3), 1.0, -1.0)
    with pytest.raises(ValueError, match="max_val"):
        tg.nn.Hardtanh(1.0, 1.0)
    with pytest.raises(ValueError, match="alpha cannot be 0"):
        F.celu(tg.randn(3), alpha=0.0)


def test_activation_gradients_at_kinks_are_torchs():
    """On the kinks themselves, the gradient PyTorch defines (0 on the edge of a flat piece)."""
    F = tg.nn.functional
    x = np.array([-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0])
    for name, kwargs in [
        ("hardtanh", {}),
        ("relu6", {}),
        ("hardsigmoid", {}),
        ("hardswish", {}),
        ("softshrink", {}),
        ("hardshrink", {}),
        ("threshold", {"threshold": 0.5, "value": 2.0}),
    ]:
        a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        getattr(F, name)(a, **kwargs).sum().backward()
        getattr(torch.nn.functional, name)(b, **kwargs).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12, err_msg=name)


def test_logsigmoid_and_mish_are_stable_for_huge_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for name in ["logsigmoid", "mish", "selu", "celu", "softsign"]:
        a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yb = getattr(tg.nn.functional, name)(a), getattr(torch.nn.functional, name)(b)
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), err_msg=name)
        ya.sum().backward()
        yb.sum().backward()
        # atol: expm1's gradient is y + 1, which rounds e^-50 (selu, celu at -50) to 0
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-20, err_msg=name)


def test_piecewise_activations_keep_nan_and_infinities_as_torch():
    """NaN compares False with everything, so a piece chosen by ``x < b`` would turn NaN into
    a bound; PyTorch's activations return NaN for NaN (and hardswish(-inf) is NaN there)."""
    x = np.array([np.nan, np.inf, -np.inf, -3.0, 3.0, 0.25, -0.25])
    for name, args in [
        ("hardtanh", ()),
        ("relu6", ()),
        ("hardsigmoid", ()),
        ("hardswish", ()),
        ("threshold", (0.1, 20.0)),
        ("softshrink", ()),
        ("hardshrink", ()),
    ]:
        got = getattr(tg.nn.functional, name)(tg.tensor(x), *args).numpy()
        want = getattr(torch.nn.functional, name)(torch.tensor(x), *args).numpy()
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_softmax2d_matches_torch_over_channels():
    x = _input((2, 3, 4, 2))
    for shape in [(2, 3, 4, 2), (3, 4, 2)]:
        check_layer(
            tg.nn.Softmax2d(),
            torch.nn.Softmax2d(),
            [x.reshape(-1)[: np.prod(shape)].reshape(shape)],
        )
    assert repr(tg.nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    with pytest.raises(ValueError, match=r"Softmax2d: expected input to be 3D or 4D, got 2D"):
        tg.nn.Softmax2d()(tg.randn(3, 4))


def test_gumbel_softmax_samples_the_categorical_distribution():
    tg.manual_seed(0)
    probs = np.array([0.2, 0.3, 0.5])
    logits = tg.tensor(np.tile(np.log(probs), (4000, 1)))
    soft = F_.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(-1), 1.0, rtol=1e-12)
    hard = F_.gumbel_softmax(logits, hard=True).numpy()
    assert set(np.unique(hard)) == {0.0, 1.0} and (hard.sum(-1) == 1).all()
    np.testing.assert_allclose(hard.mean(0), probs, atol=0.03)  # argmax of logits + Gumbel
    # a low temperature makes the soft sample nearly one-hot, at the hard sample's argmax
    tg.manual_seed(1)
    cold = F_.gumbel_softmax(logits[:200], tau=0.01).numpy()
    assert (cold.max(-1) > 0.9).mean() > 0.9
    assert F_.gumbel_softmax(logits, dim=0).shape == logits.shape


def test_gumbel_softmax_hard_has_the_soft_samples_gradient():
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    g = tg.tensor(np.random.default_rng(1).standard_normal((3, 4)))
    tg.manual_seed(5)
    F_.gumbel_softmax(x, tau=0.7, hard=True, dim=0).backward(g)
    hard_grad = x.grad.numpy().copy()
    x.grad = None
    tg.manual_seed(5)  # the same noise: the straight-through gradient is the soft one's
    F_.gumbel_softmax(x, tau=0.7, dim=0).backward(g)
    np.testing.assert_allclose(hard_grad, x.grad.numpy(), rtol=1e-12)
    assert np.abs(hard_grad).sum() > 0


# ---------------------------------------------------------------------------- rrelu


def test_rrelu_in_training_draws_a_slope_per_element_and_its_gradient_is_that_slope():
    tg.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((200, 100))
    a = tg.tensor(x, requires_grad=True)
    out = F_.rrelu(a, 0.1, 0.4, training=True)
    slope = out.detach().numpy() / x
    neg, pos = x <= 0, x > 0
    np.testing.assert_array_equal(slope[pos], 1.0)
    assert slope[neg].min() >= 0.1 and slope[neg].max() <= 0.4
    # U(0.1, 0.4): mean 0.25, variance 0.3^2 / 12, and every element draws its own
    np.testing.assert_allclose(slope[neg].mean(), 0.25, atol=0.005)
    np.testing.assert_allclose(slope[neg].var(), 0.09 / 12, rtol=0.05)
    assert len(np.unique(slope[neg])) == neg.sum()
    g = np.random.default_rng(1).standard_normal(x.shape)
    out.backward(tg.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), g * slope, rtol=1e-12)
    # a new call draws new slopes
    again = F_.rrelu(tg.tensor(x), 0.1, 0.4, training=True).numpy() / x
    assert not np.allclose(again[neg], slope[neg])


def test_rrelu_module_is_random_in_training_and_leaky_in_eval():
    x = _input((6, 7))
    ours, theirs = tg.nn.RReLU(0.2, 0.5), torch.nn.RReLU(0.2, 0.5)
    check_layer(ours, theirs, [x], train=False)
    ours.train()
    tg.manual_seed(3)
    y = (ours(tg.tensor(x)).numpy() / x)[x < 0]
    assert ((y >= 0.2) & (y <= 0.5)).all() and len(np.unique(y)) == y.size
    for args, kwargs in [((), {}), ((0.1, 0.3), {}), ((), {"inplace": True})]:
        assert repr(tg.nn.RReLU(*args, **kwargs)) == repr(torch.nn.RReLU(*args, **kwargs))
    assert list(tg.nn.RReLU().state_dict()) == []


def test_rrelu_in_place_writes_the_drawn_values():
    tg.manual_seed(4)
    x = tg.tensor(np.array([-1.0, -2.0, 3.0]))
    out = F_.rrelu_(x, training=True)
    assert out is x
    values = x.numpy()
    assert values[2] == 3.0 and -1 / 3 <= values[0] <= -1 / 8 and -2 / 3 <= values[1] <= -2 / 8


def test_rrelu_bounds_are_checked_as_torch():
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F_.rrelu(tg.randn(3), 0.5, 0.2)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F_.rrelu_(tg.randn(3), 0.5, 0.2, training=True)


# ---------------------------------------------------------------------------- in place


IN_PLACE = [
    ("relu_", {}),
    ("elu_", {"alpha": 0.5}),
    ("leaky_relu_", {"negative_slope": 0.2}),
    ("hardtanh_", {"min_val": -0.5, "max_val": 0.5}),
    ("threshold_", {"threshold": 0.1, "value": 7.0}),
    ("celu_", {"alpha": 2.0}),
    ("selu_", {}),
    ("rrelu_", {}),
]


@pytest.mark.parametrize("name, kwargs", IN_PLACE)
def test_in_place_forms_write_into_their_input_as_torch(name, kwargs):
    x = _input((3, 4))
    ours, theirs = tg.tensor(x), torch.tensor(x)
    version = ours._version
    out = getattr(F_, name)(ours, **kwargs)
    getattr(torch.nn.functional, name)(theirs, **kwargs)
    assert out is ours and ours._version > version
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)


@pytest.mark.parametrize("name, kwargs", IN_PLACE)
def test_in_place_forms_on_a_view_update_the_base_and_its_gradient(name, kwargs):
    x = _input((3, 4))
    g = np.random.default_rng(2).standard_normal((3, 4))
    grads = []
    for lib in (tg, torch):
        leaf = lib.tensor(x, requires_grad=True)
        base = leaf * 2
        getattr(lib.nn.functional, name)(base[1:], **kwargs)  # a view: writes rows 1 and 2
        (base * lib.tensor(g)).sum().backward()
        grads.append((base.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-15)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)


def test_in_place_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F_.relu_(tg.randn(3, requires_grad=True))


def test_in_place_after_an_op_that_saved_its_output_is_caught_at_backward():
    x = tg.randn(4, requires_grad=True)
    y = x.exp()  # exp's backward reads its output
    F_.relu_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_forms_under_no_grad_write_without_a_graph():
    x = tg.tensor(np.array([-1.0, 2.0]))
    with tg.no_grad():
        F_.hardtanh_(F_.leaky_relu_(x, 0.5), -0.25, 1.5)
    np.testing.assert_array_equal(x.numpy(), [-0.25, 1.5])
    assert x.grad_fn is None
    with pytest.raises(ValueError, match="min_val"):
        F_.hardtanh_(x, 1.0, -1.0)


def test_rrelu_and_in_place_signatures_are_torchs():
    import inspect

    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    assert params(tg.nn.RReLU.__init__) == params(torch.nn.RReLU.__init__)
    assert params(F_.rrelu) == params(torch.nn.functional.rrelu)
    # PyTorch's in-place forms are builtins without a signature: their documented ones
    assert params(F_.hardtanh_) == [("input", inspect._empty), ("min_val", -1.0), ("max_val", 1.0)]
    assert params(F_.rrelu_)[1:] == [("lower", 1 / 8), ("upper", 1 / 3), ("training", False)]
