"""Pooling (tensorgrad/nn/pooling.py: max, average and adaptive pooling, 1-d to 3-d; MaxPool,
Unpool, AvgPool and AvgUnpool in tensorgrad/ops/conv.py) against PyTorch: an op table for the
functional forms and their gradients (values kept distinct so a max is never tied under finite
differences), layer comparisons, PyTorch's tie and NaN rules, and errors."""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, distinct, make_tests

torch = pytest.importorskip("torch")


def fn_(name, **kwargs):
    """``lib.nn.functional.<name>(*inputs, **kwargs)``"""
    return lambda lib, *xs: getattr(lib.nn.functional, name)(*xs, **kwargs)


def max_pool(name, **kwargs):
    return OpSpec(f"nn.functional.{name}", fn_(name, **kwargs), CASES[name], gen=distinct)


CASES = {
    "max_pool2d": [((2, 3, 6, 5),), ((2, 5, 7),)],
    "max_pool1d": [((2, 3, 9),), ((3, 8),)],
    "avg_pool2d": [((2, 3, 6, 5),), ((2, 5, 7),)],
    "adaptive_avg_pool2d": [((2, 3, 6, 5),), ((2, 5, 7),)],
    "avg_pool1d": [((2, 3, 9),), ((3, 8),)],
    "adaptive_avg_pool1d": [((2, 3, 9),), ((3, 7),)],
    "adaptive_max_pool1d": [((2, 3, 9),), ((3, 7),)],
    "adaptive_max_pool2d": [((2, 3, 7, 5),), ((2, 5, 6),)],
}


def max_pool_gradient(**kwargs):
    """The input gradient of max_pool2d for an upstream gradient ``g``: its graph holds the
    gradient's own primitive (Unpool), which double backward differentiates."""

    def fn(lib, x, g):
        out = lib.nn.functional.max_pool2d(x, **kwargs)
        # + 0 x: PyTorch links this gradient to x with a zero derivative, tensorgrad not at all
        return lib.autograd.grad(out, x, g, create_graph=True)[0] + 0 * x

    return fn


def avg_pool_gradient(**kwargs):
    """The input gradient of avg_pool2d for an upstream gradient ``g``: AvgUnpool, whose
    gradient (AvgPool) double backward runs."""

    def fn(lib, x, g):
        out = lib.nn.functional.avg_pool2d(x, **kwargs)
        # + 0 x: PyTorch links this gradient to x with a zero derivative, tensorgrad not at all
        return lib.autograd.grad(out, x, g, create_graph=True)[0] + 0 * x

    return fn


OPS = [
    OpSpec(
        "nn.functional.max_pool2d",
        max_pool_gradient(kernel_size=2),  # windows tile the input: each element written once
        [((2, 3, 4, 6), (2, 3, 2, 3)), ((2, 3, 5, 5), (2, 3, 2, 2))],
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.max_pool2d",
        max_pool_gradient(kernel_size=3, stride=(1, 2), padding=1),  # overlapping: added up
        [((2, 3, 4, 5), (2, 3, 4, 3))],
        gen=distinct,
    ),
    max_pool("max_pool2d", kernel_size=2),
    max_pool("max_pool2d", kernel_size=(3, 2), stride=(2, 1), padding=1),
    max_pool("max_pool2d", kernel_size=2, stride=1, dilation=(2, 1)),  # overlapping windows
    max_pool("max_pool2d", kernel_size=3, stride=2, padding=1, ceil_mode=True),
    max_pool("max_pool1d", kernel_size=2),
    max_pool("max_pool1d", kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    OpSpec("nn.functional.avg_pool2d", fn_("avg_pool2d", kernel_size=2), CASES["avg_pool2d"]),
    OpSpec(
        "nn.functional.avg_pool2d",
        avg_pool_gradient(kernel_size=2),  # windows tile the input
        [((2, 3, 4, 6), (2, 3, 2, 3)), ((2, 3, 5, 5), (2, 3, 2, 2))],
    ),
    OpSpec(
        "nn.functional.avg_pool2d",
        avg_pool_gradient(kernel_size=3, stride=(1, 2), padding=1, count_include_pad=False),
        [((2, 3, 4, 5), (2, 3, 4, 3))],  # overlapping windows: added up
    ),
    OpSpec(
        "nn.functional.avg_pool2d",
        avg_pool_gradient(kernel_size=2, stride=1, ceil_mode=True, divisor_override=3),
        [((2, 3, 4, 5), (2, 3, 3, 4))],
    ),
    OpSpec(
        "nn.functional.avg_pool2d",
        fn_("avg_pool2d", kernel_size=(3, 2), stride=(2, 1), padding=1),
        CASES["avg_pool2d"],
    ),
    OpSpec(
        "nn.functional.avg_pool2d",
        fn_(
            "avg_pool2d",
            kernel_size=3,
            stride=2,
            padding=1,
            ceil_mode=True,
            count_include_pad=False,
        ),
        CASES["avg_pool2d"],
    ),
    OpSpec(
        "nn.functional.avg_pool2d",
        fn_("avg_pool2d", kernel_size=2, ceil_mode=True, divisor_override=3),
        CASES["avg_pool2d"],
    ),
    OpSpec(
        "nn.functional.adaptive_avg_pool2d",
        fn_("adaptive_avg_pool2d", output_size=(4, 3)),  # windows of uneven sizes
        CASES["adaptive_avg_pool2d"],
    ),
    OpSpec(
        "nn.functional.adaptive_avg_pool2d",
        fn_("adaptive_avg_pool2d", output_size=(None, 2)),
        CASES["adaptive_avg_pool2d"],
    ),
    OpSpec(
        "nn.functional.adaptive_avg_pool2d",
        fn_("adaptive_avg_pool2d", output_size=1),
        CASES["adaptive_avg_pool2d"],
    ),
    OpSpec("nn.functional.avg_pool1d", fn_("avg_pool1d", kernel_size=3), CASES["avg_pool1d"]),
    OpSpec(
        "nn.functional.avg_pool1d",
        fn_("avg_pool1d", kernel_size=3, stride=2, padding=1, ceil_mode=True),
        CASES["avg_pool1d"],
    ),
    OpSpec(
        "nn.functional.avg_pool1d",
        fn_("avg_pool1d", kernel_size=2, stride=1, padding=1, count_include_pad=False),
        CASES["avg_pool1d"],
    ),
    OpSpec(
        "nn.functional.adaptive_avg_pool1d",
        fn_("adaptive_avg_pool1d", output_size=4),  # windows of uneven sizes
        CASES["adaptive_avg_pool1d"],
    ),
    OpSpec(
        "nn.functional.adaptive_max_pool1d",
        fn_("adaptive_max_pool1d", output_size=4),  # overlapping windows of uneven sizes
        CASES["adaptive_max_pool1d"],
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.adaptive_max_pool2d",
        fn_("adaptive_max_pool2d", output_size=(3, 2)),
        CASES["adaptive_max_pool2d"],
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.adaptive_max_pool2d",
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (None, 4), return_indices=True)[0],
        CASES["adaptive_max_pool2d"],
        gen=distinct,
    ),
]


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)  # x^p for a fractional p needs x > 0


def unpool(spatial, **kwargs):
    """max_unpool of max_pool's output at its indices: values back in place, zeros elsewhere."""

    def fn(lib, x):
        F = lib.nn.functional
        pool, unpool_ = (
            (F.max_pool1d, F.max_unpool1d) if spatial == 1 else (F.max_pool2d, F.max_unpool2d)
        )
        out, idx = pool(x, return_indices=True, **kwargs)
        return unpool_(out, idx, **kwargs)

    return fn


OPS += [
    OpSpec(
        "nn.functional.lp_pool2d",
        fn_("lp_pool2d", norm_type=2, kernel_size=2),
        [((2, 3, 4, 4),), ((3, 4, 5),)],
    ),
    OpSpec(
        "nn.functional.lp_pool2d",
        fn_("lp_pool2d", norm_type=1.5, kernel_size=(3, 2), stride=(1, 2), ceil_mode=True),
        [((2, 3, 4, 5),)],
        gen=_positive,
    ),
    OpSpec(
        "nn.functional.lp_pool1d",
        fn_("lp_pool1d", norm_type=3, kernel_size=2),
        [((2, 3, 6),), ((3, 5),)],
        gen=_positive,
    ),
    OpSpec(
        "nn.functional.lp_pool1d",
        fn_("lp_pool1d", norm_type=2, kernel_size=3, stride=2),
        [((2, 3, 7),)],
    ),
    OpSpec(
        "nn.functional.max_unpool2d",
        unpool(2, kernel_size=2),
        [((2, 3, 4, 6),), ((3, 4, 4),)],
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.max_unpool2d",
        unpool(2, kernel_size=3, stride=3, padding=1),  # overlapping windows can pick one
        [((2, 2, 4, 4),)],  # element twice: its gradient would count twice, its value once
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.max_unpool1d",
        unpool(1, kernel_size=2),
        [((2, 3, 6),), ((3, 4),)],
        gen=distinct,
    ),
]


def pool_gradient(name, **kwargs):
    """The input gradient of the pooling ``name`` for an upstream gradient ``g``: Unpool's or
    AvgUnpool's graph, which double backward differentiates."""

    def fn(lib, x, g):
        out = getattr(lib.nn.functional, name)(x, **kwargs)
        # + 0 x: PyTorch links this gradient to x with a zero derivative, tensorgrad not at all
        return lib.autograd.grad(out, x, g, create_graph=True)[0] + 0 * x

    return fn


def with_indices(name, *args, cases):
    """``F.<name>_with_indices(x, *args)``: the pooled values and their int64 indices, always.
    Their graph is ``name``'s, whose specs run the second order and the layouts."""
    return OpSpec(
        f"nn.functional.{name}_with_indices",
        lambda lib, x: getattr(lib.nn.functional, f"{name}_with_indices")(x, *args),
        cases,
        gen=distinct,
        second_order=False,
        noncontiguous=False,
    )


CASES_3D = [((1, 2, 3, 4, 3),), ((2, 3, 4, 3),)]  # batched and unbatched

OPS += [
    OpSpec("nn.functional.max_pool3d", fn_("max_pool3d", kernel_size=2), CASES_3D, gen=distinct),
    OpSpec(
        "nn.functional.max_pool3d",
        fn_(
            "max_pool3d",
            kernel_size=(3, 2, 2),
            stride=(2, 1, 2),
            padding=1,
            dilation=(1, 2, 1),
            ceil_mode=True,
        ),
        CASES_3D,
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.max_pool3d",
        pool_gradient("max_pool3d", kernel_size=3, stride=(1, 2, 1), padding=1),  # overlapping
        [((1, 1, 3, 4, 3), (1, 1, 3, 2, 3))],
        gen=distinct,
    ),
    OpSpec("nn.functional.avg_pool3d", fn_("avg_pool3d", kernel_size=2), CASES_3D),
    OpSpec(
        "nn.functional.avg_pool3d",
        fn_(
            "avg_pool3d",
            kernel_size=(3, 2, 2),
            stride=(2, 1, 2),
            padding=1,
            ceil_mode=True,
            count_include_pad=False,
        ),
        CASES_3D,
    ),
    OpSpec(
        "nn.functional.avg_pool3d",
        fn_("avg_pool3d", kernel_size=(2, 1, 2), stride=1, divisor_override=3),
        CASES_3D,
    ),
    OpSpec(
        "nn.functional.avg_pool3d",
        pool_gradient("avg_pool3d", kernel_size=3, stride=(1, 2, 1), padding=1),  # overlapping
        [((1, 1, 3, 4, 3), (1, 1, 3, 2, 3))],
    ),
    OpSpec(
        "nn.functional.adaptive_avg_pool3d",
        fn_("adaptive_avg_pool3d", output_size=(3, 2, None)),  # windows of uneven sizes
        CASES_3D,
    ),
    OpSpec(
        "nn.functional.adaptive_avg_pool3d",
        fn_("adaptive_avg_pool3d", output_size=(1, 4, 3)),
        CASES_3D,
    ),
    OpSpec(
        "nn.functional.adaptive_max_pool3d",
        fn_("adaptive_max_pool3d", output_size=(3, 2, 3)),  # overlapping windows
        CASES_3D,
        gen=distinct,
    ),
    OpSpec(
        "nn.functional.lp_pool3d",
        fn_("lp_pool3d", norm_type=2, kernel_size=2),
        CASES_3D,
    ),
    OpSpec(
        "nn.functional.lp_pool3d",
        fn_("lp_pool3d", norm_type=1.5, kernel_size=(2, 3, 2), stride=(1, 2, 1), ceil_mode=True),
        CASES_3D,
        gen=_positive,
    ),
    OpSpec(
        "nn.functional.max_unpool3d",
        lambda lib, x: lib.nn.functional.max_unpool3d(
            *lib.nn.functional.max_pool3d(x, 2, return_indices=True), 2
        ),
        [((1, 2, 4, 2, 4),), ((2, 2, 4, 4),)],
        gen=distinct,
    ),
    with_indices("max_pool1d", 3, 2, 1, cases=CASES["max_pool1d"]),
    with_indices("max_pool2d", (2, 3), 1, (1, 0), 1, True, cases=CASES["max_pool2d"]),
    with_indices("max_pool3d", 2, (1, 2, 1), 1, (2, 1, 1), cases=CASES_3D),
    with_indices("adaptive_max_pool1d", 4, cases=CASES["adaptive_max_pool1d"]),
    with_indices("adaptive_max_pool2d", (3, 2), cases=CASES["adaptive_max_pool2d"]),
    with_indices("adaptive_max_pool3d", (2, 3, 2), cases=CASES_3D),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ----------------------------------------------------------------------------------- layers


def _input(shape, seed=0):
    return distinct(np.random.default_rng(seed), shape)


MAXPOOL2D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True),  # gaps between windows
    dict(kernel_size=3, dilation=2, padding=1, stride=2),
    dict(kernel_size=(3, 2), dilation=(1, 3), stride=(2, 1), ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAXPOOL2D_CASES, ids=str)
def test_maxpool2d_layer_matches_torch(kwargs):
    x = _input((2, 3, 9, 8))
    check_layer(tg.nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), [x])
    check_layer(tg.nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), [x[0]], train=False)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=1, padding=1),
        dict(kernel_size=4, stride=3, dilation=2, ceil_mode=True),
    ],
    ids=str,
)
def test_maxpool1d_layer_matches_torch(kwargs):
    x = _input((2, 3, 13))
    check_layer(tg.nn.MaxPool1d(**kwargs), torch.nn.MaxPool1d(**kwargs), [x])
    check_layer(tg.nn.MaxPool1d(**kwargs), torch.nn.MaxPool1d(**kwargs), [x[1]])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=1, padding=1),
        dict(kernel_size=3, stride=1, padding=1, count_include_pad=False),
        dict(kernel_size=(3, 2), stride=2, padding=(1, 1), ceil_mode=True),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        dict(kernel_size=2, stride=3, ceil_mode=True, divisor_override=5),
    ],
    ids=str,
)
def test_avgpool2d_layer_matches_torch(kwargs):
    x = _input((2, 3, 8, 9))
    check_layer(tg.nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), [x])
    check_layer(tg.nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), [x[0]])


@pytest.mark.parametrize("size", [1, 3, (2, 5), (None, 4), (7, None), (9, 10), (5, 3)], ids=str)
def test_adaptive_avgpool2d_layer_matches_torch(size):
    x = _input((2, 3, 7, 9))
    check_layer(tg.nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), [x])
    check_layer(tg.nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), [x[0]])


POOL3D_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3, 1), stride=(1, 2, 1), padding=(1, 1, 0)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True),  # gaps between windows
]


@pytest.mark.parametrize("kwargs", POOL3D_CASES, ids=str)
def test_maxpool3d_layer_matches_torch(kwargs):
    x = _input((2, 3, 5, 6, 7))
    for extra in (dict(), dict(dilation=(2, 1, 1))):
        ours, theirs = tg.nn.MaxPool3d(**kwargs, **extra), torch.nn.MaxPool3d(**kwargs, **extra)
        check_layer(ours, theirs, [x])
        check_layer(ours, theirs, [x[0]], train=False)


@pytest.mark.parametrize("kwargs", POOL3D_CASES, ids=str)
def test_avgpool3d_layer_matches_torch(kwargs):
    x = _input((2, 3, 5, 6, 7))
    for extra in (dict(), dict(count_include_pad=False), dict(divisor_override=5)):
        ours, theirs = tg.nn.AvgPool3d(**kwargs, **extra), torch.nn.AvgPool3d(**kwargs, **extra)
        check_layer(ours, theirs, [x])
        check_layer(ours, theirs, [x[1]])


@pytest.mark.parametrize("size", [1, 3, (2, None, 4), (7, 1, 9), (4, 5, 3)], ids=str)
def test_adaptive_3d_layers_match_torch(size):
    x = _input((2, 3, 5, 6, 7))
    check_layer(tg.nn.AdaptiveAvgPool3d(size), torch.nn.AdaptiveAvgPool3d(size), [x])
    check_layer(tg.nn.AdaptiveAvgPool3d(size), torch.nn.AdaptiveAvgPool3d(size), [x[0]])
    ours, theirs = tg.nn.AdaptiveMaxPool3d(size, True), torch.nn.AdaptiveMaxPool3d(size, True)
    check_layer(ours, theirs, [x])  # the indices compared too
    check_layer(ours, theirs, [x[1]])


@pytest.mark.parametrize("p", [2, 1.5, float("inf")])
def test_lp_pool3d_layer_matches_torch(p):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3, 4, 5, 6))
    for kwargs in [{"kernel_size": 2}, {"kernel_size": (3, 2, 2), "stride": 2, "ceil_mode": True}]:
        ours, theirs = tg.nn.LPPool3d(p, **kwargs), torch.nn.LPPool3d(p, **kwargs)
        check_layer(ours, theirs, [x])
        check_layer(ours, theirs, [x[0]])
        assert repr(ours) == repr(theirs)


def test_max_unpool3d_layer_matches_torch():
    rng = np.random.default_rng(2)
    kwargs = {"kernel_size": 3, "stride": 2, "padding": 1}

    def forward(layer, x, output_size=None, pool=kwargs):
        lib = tg if isinstance(layer, tg.nn.Module) else torch
        out, idx = lib.nn.functional.max_pool3d(x, return_indices=True, **pool)
        return layer(out, idx, output_size=output_size)

    x = rng.standard_normal((2, 2, 5, 5, 5))
    check_layer(tg.nn.MaxUnpool3d(**kwargs), torch.nn.MaxUnpool3d(**kwargs), [x], forward=forward)
    check_layer(
        tg.nn.MaxUnpool3d(2),
        torch.nn.MaxUnpool3d(2),
        [rng.standard_normal((3, 5, 4, 7))],  # unbatched, odd sizes given back by output_size
        forward=lambda layer, x: forward(layer, x, (5, 4, 7), {"kernel_size": 2}),
    )
    with pytest.raises(ValueError, match=r"max_unpool3d: invalid output_size"):
        out, idx = tg.nn.functional.max_pool3d(tg.randn(1, 1, 4, 4, 4), 2, return_indices=True)
        tg.nn.functional.max_unpool3d(out, idx, 2, output_size=(8, 4, 4))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=(2, 3, 2), dilation=(1, 2, 1), stride=1),
    ],
    ids=str,
)
def test_3d_return_indices_match_torch(kwargs):
    x = _input((2, 3, 5, 6, 5))
    for grad in (True, False):  # recorded by MaxPool, or found again without a graph
        out, idx = tg.nn.functional.max_pool3d(
            tg.tensor(x, requires_grad=grad), return_indices=True, **kwargs
        )
        t_out, t_idx = torch.nn.functional.max_pool3d(
            torch.tensor(x), return_indices=True, **kwargs
        )
        np.testing.assert_array_equal(out.detach().numpy(), t_out.numpy())
        assert idx.dtype == tg.int64
        np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    out, idx = tg.nn.MaxPool3d(2, return_indices=True)(tg.tensor(x[0]))
    t_out, t_idx = torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


@pytest.mark.parametrize("grad", [True, False])
def test_return_indices_under_compile_follow_the_new_input(grad):
    """The indices are computed through the recorder: a replay finds them again on its own
    input instead of returning the recording's (fullgraph: no host read either)."""

    def step(x):
        out2, idx2 = tg.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True)
        out3, idx3 = tg.nn.functional.max_pool3d(x.unsqueeze(1), 2, return_indices=True)
        return out2, idx2, out3, idx3

    compiled = tg.compile(step, fullgraph=True, fuse=False)  # no numba compile for a test
    for seed in range(3):
        x = tg.tensor(_input((2, 3, 6, 5), seed=seed), requires_grad=grad)
        for a, b in zip(step(x), compiled(x)):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert "1 recording" in compiled.explain() and "eagerly" not in compiled.explain()


def test_3d_max_pool_ties_and_nan_as_in_torch():
    x = np.maximum(np.random.default_rng(0).standard_normal((1, 2, 4, 4, 4)), 0)
    x[0, 0, :2, :2, :2] = 1.5  # a window tied at its maximum
    x[0, 1, 0, 0, 1] = x[0, 1, 1, 0, 0] = np.nan  # two NaNs in one window: the last one wins
    outs = []
    for lib in (tg, torch):
        t = lib.tensor(x, requires_grad=True)
        out, idx = lib.nn.functional.max_pool3d(t, 2, return_indices=True)
        out.backward(lib.ones_like(out))
        outs.append((out.detach().numpy(), idx.numpy(), t.grad.numpy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def test_maxpool_ties_go_to_the_first_maximum_as_in_torch():
    """After a ReLU most windows tie at 0: the gradient goes to the first one only."""
    x = np.maximum(np.random.default_rng(0).standard_normal((2, 3, 8, 8)), 0)
    x[0, 0, :2, :2] = 1.5  # a window tied at its maximum
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        check_layer(tg.nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), [x])


def test_maxpool_nan_and_infinite_gradients_as_in_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two NaNs in one window: the last one wins
    x[0, 1, 2, 2] = np.inf
    outs, grads = [], []
    for lib in (tg, torch):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.max_pool2d(t, 2)
        g = np.ones(out.shape)
        g[0, 1, 0, 0] = np.inf  # an infinite gradient stays where it belongs
        out.backward(lib.tensor(g))
        outs.append(out.detach().numpy())
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=(2, 3), dilation=2, stride=1),
    ],
    ids=str,
)
def test_return_indices_match_torch(kwargs):
    x = _input((2, 3, 7, 8))
    for grad in (True, False):  # recorded by MaxPool, or found again without a graph
        out, idx = tg.nn.functional.max_pool2d(
            tg.tensor(x, requires_grad=grad), return_indices=True, **kwargs
        )
        t_out, t_idx = torch.nn.functional.max_pool2d(
            torch.tensor(x), return_indices=True, **kwargs
        )
        np.testing.assert_array_equal(out.detach().numpy(), t_out.numpy())
        assert idx.dtype == tg.int64
        np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    out, idx = tg.nn.MaxPool1d(3, 2, return_indices=True)(tg.tensor(x[0]))
    t_out, t_idx = torch.nn.MaxPool1d(3, 2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


def test_return_indices_with_a_large_dilation():
    """The kernel offsets are kept as int8; offset * dilation (200 here) must not overflow."""
    x = _input((1, 2, 3, 300))
    idx = tg.nn.functional.max_pool2d(tg.tensor(x), (1, 3), dilation=(1, 100), return_indices=True)
    t_idx = torch.nn.functional.max_pool2d(
        torch.tensor(x), (1, 3), dilation=(1, 100), return_indices=True
    )
    np.testing.assert_array_equal(idx[1].numpy(), t_idx[1].numpy())


def test_maxpool_double_backward_matches_torch():
    x_np = _input((2, 2, 6, 6))
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(x_np, requires_grad=True)
        out = lib.nn.functional.max_pool2d(x * x, 3, stride=2, padding=1).sum()
        (gx,) = (tg.autograd if lib is tg else torch.autograd).grad(out, x, create_graph=True)
        (gx * gx).sum().backward()
        grads.append(x.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.MaxPool2d(2),
        lambda nn: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
        lambda nn: nn.MaxPool1d(3),
        lambda nn: nn.MaxPool1d(4, 2, 1, return_indices=True),
        lambda nn: nn.AvgPool2d(3),
        lambda nn: nn.AvgPool2d((3, 2), (1, 2), 1, ceil_mode=True, count_include_pad=False),
        lambda nn: nn.AdaptiveAvgPool2d((None, 3)),
        lambda nn: nn.AdaptiveAvgPool2d(5),
        lambda nn: nn.AvgPool1d(3),
        lambda nn: nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda nn: nn.AdaptiveAvgPool1d(3),
        lambda nn: nn.AdaptiveMaxPool1d(2, return_indices=True),
        lambda nn: nn.AdaptiveMaxPool2d((2, None)),
        lambda nn: nn.MaxPool3d(2),
        lambda nn: nn.MaxPool3d((2, 3, 1), stride=1, padding=1, dilation=2, ceil_mode=True),
        lambda nn: nn.MaxPool3d(3, return_indices=True),
        lambda nn: nn.AvgPool3d(3),
        lambda nn: nn.AvgPool3d((3, 2, 1), (1, 2, 1), 1, True, False, 3),
        lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)),
        lambda nn: nn.AdaptiveMaxPool3d(4, return_indices=True),
        lambda nn: nn.LPPool3d(2, 3, 2, True),
        lambda nn: nn.MaxUnpool3d((2, 3, 2), 1, (0, 1, 0)),
    ],
)
def test_repr_and_attributes_match_torch(make):
    a, b = make(tg.nn), make(torch.nn)
    assert repr(a) == repr(b)
    for name in vars(b):
        if not name.startswith("_") and name != "training":
            assert getattr(a, name) == getattr(b, name), name
    assert a.state_dict() == {} and len(b.state_dict()) == 0


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.AvgPool1d(3, 2, 1, ceil_mode=True), (2, 3, 10)),
        (lambda nn: nn.AvgPool1d(2, count_include_pad=False, padding=1), (3, 7)),
        (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
        (lambda nn: nn.AdaptiveMaxPool1d(4), (3, 10)),
        (lambda nn: nn.AdaptiveMaxPool1d(3, return_indices=True), (2, 3, 8)),
        (lambda nn: nn.AdaptiveMaxPool2d((3, None), return_indices=True), (2, 3, 7, 5)),
        (lambda nn: nn.AdaptiveMaxPool2d(4), (3, 9, 6)),
        (lambda nn: nn.AdaptiveMaxPool2d((9, 7)), (1, 2, 4, 5)),  # output larger than input
    ],
)
def test_1d_and_adaptive_layers_match_torch(make, shape):
    check_layer(make(tg.nn), make(torch.nn), [_input(shape)])


def test_adaptive_max_pool_nan_and_ties_as_torch():
    x = np.array([[[1.0, np.nan, 3.0, 2.0, 2.0, 5.0, 5.0, 4.0]]])
    a, b = tg.tensor(x), torch.tensor(x)
    ours = tg.nn.functional.adaptive_max_pool1d(a, 3, True)
    theirs = torch.nn.functional.adaptive_max_pool1d(b, 3, True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    # ties: the gradient goes to the first maximum of each window only, as PyTorch's
    t = tg.tensor(np.array([[2.0, 2.0, 1.0, 3.0, 3.0, 3.0]]), requires_grad=True)
    r = torch.tensor(t.detach().numpy(), requires_grad=True)
    tg.nn.functional.adaptive_max_pool1d(t, 2).sum().backward()
    torch.nn.functional.adaptive_max_pool1d(r, 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), r.grad.numpy())


def test_adaptive_pool_output_size_zero_gives_an_empty_output_as_torch():
    x = np.ones((3, 4, 5))
    out, idx = tg.nn.functional.adaptive_max_pool2d(tg.tensor(x), 0, return_indices=True)
    assert (
        out.shape == idx.shape == torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), 0).shape
    )


# ------------------------------------------------------------------------------------- errors


def test_pooling_errors():
    F = tg.nn.functional
    with pytest.raises(RuntimeError, match=r"pad should be at most half of kernel size"):
        F.max_pool2d(tg.randn(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"pad should be at most half of kernel size"):
        F.max_pool1d(tg.randn(1, 1, 9), 3, padding=2, dilation=2)  # 2 <= 5 // 2, yet too much
    with pytest.raises(RuntimeError, match=r"avg_pool2d: pad should be at most half of kernel"):
        F.avg_pool2d(tg.randn(1, 1, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match=r"output size \(0, 0\) is too small"):
        F.max_pool2d(tg.randn(1, 1, 1, 1), 3)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.max_pool2d(tg.randn(2, 5, 5), 2, stride=0)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected 3-D \(unbatched\).*\(5, 5\)"):
        tg.nn.MaxPool2d(2)(tg.randn(5, 5))
    with pytest.raises(RuntimeError, match=r"max_pool1d: expected 2-D \(unbatched\).*\(1, 2, 3, 4"):
        tg.nn.MaxPool1d(2)(tg.randn(1, 2, 3, 4))
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d: expected 3-D"):
        tg.nn.AdaptiveAvgPool2d(2)(tg.randn(4))
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(tg.randn(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(RuntimeError, match=r"avg_pool1d: expected 2-D \(unbatched\).*\(2, 3, 4, 5"):
        F.avg_pool1d(tg.randn(2, 3, 4, 5), 2)
    with pytest.raises(RuntimeError, match=r"avg_pool1d: pad should be at most half"):
        tg.nn.AvgPool1d(2, padding=2)(tg.randn(1, 2, 6))
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool1d: expected 2-D.*\(4,\)"):
        F.adaptive_avg_pool1d(tg.randn(4), 2)
    with pytest.raises(RuntimeError, match=r"adaptive_max_pool2d: expected 3-D.*\(4, 5\)"):
        F.adaptive_max_pool2d(tg.randn(4, 5), 2)
    with pytest.raises(ValueError, match=r"adaptive_max_pool1d: output_size must be an int or 1"):
        F.adaptive_max_pool1d(tg.randn(2, 4, 5), (2, 2))
    with pytest.raises(RuntimeError, match="non-negative"):
        F.adaptive_max_pool1d(tg.randn(2, 4, 5), -1)


def test_3d_pooling_errors():
    F = tg.nn.functional
    with pytest.raises(
        RuntimeError, match=r"max_pool3d: expected 4-D \(unbatched\) or 5-D.*\(5, 5\)"
    ):
        tg.nn.MaxPool3d(2)(tg.randn(5, 5))
    with pytest.raises(RuntimeError, match=r"avg_pool3d: pad should be at most half of kernel"):
        F.avg_pool3d(tg.randn(1, 1, 5, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match=r"max_pool3d: given input of shape .*output size"):
        F.max_pool3d(tg.randn(1, 1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match=r"max_pool3d: kernel_size must be an int or 3 ints"):
        F.max_pool3d(tg.randn(1, 1, 4, 4, 4), (2, 2))
    with pytest.raises(ValueError, match=r"adaptive_avg_pool3d: output_size must be an int or 3"):
        F.adaptive_avg_pool3d(tg.randn(1, 1, 4, 4, 4), (2, 2))
    with pytest.raises(RuntimeError, match=r"adaptive_max_pool3d: expected 4-D \(unbatched\)"):
        F.adaptive_max_pool3d(tg.randn(4, 4, 4), 2)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool3d(tg.randn(1, 1, 4, 4, 4), 2, divisor_override=0)


# ---------------------------------------------------------------------- LPPool, MaxUnpool


@pytest.mark.parametrize("p", [2, 1.5, float("inf")])
def test_lp_pool_layers_match_torch(p):
    x = np.random.default_rng(0).uniform(0.5, 2.0, (2, 3, 6, 5))
    for kwargs in [{"kernel_size": 2}, {"kernel_size": (3, 2), "stride": 2, "ceil_mode": True}]:
        ours, theirs = tg.nn.LPPool2d(p, **kwargs), torch.nn.LPPool2d(p, **kwargs)
        check_layer(ours, theirs, [x])
        assert repr(ours) == repr(theirs)
    ours, theirs = tg.nn.LPPool1d(p, 3, stride=2), torch.nn.LPPool1d(p, 3, stride=2)
    check_layer(ours, theirs, [x[0]])
    assert repr(ours) == repr(theirs)


def _unpool_forward(spatial, pool_kwargs, output_size=None):
    def forward(layer, x):
        lib = tg if isinstance(layer, tg.nn.Module) else torch
        pool = lib.nn.functional.max_pool1d if spatial == 1 else lib.nn.functional.max_pool2d
        return layer(*pool(x, return_indices=True, **pool_kwargs), output_size=output_size)

    return forward


def test_max_unpool_layers_match_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 6))
    kwargs = {"kernel_size": 3, "stride": 2, "padding": 1}
    check_layer(
        tg.nn.MaxUnpool2d(**kwargs),
        torch.nn.MaxUnpool2d(**kwargs),
        [x[..., :5, :5]],
        forward=_unpool_forward(2, kwargs),
    )
    check_layer(
        tg.nn.MaxUnpool2d(2),
        torch.nn.MaxUnpool2d(2),
        [rng.standard_normal((3, 7, 6))],
        forward=_unpool_forward(2, {"kernel_size": 2}, output_size=(7, 6)),
    )
    check_layer(
        tg.nn.MaxUnpool1d(2),
        torch.nn.MaxUnpool1d(2),
        [x[:, :, 0]],
        forward=_unpool_forward(1, {"kernel_size": 2}),
    )
    for ours, theirs in [
        (tg.nn.MaxUnpool2d(2, 1), torch.nn.MaxUnpool2d(2, 1)),
        (tg.nn.MaxUnpool1d(3), torch.nn.MaxUnpool1d(3)),
    ]:
        assert repr(ours) == repr(theirs)
        assert (ours.kernel_size, ours.stride, ours.padding) == (
            theirs.kernel_size,
            theirs.stride,
            theirs.padding,
        )


def test_max_unpool_errors_name_the_problem():
    out, idx = tg.nn.functional.max_pool2d(tg.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match=r"invalid output_size.*between 2 and 6"):
        tg.nn.functional.max_unpool2d(out, idx, 2, output_size=(8, 4))
    with pytest.raises(ValueError, match="2 or 4 elements"):
        tg.nn.functional.max_unpool2d(out, idx, 2, output_size=(4,))
    with pytest.raises(RuntimeError, match=r"invalid max index \d+ .*\(4, 4\).*\[0, 16\)"):
        tg.nn.functional.max_unpool2d(out, idx + 12, 2)
    with pytest.raises(RuntimeError, match=r"indices of the input's shape"):
        tg.nn.functional.max_unpool2d(out, idx[..., :1], 2)
    with pytest.raises(RuntimeError, match="integer dtype"):
        tg.nn.functional.max_unpool2d(out, out, 2)
