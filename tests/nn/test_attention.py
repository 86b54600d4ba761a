"""scaled_dot_product_attention and MultiheadAttention against PyTorch.

The functional form is an op table (finite-difference gradients to second order and PyTorch's
values and gradients); the layer goes through ``check_layer`` with PyTorch's weights copied in,
over batch_first, masks of both kinds, need_weights and head averaging, cross-attention,
kdim/vdim, add_bias_kv/add_zero_attn and unbatched input.
"""

import copy
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import Const, OpSpec, make_tests

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _no_torch_fast_path():
    """PyTorch's eval-mode fused kernels compute the same function in another order."""
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    yield
    torch.backends.mha.set_fastpath_enabled(before)


# ----------------------------------------------------------------------------- functional


def sdpa(**kwargs):
    return lambda lib, q, k, v, *mask: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, *mask, **kwargs
    )


def bool_mask(*shape):
    """Random True (= takes part) mask with at least one True per row."""

    def make(rng):
        m = rng.random(shape) < 0.6
        m[..., 0] = True
        return m

    return Const(make)


QKV = ((2, 3, 4), (2, 5, 4), (2, 5, 6))
OPS = [
    OpSpec(
        "nn.functional.scaled_dot_product_attention",
        sdpa(),
        cases=[QKV, ((3, 4), (5, 4), (5, 2)), ((2, 1, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3))],
    ),
    OpSpec("sdpa_causal", sdpa(is_causal=True), cases=[QKV, ((2, 4, 3), (2, 4, 3), (2, 4, 3))]),
    OpSpec("sdpa_scale", sdpa(scale=0.3), cases=[QKV]),
    OpSpec("sdpa_bool_mask", sdpa(), cases=[(*QKV, bool_mask(3, 5)), (*QKV, bool_mask(2, 3, 5))]),
    OpSpec("sdpa_float_mask", sdpa(), cases=[(*QKV, (3, 5)), (*QKV, (2, 1, 5))]),
    OpSpec(
        "sdpa_gqa",
        sdpa(enable_gqa=True),
        cases=[((1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 3))],
    ),
]

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


def _qkv(lib, shapes=((2, 3, 4), (2, 5, 4), (2, 5, 6)), seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s)) for s in shapes]


def test_sdpa_query_that_sees_nothing_gets_zero_like_torch():
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    outs = []
    for lib in (tg, torch):
        q, k, v = _qkv(lib)
        q.requires_grad_(True)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=lib.tensor(mask))
        out.sum().backward()
        outs.append((out.detach().numpy(), q.grad.numpy()))
    assert np.all(outs[0][0][:, 1] == 0) and np.all(outs[0][1][:, 1] == 0)
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-7, atol=1e-12)


def test_sdpa_causal_is_the_lower_triangle_mask():
    q, k, v = _qkv(tg, ((2, 4, 3), (2, 6, 3), (2, 6, 3)))
    causal = tg.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    tri = tg.tensor(np.tri(4, 6, dtype=bool))
    masked = tg.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=tri)
    np.testing.assert_allclose(causal.numpy(), masked.numpy(), rtol=1e-12)


def test_sdpa_errors():
    F = tg.nn.functional
    q, k, v = _qkv(tg)
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tg.ones(3, 5).bool(), is_causal=True)
    with pytest.raises(RuntimeError, match=r"\(2, 3, 4\).*\(2, 5, 3\)"):
        F.scaled_dot_product_attention(q, tg.randn(2, 5, 3).double(), v)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 5\)"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tg.zeros(4, 5).double())
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q.float(), k, v)


def test_sdpa_dropout_zeroes_weights_and_rescales():
    tg.manual_seed(0)
    q, k, v = _qkv(tg, ((1, 64, 8), (1, 64, 8), (1, 64, 64)))
    v = tg.tensor(np.eye(64)[None])  # out = the attention weights themselves
    plain = tg.nn.functional.scaled_dot_product_attention(q, k, v).numpy()
    dropped = tg.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    zero = dropped == 0
    assert 0.4 < zero.mean() < 0.6
    np.testing.assert_allclose(dropped[~zero], 2 * plain[~zero], rtol=1e-12)


# ----------------------------------------------------------------------------- the layer


def _mha(lib, *args, **kwargs):
    return lib.nn.MultiheadAttention(*args, **kwargs)


def _pair(*args, **kwargs):
    return _mha(tg, *args, **kwargs), _mha(torch, *args, **kwargs)


E, H, L, S, N = 8, 2, 4, 5, 3


def _causal_bool(n):
    return np.triu(np.ones((n, n), dtype=bool), 1)  # True = left out (MultiheadAttention)


def _padding(n, s, seed=1):
    m = np.random.default_rng(seed).random((n, s)) < 0.3
    m[:, 0] = False  # every query keeps at least one key
    return m


MASKS = {
    "none": (None, None),
    "bool_attn": (_causal_bool(L), None),
    "float_attn": (np.random.default_rng(2).standard_normal((L, L)), None),
    "float_causal": (np.where(_causal_bool(L), -np.inf, 0.0), None),
    "attn_3d": (np.random.default_rng(3).random((N * H, L, L)) < 0.3, None),
    "bool_kpm": (None, _padding(N, L)),
    "float_kpm": (None, np.where(_padding(N, L), -np.inf, 0.0)),
    "both": (_causal_bool(L), _padding(N, L)),
}


@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("weights", ["none", "average", "per_head"])
def test_self_attention_matches_torch(mask, batch_first, weights):
    if mask == "attn_3d":
        MASKS[mask][0][:, :, 0] = False  # keep one key per query
    attn_mask, kpm = MASKS[mask]
    x = np.random.default_rng(0).standard_normal((N, L, E) if batch_first else (L, N, E))
    inputs = [x] + [m for m in (attn_mask, kpm) if m is not None]

    def forward(layer, x, *masks):
        masks = list(masks)
        am = masks.pop(0) if attn_mask is not None else None
        pm = masks.pop(0) if kpm is not None else None
        return layer(
            x,
            x,
            x,
            key_padding_mask=pm,
            attn_mask=am,
            need_weights=weights != "none",
            average_attn_weights=weights == "average",
        )

    check_layer(*_pair(E, H, batch_first=batch_first), inputs, forward=forward)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_cross_attention_matches_torch(batch_first, need_weights):
    rng = np.random.default_rng(0)
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    q, kv, v = rng.standard_normal(shape(L)), rng.standard_normal(shape(S)), None
    v = rng.standard_normal(shape(S))
    kpm = _padding(N, S)
    attn_mask = rng.standard_normal((L, S))
    pair = _pair(E, H, batch_first=batch_first)
    check_layer(  # key is value: one projection for both
        *pair,
        [q, kv, kpm],
        forward=lambda m, q, kv, p: m(q, kv, kv, key_padding_mask=p, need_weights=need_weights),
    )
    check_layer(  # three different tensors
        *pair,
        [q, kv, v, attn_mask],
        forward=lambda m, q, k, v, a: m(q, k, v, attn_mask=a, need_weights=need_weights),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(bias=False),
        dict(kdim=3, vdim=5),
        dict(kdim=3, vdim=5, bias=False),
        dict(add_bias_kv=True),
        dict(add_zero_attn=True),
        dict(add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=6, batch_first=True),
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()),
)
def test_layer_options_match_torch(kwargs):
    rng = np.random.default_rng(0)
    bf = kwargs.get("batch_first", False)
    kdim, vdim = kwargs.get("kdim", E), kwargs.get("vdim", E)
    shape = (lambda n, e: (N, n, e)) if bf else (lambda n, e: (n, N, e))
    q, k, v = rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kdim)), None
    v = rng.standard_normal(shape(S, vdim))
    attn_mask = rng.random((L, S)) < 0.3
    attn_mask[:, 0] = False
    kpm = _padding(N, S)
    pair = _pair(E, H, **kwargs)
    check_layer(*pair, [q, k, v], forward=lambda m, q, k, v: m(q, k, v))
    check_layer(
        *pair,
        [q, k, v, attn_mask, kpm],
        forward=lambda m, q, k, v, a, p: m(
            q, k, v, attn_mask=a, key_padding_mask=p, average_attn_weights=False
        ),
    )


@pytest.mark.parametrize("need_weights", [False, True])
def test_unbatched_matches_torch(need_weights):
    rng = np.random.default_rng(0)
    x, mem = rng.standard_normal((L, E)), rng.standard_normal((S, E))
    kpm = np.zeros(S)
    kpm[2] = -np.inf
    attn_3d = rng.standard_normal((H, L, S))
    check_layer(
        *_pair(E, H, batch_first=True),  # ignored for unbatched input, as in PyTorch
        [x, mem, kpm, attn_3d],
        forward=lambda m, x, mem, p, a: m(
            x,
            mem,
            mem,
            key_padding_mask=p,
            attn_mask=a,
            need_weights=need_weights,
            average_attn_weights=False,
        ),
    )


def test_train_mode_with_dropout_zero_and_eval_mode_with_dropout_match_torch():
    x = np.random.default_rng(0).standard_normal((L, N, E))
    check_layer(*_pair(E, H, dropout=0.0), [x], forward=lambda m, x: m(x, x, x), train=True)
    check_layer(*_pair(E, H, dropout=0.5), [x], forward=lambda m, x: m(x, x, x), train=False)


def test_dropout_in_train_mode_changes_the_weights():
    layer = tg.nn.MultiheadAttention(E, H, dropout=0.5)
    x = tg.randn(L, N, E)
    _, w_train = layer(x, x, x, average_attn_weights=False)
    assert 0.3 < (w_train.detach().numpy() == 0).mean() < 0.7
    layer.eval()
    _, w1 = layer(x, x, x)
    _, w2 = layer(x, x, x)
    np.testing.assert_array_equal(w1.detach().numpy(), w2.detach().numpy())
    np.testing.assert_allclose(w1.detach().numpy().sum(-1), 1.0, rtol=1e-5)


def test_is_causal_is_a_hint_that_needs_the_mask():
    layer = tg.nn.MultiheadAttention(E, H)
    x = tg.randn(L, N, E)
    with pytest.raises(RuntimeError, match="needs attn_mask"):
        layer(x, x, x, is_causal=True)
    mask = tg.tensor(_causal_bool(L))
    hinted = layer(x, x, x, attn_mask=mask, is_causal=True, need_weights=False)[0]
    plain = layer(x, x, x, attn_mask=mask, need_weights=False)[0]
    np.testing.assert_array_equal(hinted.detach().numpy(), plain.detach().numpy())


@pytest.mark.parametrize("need_weights", [False, True])
def test_query_that_sees_nothing_like_torch(need_weights):
    """PyTorch: nan with need_weights (plain softmax), 0 without (its SDPA path)."""
    x = np.random.default_rng(0).standard_normal((L, N, E))
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1] = True  # batch entry 1 sees no key at all
    tl, th = _pair(E, H)
    tl.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    th.double()
    tl.double()
    a = tl(
        tg.tensor(x),
        tg.tensor(x),
        tg.tensor(x),
        key_padding_mask=tg.tensor(kpm),
        need_weights=need_weights,
    )
    b = th(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
    for u, w in zip(a, b):
        if w is not None:
            np.testing.assert_allclose(u.detach().numpy(), w.detach().numpy(), rtol=1e-7)
    assert np.isnan(a[0].detach().numpy()[:, 1]).all() == need_weights


def test_parameter_names_and_repr_match_torch():
    for kwargs in [{}, dict(bias=False), dict(kdim=3, vdim=5), dict(add_bias_kv=True)]:
        tl, th = _pair(E, H, **kwargs)
        assert list(tl.state_dict()) == list(th.state_dict()), kwargs
        assert [n for n, _ in tl.named_parameters()] == [n for n, _ in th.named_parameters()]
        for name, p in th.state_dict().items():
            assert tl.state_dict()[name].shape == tuple(p.shape)
        assert repr(tl) == repr(th)


def test_default_init_follows_torch():
    e = 256
    layer = tg.nn.MultiheadAttention(e, 4)
    w = layer.in_proj_weight.detach().numpy()
    bound = np.sqrt(6.0 / (e + 3 * e))  # Xavier-uniform on (3E, E)
    assert np.abs(w).max() <= bound
    assert abs(w.mean()) < 0.02 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03
    assert not np.any(layer.in_proj_bias.detach().numpy())
    assert not np.any(layer.out_proj.bias.detach().numpy())
    wo = layer.out_proj.weight.detach().numpy()
    b_out = 1 / np.sqrt(e)  # a Linear's Kaiming-uniform
    assert np.abs(wo).max() <= b_out and abs(wo.var() / (b_out**2 / 3) - 1) < 0.05
    sep = tg.nn.MultiheadAttention(e, 4, kdim=128, vdim=64, add_bias_kv=True)
    k = sep.k_proj_weight.detach().numpy()
    assert np.abs(k).max() <= np.sqrt(6.0 / (e + 128))
    assert abs(k.var() / (6.0 / (e + 128) / 3) - 1) < 0.05
    bk = sep.bias_k.detach().numpy()  # Xavier-normal on (1, 1, E): std sqrt(2 / (E + E))
    assert abs(bk.std() / np.sqrt(2.0 / (2 * e)) - 1) < 0.2


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(AssertionError, match=r"embed_dim=10 and num_heads=3"):
        tg.nn.MultiheadAttention(10, 3)
    layer = tg.nn.MultiheadAttention(E, H)
    x = tg.randn(L, N, E)
    bad = tg.randn(L, N, E + 1)
    with pytest.raises(AssertionError, match=r"MultiheadAttention\(embed_dim=8.*\(4, 3, 9\)"):
        layer(bad, bad, bad)
    with pytest.raises(AssertionError, match=r"key with last dimension 8.*\(4, 3, 9\)"):
        layer(x, bad, bad)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 4\).*\(4, 4\)"):
        layer(x, x, x, attn_mask=tg.zeros(3, 4))
    with pytest.raises(AssertionError, match=r"key_padding_mask of shape \(3, 4\)"):
        layer(x, x, x, key_padding_mask=tg.zeros(3, 5).bool())
    with pytest.raises(AssertionError, match="only bool and floating"):
        layer(x, x, x, attn_mask=tg.zeros(4, 4).long())
    with pytest.raises(AssertionError, match="unbatched 2D or batched 3D"):
        layer(tg.randn(E), tg.randn(E), tg.randn(E))


def test_mismatched_mask_types_warn_like_torch():
    layer = tg.nn.MultiheadAttention(E, H)
    x = tg.randn(L, N, E)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        layer(x, x, x, attn_mask=tg.zeros(L, L), key_padding_mask=tg.zeros(N, L).bool())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(x, x, x, attn_mask=tg.zeros(L, L), key_padding_mask=tg.zeros(N, L))


def test_deepcopy_gives_an_independent_equal_layer():
    layer = tg.nn.MultiheadAttention(E, H)
    clone = copy.deepcopy(layer)
    for (n1, p1), (n2, p2) in zip(layer.named_parameters(), clone.named_parameters()):
        assert n1 == n2 and p1 is not p2 and p2.requires_grad
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
    with tg.no_grad():
        clone.in_proj_weight.fill_(0.0)
    assert np.any(layer.in_proj_weight.detach().numpy())
