"""Linear and Identity against PyTorch (weights copied through load_state_dict)."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 5)])
def test_linear_matches_torch(bias, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    check_layer(tg.nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias), [x])


def test_linear_wrong_feature_size_names_layer_and_shape():
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=5.*\(4, 6\)"):
        tg.nn.Linear(5, 3)(tg.randn(4, 6))


def test_linear_default_init_is_pytorch_uniform():
    layer = tg.nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = layer.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    # U(-b, b): mean 0, variance b^2 / 3
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.02
    b = layer.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound


def test_identity_returns_input():
    x = tg.randn(3)
    assert tg.nn.Identity(54, unused="x")(x) is x


def test_seed_example_model_builds_and_runs():
    model = tg.nn.Sequential(tg.nn.Linear(20, 64), tg.nn.ReLU(), tg.nn.Linear(64, 5))
    out = model(tg.randn(32, 20))
    assert out.shape == (32, 5)
    assert repr(model) == repr(
        torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
    )


# ---------------------------------------------------------------------- Bilinear

OPS = [
    OpSpec(
        "nn.functional.bilinear",
        lambda lib, x1, x2, w, *b: lib.nn.functional.bilinear(x1, x2, w, *b),
        [
            ((4, 3), (4, 2), (5, 3, 2), (5,)),
            ((2, 3, 3), (2, 3, 2), (1, 3, 2)),
            ((3,), (2,), (4, 3, 2)),
        ],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5,), (2, 4), ()])
def test_bilinear_matches_torch(bias, shape):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((*shape, 3)), rng.standard_normal((*shape, 4))
    ours, theirs = tg.nn.Bilinear(3, 4, 2, bias=bias), torch.nn.Bilinear(3, 4, 2, bias=bias)
    check_layer(ours, theirs, [x1, x2])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_bilinear_default_init_is_pytorch_uniform():
    tg.manual_seed(0)
    layer = tg.nn.Bilinear(25, 3, 400)
    bound = 1 / 5  # 1/sqrt(in1_features)
    for p in (layer.weight, layer.bias):
        v = p.detach().numpy()
        assert v.min() >= -bound and v.max() <= bound and v.max() > 0.9 * bound
    assert abs(layer.weight.detach().numpy().std() - bound / np.sqrt(3)) < 0.01


def test_bilinear_bad_shapes_name_them():
    layer = tg.nn.Bilinear(3, 4, 2)
    with pytest.raises(RuntimeError, match=r"last dimensions 3 and 4.*\(5, 4\).*\(5, 4\)"):
        layer(tg.randn(5, 4), tg.randn(5, 4))
    with pytest.raises(RuntimeError, match=r"\(5, 3\).*\(4, 4\) must have the same leading"):
        layer(tg.randn(5, 3), tg.randn(4, 4))
    with pytest.raises(RuntimeError, match=r"3-D weight.*\(2, 3\)"):
        tg.nn.functional.bilinear(tg.randn(5, 3), tg.randn(5, 4), tg.randn(2, 3))
