"""tensorgrad.nn.Module and the containers, against torch.nn behaviour.

Most tests build the same model in both libraries with one ``build(lib)`` function and compare
what PyTorch users rely on: names and order of parameters, buffers and modules, state-dict keys,
load errors, mode switching, dtype conversion, hooks and repr.
"""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def make_net(lib):
    """A custom module with every kind of member: Sequential, ModuleList, ModuleDict children,
    a direct parameter, a persistent integer buffer, a non-persistent buffer, a None parameter
    and a None buffer."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.nn.Sequential(
                lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 8)
            )
            self.scale = lib.nn.Parameter(lib.ones(8))
            self.blocks = lib.nn.ModuleList([lib.nn.Linear(8, 8), lib.nn.Tanh()])
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.register_buffer("unset", None)
            self.register_parameter("offset", None)
            self.heads = lib.nn.ModuleDict(
                {"a": lib.nn.Linear(8, 2), "b": lib.nn.Linear(8, 3, bias=False)}
            )
            self.drop = lib.nn.Dropout(0.25)
            self.not_registered = lib.ones(3)  # a plain tensor attribute

        def forward(self, x):
            h = self.features(x) * self.scale
            for block in self.blocks:
                h = block(h)
            h = self.drop(h)
            return self.heads["a"](h), self.heads["b"](h)

    return Net()


def nets():
    th = make_net(torch)
    tg_net = make_net(tg)
    tg_net.load_state_dict(th.state_dict())
    return tg_net, th


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().numpy()


# ---------------------------------------------------------------- names and traversal


def test_state_dict_keys_and_values_match_torch():
    tg_net, th = nets()
    tg_sd, th_sd = tg_net.state_dict(), th.state_dict()
    assert list(tg_sd) == list(th_sd)
    assert "cache" not in tg_sd and "unset" not in tg_sd and "offset" not in tg_sd
    for key in th_sd:
        assert tg_sd[key].shape == tuple(th_sd[key].shape), key
        np.testing.assert_array_equal(_np(tg_sd[key]), _np(th_sd[key]), err_msg=key)
    assert tg_sd["steps"].dtype == tg.int64


def test_state_dict_values_are_detached_unless_keep_vars():
    tg_net, _ = nets()
    sd = tg_net.state_dict()
    assert not sd["scale"].requires_grad and not isinstance(sd["scale"], tg.nn.Parameter)
    assert sd["scale"].array is tg_net.scale.array  # shares memory, as PyTorch's
    kept = tg_net.state_dict(keep_vars=True)
    assert kept["scale"] is tg_net.scale
    prefixed = tg_net.state_dict(prefix="model.")
    assert list(prefixed) == ["model." + k for k in sd]


def test_named_parameters_buffers_modules_children_match_torch():
    tg_net, th = nets()
    assert [n for n, _ in tg_net.named_parameters()] == [n for n, _ in th.named_parameters()]
    assert [n for n, _ in tg_net.named_buffers()] == [n for n, _ in th.named_buffers()]
    assert [(n, type(m).__name__) for n, m in tg_net.named_modules()] == [
        (n, type(m).__name__) for n, m in th.named_modules()
    ]
    assert [n for n, _ in tg_net.named_children()] == [n for n, _ in th.named_children()]
    assert [type(m).__name__ for m in tg_net.children()] == [
        type(m).__name__ for m in th.children()
    ]
    assert len(list(tg_net.parameters())) == len(list(th.parameters()))
    assert len(list(tg_net.buffers())) == len(list(th.buffers())) == 2  # steps, cache
    assert len(list(tg_net.modules())) == len(list(th.modules()))
    for kwargs in ({"recurse": False}, {"prefix": "net"}):
        assert [n for n, _ in tg_net.named_parameters(**kwargs)] == [
            n for n, _ in th.named_parameters(**kwargs)
        ]
        assert [n for n, _ in tg_net.named_buffers(**kwargs)] == [
            n for n, _ in th.named_buffers(**kwargs)
        ]
    assert [n for n, _ in tg_net.named_modules(prefix="m")] == [
        n for n, _ in th.named_modules(prefix="m")
    ]


def make_shared(lib):
    class Shared(lib.nn.Module):
        def __init__(self):
            super().__init__()
            lin = lib.nn.Linear(3, 3)
            self.a = lin
            self.seq = lib.nn.Sequential(lin, lib.nn.ReLU(), lin)
            self.b = lin
            self.other = lib.nn.Linear(3, 2)
            self.other.weight = lin.weight  # a tied parameter in another module

    return Shared()


def test_shared_modules_and_parameters_are_deduplicated_as_torch():
    tg_m, th_m = make_shared(tg), make_shared(torch)

    def names(m, method, **kwargs):
        return [n for n, _ in getattr(m, method)(**kwargs)]

    for method in ("named_modules", "named_parameters", "named_children"):
        assert names(tg_m, method) == names(th_m, method), method
    for method in ("named_modules", "named_parameters"):
        kwargs = {"remove_duplicate": False}
        assert names(tg_m, method, **kwargs) == names(th_m, method, **kwargs), method
    assert len(list(tg_m.parameters())) == len(list(th_m.parameters())) == 3
    # state_dict keeps every path, shared or not
    assert list(tg_m.state_dict()) == list(th_m.state_dict())
    tg_m.load_state_dict(th_m.state_dict())


# ---------------------------------------------------------------- registration


def test_attribute_assignment_registers_by_kind():
    m = tg.nn.Module()
    m.w = tg.nn.Parameter(tg.ones(2))
    m.child = tg.nn.Linear(2, 2)
    m.t = tg.ones(2)
    m.n = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"]
    assert list(m._buffers) == [] and "t" in m.__dict__ and m.n == 3
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    # a Parameter may replace a child module or a plain attribute, as in PyTorch
    m.child = tg.nn.Parameter(tg.zeros(1))
    assert "child" in m._parameters and "child" not in m._modules
    m.t = tg.nn.Buffer(tg.zeros(3))
    assert "t" in m._buffers and "t" not in m.__dict__
    m.p = tg.nn.Buffer(tg.zeros(3), persistent=False)
    m.w = tg.nn.Parameter(tg.ones(5))  # replaced in place: the key keeps its position
    assert list(m.state_dict()) == ["w", "child", "t"]
    assert m.w.shape == (5,)


def test_assigning_the_wrong_kind_to_a_registered_name_raises():
    for lib in (torch, tg):
        m = lib.nn.Linear(2, 2)
        with pytest.raises(TypeError, match="as parameter 'weight'"):
            m.weight = lib.ones(2, 2)  # a plain tensor where a Parameter is registered
        with pytest.raises(TypeError, match="as parameter 'weight'"):
            m.weight = lib.nn.ReLU()
        seq = lib.nn.Sequential(lib.nn.ReLU())
        with pytest.raises(TypeError, match="as child module '0'"):
            setattr(seq, "0", lib.ones(1))
        with pytest.raises(TypeError, match="as child module '0'"):
            setattr(seq, "0", lib.nn.Buffer(lib.ones(1)))
    m = tg.nn.Linear(2, 2)
    m.register_buffer("buf", tg.zeros(1))
    with pytest.raises(TypeError, match="as buffer 'buf'"):
        m.buf = 3.0
    m.buf = tg.ones(4)  # any tensor may replace a buffer
    assert m.buf.shape == (4,) and "buf" in m._buffers
    seq = tg.nn.Sequential(tg.nn.ReLU())
    # None clears a parameter or a child but keeps the name registered
    m.bias = None
    assert m.bias is None and "bias" in m._parameters
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    setattr(seq, "0", None)
    assert "(0): None" in repr(seq) and list(seq.children()) == []


def test_register_parameter_none_and_buffer_none():
    th, tgm = torch.nn.Module(), tg.nn.Module()
    for m in (th, tgm):
        m.register_parameter("p", None)
        m.register_buffer("b", None)
        assert m.p is None and m.b is None
        assert list(m.parameters()) == [] and list(m.buffers()) == []
        assert list(m.state_dict()) == []


def test_register_buffer_persistent_false_is_kept_out_of_state_dict():
    m = tg.nn.Module()
    m.register_buffer("running", tg.zeros(3))
    m.register_buffer("scratch", tg.zeros(3), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["running"]
    m.register_buffer("scratch", tg.ones(3), persistent=True)  # re-registering may change it
    assert list(m.state_dict()) == ["running", "scratch"]
    m.register_buffer("scratch", tg.ones(3), persistent=False)
    del m.scratch
    assert [n for n, _ in m.named_buffers()] == ["running"]
    m.register_buffer("scratch", tg.ones(3))
    assert list(m.state_dict()) == ["running", "scratch"]
    m.double()
    assert m.scratch.dtype == tg.float64  # non-persistent buffers still convert


@pytest.mark.parametrize(
    "action, error, match",
    [
        (lambda m, lib: m.register_buffer("a.b", lib.zeros(1)), KeyError, "contain"),
        (lambda m, lib: m.register_buffer("", lib.zeros(1)), KeyError, "empty string"),
        (lambda m, lib: m.register_buffer(3, lib.zeros(1)), TypeError, "should be a string"),
        (lambda m, lib: m.register_buffer("weight", lib.zeros(1)), KeyError, "already exists"),
        (lambda m, lib: m.register_buffer("training", lib.zeros(1)), KeyError, "already"),
        (lambda m, lib: m.register_buffer("x", [1.0]), TypeError, "cannot assign 'list'"),
        (lambda m, lib: m.register_parameter("bias", lib.zeros(1)), TypeError, "to parameter"),
        (lambda m, lib: m.register_parameter("p.q", None), KeyError, "contain"),
        (
            lambda m, lib: (
                m.register_parameter("weight2", None) or m.register_buffer("weight2", None)
            ),
            KeyError,
            "already exists",
        ),
        (lambda m, lib: m.add_module("weight", lib.nn.ReLU()), KeyError, "already exists"),
        (lambda m, lib: m.add_module("x", lib.zeros(1)), TypeError, "is not a Module subclass"),
        (lambda m, lib: m.add_module("a.b", lib.nn.ReLU()), KeyError, "contain"),
    ],
)
def test_registration_errors_match_torch(action, error, match):
    with pytest.raises(error, match=match):
        action(torch.nn.Linear(2, 2), torch)
    with pytest.raises(error, match=match):
        action(tg.nn.Linear(2, 2), tg)


def test_assigning_before_init_raises():
    class Early(tg.nn.Module):
        def __init__(self):
            self.x = 1  # plain attributes are fine, as in PyTorch
            self.lin = tg.nn.Linear(2, 2)
            super().__init__()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_delattr_and_getattr():
    m = tg.nn.Linear(2, 3)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        m.nope  # noqa: B018 (the attribute access is what must raise)
    del m.bias
    assert "bias" not in m._parameters
    with pytest.raises(AttributeError):
        m.bias  # noqa: B018 (the attribute access is what must raise)
    assert "weight" in dir(m)


def test_get_submodule_parameter_buffer():
    tg_net, th = nets()
    assert tg_net.get_submodule("features.0") is tg_net.features[0]
    assert tg_net.get_submodule("") is tg_net
    assert tg_net.get_parameter("heads.a.bias") is tg_net.heads["a"].bias
    assert tg_net.get_buffer("steps") is tg_net.steps
    for lib_net in (tg_net, th):
        with pytest.raises(AttributeError, match="has no attribute `nope`"):
            lib_net.get_submodule("features.nope")


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match=r'\[Module\] is missing the required "forward"'):
        tg.nn.Module()(tg.ones(1))


# ---------------------------------------------------------------- modes


def test_train_eval_propagate_to_every_module():
    tg_net, th = nets()
    for lib_net in (tg_net, th):
        assert all(m.training for m in lib_net.modules())
        assert lib_net.eval() is lib_net
        assert not any(m.training for m in lib_net.modules())
        lib_net.train()
        assert all(m.training for m in lib_net.modules())
        lib_net.features.train(False)
        assert [m.training for m in lib_net.modules()] == [
            not n.startswith("features") for n, _ in lib_net.named_modules()
        ]
    with pytest.raises(ValueError, match="boolean"):
        tg_net.train("no")


def test_train_calls_each_childs_own_train():
    calls = []

    class Custom(tg.nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = tg.nn.Sequential(tg.nn.Linear(2, 2), tg.nn.Sequential(Custom()))
    model.eval()
    model.train()
    assert calls == [False, True]


def _set_grads(model, requires_grad=False):
    for p in model.parameters():
        p.grad = tg.ones(*p.shape, dtype=p.dtype)
        if requires_grad:
            p.grad.requires_grad_(True)


def test_zero_grad_set_to_none():
    tg_net, _ = nets()
    _set_grads(tg_net)
    tg_net.zero_grad()
    assert all(p.grad is None for p in tg_net.parameters())


def test_zero_grad_in_place_keeps_the_gradient_tensors():
    tg_net, th = nets()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for lib_net, lib in ((tg_net, tg), (th, torch)):
        a, b = lib_net(lib.tensor(x))
        (a.sum() + b.sum()).backward()
        grads = [p.grad for p in lib_net.parameters()]
        lib_net.zero_grad(set_to_none=False)
        for p, g in zip(lib_net.parameters(), grads):
            assert p.grad is g
            assert not np.any(_np(p.grad)) and not p.grad.requires_grad
    _set_grads(tg_net, requires_grad=True)
    tg_net.zero_grad(False)
    assert all(not p.grad.requires_grad for p in tg_net.parameters())


def test_requires_grad_():
    tg_net, _ = nets()
    assert tg_net.requires_grad_(False) is tg_net
    assert not any(p.requires_grad for p in tg_net.parameters())
    out = tg_net(tg.randn(2, 4))[0]
    assert not out.requires_grad
    tg_net.requires_grad_()
    assert all(p.requires_grad for p in tg_net.parameters())


def test_apply_visits_children_first_as_torch():
    tg_net, th = nets()
    tg_order, th_order = [], []
    assert tg_net.apply(lambda m: tg_order.append(type(m).__name__)) is tg_net
    th.apply(lambda m: th_order.append(type(m).__name__))
    assert tg_order == th_order

    def init_linear(m):
        if isinstance(m, tg.nn.Linear):
            tg.nn.init.zeros_(m.weight)

    tg_net.apply(init_linear)
    assert all(not np.any(_np(m.weight)) for m in tg_net.modules() if isinstance(m, tg.nn.Linear))


# ---------------------------------------------------------------- conversion


@pytest.mark.parametrize(
    "convert, dtype",
    [
        (lambda m: m.double(), tg.float64),
        (lambda m: m.half(), tg.float16),
        (lambda m: m.double().float(), tg.float32),
        (lambda m: m.to(tg.float64), tg.float64),
        (lambda m: m.to(dtype=tg.float16), tg.float16),
        (lambda m: m.to("cpu", tg.float64), tg.float64),
        (lambda m: m.to(tg.zeros(1, dtype=tg.float64)), tg.float64),
        (lambda m: m.to(np.float64), tg.float64),
    ],
)
def test_dtype_conversion_keeps_objects_and_integer_buffers(convert, dtype):
    tg_net, _ = nets()
    params = dict(tg_net.named_parameters())
    _set_grads(tg_net)
    steps = tg_net.steps
    assert convert(tg_net) is tg_net
    for name, p in tg_net.named_parameters():
        assert p is params[name], f"{name} was replaced"
        assert isinstance(p, tg.nn.Parameter) and p.requires_grad and p.is_leaf
        assert p.dtype == dtype and p.grad.dtype == dtype, name
    assert tg_net.steps is steps and tg_net.steps.dtype == tg.int64
    assert tg_net.cache.dtype == dtype
    assert tg_net.not_registered.dtype == tg.float32  # plain attributes are not converted
    out = tg_net(tg.randn(2, 4, dtype=dtype))[0]
    assert out.dtype == dtype


def test_double_matches_torch_numerically():
    tg_net, th = nets()
    tg_net.double().eval()
    th.double().eval()
    x = np.random.default_rng(0).standard_normal((5, 4))
    for a, b in zip(tg_net(tg.tensor(x)), th(torch.tensor(x))):
        # atol: an output near 0 (-2.7e-6) differs by one rounding of the O(0.1) terms summed
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-15)


def test_to_integer_dtype_raises_as_torch():
    with pytest.raises(TypeError, match="floating point"):
        torch.nn.Linear(2, 2).to(torch.int64)
    with pytest.raises(TypeError, match="floating point"):
        tg.nn.Linear(2, 2).to(tg.int64)


def test_cpu_is_a_no_op_on_cpu():
    m = tg.nn.Linear(2, 2)
    w = m.weight.array
    assert m.cpu() is m and m.weight.array is w and m.to("cpu") is m


def _builtin_model():
    model = tg.nn.Sequential(
        OrderedDict(
            [
                ("enc", tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.ReLU())),
                ("heads", tg.nn.ModuleDict({"a": tg.nn.Linear(3, 1)})),
                ("list", tg.nn.ModuleList([tg.nn.Dropout(0.2)])),
            ]
        )
    )
    model.register_buffer("count", tg.zeros((), dtype=tg.int64))
    model.register_buffer("scratch", tg.zeros(2), persistent=False)
    return model


def test_deepcopy_and_pickle_keep_structure_and_sharing():
    tg_net, _ = nets()
    model = _builtin_model()
    for original, clone in (
        (tg_net, copy.deepcopy(tg_net)),
        (model, copy.deepcopy(model)),
        (model, pickle.loads(pickle.dumps(model))),
    ):
        assert repr(clone) == repr(original)
        assert [n for n, _ in clone.named_buffers()] == [n for n, _ in original.named_buffers()]
        assert list(clone.state_dict()) == list(original.state_dict())
        for (n, a), b in zip(clone.state_dict().items(), original.state_dict().values()):
            np.testing.assert_array_equal(_np(a), _np(b), err_msg=n)
            assert a.array is not b.array
        assert all(isinstance(p, tg.nn.Parameter) for p in clone.parameters())
    shared = copy.deepcopy(make_shared(tg))
    assert shared.a is shared.b and shared.seq[0] is shared.a
    assert shared.other.weight is shared.a.weight


# ---------------------------------------------------------------- load_state_dict


def test_load_state_dict_from_torch_gives_torch_outputs():
    th = make_net(torch).eval()
    tg_net = make_net(tg).eval()
    result = tg_net.load_state_dict(th.state_dict())  # torch tensors straight in
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(th.load_state_dict(th.state_dict()))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for a, b in zip(tg_net(tg.tensor(x)), th(torch.tensor(x))):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


def test_load_state_dict_casts_and_copies_in_place():
    tg_net, th = nets()
    weight = tg_net.features[0].weight
    sd = {k: v.double().numpy() for k, v in th.state_dict().items()}  # float64 NumPy arrays
    tg_net.load_state_dict(sd)
    assert tg_net.features[0].weight is weight and weight.dtype == tg.float32
    assert tg_net.steps.dtype == tg.int64
    sd["features.0.weight"][:] = 0
    assert np.any(_np(weight))  # copied, not aliased


def test_load_state_dict_missing_and_unexpected_keys():
    tg_net, th = nets()
    sd = OrderedDict((k, v) for k, v in th.state_dict().items() if not k.startswith("heads.a"))
    sd["extra.weight"] = torch.zeros(2)
    sd["blocks.5.bias"] = torch.zeros(2)
    th_result = make_net(torch).load_state_dict(sd, strict=False)
    for lib_net in (make_net(torch), tg_net):
        with pytest.raises(RuntimeError) as info:
            lib_net.load_state_dict(sd)
        message = str(info.value)
        assert message.startswith("Error(s) in loading state_dict for Net:\n\t")
        assert 'Missing key(s) in state_dict: "heads.a.weight", "heads.a.bias".' in message
        assert 'Unexpected key(s) in state_dict: "extra.weight", "blocks.5.bias".' in message
    before = _np(tg_net.features[0].weight).copy()
    sd["features.0.weight"] = torch.zeros(8, 4)
    tg_net.load_state_dict(
        OrderedDict((k, v) for k, v in sd.items() if k != "features.0.weight"), strict=False
    )
    np.testing.assert_array_equal(_np(tg_net.features[0].weight), before)
    result = tg_net.load_state_dict(sd, strict=False)
    assert result.missing_keys == th_result.missing_keys
    assert result.unexpected_keys == th_result.unexpected_keys
    assert not np.any(_np(tg_net.features[0].weight))  # the present keys were loaded


def test_load_state_dict_wrong_shape_names_key_and_shapes():
    tg_net, th = nets()
    sd = dict(th.state_dict())
    sd["heads.b.weight"] = torch.zeros(4, 8)
    with pytest.raises(RuntimeError, match=r"size mismatch for heads\.b\.weight"):
        make_net(torch).load_state_dict(sd)
    before = {k: _np(v).copy() for k, v in tg_net.state_dict().items()}
    for strict in (True, False):  # a wrong shape is an error even when not strict
        with pytest.raises(RuntimeError) as info:
            tg_net.load_state_dict(sd, strict=strict)
        assert (
            "size mismatch for heads.b.weight: copying a param with shape (4, 8) from "
            "checkpoint, the shape in current model is (3, 8)."
        ) in str(info.value)
    # nothing was written by the failed loads
    for k, v in tg_net.state_dict().items():
        np.testing.assert_array_equal(_np(v), before[k], err_msg=k)


def test_load_state_dict_accepts_a_one_element_vector_for_a_scalar():
    tg_net, th = nets()
    sd = dict(th.state_dict())
    sd["steps"] = torch.tensor([7])
    make_net(torch).load_state_dict(sd)
    tg_net.load_state_dict(sd)
    assert tg_net.steps.item() == 7 and tg_net.steps.shape == ()


def test_load_state_dict_rejects_non_mappings():
    with pytest.raises(TypeError, match="dict-like"):
        tg.nn.Linear(2, 2).load_state_dict([("weight", np.zeros((2, 2)))])


def test_load_state_dict_assign():
    m = tg.nn.Linear(3, 2)
    m.weight.requires_grad_(False)
    new_w, new_b = tg.randn(2, 3, dtype=tg.float64), tg.randn(2)
    m.load_state_dict({"weight": new_w, "bias": new_b}, assign=True)
    assert isinstance(m.weight, tg.nn.Parameter) and not m.weight.requires_grad
    assert m.weight.dtype == tg.float64 and m.bias.requires_grad
    np.testing.assert_array_equal(m.weight.numpy(), new_w.numpy())


# ---------------------------------------------------------------- hooks


def _hooked_pair():
    return tg.nn.Linear(3, 2), torch.nn.Linear(3, 2)


def test_forward_pre_and_post_hooks_modify_args_and_outputs():
    tg_m, th_m = _hooked_pair()
    tg_m.load_state_dict(th_m.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    seen = {}
    for lib, m in ((tg, tg_m), (torch, th_m)):
        pre = m.register_forward_pre_hook(lambda mod, args: args[0] * 2)  # not a tuple: wrapped

        def post(mod, args, out, lib=lib):
            seen[lib.__name__] = _np(args[0])
            return out + 1

        h = m.register_forward_hook(post)
        hooked = _np(m(lib.tensor(x)))
        np.testing.assert_array_equal(seen[lib.__name__], 2 * x)  # post sees the new args
        pre.remove()
        h.remove()
        plain = _np(m(lib.tensor(x)))
        seen[lib.__name__ + "out"] = (hooked, plain)
    np.testing.assert_allclose(*[seen[k][0] for k in ("tensorgradout", "torchout")], atol=1e-6)
    np.testing.assert_allclose(*[seen[k][1] for k in ("tensorgradout", "torchout")], atol=1e-6)
    tg_hooked, tg_plain = seen["tensorgradout"]
    assert not np.allclose(tg_hooked, tg_plain)


@pytest.mark.parametrize("lib", [tg, torch], ids=["tensorgrad", "torch"])
def test_hook_order_prepend_and_tuple_args(lib):
    m = lib.nn.Identity()
    order = []
    m.register_forward_pre_hook(lambda mod, args: order.append("pre1"))
    m.register_forward_pre_hook(lambda mod, args: order.append("pre0"), prepend=True)
    m.register_forward_hook(lambda mod, args, out: order.append("post1"))
    m.register_forward_hook(lambda mod, args, out: order.append("post0"), prepend=True)
    m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    out = m(lib.ones(2))
    assert order == ["pre0", "pre1", "post0", "post1"]
    assert _np(out).tolist() == [2.0, 2.0]


def test_hooks_with_kwargs():
    class Scale(tg.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (args, {**kwargs, "factor": 3.0}), with_kwargs=True
    )
    got = {}
    m.register_forward_hook(
        lambda mod, args, kwargs, out: got.update(kwargs) or out * 2, with_kwargs=True
    )
    assert m(tg.ones(2), factor=5.0).numpy().tolist() == [6.0, 6.0]
    assert got == {"factor": 3.0}
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple of \(new_args, new_kwargs\)"):
        bad(tg.ones(1), factor=2.0)


def test_always_call_hook_runs_when_forward_raises_and_handles_are_context_managers():
    class Fails(tg.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Fails()
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(tg.ones(1))
    assert calls == ["always"]
    ident = tg.nn.Identity()
    with ident.register_forward_hook(lambda mod, args, out: out * 0):
        assert ident(tg.ones(1)).item() == 0.0
    assert ident(tg.ones(1)).item() == 1.0
    assert not ident._forward_hooks


# ---------------------------------------------------------------- repr


class Block:
    """A custom module with children and a multi-line extra_repr, built in either library."""

    @staticmethod
    def make(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv_like = lib.nn.Linear(4, 4)
                self.act = lib.nn.GELU(approximate="tanh")

            def extra_repr(self):
                return "width=4,\nmode='x'"

        class Empty(lib.nn.Module):
            pass

        class Tagged(lib.nn.Module):
            def extra_repr(self):
                return "tag=1"

        return Block(), Empty(), Tagged()


@pytest.mark.parametrize(
    "build",
    [
        lambda lib: make_net(lib),
        lambda lib: make_shared(lib),
        lambda lib: lib.nn.Sequential(),
        lambda lib: lib.nn.ModuleList(),
        lambda lib: lib.nn.ModuleDict(),
        lambda lib: lib.nn.Linear(3, 4, bias=False),
        lambda lib: lib.nn.Identity(),
        lambda lib: lib.nn.Dropout(0.3, inplace=True),
        lambda lib: lib.nn.Sequential(
            OrderedDict(
                [
                    ("enc", lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.SiLU())),
                    ("list", lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh()])),
                    ("dict", lib.nn.ModuleDict({"x": lib.nn.LeakyReLU(0.2)})),
                    ("blocks", lib.nn.ModuleList(Block.make(lib))),
                ]
            )
        ),
        # runs of identical modules print once, as PyTorch's ModuleList
        lambda lib: lib.nn.ModuleList(
            [lib.nn.Linear(2, 2) for _ in range(3)]
            + [lib.nn.ReLU(), lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())] * 2
            + [lib.nn.Dropout()]
        ),
        lambda lib: Block.make(lib)[0],
        lambda lib: Block.make(lib)[1],
        lambda lib: Block.make(lib)[2],
    ],
)
def test_repr_matches_torch(build):
    assert repr(build(tg)) == repr(build(torch))


# ---------------------------------------------------------------- containers


def _seq(lib, n=4):
    return lib.nn.Sequential(*[lib.nn.Linear(i + 1, i + 2) for i in range(n)])


def _same(tg_obj, th_obj):
    assert repr(tg_obj) == repr(th_obj)
    assert list(tg_obj.state_dict()) == list(th_obj.state_dict())


def test_sequential_indexing_slicing_len_iteration():
    tg_s, th_s = _seq(tg), _seq(torch)
    assert len(tg_s) == len(th_s) == 4
    assert repr(tg_s[1]) == repr(th_s[1]) and repr(tg_s[-1]) == repr(th_s[-1])
    for sl in (slice(1, 3), slice(None, None, 2), slice(-2, None), slice(3, 1)):
        part = tg_s[sl]
        assert type(part) is tg.nn.Sequential
        _same(part, th_s[sl])
    assert tg_s[1:3][0] is tg_s[1]  # slices share the modules
    assert [repr(m) for m in tg_s] == [repr(m) for m in th_s]
    with pytest.raises(IndexError):
        tg_s[4]
    with pytest.raises(IndexError):
        tg_s[-5]
    with pytest.raises(TypeError):
        tg_s["0"]
    out = tg_s(tg.randn(2, 1))
    assert out.shape == (2, 5)


def test_sequential_mutations_match_torch():
    tg_s, th_s = _seq(tg), _seq(torch)
    ops = [
        lambda s, lib: s.append(lib.nn.ReLU()),
        lambda s, lib: s.__delitem__(1),
        lambda s, lib: s.append(lib.nn.Tanh()),  # after a delete: no name clash
        lambda s, lib: s.__delitem__(slice(0, 2)),
        lambda s, lib: s.insert(1, lib.nn.Sigmoid()),
        lambda s, lib: s.insert(-1, lib.nn.SiLU()),
        lambda s, lib: s.extend([lib.nn.ELU(), lib.nn.Linear(1, 1)]),
        lambda s, lib: s.__setitem__(-1, lib.nn.Softplus()),
        lambda s, lib: s.pop(0),
        lambda s, lib: s.__delitem__(-1),
    ]
    for op in ops:
        r1, r2 = op(tg_s, tg), op(th_s, torch)
        _same(tg_s, th_s)
        if isinstance(r2, torch.nn.Module):
            assert repr(r1) == repr(r2)
    tg_s += _seq(tg, 2)
    th_s += _seq(torch, 2)
    _same(tg_s, th_s)
    _same(tg_s + _seq(tg, 1), th_s + _seq(torch, 1))
    _same(tg_s * 2, th_s * 2)
    _same(2 * tg_s, 2 * th_s)
    tg_s *= 2
    th_s *= 2
    _same(tg_s, th_s)
    with pytest.raises(ValueError, match="only objects of Sequential class"):
        tg_s + tg.nn.ModuleList()
    with pytest.raises(ValueError, match="Non-positive"):
        tg_s * 0


def test_sequential_from_ordered_dict_and_delete_renumbers_as_torch():
    def build(lib):
        return lib.nn.Sequential(
            OrderedDict(
                [("fc", lib.nn.Linear(2, 3)), ("act", lib.nn.ReLU()), ("out", lib.nn.Linear(3, 1))]
            )
        )

    tg_s, th_s = build(tg), build(torch)
    _same(tg_s, th_s)
    assert tg_s.fc is tg_s[0]
    del tg_s[1]
    del th_s[1]
    _same(tg_s, th_s)  # PyTorch renames the rest "0", "1"


def test_sequential_dir_hides_numeric_names():
    s = _seq(tg, 2)
    assert "0" not in dir(s) and "append" in dir(s)


def test_module_list_operations_match_torch():
    def build(lib):
        return lib.nn.ModuleList([lib.nn.Linear(1, 2), lib.nn.ReLU()])

    tg_l, th_l = build(tg), build(torch)
    ops = [
        lambda m, lib: m.append(lib.nn.Linear(2, 3)),
        lambda m, lib: m.extend([lib.nn.Tanh(), lib.nn.Linear(3, 3)]),
        lambda m, lib: m.insert(1, lib.nn.Sigmoid()),
        lambda m, lib: m.insert(len(m), lib.nn.SiLU()),
        lambda m, lib: m.__delitem__(0),
        lambda m, lib: m.__delitem__(slice(1, 3)),
        lambda m, lib: m.__setitem__(-1, lib.nn.ELU()),
        lambda m, lib: m.pop(1),
        lambda m, lib: m.__iadd__([lib.nn.Linear(4, 4)]),
    ]
    for op in ops:
        r1, r2 = op(tg_l, tg), op(th_l, torch)
        _same(tg_l, th_l)
        if isinstance(r2, torch.nn.Module):
            assert repr(r1) == repr(r2)
    assert len(tg_l) == len(th_l)
    assert repr(tg_l[-1]) == repr(th_l[-1])
    _same(tg_l[1:], th_l[1:])
    assert type(tg_l[1:]) is tg.nn.ModuleList
    _same(tg_l + build(tg), th_l + build(torch))
    with pytest.raises(IndexError):
        tg_l[len(tg_l)]
    with pytest.raises(TypeError, match="iterable"):
        tg_l.extend(tg.nn.Linear(1, 1))
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        tg_l.extend(3)


def test_module_list_insert_negative_counts_from_the_end():
    ml = tg.nn.ModuleList([tg.nn.ReLU(), tg.nn.Tanh()])
    ml.insert(-1, tg.nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["ReLU", "Sigmoid", "Tanh"]
    assert list(ml._modules) == ["0", "1", "2"]


def test_module_list_registers_parameters_in_parent():
    class Stack(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = tg.nn.ModuleList(tg.nn.Linear(2, 2) for _ in range(3))

    assert [n for n, _ in Stack().named_parameters()] == [
        f"layers.{i}.{w}" for i in range(3) for w in ("weight", "bias")
    ]


def test_module_dict_operations_match_torch():
    def build(lib):
        return lib.nn.ModuleDict({"b": lib.nn.Linear(1, 2), "a": lib.nn.ReLU()})

    tg_d, th_d = build(tg), build(torch)
    _same(tg_d, th_d)
    assert list(tg_d.keys()) == list(th_d.keys()) == ["b", "a"]  # insertion order
    for d, lib in ((tg_d, tg), (th_d, torch)):
        d["c"] = lib.nn.Linear(2, 2)
        d.update([("d", lib.nn.Tanh()), ("b", lib.nn.Linear(3, 3))])  # b replaced in place
        d.update(OrderedDict([("e", lib.nn.SiLU())]))
        del d["a"]
    _same(tg_d, th_d)
    assert repr(tg_d.pop("d")) == repr(th_d.pop("d"))
    _same(tg_d, th_d)
    assert "c" in tg_d and "d" not in tg_d and len(tg_d) == len(th_d) == 3
    assert list(tg_d) == list(th_d)
    assert [k for k, _ in tg_d.items()] == [k for k, _ in th_d.items()]
    assert [repr(v) for v in tg_d.values()] == [repr(v) for v in th_d.values()]
    tg_d.update(tg.nn.ModuleDict({"z": tg.nn.ReLU()}))
    assert list(tg_d)[-1] == "z"
    with pytest.raises(KeyError):
        tg_d["nope"]
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        tg_d.update(3)
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        tg_d.update([("x", tg.nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="is not a Module subclass"):
        tg_d["bad"] = 3
    tg_d.clear()
    assert len(tg_d) == 0 and repr(tg_d) == "ModuleDict()"


# ---------------------------------------------------------------- state dict hooks, set_submodule


def _state_dict_hook_story(lib):
    """What the state-dict and load hooks see and change, in PyTorch's order."""
    net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
    log = []
    net[0].register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix, keep)))
    net.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(("pre", prefix, keep)))

    def post(m, sd, prefix, meta):
        log.append(("post", prefix, sorted(meta)))
        sd[prefix + "extra"] = lib.zeros(1)

    net[1].register_state_dict_post_hook(post)
    upper = net._register_state_dict_hook(
        lambda m, sd, prefix, meta: OrderedDict((k.upper(), v) for k, v in sd.items())
    )
    log.append(list(net.state_dict()))
    upper.remove()
    sd = net.state_dict()
    log.append(list(sd))
    bad = lib.nn.Linear(1, 1)
    bad.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        bad.state_dict()

    net2 = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))

    def forgive(m, keys):  # runs after the values are written, before the strict check
        log.append(("lpost", list(keys.missing_keys), list(keys.unexpected_keys)))
        log.append(_np(m.weight).tolist())
        keys.unexpected_keys[:] = [k for k in keys.unexpected_keys if not k.endswith("extra")]

    net2[1].register_load_state_dict_post_hook(forgive)
    net2.register_load_state_dict_post_hook(lambda m, k: log.append(("root", k.unexpected_keys)))
    net2.register_load_state_dict_pre_hook(lambda m, sd, prefix, *rest: log.append(prefix))
    log.append(repr(net2.load_state_dict(sd)))
    returns = lib.nn.Linear(2, 3)
    returns.register_load_state_dict_post_hook(lambda m, k: k)
    with pytest.raises(AssertionError, match="not expected to return new values"):
        returns.load_state_dict(net2[0].state_dict())
    return log


def test_state_dict_and_load_state_dict_hooks_match_torch():
    assert _state_dict_hook_story(tg) == _state_dict_hook_story(torch)


@pytest.mark.parametrize("lib", [tg, torch], ids=["tensorgrad", "torch"])
def test_set_submodule(lib):
    net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
    new = lib.nn.Identity()
    net.set_submodule("1", new)
    assert net[1] is new and net.get_submodule("1") is new
    with pytest.raises(AttributeError, match="Linear has no attribute `foo`"):
        net.set_submodule("0.foo", lib.nn.ReLU(), strict=True)
    net.set_submodule("0.foo", lib.nn.ReLU())
    assert [n for n, _ in net.named_modules()] == ["", "0", "0.foo", "1"]
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        net.set_submodule("0.weight", lib.nn.ReLU())
    with pytest.raises(ValueError, match="without a target name"):
        net.set_submodule("", lib.nn.ReLU())
    with pytest.raises(ValueError, match="is not an nn.Module"):
        net.set_submodule("1", 3)
