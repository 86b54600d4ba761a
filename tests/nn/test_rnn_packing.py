"""Padding and packing (tensorgrad/nn/utils/rnn.py) and the recurrent layers on packed input
(tensorgrad/nn/rnn.py) against PyTorch: every field of a PackedSequence, round trips, the
gradients through each gather, RNN/LSTM/GRU outputs, final states and all gradients (weights
copied from PyTorch), and PyTorch's errors."""

import itertools

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.utils.rnn as R
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn

LENGTHS = {"sorted": [5, 4, 4, 2, 1], "unsorted": [3, 5, 1, 4, 5], "ties": [2, 3, 2, 3, 1, 3]}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().array)


def assert_packed_equal(a, b):
    assert isinstance(a, R.PackedSequence) and isinstance(a, tuple)
    for field, x, y in zip(b._fields, a, b):
        if y is None:
            assert x is None, field
            continue
        assert x.shape == tuple(y.shape), field
        np.testing.assert_allclose(_np(x), _np(y), rtol=1e-12, err_msg=field)
    assert a.batch_sizes.dtype == tg.int64 and a.batch_sizes.device.type == "cpu"


def both(x, requires_grad=True):
    return tg.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


def backward_both(a, b, seed=1):
    g = np.random.default_rng(seed).standard_normal(tuple(b.shape))
    a.backward(tg.tensor(g))
    b.backward(torch.tensor(g))


# ---------------------------------------------------------------------- pad_sequence


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 3)])
def test_pad_sequence(batch_first, padding_side, trailing):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, *trailing)) for n in (3, 5, 1, 5)]
    pairs = [both(a) for a in arrays]
    kwargs = dict(batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    a = R.pad_sequence([p[0] for p in pairs], **kwargs)
    b = TR.pad_sequence([p[1] for p in pairs], **kwargs)
    np.testing.assert_array_equal(_np(a), _np(b))
    backward_both(a, b)
    for p, q in pairs:
        np.testing.assert_array_equal(_np(p.grad), _np(q.grad))


def test_pad_sequence_gradcheck():
    xs = [tg.randn(n, 2, dtype=tg.float64, requires_grad=True) for n in (2, 4, 1)]
    assert tg.autograd.gradcheck(lambda *s: R.pad_sequence(list(s), padding_side="left"), xs)
    assert tg.autograd.gradgradcheck(lambda *s: R.pad_sequence(list(s), True, 2.0), xs)


# ---------------------------------------------------------------------- packing


@pytest.mark.parametrize(
    "case,enforce_sorted",
    [("sorted", True), ("sorted", False), ("unsorted", False), ("ties", False)],
)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths_as", [list, np.array, "tensor"])
def test_pack_padded_sequence(case, batch_first, enforce_sorted, lengths_as):
    lengths = LENGTHS[case]
    steps, batch = max(lengths) + 1, len(lengths)  # one step of padding nobody reads
    shape = (batch, steps, 3) if batch_first else (steps, batch, 3)
    x = np.random.default_rng(0).standard_normal(shape)
    a_in, b_in = both(x)
    tg_lengths = tg.tensor(lengths) if lengths_as == "tensor" else lengths_as(lengths)
    a = R.pack_padded_sequence(a_in, tg_lengths, batch_first, enforce_sorted)
    b = TR.pack_padded_sequence(b_in, lengths, batch_first, enforce_sorted)
    assert_packed_equal(a, b)
    backward_both(a.data, b.data)
    np.testing.assert_array_equal(_np(a_in.grad), _np(b_in.grad))  # zeros on the padding


@pytest.mark.parametrize("case", list(LENGTHS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 7])
def test_pad_packed_sequence(case, batch_first, total_length):
    lengths = LENGTHS[case]
    rng = np.random.default_rng(0)
    pairs = [both(rng.standard_normal((n, 2))) for n in lengths]
    a = R.pack_sequence([p[0] for p in pairs], enforce_sorted=False)
    b = TR.pack_sequence([p[1] for p in pairs], enforce_sorted=False)
    assert_packed_equal(a, b)
    kwargs = dict(batch_first=batch_first, padding_value=0.5, total_length=total_length)
    pa, la = R.pad_packed_sequence(a, **kwargs)
    pb, lb = TR.pad_packed_sequence(b, **kwargs)
    np.testing.assert_array_equal(_np(pa), _np(pb))
    np.testing.assert_array_equal(_np(la), _np(lb))
    assert la.dtype == tg.int64 and la.device.type == "cpu"
    backward_both(pa, pb)
    for p, q in pairs:
        np.testing.assert_array_equal(_np(p.grad), _np(q.grad))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_round_trips(enforce_sorted):
    lengths = LENGTHS["sorted"] if enforce_sorted else LENGTHS["unsorted"]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 3)) for n in lengths]
    seqs = [tg.tensor(a) for a in arrays]
    packed = R.pack_sequence(seqs, enforce_sorted=enforce_sorted)
    for got, want in zip(R.unpack_sequence(packed), arrays):
        np.testing.assert_array_equal(got.array, want)
    padded, lens = R.pad_packed_sequence(packed)
    assert lens.tolist() == lengths
    for got, want in zip(R.unpad_sequence(padded, lens), arrays):
        np.testing.assert_array_equal(got.array, want)
    repacked = R.pack_padded_sequence(padded, lens, enforce_sorted=enforce_sorted)
    assert_packed_equal(
        repacked, TR.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted)
    )
    th = TR.unpad_sequence(torch.tensor(padded.array).transpose(0, 1), torch.tensor(lengths), True)
    for got, want in zip(R.unpad_sequence(padded.transpose(0, 1), lengths, True), th):
        np.testing.assert_array_equal(got.array, want.numpy())


def test_packing_gradcheck():
    x = tg.randn(4, 3, 2, dtype=tg.float64, requires_grad=True)

    def f(x):
        packed = R.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False)
        return R.pad_packed_sequence(packed, batch_first=True, padding_value=1.0)[0]

    assert tg.autograd.gradcheck(f, [x])
    assert tg.autograd.gradgradcheck(f, [x])


def test_packed_sequence_object():
    data = tg.randn(4, 2)
    p = R.PackedSequence(data, tg.tensor([2, 1, 1]), tg.tensor([1, 0]))
    assert p.unsorted_indices.tolist() == [1, 0]
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    d, bs, si, ui = p  # a named tuple, as PyTorch's
    assert d is data and bs.tolist() == [2, 1, 1]
    assert R.PackedSequence(data, tg.tensor([2, 2])).sorted_indices is None
    q = p.double()
    assert q.data.dtype == tg.float64 and q.batch_sizes is p.batch_sizes
    assert p.to(tg.float32) is p and not p.is_cuda and not p.is_pinned()
    assert R.invert_permutation(tg.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def test_import_paths():
    """``tensorgrad.nn.utils.rnn`` is importable the way torch's is, and the old names stay."""
    from tensorgrad.nn.utils import clip_grad_norm_  # noqa: F401
    from tensorgrad.nn.utils.rnn import PackedSequence, pack_padded_sequence  # noqa: F401

    assert tg.nn.utils.rnn is R
    assert tg.nn.utils.rnn.pad_sequence is R.pad_sequence


# ---------------------------------------------------------------------- errors


def test_errors():
    x = tg.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_padded_sequence(x, [2, 4, 3])
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_sequence([tg.randn(1, 2), tg.randn(3, 2)])
    for lengths in ([4, 3, 0], [0, 2, 3]):
        for es in (True, False):
            if es and lengths[0] == 0:
                continue
            with pytest.raises(RuntimeError, match="greater than 0"):
                R.pack_padded_sequence(x, lengths, enforce_sorted=es)
    with pytest.raises(RuntimeError, match="longer than the input's 4 time steps"):
        R.pack_padded_sequence(x, [5, 3, 2])  # PyTorch reads out of bounds here
    with pytest.raises(RuntimeError, match="longer than the input's 3 time steps"):
        R.pack_padded_sequence(x, [3, 2, 1, 4], batch_first=True, enforce_sorted=False)
    with pytest.raises(RuntimeError, match="equal to batch_size"):
        R.pack_padded_sequence(x, [4, 3])
    with pytest.raises(ValueError, match="1-D sequence of integers"):
        R.pack_padded_sequence(x, [[4, 3, 2]])
    packed = R.pack_padded_sequence(x, [4, 3, 2])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        R.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(RuntimeError, match="padding_side"):
        R.pad_sequence([x[0]], padding_side="middle")
    with pytest.raises(RuntimeError, match="empty list"):
        R.pad_sequence([])
    with pytest.raises(RuntimeError, match=r"shape \(L, \*\(2,\)\)"):
        R.pad_sequence([tg.randn(2, 2), tg.randn(3, 3)])


def test_layer_errors_on_packed_input():
    lstm = tg.nn.LSTM(2, 3)
    packed = R.pack_padded_sequence(tg.randn(4, 3, 2), [4, 3, 2])
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 3\)"):
        lstm(packed, (tg.zeros(1, 2, 3), tg.zeros(1, 2, 3)))
    with pytest.raises(TypeError, match="hx must be a tuple"):
        lstm(packed, tg.zeros(1, 3, 3))
    bad = R.PackedSequence(tg.randn(9, 2, 1), packed.batch_sizes)
    with pytest.raises(RuntimeError, match="must have 2 dimensions"):
        lstm(bad)
    with pytest.raises(RuntimeError, match="input_size"):
        tg.nn.GRU(5, 3)(packed)


# ---------------------------------------------------------------------- layers on packed input

MODES = {
    "RNN_TANH": ("RNN", {}),
    "RNN_RELU": ("RNN", {"nonlinearity": "relu"}),
    "LSTM": ("LSTM", {}),
    "GRU": ("GRU", {}),
}
H_IN, H = 3, 4


def packed_forward(lengths, batch_first, enforce_sorted, lstm):
    """forward(layer, x, *states) for check_layer: pack x (in the layer's library), run."""

    def forward(layer, x, *states):
        lib = TR if isinstance(layer, torch.nn.Module) else R
        packed = lib.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        hx = (tuple(states) if lstm else states[0]) if states else None
        out, h = layer(packed, hx)
        assert isinstance(out, lib.PackedSequence)
        return out, h

    return forward


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(
    "num_layers,bidirectional,batch_first,enforce_sorted,with_h0",
    [
        *itertools.product([1, 2], [False, True], [False], [False], [False, True]),
        (1, False, True, True, True),
        (2, True, True, True, False),
        (1, True, True, False, True),
    ],
)
def test_layer_on_packed_input_matches_torch(
    mode, num_layers, bidirectional, batch_first, enforce_sorted, with_h0
):
    lengths = LENGTHS["sorted"] if enforce_sorted else LENGTHS["unsorted"]
    rng = np.random.default_rng(0)
    steps, batch = max(lengths), len(lengths)
    x = rng.standard_normal((batch, steps, H_IN) if batch_first else (steps, batch, H_IN))
    lstm = mode == "LSTM"
    d = 2 if bidirectional else 1
    states = [rng.standard_normal((num_layers * d, batch, H)) for _ in range(2 if lstm else 1)]
    name, extra = MODES[mode]
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    tg_layer = getattr(tg.nn, name)(H_IN, H, **extra, **kwargs)
    th_layer = getattr(torch.nn, name)(H_IN, H, **extra, **kwargs)
    check_layer(
        tg_layer,
        th_layer,
        [x, *(states if with_h0 else [])],
        forward=packed_forward(lengths, batch_first, enforce_sorted, lstm),
    )


@pytest.mark.parametrize("mode", list(MODES))
def test_packed_equals_each_sequence_alone(mode):
    """Each sequence's packed output and final state are those of running it unbatched."""
    name, extra = MODES[mode]
    layer = getattr(tg.nn, name)(H_IN, H, bidirectional=True, **extra).double()
    seqs = [tg.randn(n, H_IN, dtype=tg.float64) for n in LENGTHS["unsorted"]]
    out, h = layer(R.pack_sequence(seqs, enforce_sorted=False))
    h = h[0] if mode == "LSTM" else h
    for k, (seq, y) in enumerate(zip(seqs, R.unpack_sequence(out))):
        y_alone, h_alone = layer(seq)
        h_alone = h_alone[0] if mode == "LSTM" else h_alone
        np.testing.assert_allclose(y.array, y_alone.array, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h.array[:, k], h_alone.array, rtol=1e-12, atol=1e-14)


def test_lstm_with_proj_size_on_packed_input_matches_torch():
    lengths = LENGTHS["unsorted"]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((len(lengths), max(lengths), H_IN))
    states = [rng.standard_normal((4, len(lengths), n)) for n in (2, H)]
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True, proj_size=2)
    check_layer(
        tg.nn.LSTM(H_IN, H, **kwargs),
        torch.nn.LSTM(H_IN, H, **kwargs),
        [x, *states],
        forward=packed_forward(lengths, True, False, True),
    )


def test_packed_gradcheck():
    layer = tg.nn.LSTM(2, 3, bidirectional=True).double()
    x = tg.randn(4, 3, 2, dtype=tg.float64, requires_grad=True)
    h0 = tg.randn(2, 3, 3, dtype=tg.float64, requires_grad=True)

    def f(x, h0):
        out, (h, c) = layer(R.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False), (h0, h0))
        return out.data, h, c

    assert tg.autograd.gradcheck(f, [x, h0])
