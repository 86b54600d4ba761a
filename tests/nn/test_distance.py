"""``normalize``, ``cosine_similarity``, ``pairwise_distance`` and their modules
(tensorgrad/nn/distance.py) against PyTorch: an op table (tests/op_harness.py: gradcheck,
gradgradcheck, float32/float64 comparison incl. broadcasting and non-contiguous inputs), the
modules through ``check_layer``, vectors shorter than ``eps`` (where the clamps act), and the
errors."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests

torch = pytest.importorskip("torch")


def fn_(name, **kwargs):
    """``lib.nn.functional.<name>(*inputs, **kwargs)``"""
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kwargs)


def spec(name, cases, **kwargs):
    return OpSpec(f"nn.functional.{name}", fn_(name, **kwargs), cases)


PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (3, 4))]

OPS = [
    spec("normalize", [((2, 3),), ((4, 2, 3),), ((3, 1),)]),
    spec("normalize", [((2, 3),), ((4, 2, 3),), ((3,),)], p=1.0, dim=0),
    spec("normalize", [((2, 3),), ((4, 2, 3),)], p=3.0, dim=-1),
    spec("normalize", [((4, 2, 3),)], p=math.inf, dim=2),
    spec("cosine_similarity", [((2, 3), (2, 3)), ((3, 1), (1, 3)), ((4, 2, 3), (4, 2, 3))]),
    spec("cosine_similarity", PAIRS, dim=-1),
    spec("cosine_similarity", [((2, 3), (2, 3)), ((4, 2, 3), (2, 3))], dim=0, eps=1e-6),
    spec("pairwise_distance", PAIRS + [((), ())]),
    spec("pairwise_distance", PAIRS, p=1.0),
    spec("pairwise_distance", PAIRS, p=3.0, keepdim=True),
    spec("pairwise_distance", [((3, 4), (3, 4))], p=-1.0, eps=1e-3),
    spec("pairwise_distance", [((3, 4), (3, 4)), ((2, 3, 4), (4,))], p=math.inf),
    # pdist: the distances between the rows of an (N, M) matrix (N = 1: none)
    spec("pdist", [((4, 3),), ((2, 5),), ((1, 3),)]),
    spec("pdist", [((4, 3),), ((3, 1),)], p=1.0),
    spec("pdist", [((5, 3),)], p=3.0),
    spec("pdist", [((4, 3),)], p=0.5),
    spec("pdist", [((4, 3),)], p=math.inf),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [
        ("CosineSimilarity", {}, [(3, 4), (3, 4)]),
        ("CosineSimilarity", {"dim": -1, "eps": 1e-6}, [(2, 3, 4), (3, 4)]),
        ("PairwiseDistance", {}, [(3, 4), (3, 4)]),
        ("PairwiseDistance", {"p": 1.0, "keepdim": True}, [(3, 4), (4,)]),
        ("PairwiseDistance", {"p": 3.0, "eps": 0.0}, [(5,), (5,)]),
    ],
)
def test_modules_match_torch(name, kwargs, shapes):
    ours, theirs = getattr(tg.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == [] and list(ours.parameters()) == []
    for attr in ("dim", "eps", "norm", "keepdim"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    rng = np.random.default_rng(0)
    check_layer(ours, theirs, [rng.standard_normal(s) for s in shapes])


def _compare(name, arrays, **kwargs):
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    a = getattr(tg.nn.functional, name)(*ours, **kwargs)
    b = getattr(torch.nn.functional, name)(*theirs, **kwargs)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-15)
    g = np.random.default_rng(1).standard_normal(tuple(b.shape))
    a.backward(tg.tensor(g))
    b.backward(torch.tensor(g))
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_vectors_shorter_than_eps_and_zero_vectors_are_torchs():
    """The clamps act: normalize's gives no gradient through the norm, cosine_similarity's
    (PyTorch clamps in place under no_grad) keeps the unclamped norm's gradient."""
    rng = np.random.default_rng(0)
    tiny = rng.standard_normal((3, 4)) * 1e-10
    tiny[1] = 0.0  # a zero vector: the norm's gradient is 0 there
    x = rng.standard_normal((3, 4))
    _compare("normalize", [tiny * 1e-4])
    _compare("normalize", [tiny], eps=1e-9, dim=-1)
    _compare("cosine_similarity", [tiny, x])
    _compare("cosine_similarity", [x, tiny], eps=1e-3)
    _compare("pairwise_distance", [x, x.copy()])  # x1 == x2: eps keeps the gradient finite


def test_normalize_out_receives_the_result():
    x = tg.randn(2, 3)
    out = tg.empty(2, 3)
    res = tg.nn.functional.normalize(x, out=out)
    assert res is out
    np.testing.assert_allclose(
        out.numpy(), torch.nn.functional.normalize(torch.tensor(x.numpy())).numpy(), rtol=1e-6
    )


def test_float32_stays_float32():
    x1, x2 = tg.randn(3, 4), tg.randn(3, 4)
    F = tg.nn.functional
    for out in (F.normalize(x1), F.cosine_similarity(x1, x2), F.pairwise_distance(x1, x2)):
        assert out.dtype == tg.float32


def test_shapes_that_do_not_broadcast_are_named():
    for name in ("cosine_similarity", "pairwise_distance"):
        with pytest.raises(RuntimeError, match=r"\(3, 4\).*\(2, 4\)"):
            getattr(tg.nn.functional, name)(tg.randn(3, 4), tg.randn(2, 4))


def test_pdist_of_equal_rows_has_torchs_zero_gradient_and_errors():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 1.0, 5.0]])
    for p in (2.0, 1.0, 3.0):
        _compare("pdist", [x], p=p)
    with pytest.raises(RuntimeError, match="2D"):
        tg.nn.functional.pdist(tg.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.nn.functional.pdist(tg.randn(3, 4), p=-1.0)
