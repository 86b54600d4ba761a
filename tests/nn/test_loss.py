"""Loss functions and modules (tensorgrad/nn/loss.py) against PyTorch.

* an op table (tests/op_harness.py) for the functional losses: gradcheck, gradgradcheck and
  the comparison with ``torch.nn.functional`` in float32 and float64. Cross-entropy and
  nll_loss have their table in tests/nn/test_functional.py; class weights and pos_weight are
  made inside the spec because PyTorch has no gradient for them;
* every loss module through ``check_layer`` (float64, rtol 1e-6): output, input gradient and
  target gradient where PyTorch has one, weight buffers copied through ``load_state_dict``;
* stability at logits of +-1000 and probabilities of exactly 0 and 1;
* signatures, defaults, reprs and state-dict keys; the errors for bad input;
* the seed example: Linear-ReLU-Linear with CrossEntropyLoss (and MSELoss), trained a few
  steps side by side with PyTorch.
"""

import inspect
import itertools
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer, copy_weights
from tests.op_harness import Const, OpSpec, make_tests

torch = pytest.importorskip("torch")
F = tg.nn.functional

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*different to the input size"),
    pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss"),  # kl_div
]

REDUCTIONS = ["mean", "sum", "none"]


# ---------------------------------------------------------------------- op table


def unit(rng, shape):
    """Probabilities and binary targets kept inside (0, 1), away from the clamped logs."""
    return rng.uniform(0.05, 0.95, shape)


def fn_(name, **kwargs):
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kwargs)


def with_const(name, key, values, **kwargs):
    """``name(x, t, key=values)`` with ``values`` a constant in the input's dtype."""

    def fn(lib, x, t):
        c = lib.tensor(np.asarray(values), dtype=x.dtype)
        return getattr(lib.nn.functional, name)(x, t, **{key: c}, **kwargs)

    return fn


def with_signs(name, batched=False, negative=False, **kwargs):
    """``name(*xs, y)`` with a +-1 target y made in the input's dtype: the first input's shape
    (without its last dimension when ``batched``; all -1 when ``negative``)."""

    def fn(lib, *xs):
        shape = xs[0].shape[:-1] if batched else xs[0].shape
        n = int(np.prod(shape))
        y = np.resize([1.0, -1.0, -1.0, 1.0, 1.0], n).reshape(shape)
        y = lib.tensor(-np.abs(y) if negative else y, dtype=xs[0].dtype)
        return getattr(lib.nn.functional, name)(*xs, y, **kwargs)

    return fn


def kl_div_mean(lib, x, t):
    """kl_div's default 'mean', without the warning both libraries give for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lib.nn.functional.kl_div(x, t)


def triplet_with_distance(distance, **kwargs):
    """``triplet_margin_with_distance_loss`` with the default distance (None) or 1 - cosine
    similarity over the last dimension ("cosine"), written with the library's own ops."""

    def fn(lib, a, p, n):
        d = None
        if distance == "cosine":

            def d(x, y):
                return 1.0 - lib.nn.functional.cosine_similarity(x, y, dim=-1)

        return lib.nn.functional.triplet_margin_with_distance_loss(
            a, p, n, distance_function=d, **kwargs
        )

    return fn


PAIRS = [((2, 3), (2, 3)), ((), ()), ((4, 2, 3), (4, 2, 3))]
BROADCAST = [((3, 1), (1, 3)), ((2, 3), (3,))]  # PyTorch warns and broadcasts
W23 = [[0.5, 2.0, 1.0], [1.5, 0.25, 3.0]]

OPS = [
    # mse_loss: the table in test_functional covers the plain cases
    OpSpec("nn.functional.mse_loss", fn_("mse_loss"), BROADCAST),
    OpSpec("nn.functional.mse_loss", with_const("mse_loss", "weight", W23), [((2, 3), (2, 3))]),
    OpSpec(
        "nn.functional.mse_loss",
        with_const("mse_loss", "weight", W23, reduction="sum"),
        [((2, 3), (2, 3))],
    ),
    # l1_loss: kinks at input == target, which random normals never hit
    OpSpec("nn.functional.l1_loss", fn_("l1_loss"), PAIRS + BROADCAST),
    OpSpec("nn.functional.l1_loss", fn_("l1_loss", reduction="sum"), [((2, 3), (2, 3))]),
    OpSpec("nn.functional.l1_loss", fn_("l1_loss", reduction="none"), [((2, 3), (2, 3))]),
    OpSpec("nn.functional.l1_loss", with_const("l1_loss", "weight", W23), [((2, 3), (2, 3))]),
    OpSpec(
        "nn.functional.l1_loss",
        with_const("l1_loss", "weight", W23, reduction="none"),
        [((2, 3), (2, 3))],
    ),
    # smooth_l1_loss / huber_loss: both branches are hit by normal differences
    OpSpec("nn.functional.smooth_l1_loss", fn_("smooth_l1_loss"), PAIRS + BROADCAST),
    OpSpec(
        "nn.functional.smooth_l1_loss",
        fn_("smooth_l1_loss", beta=0.5, reduction="sum"),
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
    ),
    OpSpec(
        "nn.functional.smooth_l1_loss",
        fn_("smooth_l1_loss", beta=2.0, reduction="none"),
        [((4, 2, 3), (4, 2, 3))],
    ),
    OpSpec(
        "nn.functional.smooth_l1_loss",
        fn_("smooth_l1_loss", beta=0.0),  # l1_loss
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
    ),
    OpSpec("nn.functional.huber_loss", fn_("huber_loss"), PAIRS + BROADCAST),
    OpSpec(
        "nn.functional.huber_loss",
        fn_("huber_loss", delta=0.5, reduction="sum"),
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
    ),
    OpSpec(
        "nn.functional.huber_loss",
        fn_("huber_loss", delta=2.0, reduction="none"),
        [((4, 2, 3), (4, 2, 3))],
    ),
    OpSpec(
        "nn.functional.huber_loss",
        with_const("huber_loss", "weight", W23, delta=0.7),  # 'mean' is mean(w l) here
        [((2, 3), (2, 3))],
    ),
    # binary_cross_entropy: input and target in (0, 1), both differentiable
    OpSpec("nn.functional.binary_cross_entropy", fn_("binary_cross_entropy"), PAIRS, gen=unit),
    OpSpec(
        "nn.functional.binary_cross_entropy",
        fn_("binary_cross_entropy", reduction="sum"),
        [((2, 3), (2, 3))],
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy",
        fn_("binary_cross_entropy", reduction="none"),
        [((4, 2, 3), (4, 2, 3))],
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy",
        with_const("binary_cross_entropy", "weight", [0.5, 2.0, 1.0]),  # broadcast weight
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy",
        with_const("binary_cross_entropy", "weight", W23, reduction="none"),
        [((2, 3), (2, 3))],
        gen=unit,
    ),
    # binary_cross_entropy_with_logits: logits normal, targets in (0, 1)
    OpSpec(
        "nn.functional.binary_cross_entropy_with_logits",
        lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(x * 4 - 2, t),
        PAIRS,
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy_with_logits",
        fn_("binary_cross_entropy_with_logits", reduction="none"),
        [((4, 2, 3), (4, 2, 3))],
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy_with_logits",
        with_const("binary_cross_entropy_with_logits", "pos_weight", [3.0, 0.5, 1.0]),
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy_with_logits",
        with_const(
            "binary_cross_entropy_with_logits", "pos_weight", [[2.0], [0.5]], reduction="sum"
        ),  # one per row: broadcast along the last dimension
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
        gen=unit,
    ),
    OpSpec(
        "nn.functional.binary_cross_entropy_with_logits",
        lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
            x,
            t,
            lib.tensor(W23, dtype=x.dtype),
            reduction="none",
            pos_weight=lib.tensor([3.0, 0.5, 1.0], dtype=x.dtype),
        ),
        [((2, 3), (2, 3))],
        gen=unit,
    ),
    # kl_div: log-probabilities and positive targets (the target is differentiable too)
    *[
        OpSpec("nn.functional.kl_div", fn_("kl_div", reduction=r), [((2, 3), (2, 3))], gen=unit)
        for r in ("batchmean", "sum", "none")
    ],
    OpSpec("nn.functional.kl_div", kl_div_mean, PAIRS + [((2, 3), (3,))], gen=unit),
    OpSpec(
        "nn.functional.kl_div",
        fn_("kl_div", reduction="batchmean", log_target=True),
        PAIRS,
    ),
    # margin and embedding losses; +-1 targets are made in the spec (no gradient in PyTorch)
    OpSpec(
        "nn.functional.margin_ranking_loss",
        with_signs("margin_ranking_loss", margin=0.3),
        [((5,), (5,)), ((2, 3), (2, 3))],
    ),
    OpSpec(
        "nn.functional.margin_ranking_loss",
        fn_("margin_ranking_loss", reduction="none"),  # a float target, differentiable
        [((5,), (5,), (5,))],
    ),
    *[
        OpSpec(
            "nn.functional.hinge_embedding_loss",
            with_signs("hinge_embedding_loss", reduction=r, margin=0.7),
            [((2, 3),), ((4, 2, 3),)],
        )
        for r in REDUCTIONS
    ],
    *[
        OpSpec(
            "nn.functional.soft_margin_loss",
            with_signs("soft_margin_loss", reduction=r),
            [((2, 3),), ((),), ((4, 2, 3),)],
        )
        for r in REDUCTIONS
    ],
    *[
        OpSpec(
            "nn.functional.multilabel_soft_margin_loss",
            fn_("multilabel_soft_margin_loss", reduction=r),
            [((4, 3), (4, 3)), ((3,), (3,))],
            gen=unit,
        )
        for r in REDUCTIONS
    ],
    OpSpec(
        "nn.functional.multilabel_soft_margin_loss",
        lambda lib, x, t: lib.nn.functional.multilabel_soft_margin_loss(
            x * 4 - 2, t, weight=lib.tensor([0.5, 2.0, 1.0], dtype=x.dtype)
        ),
        [((4, 3), (4, 3))],
        gen=unit,
    ),
    *[
        OpSpec(
            "nn.functional.cosine_embedding_loss",
            with_signs("cosine_embedding_loss", reduction=r, margin=m, batched=True),
            [((4, 3), (4, 3))],
        )
        for r, m in (("mean", 0.0), ("sum", -0.5), ("none", 0.2))
    ],
    OpSpec(
        "nn.functional.cosine_embedding_loss",
        with_signs("cosine_embedding_loss", batched=True, negative=True),
        [((3,), (3,))],
    ),
    *[
        OpSpec(
            "nn.functional.triplet_margin_loss",
            fn_("triplet_margin_loss", reduction=r, **kw),
            [((4, 3),) * 3, ((3,),) * 3],
        )
        for r, kw in (
            ("mean", {}),
            ("sum", {"swap": True, "margin": 2.0}),
            ("none", {"p": 1.0, "margin": 3.0}),
        )
    ],
    *[
        OpSpec(
            "nn.functional.triplet_margin_with_distance_loss",
            triplet_with_distance(distance, reduction=r, **kw),
            [((4, 3),) * 3, ((3,),) * 3],
        )
        for distance, r, kw in (
            (None, "mean", {}),
            (None, "sum", {"swap": True, "margin": 2.0}),
            ("cosine", "none", {"margin": 0.5}),
            ("cosine", "mean", {"swap": True}),
        )
    ],
]

CLASS_T = Const(lambda rng: np.array([0, 2, 1, 2]))  # class targets for (4, 3) scores
MULTILABEL_T = Const(lambda rng: np.array([[0, 2, -1], [1, -1, 0], [2, 1, 0], [-1, 0, 0]]))


def multi_margin_weighted(lib, x, t, **kwargs):
    w = lib.tensor(np.array([0.5, 2.0, 1.5]), dtype=x.dtype)
    return lib.nn.functional.multi_margin_loss(x, t, weight=w, **kwargs)


OPS += [
    # poisson_nll_loss: rates (or log-rates) and counts; the target is differentiable in both
    OpSpec("nn.functional.poisson_nll_loss", fn_("poisson_nll_loss"), PAIRS),
    OpSpec(
        "nn.functional.poisson_nll_loss",
        fn_("poisson_nll_loss", log_input=False, full=True, reduction="none"),
        [((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))],
        gen=lambda rng, shape: rng.uniform(0.3, 3.0, shape),  # Stirling's term where t > 1
    ),
    OpSpec(
        "nn.functional.poisson_nll_loss",
        fn_("poisson_nll_loss", full=True, eps=1e-3, reduction="sum"),
        [((2, 3), (2, 3))],
        gen=lambda rng, shape: rng.uniform(0.3, 3.0, shape),
    ),
    # gaussian_nll_loss: var of the input's shape, one dimension short, or with a 1 in it
    OpSpec(
        "nn.functional.gaussian_nll_loss",
        fn_("gaussian_nll_loss"),
        [((2, 3), (2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3), (4, 2)), ((4, 3), (4, 3), (4, 1))],
        gen=lambda rng, shape: rng.uniform(0.2, 2.0, shape),
    ),
    OpSpec(
        "nn.functional.gaussian_nll_loss",
        fn_("gaussian_nll_loss", full=True, eps=1e-3, reduction="none"),
        [((2, 3), (2, 3), (1, 3))],
        gen=lambda rng, shape: rng.uniform(0.2, 2.0, shape),
    ),
    OpSpec(
        "nn.functional.gaussian_nll_loss",
        lambda lib, x, t: lib.nn.functional.gaussian_nll_loss(x, t, 0.7, reduction="sum"),
        [((2, 3), (2, 3))],
    ),
    # multi_margin_loss: both p, a margin and class weights; (N, C) and unbatched (C,)
    OpSpec("nn.functional.multi_margin_loss", fn_("multi_margin_loss"), [((4, 3), CLASS_T)]),
    OpSpec(
        "nn.functional.multi_margin_loss",
        fn_("multi_margin_loss", p=2, margin=0.5, reduction="none"),
        [((4, 3), CLASS_T), ((3,), Const(lambda rng: np.array(1)))],
    ),
    OpSpec(
        "nn.functional.multi_margin_loss",
        lambda lib, x, t: multi_margin_weighted(lib, x, t, p=2, reduction="sum"),
        [((4, 3), CLASS_T)],
    ),
    OpSpec(
        "nn.functional.multi_margin_loss",
        lambda lib, x, t: multi_margin_weighted(lib, x, t),
        [((4, 3), CLASS_T)],
    ),
    # multilabel_margin_loss: each row's classes end at the first -1
    OpSpec(
        "nn.functional.multilabel_margin_loss",
        fn_("multilabel_margin_loss"),
        [((4, 3), MULTILABEL_T), ((3,), Const(lambda rng: np.array([2, 0, -1])))],
    ),
    OpSpec(
        "nn.functional.multilabel_margin_loss",
        fn_("multilabel_margin_loss", reduction="none"),
        [((4, 3), MULTILABEL_T)],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ---------------------------------------------------------------------- modules vs PyTorch


def build(name, **kwargs):
    """The same loss module in both libraries; NumPy keyword arguments become tensors."""
    tg_kw = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    th_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(tg.nn, name)(**tg_kw), getattr(torch.nn, name)(**th_kw)


def check_loss(name, inputs, **kwargs):
    tg_layer, th_layer = build(name, **kwargs)
    return check_layer(tg_layer, th_layer, inputs)


SHAPES = [(4, 3), (2, 3, 4), ()]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("MSELoss", {}),
        ("L1Loss", {}),
        ("SmoothL1Loss", {}),
        ("SmoothL1Loss", {"beta": 0.3}),
        ("SmoothL1Loss", {"beta": 2.5}),
        ("SmoothL1Loss", {"beta": 0.0}),
        ("HuberLoss", {}),
        ("HuberLoss", {"delta": 0.3}),
        ("HuberLoss", {"delta": 2.5}),
    ],
)
def test_regression_losses_match_torch(name, kwargs, shape, reduction):
    rng = np.random.default_rng(1)
    x, t = (np.array(a) for a in rng.standard_normal((2, *shape)) * 2)
    check_loss(name, [x, t], reduction=reduction, **kwargs)  # target gradient compared too


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss"])
def test_regression_losses_at_equal_values_and_at_the_kink(name):
    # d = 0 (kink of |d|) and |d| = beta = delta = 1 (the switch between the two branches)
    x = np.array([0.5, 1.0, -2.0, 3.0, 0.0])
    t = np.array([0.5, 0.0, -1.0, 3.0, 0.0])
    check_loss(name, [x, t], reduction="sum")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "classes", "full"])
@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3)])
def test_bce_loss_matches_torch(shape, weight, reduction):
    rng = np.random.default_rng(2)
    x, t = rng.uniform(0.01, 0.99, shape), rng.uniform(0, 1, shape)
    kwargs = {}
    if weight == "classes":
        kwargs["weight"] = rng.uniform(0.5, 2, shape[-1:])
    elif weight == "full":
        kwargs["weight"] = rng.uniform(0.5, 2, shape)
    check_loss("BCELoss", [x, t], reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "shape,weight_shape,pos_weight_shape",
    [
        ((4, 3), None, None),
        ((4, 3), (3,), None),
        ((4, 3), None, (3,)),
        ((4, 3), (3,), (3,)),
        ((4, 3), (4, 3), (1,)),
        ((4, 3), None, (4, 3)),
        ((2, 3, 4), None, (3, 1)),  # one per channel of an (N, C, L) input
        ((2, 3, 4), (4,), (4,)),
        ((5,), None, (5,)),
    ],
)
def test_bce_with_logits_loss_matches_torch(shape, weight_shape, pos_weight_shape, reduction):
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal(shape) * 3, rng.uniform(0, 1, shape)
    kwargs = {}
    if weight_shape:
        kwargs["weight"] = rng.uniform(0.5, 2, weight_shape)
    if pos_weight_shape:
        kwargs["pos_weight"] = rng.uniform(0.2, 4, pos_weight_shape)
    check_loss("BCEWithLogitsLoss", [x, t], reduction=reduction, **kwargs)


def class_targets(rng, shape, classes, ignore_index=None):
    """Class indices; with ``ignore_index``, about a third of them (but never all) ignored."""
    t = rng.integers(0, classes, shape)
    if ignore_index is not None and t.size > 1:
        t[rng.random(shape) < 0.3] = ignore_index
        t.flat[0] = ignore_index
        t.flat[-1] = classes - 1 if ignore_index != classes - 1 else 0
    elif ignore_index is not None and t.size == 1 and int(t) == ignore_index:
        t = (t + 1) % classes  # an unbatched target: keep it counted
    return np.asarray(t)


CLASS_SHAPES = [(5, 4), (4,), (3, 4, 2, 3)]  # (N, C), unbatched (C,), (N, C, d1, d2)


def target_shape(shape):
    return (shape[0], *shape[2:]) if len(shape) >= 2 else ()


@pytest.mark.parametrize(
    "shape,weighted,ignore_index,label_smoothing,reduction",
    list(itertools.product(CLASS_SHAPES, [False, True], [None, 1], [0.0, 0.25], REDUCTIONS)),
)
def test_cross_entropy_loss_class_indices_match_torch(
    shape, weighted, ignore_index, label_smoothing, reduction
):
    rng = np.random.default_rng(4)
    classes = shape[1] if len(shape) >= 2 else shape[0]
    x = rng.standard_normal(shape) * 2
    t = class_targets(rng, target_shape(shape), classes, ignore_index)
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing)
    if weighted:
        kwargs["weight"] = rng.uniform(0.3, 3, classes)
    if ignore_index is not None:
        kwargs["ignore_index"] = ignore_index
    check_loss("CrossEntropyLoss", [x, t], **kwargs)


@pytest.mark.parametrize(
    "shape,weighted,label_smoothing,reduction",
    list(itertools.product(CLASS_SHAPES, [False, True], [0.0, 0.2], REDUCTIONS)),
)
def test_cross_entropy_loss_probability_targets_match_torch(
    shape, weighted, label_smoothing, reduction
):
    rng = np.random.default_rng(5)
    dim = 1 if len(shape) >= 2 else 0
    x = rng.standard_normal(shape) * 2
    e = np.exp(rng.standard_normal(shape))
    t = e / e.sum(axis=dim, keepdims=True)
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing)
    if weighted:
        kwargs["weight"] = rng.uniform(0.3, 3, shape[dim])
    check_loss("CrossEntropyLoss", [x, t], **kwargs)  # the target gradient is compared too


@pytest.mark.filterwarnings("ignore:invalid value", "ignore:divide by zero")
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_loss_all_targets_ignored_is_nan_with_zero_gradient(
    weighted, label_smoothing
):
    # 'mean' over no targets is 0/0 = NaN, as PyTorch; the gradient is PyTorch's 0, not NaN
    rng = np.random.default_rng(11)
    kwargs = dict(label_smoothing=label_smoothing)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2, 3)
    for shape, t in [((3,), np.array(-100)), ((4, 3), np.full(4, -100))]:
        (out,), _ = check_loss("CrossEntropyLoss", [rng.standard_normal(shape), t], **kwargs)
        assert np.isnan(out.item())
    (out,), _ = check_loss(
        "NLLLoss", [rng.standard_normal((2, 3)), np.array([1, 1])], ignore_index=1
    )
    assert np.isnan(out.item())


def test_class_weight_that_requires_grad_gets_pytorchs_error():
    x = tg.randn(4, 3, requires_grad=True)
    weight = tg.ones(3, requires_grad=True)
    loss = tg.nn.functional.cross_entropy(x, tg.tensor([0, 1, 2, 1]), weight=weight)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        loss.backward()


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_weight_of_another_dtype_is_refused_as_in_pytorch(name):
    x, y = tg.randn(4, 3), tg.tensor([0, 1, 2, 1])
    for weight in (tg.ones(3, dtype=tg.float64), tg.ones(3, dtype=tg.float16)):
        with pytest.raises(RuntimeError, match=f"{name}: .*dtype tensorgrad.float32, got"):
            getattr(tg.nn.functional, name)(x, y, weight=weight)
    with pytest.raises(RuntimeError, match="dtype tensorgrad.float64, got tensorgrad.float32"):
        tg.nn.functional.cross_entropy(x.double(), y, weight=tg.ones(3))


def test_cross_entropy_loss_default_ignore_index_is_minus_100():
    rng = np.random.default_rng(6)
    t = np.array([0, -100, 2, -100, 1])
    check_loss("CrossEntropyLoss", [rng.standard_normal((5, 3)), t], label_smoothing=0.1)


@pytest.mark.parametrize(
    "shape,weighted,ignore_index,reduction",
    list(itertools.product(CLASS_SHAPES, [False, True], [None, 2], REDUCTIONS)),
)
def test_nll_loss_matches_torch(shape, weighted, ignore_index, reduction):
    rng = np.random.default_rng(7)
    classes = shape[1] if len(shape) >= 2 else shape[0]
    x = rng.standard_normal(shape)
    t = class_targets(rng, target_shape(shape), classes, ignore_index)
    kwargs = dict(reduction=reduction)
    if weighted:
        kwargs["weight"] = rng.uniform(0.3, 3, classes)
    if ignore_index is not None:
        kwargs["ignore_index"] = ignore_index
    check_loss("NLLLoss", [x, t], **kwargs)


# ---------------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_cross_entropy_loss_is_stable_for_huge_logits(scale):
    x = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, -2.0], [-1.0, 1.0, 0.0]]) * scale
    w = np.array([0.5, 2.0, 1.0])
    out, _ = check_loss("CrossEntropyLoss", [x, np.array([2, 0, 1])], weight=w)
    assert np.isfinite(out[0].item())
    check_loss("CrossEntropyLoss", [x, np.array([2, 0, 1])], label_smoothing=0.3, weight=w)
    check_loss("CrossEntropyLoss", [x, np.full((3, 3), 1 / 3)], reduction="none")


@pytest.mark.parametrize("pos_weight", [None, np.array([3.0, 0.5])])
def test_bce_with_logits_is_stable_for_huge_logits(pos_weight):
    x = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [30.0, -30.0], [0.0, 0.0]])
    t = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    kwargs = {} if pos_weight is None else {"pos_weight": pos_weight}
    (out,), _ = check_loss("BCEWithLogitsLoss", [x, t], reduction="none", **kwargs)
    loss = out.detach().numpy()
    assert np.all(np.isfinite(loss))
    # confident and right costs ~0, confident and wrong costs |x| (times pos_weight if positive)
    pw = np.ones(2) if pos_weight is None else pos_weight
    np.testing.assert_allclose(loss[0], [0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(loss[1], [1000.0 * pw[0], 1000.0], rtol=1e-12)


def test_bce_loss_at_probabilities_exactly_zero_and_one():
    # log clamped to -100: a confident wrong answer costs 100, a right one 0; the input
    # gradient is PyTorch's (x - t) / max(x (1 - x), 1e-12) and the target gradient -logit(x)
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.6, 0.2])
    (out,), _ = check_loss("BCELoss", [x, t], reduction="none")
    np.testing.assert_allclose(out.detach().numpy()[:4], [0.0, 0.0, 100.0, 100.0])
    check_loss("BCELoss", [x, t], reduction="mean", weight=np.linspace(0.5, 2, 7))
    # the input gradient alone (the target gradient is +-inf at 0 and 1, as PyTorch's)
    xs = tg.tensor(x, requires_grad=True)
    tg.nn.BCELoss(reduction="sum")(xs, tg.tensor(t)).backward()
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.BCELoss(reduction="sum")(xt, torch.tensor(t)).backward()
    assert np.all(np.isfinite(xs.grad.numpy()))
    # PyTorch's 1e-12 is a float32 constant: 1/9.99999996e-13 = 1.000000004e12
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-8)


# ---------------------------------------------------------------------- divergence, margins


def _signs(shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


@pytest.mark.filterwarnings("ignore:reduction. 'mean'")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), ()])
def test_kl_div_loss_matches_torch(shape, log_target, reduction):
    rng = np.random.default_rng(0)
    x, t = np.log(rng.uniform(0.05, 1.0, shape)), rng.uniform(0.05, 1.0, shape)
    inputs = [np.asarray(x), np.asarray(np.log(t) if log_target else t)]  # arrays for shape ()
    check_loss("KLDivLoss", inputs, reduction=reduction, log_target=log_target)


def test_kl_div_mean_warns_and_zero_targets_add_nothing():
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    t = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        tg.nn.functional.kl_div(tg.tensor(x), tg.tensor(t))
    a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ta, tb = tg.tensor(t, requires_grad=True), torch.tensor(t, requires_grad=True)
    ya = tg.nn.functional.kl_div(a, ta, reduction="sum")
    yb = torch.nn.functional.kl_div(b, tb, reduction="sum")
    np.testing.assert_allclose(ya.item(), yb.item(), rtol=1e-12)
    ya.backward()
    yb.backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    # PyTorch's target gradient is NaN where t == 0; here the t log t term gives 0 there
    grad_t = ta.grad.numpy()
    np.testing.assert_allclose(grad_t[t > 0], tb.grad.numpy()[t > 0], rtol=1e-12)
    np.testing.assert_allclose(grad_t[t == 0], -x[t == 0])
    assert np.isnan(tb.grad.numpy()[t == 0]).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses_match_torch(reduction):
    rng = np.random.default_rng(0)
    x1, x2, x3 = (rng.standard_normal((4, 3)) for _ in range(3))
    y, y4 = _signs((4, 3)), _signs(4)
    check_loss("MarginRankingLoss", [x1, x2, y], margin=0.2, reduction=reduction)
    check_loss("HingeEmbeddingLoss", [x1, y], margin=0.5, reduction=reduction)
    check_layer(  # PyTorch refuses a target that requires grad here
        *build("SoftMarginLoss", reduction=reduction),
        [x1, y],
        forward=lambda layer, x, t: layer(x, t.detach()),
    )
    check_loss("MultiLabelSoftMarginLoss", [x1, (y + 1) / 2], reduction=reduction)
    check_loss(
        "MultiLabelSoftMarginLoss",
        [x1, (y + 1) / 2],
        weight=np.array([0.5, 2.0, 1.0]),
        reduction=reduction,
    )
    check_loss("CosineEmbeddingLoss", [x1, x2, y4], margin=0.1, reduction=reduction)
    check_loss("CosineEmbeddingLoss", [x1[0], x2[0], np.array(-1.0)], reduction=reduction)
    check_loss("TripletMarginLoss", [x1, x2, x3], margin=1.5, reduction=reduction)
    check_loss("TripletMarginLoss", [x1, x2, x3], p=1.0, swap=True, reduction=reduction)


def test_margin_and_embedding_losses_name_bad_shapes():
    F = tg.nn.functional
    with pytest.raises(RuntimeError, match=r"same number of dimensions.*\(3,\).*\(3, 1\)"):
        F.margin_ranking_loss(tg.randn(3), tg.randn(3), tg.ones(3, 1))
    with pytest.raises(RuntimeError, match=r"multi-target not supported.*\(2, 2\)"):
        F.cosine_embedding_loss(tg.randn(2, 3), tg.randn(2, 3), tg.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D.*\(3,\)"):
        F.cosine_embedding_loss(tg.randn(3), tg.randn(3), tg.ones(3))
    with pytest.raises(RuntimeError, match=r"anchor of shape \(2, 3\).*\(3,\)"):
        F.triplet_margin_loss(tg.randn(2, 3), tg.randn(3), tg.randn(2, 3))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        tg.nn.TripletMarginLoss(margin=0.0)(tg.randn(2, 3), tg.randn(2, 3), tg.randn(2, 3))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        tg.nn.KLDivLoss(reduction="avg")(tg.randn(3), tg.rand(3))
    with pytest.raises(ValueError, match="SoftMarginLoss: 'batchmean' is not a valid"):
        tg.nn.SoftMarginLoss(reduction="batchmean")(tg.randn(3), tg.ones(3))


# ---------------------------------------------------------------------- API


MODULES = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "KLDivLoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss",
    "TripletMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "MultiMarginLoss",
    "MultiLabelMarginLoss",
]
FUNCTIONS = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "kl_div",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
]


def _params(fn) -> list:
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", MODULES)
def test_module_signature_is_torchs(name):
    assert _params(getattr(tg.nn, name).__init__) == _params(getattr(torch.nn, name).__init__)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functional_signature_is_torchs(name):
    ours, theirs = getattr(tg.nn.functional, name), getattr(torch.nn.functional, name)
    assert _params(ours) == _params(theirs)


@pytest.mark.parametrize(
    "name,kwargs",
    [(n, {}) for n in MODULES]
    + [
        ("MSELoss", {"reduction": "sum"}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("HuberLoss", {"delta": 2.0}),
        ("CrossEntropyLoss", {"weight": np.ones(3), "label_smoothing": 0.1}),
        ("BCEWithLogitsLoss", {"pos_weight": np.ones(3)}),
        ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
        ("MarginRankingLoss", {"margin": 0.5}),
        ("TripletMarginLoss", {"margin": 2.0, "p": 1.0, "eps": 0.1, "swap": True}),
    ],
)
def test_repr_and_attributes_are_torchs(name, kwargs):
    ours, theirs = build(name, **kwargs)
    assert repr(ours) == repr(theirs)
    attrs = ("reduction", "beta", "delta", "ignore_index", "label_smoothing", "log_target")
    for attr in attrs + ("margin", "p", "eps", "swap"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr


@pytest.mark.parametrize(
    "name,kwargs,keys",
    [
        ("CrossEntropyLoss", {}, []),
        ("CrossEntropyLoss", {"weight": np.ones(3)}, ["weight"]),
        ("NLLLoss", {"weight": np.ones(3)}, ["weight"]),
        ("BCELoss", {"weight": np.ones(3)}, ["weight"]),
        ("BCEWithLogitsLoss", {"pos_weight": np.ones(3)}, ["pos_weight"]),
        ("BCEWithLogitsLoss", {"weight": np.ones(3), "pos_weight": np.ones(3)}, None),
        ("MSELoss", {}, []),
        ("MultiLabelSoftMarginLoss", {"weight": np.ones(3)}, ["weight"]),
        ("MultiMarginLoss", {"weight": np.ones(3)}, ["weight"]),
        ("KLDivLoss", {}, []),
    ],
)
def test_state_dict_keys_are_torchs(name, kwargs, keys):
    ours, theirs = build(name, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert keys is None or list(ours.state_dict()) == keys
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    copy_weights(ours, theirs)  # strict load of PyTorch's state dict


def test_weight_buffers_follow_module_dtype_conversion():
    loss = tg.nn.BCEWithLogitsLoss(weight=tg.ones(3), pos_weight=tg.ones(3)).double()
    assert loss.weight.dtype == tg.float64 and loss.pos_weight.dtype == tg.float64


@pytest.mark.parametrize(
    "size_average,reduce", [(None, False), (False, None), (True, True), (False, True)]
)
def test_legacy_size_average_and_reduce_give_torchs_reduction(size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce"):
        ours = tg.nn.MSELoss(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.MSELoss(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction
    x, t = np.random.default_rng(8).standard_normal((2, 2, 3))
    with pytest.warns(UserWarning):
        out = tg.nn.functional.l1_loss(
            tg.tensor(x), tg.tensor(t), size_average=size_average, reduce=reduce
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.functional.l1_loss(
            torch.tensor(x), torch.tensor(t), size_average=size_average, reduce=reduce
        )
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------- errors


def test_cross_entropy_loss_float_class_targets_name_dtype_and_shapes():
    x = tg.randn(4, 3)
    with pytest.raises(RuntimeError, match=r"CrossEntropyLoss.*int64.*float32.*\(4,\).*\(4, 3\)"):
        tg.nn.CrossEntropyLoss()(x, tg.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"cross_entropy.*int64"):
        tg.nn.functional.cross_entropy(x, tg.tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"NLLLoss.*int64"):
        tg.nn.NLLLoss()(x, tg.tensor([0.0, 1.0, 2.0, 1.0]))


def test_cross_entropy_loss_integer_target_of_input_shape_must_be_probabilities():
    with pytest.raises(RuntimeError, match=r"CrossEntropyLoss.*probabilities.*floating point"):
        tg.nn.CrossEntropyLoss()(tg.randn(3, 3), tg.tensor([[0, 1, 2]] * 3))


@pytest.mark.parametrize("bad", [3, 7, -1, -5])
def test_cross_entropy_loss_target_out_of_range_names_class_count(bad):
    with pytest.raises(IndexError, match=rf"CrossEntropyLoss: target {bad} .*3 classes"):
        tg.nn.CrossEntropyLoss()(tg.randn(4, 3), tg.tensor([0, bad, 1, 2]))
    with pytest.raises(IndexError, match=r"nll_loss: .*3 classes"):
        tg.nn.functional.nll_loss(tg.randn(2, 3, 4), tg.tensor([[0, 1, 2, 0], [1, bad, 0, 0]]))


def test_cross_entropy_loss_ignore_index_may_be_out_of_range():
    loss = tg.nn.CrossEntropyLoss(ignore_index=-1)(tg.randn(3, 3), tg.tensor([0, -1, 2]))
    assert np.isfinite(loss.item())


def test_cross_entropy_loss_shape_errors():
    ce = tg.nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"batch_size \(4\).*batch_size \(2\)"):
        ce(tg.randn(4, 3), tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"CrossEntropyLoss.*\(2, 4\).*\(2, 3, 4\).*\(2, 5\)"):
        ce(tg.randn(2, 3, 4), tg.zeros(2, 5, dtype=tg.int64))
    with pytest.raises(RuntimeError, match=r"weight.*\(3,\).*\(2,\)"):
        tg.nn.CrossEntropyLoss(weight=tg.ones(2))(tg.randn(4, 3), tg.tensor([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ce(tg.tensor(1.0), tg.tensor(0))
    with pytest.raises(ValueError, match="label_smoothing"):
        tg.nn.CrossEntropyLoss(label_smoothing=1.5)(tg.randn(2, 3), tg.tensor([0, 1]))


def test_regression_losses_shape_errors_and_broadcast_warning():
    with pytest.raises(RuntimeError, match=r"MSELoss.*\(4,\).*\(2, 3\)"):
        tg.nn.MSELoss()(tg.randn(2, 3), tg.randn(4))
    with pytest.raises(RuntimeError, match=r"l1_loss.*\(4,\).*\(2, 3\)"):
        tg.nn.functional.l1_loss(tg.randn(2, 3), tg.randn(4))
    x, t = np.random.default_rng(9).standard_normal((4, 1)), np.arange(4.0)
    with pytest.warns(UserWarning, match="different to the input size"):
        out = tg.nn.MSELoss()(tg.tensor(x), tg.tensor(t))
    ref = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"weight of shape \(3,\).*\(2, 3\)"):
        tg.nn.functional.mse_loss(tg.randn(2, 3), tg.randn(2, 3), weight=tg.ones(3))


def test_binary_losses_shape_and_range_errors():
    with pytest.raises(ValueError, match=r"BCELoss.*\(4,\).*\(4, 1\)"):
        tg.nn.BCELoss()(tg.rand(4, 1), tg.rand(4))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss.*\(4,\).*\(4, 1\)"):
        tg.nn.BCEWithLogitsLoss()(tg.randn(4, 1), tg.rand(4))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        tg.nn.BCELoss()(tg.tensor([0.5, 1.5]), tg.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        tg.nn.functional.binary_cross_entropy(tg.tensor([float("nan")]), tg.tensor([0.0]))


def test_bad_reduction_and_parameters():
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        tg.nn.L1Loss(reduction="avg")(tg.randn(3), tg.randn(3))
    with pytest.raises(ValueError, match="reduction"):
        tg.nn.CrossEntropyLoss(reduction="avg")(tg.randn(2, 3), tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="beta"):
        tg.nn.SmoothL1Loss(beta=-1.0)(tg.randn(3), tg.randn(3))
    with pytest.raises(RuntimeError, match="delta"):
        tg.nn.HuberLoss(delta=0.0)(tg.randn(3), tg.randn(3))


# ---------------------------------------------------------------------- the seed example


def _seed_models(dtype):
    tg_model = tg.nn.Sequential(tg.nn.Linear(20, 64), tg.nn.ReLU(), tg.nn.Linear(64, 5))
    th_model = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 5))
    th_model.to(dtype)
    tg_model.to(getattr(tg, str(dtype).split(".")[-1]))
    copy_weights(tg_model, th_model)
    return tg_model, th_model


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("loss_name", ["CrossEntropyLoss", "MSELoss"])
def test_seed_example_trains_like_torch(loss_name, dtype):
    rng = np.random.default_rng(10)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    tol = dict(rtol=2e-4, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-12)
    tg_model, th_model = _seed_models(dtype)
    tg_loss_fn, th_loss_fn = getattr(tg.nn, loss_name)(), getattr(torch.nn, loss_name)()
    lr = 0.1
    for step in range(3):
        x = rng.standard_normal((32, 20)).astype(np_dtype)
        if loss_name == "CrossEntropyLoss":
            y = rng.integers(0, 5, 32)
        else:
            y = rng.standard_normal((32, 5)).astype(np_dtype)
        loss = tg_loss_fn(tg_model(tg.tensor(x)), tg.tensor(y))
        ref = th_loss_fn(th_model(torch.tensor(x)), torch.tensor(y))
        assert loss.dtype == getattr(tg, str(dtype).split(".")[-1]) and loss.shape == ()
        np.testing.assert_allclose(loss.item(), ref.item(), **tol, err_msg=f"loss, step {step}")
        tg_model.zero_grad()
        th_model.zero_grad()
        loss.backward()
        ref.backward()
        th_params = dict(th_model.named_parameters())
        for name, p in tg_model.named_parameters():
            np.testing.assert_allclose(
                p.grad.numpy(), th_params[name].grad.numpy(), **tol, err_msg=f"{name}, {step}"
            )
        with tg.no_grad():  # a hand-written SGD step in both
            for p in tg_model.parameters():
                p.sub_(lr * p.grad)
        with torch.no_grad():
            for p in th_model.parameters():
                p.sub_(lr * p.grad)


# ---------------------------------------------------------------------- likelihood and margins


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_likelihood_and_multi_margin_modules_match_torch(reduction):
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((5, 4)), rng.uniform(0.0, 4.0, (5, 4))
    check_layer(
        tg.nn.PoissonNLLLoss(full=True, reduction=reduction),
        torch.nn.PoissonNLLLoss(full=True, reduction=reduction),
        [x, t + 1.0],
    )
    var = rng.uniform(0.1, 2.0, (5, 1))
    check_layer(
        tg.nn.GaussianNLLLoss(full=True, reduction=reduction),
        torch.nn.GaussianNLLLoss(full=True, reduction=reduction),
        [x, t, var],
    )
    target = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 0.5, 2.0, 1.5])
    check_layer(
        tg.nn.MultiMarginLoss(p=2, margin=0.8, weight=tg.tensor(w), reduction=reduction),
        torch.nn.MultiMarginLoss(p=2, margin=0.8, weight=torch.tensor(w), reduction=reduction),
        [x, target],
    )
    labels = np.array([[3, 0, -1, 2], [1, 2, 3, 0], [-1, 1, 1, 1], [2, -1, 0, 0], [0, 0, -1, 1]])
    check_layer(
        tg.nn.MultiLabelMarginLoss(reduction=reduction),
        torch.nn.MultiLabelMarginLoss(reduction=reduction),
        [x, labels],
    )


def test_gaussian_nll_clamps_var_without_stopping_its_gradient():
    x, t = np.array([0.3, -1.0, 2.0]), np.array([0.1, 0.5, 1.0])
    var = np.array([1e-9, 0.5, 0.0])  # two entries below eps: clamped values, gradient kept
    check_layer(
        tg.nn.GaussianNLLLoss(eps=1e-3, reduction="sum"),
        torch.nn.GaussianNLLLoss(eps=1e-3, reduction="sum"),
        [x, t, var],
        rtol=1e-9,
    )


def test_poisson_nll_full_at_zero_counts_is_finite():
    x = tg.tensor([0.5, -0.2], requires_grad=True)
    t = tg.tensor([0.0, 3.0], requires_grad=True)
    loss = F.poisson_nll_loss(x, t, full=True)
    want = torch.nn.functional.poisson_nll_loss(
        torch.tensor([0.5, -0.2]), torch.tensor([0.0, 3.0]), full=True
    )
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-6)
    loss.backward()
    assert np.isfinite(t.grad.numpy()).all()  # PyTorch's is NaN at t = 0 (0 log 0)


def test_likelihood_and_margin_losses_name_bad_input():
    with pytest.raises(ValueError, match=r"var is of incorrect size.*\(2, 2\).*\(2, 3\)"):
        F.gaussian_nll_loss(tg.randn(2, 3), tg.randn(2, 3), tg.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(tg.randn(2, 3), tg.randn(2, 3), -tg.ones(2, 3))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(tg.randn(2, 3), tg.randn(2, 3), -1.0)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(tg.randn(2, 3), tg.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        tg.nn.MultiMarginLoss(p=3)
    with pytest.raises(RuntimeError, match=r"expected target of shape \(2,\).*\(3,\)"):
        F.multi_margin_loss(tg.randn(2, 3), tg.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match="target 3 is out of bounds for 3 classes"):
        F.multi_margin_loss(tg.randn(2, 3), tg.tensor([0, 3]))
    with pytest.raises(RuntimeError, match=r"integer class-index target"):
        F.multi_margin_loss(tg.randn(2, 3), tg.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(2, 2\)"):
        F.multilabel_margin_loss(tg.randn(2, 3), tg.tensor([[0, 1], [1, -1]]))
    with pytest.raises(IndexError, match=r"must be in \[-1, 2\]"):
        F.multilabel_margin_loss(tg.randn(2, 3), tg.tensor([[0, 5, -1], [1, -1, 0]]))


# ---------------------------------------------------------------------- triplet with distance


def test_triplet_margin_with_distance_loss_module_matches_torch():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((5, 4)) for _ in range(3)]
    for kwargs in ({}, {"margin": 2.0, "swap": True, "reduction": "sum"}):
        ours = tg.nn.TripletMarginWithDistanceLoss(**kwargs)
        theirs = torch.nn.TripletMarginWithDistanceLoss(**kwargs)
        assert repr(ours) == repr(theirs)  # the default distance is a PairwiseDistance child
        check_layer(ours, theirs, inputs)
    ours = tg.nn.TripletMarginWithDistanceLoss(
        distance_function=tg.nn.PairwiseDistance(p=1.0), reduction="none"
    )
    theirs = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=torch.nn.PairwiseDistance(p=1.0), reduction="none"
    )
    check_layer(ours, theirs, inputs)
    assert _params(tg.nn.TripletMarginWithDistanceLoss.__init__) == _params(
        torch.nn.TripletMarginWithDistanceLoss.__init__
    )
    assert _params(F.triplet_margin_with_distance_loss) == _params(
        torch.nn.functional.triplet_margin_with_distance_loss
    )


def test_triplet_margin_with_distance_loss_errors_are_torchs():
    x = tg.randn(2, 3)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        tg.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(x, x, x, reduction="avg")
    with pytest.raises(RuntimeError, match=r"anchor 2D, positive 1D, and negative 2D"):
        F.triplet_margin_with_distance_loss(x, tg.randn(3), x)
