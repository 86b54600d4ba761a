"""Transformer layers against PyTorch (weights copied through load_state_dict, float64).

Train mode runs with dropout=0.0 (PyTorch's dropout draws differ from ours), eval mode with
the default dropout (off in eval). PyTorch's eval-mode fast path is switched off: it computes
the same function with fused kernels, in another order.
"""

import copy

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")

D, H, FF, S, T, N = 8, 2, 16, 5, 4, 3


@pytest.fixture(autouse=True, scope="module")
def _no_torch_fast_path():
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    yield
    torch.backends.mha.set_fastpath_enabled(before)


def _seq(n, batch_first, seed=0, batched=True):
    rng = np.random.default_rng(seed)
    if not batched:
        return rng.standard_normal((n, D))
    return rng.standard_normal((N, n, D) if batch_first else (n, N, D))


def _causal(n, kind):
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    return upper if kind == "bool" else np.where(upper, -np.inf, 0.0)


def _padding(n, kind, seed=1, batched=True):
    m = np.random.default_rng(seed).random((N, n) if batched else (n,)) < 0.3
    m[..., 0] = False
    return m if kind == "bool" else np.where(m, -np.inf, 0.0)


def _activation(lib, name):
    if name == "module":
        return lib.nn.GELU(approximate="tanh")  # a Module: registered as a submodule
    if name == "callable":
        return lib.nn.functional.silu
    return name


def _masked_forward(has_mask, has_kpm, **kwargs):
    def forward(layer, x, *masks):
        masks = list(masks)
        mask = masks.pop(0) if has_mask else None
        kpm = masks.pop(0) if has_kpm else None
        return layer(x, mask, kpm, **kwargs)

    return forward


ENCODER_CASES = [
    # (batch_first, norm_first, activation, mask kind, padding kind, batched)
    (False, False, "relu", None, None, True),
    (True, False, "gelu", "bool", None, True),
    (False, True, "relu", "float", "float", True),
    (True, True, "gelu", None, "bool", True),
    (False, True, "module", "bool", "bool", True),
    (True, False, "callable", "float", None, True),
    (False, False, "relu", "bool", "bool", False),
    (True, True, "gelu", "float", None, False),
]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", ENCODER_CASES, ids=lambda c: "-".join(map(str, c)))
def test_encoder_layer_matches_torch(case, train):
    batch_first, norm_first, act, mask, kpm, batched = case
    kwargs = dict(batch_first=batch_first, norm_first=norm_first)
    if train:
        kwargs["dropout"] = 0.0
    layers = [
        lib.nn.TransformerEncoderLayer(D, H, FF, activation=_activation(lib, act), **kwargs)
        for lib in (tg, torch)
    ]
    inputs = [_seq(S, batch_first, batched=batched)]
    inputs += [_causal(S, mask)] if mask else []
    inputs += [_padding(S, kpm, batched=batched)] if kpm else []
    check_layer(*layers, inputs, train=train, forward=_masked_forward(bool(mask), bool(kpm)))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_without_bias_matches_torch(norm_first):
    layers = [
        lib.nn.TransformerEncoderLayer(D, H, FF, 0.0, bias=False, norm_first=norm_first)
        for lib in (tg, torch)
    ]
    check_layer(*layers, [_seq(S, False)])


DECODER_CASES = [
    # (batch_first, norm_first, activation, tgt mask, memory mask, paddings, batched)
    (False, False, "relu", None, None, False, True),
    (True, False, "gelu", "bool", None, True, True),
    (False, True, "relu", "float", "float", True, True),
    (True, True, "callable", "bool", "bool", False, True),
    (False, False, "gelu", "float", None, True, False),
]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", DECODER_CASES, ids=lambda c: "-".join(map(str, c)))
def test_decoder_layer_matches_torch(case, train):
    batch_first, norm_first, act, tgt_mask, mem_mask, pads, batched = case
    kwargs = dict(batch_first=batch_first, norm_first=norm_first)
    if train:
        kwargs["dropout"] = 0.0
    layers = [
        lib.nn.TransformerDecoderLayer(D, H, FF, activation=_activation(lib, act), **kwargs)
        for lib in (tg, torch)
    ]
    rng = np.random.default_rng(5)
    inputs = [_seq(T, batch_first, batched=batched), _seq(S, batch_first, 1, batched)]
    names = []
    if tgt_mask:
        inputs.append(_causal(T, tgt_mask))
        names.append("tgt_mask")
    if mem_mask:
        m = rng.random((T, S)) < 0.3
        m[:, 0] = False
        inputs.append(
            m if mem_mask == "bool" else np.where(m, -np.inf, rng.standard_normal(m.shape))
        )
        names.append("memory_mask")
    if pads:
        kind = "float" if tgt_mask == "float" else "bool"  # the masks' types agree
        inputs += [_padding(T, kind, 2, batched), _padding(S, kind, 3, batched)]
        names += ["tgt_key_padding_mask", "memory_key_padding_mask"]

    def forward(layer, tgt, memory, *masks):
        return layer(tgt, memory, **dict(zip(names, masks)), tgt_is_causal=bool(tgt_mask))

    check_layer(*layers, inputs, train=train, forward=forward)


@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_matches_torch(norm, batch_first):
    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, 0.0, batch_first=batch_first)
        final = lib.nn.LayerNorm(D) if norm else None
        return lib.nn.TransformerEncoder(layer, 2, final)

    inputs = [_seq(S, batch_first), _causal(S, "float"), _padding(S, "float")]
    # is_causal=None: the float causal mask is detected as causal, as in PyTorch
    check_layer(build(tg), build(torch), inputs, forward=_masked_forward(True, True))
    check_layer(build(tg), build(torch), inputs[:1], train=False)


def test_decoder_stack_and_full_transformer_match_torch():
    def dec(lib):
        return lib.nn.TransformerDecoder(
            lib.nn.TransformerDecoderLayer(D, H, FF, 0.0, norm_first=True), 2, lib.nn.LayerNorm(D)
        )

    tgt, mem = _seq(T, False), _seq(S, False, 1)
    mask = _causal(T, "bool")
    check_layer(dec(tg), dec(torch), [tgt, mem, mask], forward=lambda m, t, s, k: m(t, s, k))

    def full(lib):
        return lib.nn.Transformer(D, H, 2, 1, FF, 0.0, batch_first=True)

    src, tgt = _seq(S, True), _seq(T, True, 1)
    mask = tg.nn.Transformer.generate_square_subsequent_mask(T).double().numpy()
    check_layer(
        full(tg), full(torch), [src, tgt, mask], forward=lambda m, s, t, k: m(s, t, tgt_mask=k)
    )


def test_stack_layers_are_independent_deep_copies():
    layer = tg.nn.TransformerEncoderLayer(D, H, FF)
    enc = tg.nn.TransformerEncoder(layer, 3)
    first, second = enc.layers[0], enc.layers[1]
    assert first is not layer and first is not second
    for (name, p), (_, q) in zip(first.named_parameters(), second.named_parameters()):
        assert p is not q and q.requires_grad
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
    with tg.no_grad():
        first.linear1.weight.fill_(0.0)
    assert np.any(second.linear1.weight.detach().numpy())
    assert np.any(layer.linear1.weight.detach().numpy())
    # copies are separate graph leaves: each gets its own gradient
    enc(tg.randn(S, N, D)).sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_state_dict_keys_and_repr_match_torch():
    for build in (
        lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF),
        lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, bias=False, activation="gelu"),
        lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, norm_first=True),
        lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, H, FF), 2),
        lambda lib: lib.nn.Transformer(D, H, 2, 2, FF),
    ):
        a, b = build(tg), build(torch)
        assert list(a.state_dict()) == list(b.state_dict())
        assert [tuple(v.shape) for v in a.state_dict().values()] == [
            tuple(v.shape) for v in b.state_dict().values()
        ]
    for build in (
        lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF),
        lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, activation=lib.nn.GELU()),
        lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, H, FF), 2),
        lambda lib: lib.nn.Transformer(D, H, 2, 1, FF),
    ):
        assert repr(build(tg)) == repr(build(torch))


def test_transformer_init_is_xavier_on_every_matrix():
    model = tg.nn.Transformer(64, 4, 1, 1, 128)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()  # (128, 64)
    bound = np.sqrt(6.0 / (64 + 128))
    assert np.abs(w).max() <= bound and abs(w.var() / (bound**2 / 3) - 1) < 0.1
    n = model.decoder.norm.weight.detach().numpy()
    assert np.all(n == 1)  # 1-D parameters keep their own init


def test_generate_square_subsequent_mask_matches_torch():
    a = tg.nn.Transformer.generate_square_subsequent_mask(5).numpy()
    b = torch.nn.Transformer.generate_square_subsequent_mask(5).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        tg.nn.TransformerEncoderLayer(D, H, activation="tanh")
    model = tg.nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        model(tg.randn(S, 2, D), tg.randn(T, 3, D))
    with pytest.raises(RuntimeError, match="feature number"):
        model(tg.randn(S, 2, D), tg.randn(T, 2, D + 1))
    layer = tg.nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(AssertionError, match=r"last dimension 8.*\(5, 3, 6\)"):
        layer(tg.randn(S, N, 6))
    with pytest.raises(RuntimeError, match="needs attn_mask"):
        layer(tg.randn(S, N, D), is_causal=True)


def test_deepcopy_of_an_encoder_layer_with_module_activation():
    layer = tg.nn.TransformerEncoderLayer(D, H, FF, activation=tg.nn.GELU())
    clone = copy.deepcopy(layer)
    assert isinstance(clone.activation, tg.nn.GELU) and clone.activation is not layer.activation
    x = tg.randn(S, N, D)
    layer.eval()
    clone.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), clone(x).detach().numpy())
