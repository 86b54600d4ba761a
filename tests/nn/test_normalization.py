"""LayerNorm, RMSNorm, GroupNorm, BatchNorm1d/2d/3d and InstanceNorm1d/2d against PyTorch
(tensorgrad/nn/normalization.py and the fused primitives in tensorgrad/ops/fused.py).

The op table covers the functional forms (and through them the fused primitives: ``LayerNorm``
by layer_norm and group_norm, ``RMSNorm`` by rms_norm): gradcheck, gradgradcheck and PyTorch in
float32 and float64. The layers are compared with ``check_layer`` (weights copied through
``load_state_dict``) over argument combinations, in train and eval; BatchNorm's running
statistics are compared as buffers after several training steps, then in eval.
"""

import itertools

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import OpSpec, make_tests, torch

F = tg.nn.functional


def _layer_norm(lib, x, w, b):
    return lib.nn.functional.layer_norm(x, tuple(w.shape), w, b, eps=1e-5)


def _layer_norm_plain(lib, x):
    return lib.nn.functional.layer_norm(x, x.shape[-1:])


def _layer_norm_weight_only(lib, x, w):
    return lib.nn.functional.layer_norm(x, tuple(w.shape), w, None, eps=1e-3)


def _rms_norm(lib, x, w):
    return lib.nn.functional.rms_norm(x, tuple(w.shape), w, eps=1e-6)


def _rms_norm_plain(lib, x):  # eps None: the dtype's machine epsilon
    return lib.nn.functional.rms_norm(x, x.shape[-1:])


def _group_norm(lib, x, w, b):
    return lib.nn.functional.group_norm(x, 2, w, b)


def _group_norm_plain(lib, x):
    return lib.nn.functional.group_norm(x, 3, eps=1e-3)


def _batch_norm_train(lib, x, w, b):
    return lib.nn.functional.batch_norm(x, None, None, w, b, training=True)


def _batch_norm_eval(lib, x, w, b):
    c = x.shape[1]
    mean = lib.linspace(-0.5, 0.5, c, dtype=x.dtype)
    var = lib.linspace(0.5, 2.0, c, dtype=x.dtype)
    return lib.nn.functional.batch_norm(x, mean, var, w, b, training=False, eps=1e-3)


def _instance_norm(lib, x, w, b):
    return lib.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3)


def _instance_norm_plain(lib, x):
    return lib.nn.functional.instance_norm(x)


def _instance_norm_eval(lib, x, w, b):
    c = x.shape[1]
    mean = lib.linspace(-0.5, 0.5, c, dtype=x.dtype)
    var = lib.linspace(0.5, 2.0, c, dtype=x.dtype)
    return lib.nn.functional.instance_norm(x, mean, var, w, b, use_input_stats=False)


OPS = [
    OpSpec(
        "nn.functional.instance_norm",
        _instance_norm,
        cases=[((2, 3, 4), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))],
    ),
    OpSpec("nn.functional.instance_norm(plain)", _instance_norm_plain, cases=[((3, 2, 5),)]),
    OpSpec(
        "nn.functional.instance_norm(eval)",
        _instance_norm_eval,
        cases=[((2, 3, 4), (3,), (3,)), ((2, 3, 1), (3,), (3,))],
    ),
    OpSpec(
        "nn.functional.layer_norm",
        _layer_norm,
        cases=[((2, 3), (3,), (3,)), ((4, 2, 3), (2, 3), (2, 3)), ((1, 5), (5,), (5,))],
    ),
    OpSpec(
        "nn.functional.layer_norm(plain)",
        _layer_norm_plain,
        cases=[((2, 3),), ((4, 2, 3),), ((3,),)],
    ),
    OpSpec(
        "nn.functional.layer_norm(weight only)",
        _layer_norm_weight_only,
        cases=[((3, 4), (4,)), ((2, 3, 4), (3, 4))],
    ),
    OpSpec("nn.functional.rms_norm", _rms_norm, cases=[((2, 3), (3,)), ((4, 2, 3), (2, 3))]),
    OpSpec("nn.functional.rms_norm(plain)", _rms_norm_plain, cases=[((2, 3),), ((4, 2, 3),)]),
    OpSpec(
        "nn.functional.group_norm",
        _group_norm,
        cases=[((2, 4, 3), (4,), (4,)), ((3, 6), (6,), (6,)), ((2, 4, 2, 3), (4,), (4,))],
    ),
    OpSpec(
        "nn.functional.group_norm(plain)", _group_norm_plain, cases=[((2, 6, 2),), ((1, 3, 4),)]
    ),
    OpSpec(
        "nn.functional.batch_norm",
        _batch_norm_train,
        cases=[((5, 3), (3,), (3,)), ((4, 3, 2), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))],
    ),
    OpSpec(
        "nn.functional.batch_norm(eval)",
        _batch_norm_eval,
        cases=[((5, 3), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))],
    ),
]

OPS += [
    OpSpec(
        "nn.functional.local_response_norm",
        lambda lib, x: lib.nn.functional.local_response_norm(x, 3, alpha=0.5, beta=0.6, k=1.5),
        cases=[((2, 5, 4),), ((2, 4, 3, 2),), ((1, 3, 2, 2, 2),)],
        noncontiguous=False,  # PyTorch's 4-D+ path calls .view, which refuses strided input
    ),
    OpSpec(
        "nn.functional.local_response_norm",
        lambda lib, x: lib.nn.functional.local_response_norm(x, 2),
        cases=[((2, 4, 3),)],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


# ------------------------------------------------------------------------------- LayerNorm


@pytest.mark.parametrize(
    "shape,normalized,kw",
    [
        ((3, 5), 5, {}),
        ((2, 3, 5), (5,), {"eps": 1e-3}),
        ((2, 3, 4, 5), (4, 5), {}),
        ((2, 3, 5), [3, 5], {"bias": False}),
        ((4, 5), 5, {"elementwise_affine": False}),
        ((5,), 5, {}),
    ],
)
def test_layer_norm_matches_torch(shape, normalized, kw):
    x = np.random.default_rng(1).standard_normal(shape) * 3 + 1
    tg_layer, th_layer = tg.nn.LayerNorm(normalized, **kw), torch.nn.LayerNorm(normalized, **kw)
    if kw.get("elementwise_affine", True):  # non-trivial weights, so their gradients matter
        with torch.no_grad():
            for p in th_layer.parameters():
                p.normal_()
    check_layer(tg_layer, th_layer, [x])


def test_layer_norm_wrong_trailing_shape_names_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(4,\)\).*\[\*, 4\].*\(3, 5\)"):
        tg.nn.LayerNorm(4)(tg.randn(3, 5))
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(2, 5\)\).*\(5,\)"):
        tg.nn.LayerNorm((2, 5))(tg.randn(5))
    with pytest.raises(RuntimeError, match=r"layer_norm.*weight of shape \(5,\), got \(4,\)"):
        F.layer_norm(tg.randn(2, 5), (5,), tg.ones(4))


def test_layer_norm_mixed_dtypes_raise_like_torch():
    with pytest.raises(RuntimeError, match="dtype"):
        F.layer_norm(tg.randn(2, 5, dtype=tg.float64), (5,), tg.ones(5))


def test_layer_norm_backward_twice_with_retain_graph():
    x = tg.randn(4, 6, requires_grad=True)
    layer = tg.nn.LayerNorm(6)
    y = (layer(x) * tg.randn(4, 6)).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy(), rtol=1e-6, atol=1e-7)


def test_layer_norm_input_modified_in_place_before_backward_raises():
    x = tg.randn(3, 4, requires_grad=True)
    h = x * 1.0
    y = F.layer_norm(h, (4,))
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_layer_norm_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(3)
    xs, ws, vs = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal((3, 5))

    def hvp(lib, make):
        x, w = make(xs).requires_grad_(True), make(ws).requires_grad_(True)
        y = lib.nn.functional.layer_norm(x, (5,), w, None)
        (g,) = lib.autograd.grad((y * y * y).sum(), [x], create_graph=True)
        gx, gw = lib.autograd.grad((g * make(vs)).sum(), [x, w])
        return gx.detach().numpy(), gw.detach().numpy()

    ours, theirs = hvp(tg, tg.tensor), hvp(torch, torch.tensor)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------------- RMSNorm


@pytest.mark.parametrize(
    "shape,normalized,kw",
    [
        ((3, 5), 5, {}),
        ((2, 3, 5), (3, 5), {"eps": 1e-3}),
        ((4, 5), 5, {"elementwise_affine": False}),
    ],
)
def test_rms_norm_matches_torch(shape, normalized, kw):
    x = np.random.default_rng(2).standard_normal(shape)
    tg_layer, th_layer = tg.nn.RMSNorm(normalized, **kw), torch.nn.RMSNorm(normalized, **kw)
    if kw.get("elementwise_affine", True):
        with torch.no_grad():
            th_layer.weight.normal_()
    check_layer(tg_layer, th_layer, [x])


def test_rms_norm_default_eps_is_machine_epsilon_of_the_dtype():
    x = np.full((1, 4), 1e-5)  # mean(x²) = 1e-10: eps decides the result
    for dtype in (np.float32, np.float64):
        ours = F.rms_norm(tg.tensor(x.astype(dtype)), (4,)).numpy()
        theirs = torch.nn.functional.rms_norm(torch.tensor(x.astype(dtype)), (4,)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_rms_norm_weight_of_another_dtype_gives_the_input_dtype_as_torch():
    rng = np.random.default_rng(3)
    for xd, wd in ((np.float32, np.float64), (np.float64, np.float32)):
        x, g = (rng.standard_normal((3, 4)).astype(xd) for _ in range(2))
        w = rng.standard_normal(4).astype(wd)
        res = []
        for lib, tensor in ((tg, tg.tensor), (torch, torch.tensor)):
            tw = tensor(w, requires_grad=True)
            y = lib.nn.functional.rms_norm(tensor(x), (4,), tw, eps=1e-6)
            y.backward(tensor(g))
            res.append((y.detach().numpy(), tw.grad.numpy()))
        for ours, theirs in zip(*res):
            assert ours.dtype == theirs.dtype
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_rms_norm_integer_input_is_an_error():
    with pytest.raises(RuntimeError, match="rms_norm: expected a floating point input"):
        F.rms_norm(tg.tensor([[1, 2, 3]]), (3,))


def test_rms_norm_wrong_trailing_shape_names_layer():
    with pytest.raises(RuntimeError, match=r"RMSNorm\(\(4,\)\).*\(3, 5\)"):
        tg.nn.RMSNorm(4)(tg.randn(3, 5))


# ------------------------------------------------------------------------------- GroupNorm


@pytest.mark.parametrize(
    "groups,channels,shape,kw",
    [
        (2, 4, (3, 4, 5), {}),
        (1, 4, (2, 4, 3, 2), {"eps": 1e-3}),
        (4, 4, (2, 4, 3), {"affine": False}),
        (3, 6, (2, 6), {}),
        (2, 4, (2, 4, 3), {"bias": False}),
    ],
)
def test_group_norm_matches_torch(groups, channels, shape, kw):
    x = np.random.default_rng(4).standard_normal(shape)
    tg_layer = tg.nn.GroupNorm(groups, channels, **kw)
    th_layer = torch.nn.GroupNorm(groups, channels, **kw)
    with torch.no_grad():
        for p in th_layer.parameters():
            p.normal_()
    check_layer(tg_layer, th_layer, [x])


def test_group_norm_errors():
    with pytest.raises(
        ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"
    ):
        tg.nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4\).*\(N, 4, \*\).*\(2, 6, 3\)"):
        tg.nn.GroupNorm(2, 4)(tg.randn(2, 6, 3))
    with pytest.raises(RuntimeError, match="group_norm.*divisible by num_groups=4"):
        F.group_norm(tg.randn(2, 6, 3), 4)


# ------------------------------------------------------------------------------- BatchNorm

BN_KWARGS = [
    {},
    {"momentum": 0.3, "eps": 1e-3},
    {"momentum": None},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
    {"track_running_stats": False, "momentum": None},
]


def _train_then_eval(tg_layer, th_layer, inputs):
    """Three training steps (running statistics compared as buffers after each), then eval."""
    with torch.no_grad():
        for p in th_layer.parameters():
            p.normal_()
    for step, x in enumerate(inputs):
        check_layer(tg_layer, th_layer, [x], train=True, copy=step == 0)
    check_layer(tg_layer, th_layer, [inputs[0] * 0.5 - 1], train=False, copy=False)
    if th_layer.track_running_stats:
        assert int(tg_layer.num_batches_tracked.item()) == len(inputs)
        assert tg_layer.num_batches_tracked.dtype == tg.int64


@pytest.mark.parametrize("kw", BN_KWARGS, ids=str)
@pytest.mark.parametrize("shape", [(6, 4), (5, 4, 3)])
def test_batch_norm_1d_train_then_eval_matches_torch(kw, shape):
    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal(shape) * s + m for s, m in [(1, 0), (2, 1), (0.5, -3)]]
    _train_then_eval(tg.nn.BatchNorm1d(4, **kw), torch.nn.BatchNorm1d(4, **kw), inputs)


@pytest.mark.parametrize("kw", BN_KWARGS, ids=str)
def test_batch_norm_2d_train_then_eval_matches_torch(kw):
    rng = np.random.default_rng(6)
    inputs = [rng.standard_normal((3, 4, 2, 3)) * s + m for s, m in [(1, 0), (3, 2), (0.5, -1)]]
    _train_then_eval(tg.nn.BatchNorm2d(4, **kw), torch.nn.BatchNorm2d(4, **kw), inputs)


@pytest.mark.parametrize("kw", BN_KWARGS, ids=str)
def test_batch_norm_3d_train_then_eval_matches_torch(kw):
    rng = np.random.default_rng(8)
    shape = (3, 4, 2, 3, 2)
    inputs = [rng.standard_normal(shape) * s + m for s, m in [(1, 0), (3, 2), (0.5, -1)]]
    _train_then_eval(tg.nn.BatchNorm3d(4, **kw), torch.nn.BatchNorm3d(4, **kw), inputs)


def test_batch_norm_3d_errors_and_base_class():
    from tensorgrad.nn.normalization import BatchNormBase

    assert isinstance(tg.nn.BatchNorm3d(3), BatchNormBase)
    with pytest.raises(ValueError, match=r"BatchNorm3d\(3\): expected 5D input \(got 4D"):
        tg.nn.BatchNorm3d(3)(tg.randn(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"BatchNorm3d\(3\).*3 channels.*\(2, 4, 1, 2, 2\)"):
        tg.nn.BatchNorm3d(3)(tg.randn(2, 4, 1, 2, 2))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3, 1, 1, 1\)"):
        tg.nn.BatchNorm3d(3)(tg.randn(1, 3, 1, 1, 1))


def test_batch_norm_functional_updates_running_stats_like_torch():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 3, 5))
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    ours = [tg.tensor(mean), tg.tensor(var)]
    theirs = [torch.tensor(mean), torch.tensor(var)]
    y1 = F.batch_norm(tg.tensor(x), *ours, training=True, momentum=0.25, eps=1e-4)
    y2 = torch.nn.functional.batch_norm(
        torch.tensor(x), *theirs, training=True, momentum=0.25, eps=1e-4
    )
    np.testing.assert_allclose(y1.numpy(), y2.numpy(), rtol=1e-10)
    for a, b in zip(ours, theirs):  # running_var takes the unbiased variance
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_batch_norm_state_dict_keys_dtypes_and_loading_from_torch():
    layer = tg.nn.BatchNorm2d(3)
    assert list(layer.state_dict()) == list(torch.nn.BatchNorm2d(3).state_dict())
    assert list(tg.nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == [
        "weight",
        "bias",
    ]
    th = torch.nn.BatchNorm2d(3)
    th(torch.randn(4, 3, 2, 2))
    layer.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    assert layer.num_batches_tracked.dtype == tg.int64 and int(layer.num_batches_tracked) == 1
    np.testing.assert_allclose(layer.running_var.numpy(), th.running_var.numpy())
    layer.double()
    assert layer.running_mean.dtype == tg.float64 and layer.num_batches_tracked.dtype == tg.int64


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        tg.nn.BatchNorm1d(3)(tg.randn(1, 3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3, 1, 1\)"):
        tg.nn.BatchNorm2d(3)(tg.randn(1, 3, 1, 1))
    tg.nn.BatchNorm1d(3).eval()(tg.randn(1, 3))  # eval uses the running statistics: fine
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(3\).*3 channels.*\(2, 4\)"):
        tg.nn.BatchNorm1d(3)(tg.randn(2, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected 2D or 3D input \(got 4D"):
        tg.nn.BatchNorm1d(3)(tg.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected 4D input \(got 3D"):
        tg.nn.BatchNorm2d(3)(tg.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="batch_norm: running_mean should contain 4"):
        F.batch_norm(tg.randn(2, 4), tg.zeros(3), tg.ones(3), training=True)


# ------------------------------------------------------------------- init, repr, dtype/device


def _norm_layers():
    return [
        ("LayerNorm", (5,), {}),
        ("LayerNorm", ((2, 3),), {"bias": False}),
        ("LayerNorm", (5,), {"elementwise_affine": False}),
        ("RMSNorm", (5,), {}),
        ("RMSNorm", ([2, 3],), {"eps": 1e-3, "elementwise_affine": False}),
        ("GroupNorm", (2, 4), {}),
        ("GroupNorm", (2, 4), {"affine": False, "eps": 1e-3}),
        ("GroupNorm", (2, 4), {"bias": False}),
        *[("BatchNorm1d", (3,), kw) for kw in BN_KWARGS],
        *[("BatchNorm2d", (3,), kw) for kw in BN_KWARGS],
        *[("BatchNorm3d", (3,), kw) for kw in BN_KWARGS],
    ]


@pytest.mark.parametrize("name,args,kw", _norm_layers())
def test_default_init_repr_and_state_dict_match_torch(name, args, kw):
    ours, theirs = getattr(tg.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key, value in theirs_sd.items():  # ones/zeros weights, biases and running statistics
        assert str(ours_sd[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
        np.testing.assert_array_equal(ours_sd[key].numpy(), value.numpy(), err_msg=key)


def test_dtype_argument_and_parameter_count():
    layer = tg.nn.LayerNorm(8, dtype=tg.float64)
    assert layer.weight.dtype == tg.float64 and layer.bias.dtype == tg.float64
    bn = tg.nn.BatchNorm1d(4, dtype=tg.float64)
    assert bn.running_mean.dtype == tg.float64 and bn.num_batches_tracked.dtype == tg.int64
    assert sum(p.numel() for p in tg.nn.GroupNorm(2, 6).parameters()) == 12


def test_norm_layers_train_in_float32_like_torch():
    """A few SGD steps through LayerNorm + BatchNorm1d in float32 stay within float32 noise."""
    rng = np.random.default_rng(8)
    x, t = rng.standard_normal((16, 6)).astype(np.float32), rng.standard_normal((16, 6))
    models = []
    for lib in (tg, torch):
        m = lib.nn.Sequential(lib.nn.Linear(6, 6), lib.nn.BatchNorm1d(6), lib.nn.LayerNorm(6))
        models.append(m)
    models[0].load_state_dict({k: v.numpy() for k, v in models[1].state_dict().items()})
    for lib, m, make in ((tg, models[0], tg.tensor), (torch, models[1], torch.tensor)):
        for _ in range(3):
            loss = ((m(make(x)) - make(t.astype(np.float32))) ** 2).mean()
            for p in m.parameters():
                p.grad = None
            loss.backward()
            with lib.no_grad():
                for p in m.parameters():
                    p.sub_(p.grad * 0.1)
    for (k, a), b in zip(models[0].state_dict().items(), models[1].state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5, err_msg=k)


def test_combinations_of_layer_norm_shapes_and_dtypes_give_input_dtype():
    for dtype, shape in itertools.product((tg.float32, tg.float64), [(2, 3), (2, 4, 3)]):
        layer = tg.nn.LayerNorm(3, dtype=dtype)
        out = layer(tg.randn(*shape, dtype=dtype))
        assert out.dtype == dtype and out.shape == shape


# ------------------------------------------------------------------------------ instance norm

IN_KWARGS = [
    {},
    {"affine": True},
    {"affine": True, "bias": False},
    {"track_running_stats": True},
    {"affine": True, "track_running_stats": True, "momentum": 0.3},
    {"track_running_stats": True, "momentum": None},
]


@pytest.mark.parametrize("kw", IN_KWARGS, ids=str)
@pytest.mark.parametrize(
    "name, shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d", (2, 4, 3, 2))]
)
def test_instance_norm_train_then_eval_matches_torch(kw, name, shape):
    rng = np.random.default_rng(8)
    inputs = [rng.standard_normal(shape) * s + m for s, m in [(1, 0), (2, 1), (0.5, -3)]]
    a, b = getattr(tg.nn, name)(4, **kw), getattr(torch.nn, name)(4, **kw)
    assert repr(a) == repr(b)
    assert list(a.state_dict()) == list(b.state_dict())
    with torch.no_grad():
        for p in b.parameters():
            p.normal_()
    for step, x in enumerate(inputs):
        check_layer(a, b, [x], train=True, copy=step == 0)
    check_layer(a, b, [inputs[0] * 0.5 - 1], train=False, copy=False)
    check_layer(a, b, [inputs[0][0]], train=False, copy=False)  # unbatched


def test_instance_norm_unbatched_train_matches_torch():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    kw = {"affine": True, "track_running_stats": True}
    check_layer(tg.nn.InstanceNorm2d(3, **kw), torch.nn.InstanceNorm2d(3, **kw), [x])


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): expected 2D or 3D input \(got 4D"):
        tg.nn.InstanceNorm1d(3)(tg.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected 3D or 4D input.*\(3, 4\)"):
        tg.nn.InstanceNorm2d(3)(tg.randn(3, 4))
    with pytest.raises(ValueError, match=r"dim=1 to match num_features \(3\), but got: 4"):
        tg.nn.InstanceNorm1d(3, affine=True)(tg.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        tg.nn.InstanceNorm1d(3)(tg.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"more than 1 spatial element.*\(2, 3, 1\)"):
        tg.nn.functional.instance_norm(tg.randn(2, 3, 1))
    with pytest.raises(RuntimeError, match="running_mean and running_var to be defined"):
        tg.nn.functional.instance_norm(tg.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(RuntimeError, match=r"weight should contain 3 elements.*\(2, 3, 4\)"):
        tg.nn.functional.instance_norm(tg.randn(2, 3, 4), weight=tg.ones(4))


def test_instance_norm_is_not_a_batch_norm():
    """``SyncBatchNorm.convert_sync_batchnorm`` and weight-decay filters look for batch norms:
    an instance norm must not be one (PyTorch's ``_InstanceNorm`` is a ``_NormBase`` only)."""
    from tensorgrad.nn.normalization import BatchNormBase, NormBase

    layer = tg.nn.InstanceNorm2d(3, affine=True)
    assert isinstance(layer, NormBase) and not isinstance(layer, BatchNormBase)


# ---------------------------------------------------------------------- InstanceNorm3d, LRN


@pytest.mark.parametrize("kw", [{}, {"affine": True, "track_running_stats": True}])
@pytest.mark.parametrize("shape", [(2, 3, 2, 3, 2), (3, 2, 3, 2)])
def test_instance_norm_3d_train_then_eval_matches_torch(kw, shape):
    rng = np.random.default_rng(0)
    ours, theirs = tg.nn.InstanceNorm3d(3, **kw), torch.nn.InstanceNorm3d(3, **kw)
    check_layer(ours, theirs, [rng.standard_normal(shape)])
    check_layer(ours, theirs, [rng.standard_normal(shape)], train=False, copy=False)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with pytest.raises(ValueError, match=r"expected 4D or 5D input \(got 3D input"):
        ours(tg.randn(3, 2, 2))


@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm_layer_matches_torch(size):
    rng = np.random.default_rng(size)
    ours = tg.nn.LocalResponseNorm(size, alpha=0.3, beta=0.9, k=2.0)
    theirs = torch.nn.LocalResponseNorm(size, alpha=0.3, beta=0.9, k=2.0)
    for shape in [(2, 5, 4), (2, 5, 3, 2), (1, 4, 2, 3, 2)]:
        check_layer(ours, theirs, [rng.standard_normal(shape)])
    assert repr(ours) == repr(theirs)
    assert repr(tg.nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))
    with pytest.raises(ValueError, match=r"3D or higher dimensionality input \(got 2 dim"):
        ours(tg.randn(2, 5))
