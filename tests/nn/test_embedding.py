"""Embedding against PyTorch (tensorgrad/nn/sparse.py and the primitives in
tensorgrad/ops/embedding.py): lookups, padding_idx, from_pretrained, init and errors.

The op table covers ``nn.functional.embedding`` (gradcheck, gradgradcheck, PyTorch in float32
and float64); squaring the lookup makes the upstream gradient depend on the weight, so the
gradient's own graph holds ``EmbeddingDenseBackward`` and its backward is checked too.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.layer_harness import check_layer
from tests.op_harness import Const, OpSpec, make_tests, torch

F = tg.nn.functional


def _index(shape, high=5):
    return Const(lambda rng: rng.integers(0, high, shape))


def _embedding(lib, w, idx):
    return lib.nn.functional.embedding(idx, w)


def _without_row(lib, w, row):
    """w with row ``row`` zeroed, so that finite differences agree with padding_idx=row, which
    gives that row no gradient (the indices do hit it)."""
    keep = lib.arange(w.shape[0]) != row % w.shape[0]
    return w * keep.to(w.dtype)[:, None]


def _embedding_padded_squared(lib, w, idx):
    return lib.nn.functional.embedding(idx, _without_row(lib, w, 1), padding_idx=1) ** 2


def _embedding_negative_padding(lib, w, idx):
    out = lib.nn.functional.embedding(idx, _without_row(lib, w, -2), padding_idx=-2)
    return out * w[0]


OPS = [
    OpSpec(
        "nn.functional.embedding",
        _embedding,
        cases=[((5, 3), _index((4,))), ((5, 3), _index((2, 6))), ((5, 1), _index(()))],
    ),
    OpSpec(
        "nn.functional.embedding(padding_idx, squared)",
        _embedding_padded_squared,
        cases=[((5, 3), _index((3, 4))), ((4, 2), _index((7,), high=4))],
    ),
    OpSpec(
        "nn.functional.embedding(negative padding_idx)",
        _embedding_negative_padding,
        cases=[((5, 3), _index((3, 4)))],
    ),
]

BAG_INDEX = Const(lambda rng: np.array([0, 2, 2, 3, 4, 1, 2, 0]))
BAG_OFFSETS = Const(lambda rng: np.array([0, 2, 2, 5]))  # an empty bag among them


def _bag(**kwargs):
    def fn(lib, w, idx, *rest):
        offsets = rest[0] if rest and not rest[0].is_floating_point() else None
        psw = rest[-1] if rest and rest[-1].is_floating_point() else None
        return lib.nn.functional.embedding_bag(idx, w, offsets, per_sample_weights=psw, **kwargs)

    return fn


def _bag_padded(mode):
    def fn(lib, w, idx, offsets):
        w = _without_row(lib, w, 2)
        return lib.nn.functional.embedding_bag(idx, w, offsets, mode=mode, padding_idx=2)

    return fn


OPS += (
    [
        OpSpec(
            "nn.functional.embedding_bag",
            _bag(mode=mode),
            cases=[((5, 3), BAG_INDEX, BAG_OFFSETS), ((5, 2), _index((3, 4)))],
        )
        for mode in ("sum", "mean", "max")
    ]
    + [
        OpSpec("nn.functional.embedding_bag", _bag_padded(mode), [((5, 3), BAG_INDEX, BAG_OFFSETS)])
        for mode in ("sum", "mean", "max")
    ]
    + [
        OpSpec(
            "nn.functional.embedding_bag",
            _bag(mode="sum"),
            cases=[((5, 3), BAG_INDEX, BAG_OFFSETS, (8,)), ((5, 3), _index((2, 4)), (2, 4))],
        ),
        OpSpec(
            "nn.functional.embedding_bag",
            _bag(mode="mean", include_last_offset=True),
            cases=[((5, 3), BAG_INDEX, Const(lambda rng: np.array([0, 3, 3, 8])))],
        ),
    ]
)

test_matches_torch, test_gradcheck, test_matches_torch_bfloat16 = make_tests(OPS)


@pytest.mark.parametrize("padding_idx", [None, 2, -1, 0])
@pytest.mark.parametrize("index_shape", [(7,), (4, 7), (2, 3, 4), ()])
def test_embedding_matches_torch(padding_idx, index_shape):
    idx = np.random.default_rng(0).integers(0, 10, index_shape)  # repeats: gradients add up
    tg_layer = tg.nn.Embedding(10, 3, padding_idx=padding_idx)
    th_layer = torch.nn.Embedding(10, 3, padding_idx=padding_idx)
    check_layer(tg_layer, th_layer, [idx])
    assert repr(tg_layer) == repr(th_layer)


def test_padding_row_is_zero_initialised_and_gets_no_gradient():
    layer = tg.nn.Embedding(6, 4, padding_idx=3)
    np.testing.assert_array_equal(layer.weight.detach().numpy()[3], np.zeros(4))
    with tg.no_grad():
        layer.weight[3] = tg.ones(4)  # a non-zero padding vector is returned as it is
    out = layer(tg.tensor([[3, 1], [3, 3]]))
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], np.ones(4))
    (out * tg.randn(2, 2, 4)).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy()[3], np.zeros(4))
    assert np.all(layer.weight.grad.numpy()[1] != 0)


def test_index_dtypes_int32_and_int64_match():
    layer = tg.nn.Embedding(8, 2)
    idx = np.array([[1, 7], [0, 1]])
    a = layer(tg.tensor(idx.astype(np.int64))).detach().numpy()
    b = layer(tg.tensor(idx.astype(np.int32))).detach().numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, layer.weight.detach().numpy()[idx])


@pytest.mark.parametrize("freeze", [True, False])
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_from_pretrained_matches_torch(freeze, padding_idx):
    weights = np.random.default_rng(1).standard_normal((5, 3))
    ours = tg.nn.Embedding.from_pretrained(tg.tensor(weights), freeze, padding_idx)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(weights), freeze, padding_idx)
    assert ours.weight.requires_grad is (not freeze)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(
        ours.weight.detach().numpy(), weights
    )  # padding row kept as given
    idx = np.array([[0, 1, 4], [1, 1, 2]])
    if freeze:
        np.testing.assert_allclose(
            ours(tg.tensor(idx)).numpy(), theirs(torch.tensor(idx)).detach().numpy(), rtol=1e-12
        )
    else:
        check_layer(ours, theirs, [idx], copy=False)


def test_from_pretrained_rejects_non_matrix():
    with pytest.raises(ValueError, match="2-dimensional"):
        tg.nn.Embedding.from_pretrained(tg.randn(4))


def test_default_init_is_standard_normal():
    w = tg.nn.Embedding(1000, 100).weight.detach().numpy()
    assert w.shape == (1000, 100) and w.dtype == np.float32
    assert abs(w.mean()) < 0.01  # N(0, 1): the mean of 1e5 draws has standard deviation 0.003
    assert abs(w.std() - 1) < 0.01
    assert abs(np.mean(np.abs(w) < 1) - 0.6827) < 0.01  # the normal's mass within one sigma
    assert tg.nn.Embedding(3, 2, dtype=tg.float64).weight.dtype == tg.float64


def test_state_dict_keys_and_loading_from_torch():
    th = torch.nn.Embedding(7, 3, padding_idx=0)
    ours = tg.nn.Embedding(7, 3, padding_idx=0)
    assert list(ours.state_dict()) == list(th.state_dict()) == ["weight"]
    ours.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    np.testing.assert_array_equal(ours.weight.detach().numpy(), th.weight.detach().numpy())


def test_out_of_range_index_names_num_embeddings_and_the_index():
    layer = tg.nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"Embedding\(10, 3\).*index 10 .*num_embeddings=10"):
        layer(tg.tensor([1, 10, 2]))
    with pytest.raises(IndexError, match=r"index -1 .*num_embeddings=10"):
        layer(tg.tensor([[0, -1]]))
    with pytest.raises(IndexError, match=r"embedding: index 5 .*num_embeddings=5"):
        F.embedding(tg.tensor([5]), tg.randn(5, 2))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(RuntimeError, match="integer index tensor.*float32"):
        tg.nn.Embedding(5, 3)(tg.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        tg.nn.Embedding(5, 3, padding_idx=5)
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        tg.nn.Embedding(5, 3, padding_idx=-6)
    with pytest.raises(RuntimeError, match=r"2-D weight.*\(5,\)"):
        F.embedding(tg.tensor([1]), tg.randn(5))
    with pytest.raises(NotImplementedError, match="sparse gradients"):
        tg.nn.Embedding(5, 3, sparse=True)(tg.tensor([1]))


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_scale_grad_by_freq_divides_each_rows_gradient_by_its_count_like_torch(padding_idx):
    """Row k's gradient is the sum of its positions' gradients over the number of times k is
    looked up (word2vec-style scripts set it); once raised NotImplementedError. The upstream
    gradient depends on the weight (squared lookup). Second order is not compared: PyTorch's
    ``embedding_dense_double_backward`` drops the 1/count factor, ours keeps it."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([[0, 1, 1, 4], [4, 1, 0, 5]])  # 1 three times, 0 and 4 twice, 5 once
    g = rng.standard_normal((2, 4, 3)).astype(np.float32)
    got, want = [], []
    for lib, out in ((tg, got), (torch, want)):
        layer = lib.nn.Embedding(6, 3, padding_idx=padding_idx, scale_grad_by_freq=True)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
        y = layer(lib.tensor(idx))
        (y**2 * lib.tensor(g)).sum().backward()
        out += [y.detach().numpy(), layer.weight.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_the_rows_looked_up_in_place_like_torch(norm_type):
    # rows 1 and 3 are looked up (3 twice); of those only the rows longer than max_norm shrink,
    # in place, and the gradient flows through the renormalised rows
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 4)).astype(np.float32) * np.array([[3], [3], [0.1], [3], [3], [3]])
    idx = np.array([[1, 3], [3, 2]])
    g = rng.standard_normal((2, 2, 4)).astype(np.float32)
    got, want = [], []
    for lib, out in ((tg, got), (torch, want)):
        layer = lib.nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type, _weight=lib.tensor(w))
        y = layer(lib.tensor(idx))
        y.backward(lib.tensor(g))
        out += [y.detach().numpy(), layer.weight.detach().numpy(), layer.weight.grad.numpy()]
        row0 = lib.nn.functional.embedding(lib.tensor([0]), lib.tensor(w), max_norm=2.0)
        out.append(row0.numpy())
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(got[1][[0, 2, 4, 5]], w[[0, 2, 4, 5]])  # not looked up


@pytest.mark.parametrize(
    "make, call",
    [
        (lambda nn: nn.Embedding(6, 4, max_norm=1.0), lambda lib, m, i: m(i)),
        (lambda nn: nn.Embedding(6, 4, max_norm=1.5, norm_type=1.0), lambda lib, m, i: m(i)),
        (
            lambda nn: nn.EmbeddingBag(6, 4, max_norm=0.8, mode="sum"),
            lambda lib, m, i: m(i.reshape(-1), lib.tensor([0, 2])),
        ),
        (
            lambda nn: nn.Embedding(6, 4),
            lambda lib, m, i: lib.nn.functional.embedding(i, m.weight, max_norm=1.2),
        ),
    ],
)
def test_max_norm_renormalises_the_rows_used_in_place_like_torch(make, call):
    """The rows the indices use (each once, however often it is used) whose norm exceeds
    max_norm are scaled to it, in place and outside autograd; the others stay as they are."""
    idx = np.array([[1, 2], [1, 4]])
    ours, theirs = make(tg.nn), make(torch.nn)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(np.arange(24.0).reshape(6, 4) / 10 - 1))
    ours.load_state_dict({"weight": theirs.weight.detach().numpy().copy()})
    out_ours = call(tg, ours, tg.tensor(idx))
    out_theirs = call(torch, theirs, torch.tensor(idx))
    g = np.random.default_rng(0).standard_normal(tuple(out_theirs.shape))
    out_ours.backward(tg.tensor(g, dtype=tg.float32))
    out_theirs.backward(torch.tensor(g, dtype=torch.float32))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-6)
    for a, b in [(ours.weight, theirs.weight), (ours.weight.grad, theirs.weight.grad)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_backward_scatter_handles_many_repeats_and_large_vocab():
    rng = np.random.default_rng(2)
    idx = np.concatenate([np.full(50, 3), rng.integers(0, 5000, 200)])
    w = rng.standard_normal((5000, 4))
    g = rng.standard_normal((250, 4))
    ours = tg.tensor(w, requires_grad=True)
    F.embedding(tg.tensor(idx), ours).backward(tg.tensor(g))
    expected = np.zeros_like(w)
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(ours.grad.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_empty_index_gives_empty_output_and_zero_gradient():
    w = tg.randn(4, 3, requires_grad=True)
    out = F.embedding(tg.tensor(np.zeros((0, 2), dtype=np.int64)), w)
    assert out.shape == (0, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 3)))


# ---------------------------------------------------------------------- EmbeddingBag


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_bag_matches_torch(mode, padding_idx):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 10, 12)
    offsets = np.array([0, 3, 3, 7, 11])
    ours = tg.nn.EmbeddingBag(10, 4, mode=mode, padding_idx=padding_idx)
    theirs = torch.nn.EmbeddingBag(10, 4, mode=mode, padding_idx=padding_idx)
    check_layer(ours, theirs, [idx, offsets])
    check_layer(ours, theirs, [idx.reshape(3, 4)])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_embedding_bag_per_sample_weights_and_last_offset_match_torch():
    rng = np.random.default_rng(1)
    idx, psw = rng.integers(0, 6, 7), rng.standard_normal(7)
    ours = tg.nn.EmbeddingBag(6, 3, mode="sum", include_last_offset=True)
    theirs = torch.nn.EmbeddingBag(6, 3, mode="sum", include_last_offset=True)
    check_layer(ours, theirs, [idx, np.array([0, 2, 7]), psw])


def test_embedding_bag_init_padding_row_and_from_pretrained():
    tg.manual_seed(0)
    layer = tg.nn.EmbeddingBag(200, 50, padding_idx=-1)
    w = layer.weight.detach().numpy()
    assert layer.padding_idx == 199 and not w[199].any()
    assert abs(w[:199].std() - 1) < 0.05 and abs(w[:199].mean()) < 0.05
    bag = tg.nn.EmbeddingBag.from_pretrained(tg.tensor([[1.0, 2.0], [3.0, 5.0]]), mode="max")
    assert not bag.weight.requires_grad
    out = bag(tg.tensor([[0, 1], [1, 1]]))
    np.testing.assert_array_equal(out.numpy(), [[3.0, 5.0], [3.0, 5.0]])


def test_embedding_bag_bad_input_raises_clear_errors():
    bag = tg.nn.EmbeddingBag(5, 2)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        bag(tg.tensor([0, 1]))
    with pytest.raises(ValueError, match="if input is 2D.*offsets has to be None"):
        bag(tg.tensor([[0, 1]]), tg.tensor([0]))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        bag(tg.tensor([0, 1]), tg.tensor([1]))
    with pytest.raises(RuntimeError, match="non-decreasing"):
        bag(tg.tensor([0, 1, 2]), tg.tensor([0, 2, 1]))
    with pytest.raises(IndexError, match="index 5 is out of range for num_embeddings=5"):
        bag(tg.tensor([0, 5]), tg.tensor([0]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        bag(tg.tensor([0, 1]), tg.tensor([0]), tg.ones(2))
    with pytest.raises(ValueError, match=r"per_sample_weights \(\(3,\)\).*\(\(2,\)\)"):
        F.embedding_bag(
            tg.tensor([0, 1]),
            tg.randn(5, 2),
            tg.tensor([0]),
            mode="sum",
            per_sample_weights=tg.ones(3),
        )
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(tg.tensor([[0, 1]]), tg.randn(5, 2), mode="min")
    with pytest.raises(ValueError, match="input has to be 1D or 2D"):
        bag(tg.tensor([[[0]]]))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_replays_under_compile_as_eager(mode):
    """Bag ids, offsets of 2-D input and max's argmax are made through the recorder: a compiled
    call replays (fullgraph) and equals eager mode on new indices, 1-D with offsets and 2-D."""
    tg.manual_seed(0)
    bag = tg.nn.EmbeddingBag(10, 4, mode=mode)

    def step(flat, offsets, rows):
        return bag(flat, offsets), bag(rows)

    compiled = tg.compile(step, fullgraph=True)
    offsets = tg.tensor([0, 2, 2, 5])
    for _ in range(4):
        flat, rows = tg.randint(0, 10, (7,)), tg.randint(0, 10, (3, 5))
        for got, want in zip(compiled(flat, offsets, rows), step(flat, offsets, rows)):
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert compiled.replays == 2


def test_scale_grad_by_freq_second_order_is_the_adjoint_of_the_first():
    """<d(gw)/dg . v, u> = <v, gw(u)>: the scaled gradient's backward is its own adjoint,
    checked with gradcheck on the gradient as a function of the upstream gradient."""
    idx = tg.tensor([[0, 1, 1], [2, 1, 0]])
    w = tg.randn(4, 2, dtype=tg.float64, requires_grad=True)

    def grad_of_weight(g):
        y = F.embedding(idx, w, scale_grad_by_freq=True)
        return tg.autograd.grad(y, w, g, create_graph=True)[0]

    g = tg.randn(2, 3, 2, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(grad_of_weight, (g,))
