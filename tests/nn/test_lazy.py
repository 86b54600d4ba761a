"""Lazy modules against PyTorch: the placeholders before the first call (repr, state dict,
errors), the inference of the input size, the ordinary class they become with the ordinary
class's initialisation, optimizers built before the first call, moving and casting before it,
and ``load_state_dict`` in both directions."""

import copy
import inspect

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")

# (lazy class, args, kwargs, ordinary class, the ordinary class's args, input shape)
CASES = [
    ("LazyLinear", (3,), {}, "Linear", (4, 3), (2, 4)),
    ("LazyLinear", (5,), {"bias": False}, "Linear", (4, 5, False), (3, 2, 4)),
    ("LazyConv1d", (4, 3), {"padding": 1}, "Conv1d", (2, 4, 3), (2, 2, 6)),
    ("LazyConv2d", (4, 3), {}, "Conv2d", (3, 4, 3), (2, 3, 5, 5)),
    ("LazyConv2d", (4, 2), {"groups": 2, "stride": 2}, "Conv2d", (6, 4, 2), (1, 6, 4, 4)),
    (
        "LazyConv2d",
        (2, 3),
        {"padding_mode": "reflect", "padding": 1},
        "Conv2d",
        (3, 2, 3),
        (3, 5, 4),
    ),  # fmt: skip
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, "ConvTranspose1d", (2, 4, 3), (2, 2, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2}, "ConvTranspose2d", (6, 4, 3), (1, 6, 3, 3)),
    ("LazyConv3d", (4, 2), {"padding": 1}, "Conv3d", (2, 4, 2), (2, 2, 3, 4, 3)),
    ("LazyConvTranspose3d", (3, 2), {"stride": 2}, "ConvTranspose3d", (2, 3, 2), (1, 2, 2, 3, 2)),
    ("LazyBatchNorm3d", (), {}, "BatchNorm3d", (2,), (3, 2, 2, 3, 2)),
    ("LazyInstanceNorm3d", (), {}, "InstanceNorm3d", (2,), (2, 2, 3, 2, 3)),
    ("LazyBatchNorm1d", (), {}, "BatchNorm1d", (3,), (5, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None}, "BatchNorm1d", (3,), (4, 3, 2)),
    ("LazyBatchNorm2d", (), {"affine": False}, "BatchNorm2d", (2,), (3, 2, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, "InstanceNorm1d", (3,), (2, 3, 5)),
    (
        "LazyInstanceNorm2d",
        (),
        {"track_running_stats": False},
        "InstanceNorm2d",
        (2,),
        (2, 2, 3, 3),
    ),  # fmt: skip
]
IDS = [f"{c[0]}{c[2]}" for c in CASES]


def _ordinary_kwargs(name, kwargs):
    """The lazy norms default to affine and tracked statistics, unlike InstanceNorm."""
    if name.startswith("LazyInstanceNorm"):
        return {"affine": True, "track_running_stats": True, **kwargs}
    return {k: v for k, v in kwargs.items()}


@pytest.mark.parametrize("name, args, kwargs, plain, plain_args, shape", CASES, ids=IDS)
def test_placeholders_until_the_first_call_as_torch(name, args, kwargs, plain, plain_args, shape):
    ours = getattr(tg.nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert isinstance(ours, getattr(tg.nn, plain)) == isinstance(theirs, getattr(torch.nn, plain))
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key, value in theirs_sd.items():
        assert is_lazy(ours_sd[key]) == torch.nn.parameter.is_lazy(value), key
    assert ours.has_uninitialized_params()
    assert [type(p).__name__ for p in ours.parameters()] == [
        type(p).__name__ for p in theirs.parameters()
    ]


@pytest.mark.parametrize("name, args, kwargs, plain, plain_args, shape", CASES, ids=IDS)
def test_first_call_infers_the_size_and_becomes_the_ordinary_class(
    name, args, kwargs, plain, plain_args, shape
):
    x = np.random.default_rng(0).standard_normal(shape)
    ours = getattr(tg.nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours(tg.tensor(x, dtype=tg.float32))
    theirs(torch.tensor(x, dtype=torch.float32))
    assert type(ours) is getattr(tg.nn, plain) and type(theirs) is getattr(torch.nn, plain)
    assert repr(ours) == repr(theirs)
    assert not ours._forward_pre_hooks and not ours._load_state_dict_pre_hooks
    for (k, p), (j, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert k == j and type(p) is tg.nn.Parameter and p.shape == tuple(q.shape)
        assert p.dtype == tg.float32
    for (k, b), (j, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert k == j and type(b) is tg.Tensor and b.shape == tuple(c.shape)
    # from now on the layer is the ordinary layer: the same values and gradients as PyTorch's
    # (batch norm's buffers were updated once by the first call, in both)
    check_layer(ours, theirs, [x])


@pytest.mark.parametrize("name, args, kwargs, plain, plain_args, shape", CASES, ids=IDS)
def test_initialisation_is_the_ordinary_classs(name, args, kwargs, plain, plain_args, shape):
    x = tg.randn(*shape)
    tg.manual_seed(11)
    lazy = getattr(tg.nn, name)(*args, **kwargs)
    lazy(x)
    tg.manual_seed(11)
    plain_kwargs = {k: v for k, v in _ordinary_kwargs(name, kwargs).items() if k != "bias"}
    ordinary = getattr(tg.nn, plain)(*plain_args, **plain_kwargs)
    ordinary(x)  # batch norm: the same statistics update
    assert ordinary.state_dict().keys() == lazy.state_dict().keys()
    for key, value in ordinary.state_dict().items():
        np.testing.assert_array_equal(lazy.state_dict()[key].numpy(), value.numpy(), key)


def test_optimizer_built_before_the_first_call_trains_the_materialized_parameters():
    """PyTorch allows it: the placeholders become the parameters, the same objects."""
    x, y = tg.randn(8, 4), tg.randn(8, 2)
    tg.manual_seed(0)
    lazy = tg.nn.Sequential(tg.nn.LazyLinear(5), tg.nn.ReLU(), tg.nn.LazyLinear(2))
    params = list(lazy.parameters())
    assert all(isinstance(p, UninitializedParameter) for p in params)
    opt = tg.optim.Adam(lazy.parameters(), lr=0.1)
    opt.step()  # nothing to do yet: no gradients
    lazy(x)
    tg.manual_seed(0)
    eager = tg.nn.Sequential(tg.nn.Linear(4, 5), tg.nn.ReLU(), tg.nn.Linear(5, 2))
    eager.load_state_dict(lazy.state_dict())
    opt2 = tg.optim.Adam(eager.parameters(), lr=0.1)
    for _ in range(3):
        for model, o in ((lazy, opt), (eager, opt2)):
            o.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            o.step()
    assert [p is q for p, q in zip(lazy.parameters(), params)] == [True] * 4
    for p, q in zip(lazy.parameters(), eager.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6)


def test_optimizer_and_module_queries_of_placeholders_match_torch():
    # PyTorch builds an optimizer over placeholders without complaint; SGD too here
    tg.optim.SGD(tg.nn.LazyLinear(3).parameters(), lr=0.1)
    torch.optim.SGD(torch.nn.LazyLinear(3).parameters(), lr=0.1)
    p = tg.nn.LazyLinear(3).weight
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad and p.dtype == tg.float32
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        p.numel()
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        tg.nn.functional.linear(tg.randn(2, 3), p)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        _ = p.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        sum(q.numel() for q in tg.nn.LazyConv2d(3, 3).parameters())
    assert repr(UninitializedBuffer()) == "<UninitializedBuffer>"


def test_casting_and_copying_before_the_first_call():
    lazy = tg.nn.LazyConv2d(4, 3).double()
    twin = copy.deepcopy(lazy)
    assert (
        lazy.weight.dtype == tg.float64 and is_lazy(twin.weight) and twin.weight.dtype == tg.float64
    )
    out = lazy(tg.randn(1, 2, 5, 5, dtype=tg.float64))
    assert out.dtype == tg.float64 and lazy.weight.dtype == tg.float64
    assert is_lazy(twin.weight)  # the copy has placeholders of its own
    twin(tg.randn(3, 5, 5, dtype=tg.float64))
    assert twin.in_channels == 3 and lazy.in_channels == 2
    assert tg.nn.LazyLinear(2, dtype=tg.float64).weight.dtype == tg.float64


def test_loading_an_initialised_state_into_a_lazy_module_materializes_it():
    source = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.BatchNorm1d(3), tg.nn.Conv1d(3, 2, 1))
    source.train()
    source[1](tg.randn(5, 3))  # non-default running statistics
    lazy = tg.nn.Sequential(tg.nn.LazyLinear(3), tg.nn.LazyBatchNorm1d(), tg.nn.LazyConv1d(2, 1))
    assert str(lazy.load_state_dict(source.state_dict())) == "<All keys matched successfully>"
    assert not any(is_lazy(t) for t in lazy.state_dict().values())
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(lazy.state_dict()[key].numpy(), value.numpy(), key)
    source.eval()
    lazy.eval()
    x = tg.randn(2, 4)
    first, second = lazy[0](x), lazy[1]  # the sizes come from the loaded values
    np.testing.assert_array_equal(first.detach().numpy(), source[0](x).detach().numpy())
    assert type(lazy[0]) is tg.nn.Linear and lazy[0].in_features == 4
    assert second(first).shape == (2, 3) and lazy[1].num_features == 3
    assert lazy[2](tg.randn(2, 3, 4)).shape == (2, 2, 4) and lazy[2].in_channels == 3


def test_a_torch_checkpoint_loads_into_a_lazy_model():
    theirs = torch.nn.Sequential(torch.nn.LazyConv2d(4, 3), torch.nn.LazyBatchNorm2d())
    theirs(torch.randn(2, 3, 6, 6))
    ours = tg.nn.Sequential(tg.nn.LazyConv2d(4, 3), tg.nn.LazyBatchNorm2d())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(
        ours(tg.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_loading_placeholders_into_an_initialised_module_raises_as_torch():
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        tg.nn.Linear(4, 3).load_state_dict(tg.nn.LazyLinear(3).state_dict())
    # placeholders into placeholders: nothing to do, the module stays lazy
    lazy = tg.nn.LazyLinear(3)
    lazy.load_state_dict(tg.nn.LazyLinear(3).state_dict())
    assert is_lazy(lazy.weight) and type(lazy) is tg.nn.LazyLinear


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\)"):
        tg.nn.LazyConv2d(4, 3)(tg.randn(5, 5))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        tg.nn.LazyConv2d(4, 3, groups=2)(tg.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        tg.nn.LazyBatchNorm1d()(tg.randn(2, 3, 4, 5))
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="uninitialized parameters"):
        tg.nn.utils.weight_norm(tg.nn.LazyLinear(3))


def test_lazy_instance_norm_reads_the_channels_of_unbatched_input():
    """PyTorch reads dimension 1 (a length here) and then fails its own channel check; the
    channel dimension of (C, L) input is 0."""
    m = tg.nn.LazyInstanceNorm1d()
    assert m(tg.randn(3, 5)).shape == (3, 5) and m.num_features == 3


def test_signatures_are_torchs():
    def params(cls):
        return [(p.name, p.default) for p in inspect.signature(cls.__init__).parameters.values()]

    for name in sorted({c[0] for c in CASES}):
        assert params(getattr(tg.nn, name)) == params(getattr(torch.nn, name)), name
    for cls in ("UninitializedParameter", "UninitializedBuffer"):
        ours = inspect.signature(getattr(tg.nn, cls)).parameters
        theirs = inspect.signature(getattr(torch.nn, cls).__new__).parameters
        assert [(p, ours[p].default) for p in ours] == [
            (p, theirs[p].default) for p in theirs if p != "cls"
        ]
