"""RNN, LSTM, GRU and their cells against PyTorch (weights copied through load_state_dict)."""

import itertools
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd.gradcheck import gradcheck, gradgradcheck
from tests.nn.layer_harness import check_layer

torch = pytest.importorskip("torch")

# (class name, extra constructor kwargs)
MODES = {
    "RNN_TANH": ("RNN", {}),
    "RNN_RELU": ("RNN", {"nonlinearity": "relu"}),
    "LSTM": ("LSTM", {}),
    "GRU": ("GRU", {}),
}
T, N, H_IN, H = 4, 3, 5, 6


def make(mode, *args, **kwargs):
    name, extra = MODES[mode]
    kwargs = {**extra, **kwargs}
    return getattr(tg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def run_layer(mode, x, states, **kwargs):
    """check_layer on ``x`` (and initial states, h0 or h0 and c0) with weights copied."""
    tg_layer, th_layer = make(mode, H_IN, H, **kwargs)
    if mode == "LSTM" and states:
        return check_layer(
            tg_layer,
            th_layer,
            [x, *states],
            forward=lambda m, x, h, c: m(x, (h, c)),
            **_mode(kwargs),
        )
    return check_layer(tg_layer, th_layer, [x, *states], **_mode(kwargs))


def _mode(kwargs):
    return {"train": kwargs.get("dropout", 0) == 0}  # dropout only compared in eval mode


def states_for(mode, rng, shape):
    return [rng.standard_normal(shape) for _ in range(2 if mode == "LSTM" else 1)]


# ---------------------------------------------------------------------- layers vs PyTorch


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(
    "num_layers,bidirectional,batch_first,bias,with_h0",
    list(itertools.product([1, 2], [False, True], [False, True], [True, False], [False, True])),
)
def test_layer_matches_torch(mode, num_layers, bidirectional, batch_first, bias, with_h0):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, H_IN) if batch_first else (T, N, H_IN))
    d = 2 if bidirectional else 1
    states = states_for(mode, rng, (num_layers * d, N, H)) if with_h0 else []
    run_layer(
        mode,
        x,
        states,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        bias=bias,
    )


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_input_matches_torch(mode, batch_first, with_h0, bidirectional):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, H_IN))  # batch_first is ignored for unbatched input
    d = 2 if bidirectional else 1
    states = states_for(mode, rng, (2 * d, H)) if with_h0 else []
    tg_out, _ = run_layer(
        mode, x, states, num_layers=2, batch_first=batch_first, bidirectional=bidirectional
    )
    assert tg_out[0].shape == (T, d * H)
    assert all(s.shape == (2 * d, H) for s in tg_out[1:])


@pytest.mark.parametrize("mode", list(MODES))
def test_dropout_in_eval_mode_matches_torch(mode):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, N, H_IN))
    run_layer(mode, x, [], num_layers=3, dropout=0.5, bidirectional=True)


@pytest.mark.parametrize("mode", list(MODES))
def test_longer_sequence_matches_torch(mode):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 2, H_IN))
    run_layer(mode, x, states_for(mode, rng, (2, 2, H)), num_layers=2)


@pytest.mark.parametrize(
    "num_layers,bidirectional,batch_first,bias,with_h0",
    [(1, False, False, True, False), (2, True, True, True, True), (2, False, False, False, True)],
)
def test_lstm_with_proj_size_matches_torch(num_layers, bidirectional, batch_first, bias, with_h0):
    """h is projected to proj_size features by weight_hr; c keeps hidden_size."""
    P = 2
    rng = np.random.default_rng(4)
    x = rng.standard_normal((N, T, H_IN) if batch_first else (T, N, H_IN))
    d = 2 if bidirectional else 1
    states = [rng.standard_normal((num_layers * d, N, n)) for n in (P, H)] if with_h0 else []
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    tg_layer, th_layer = make("LSTM", H_IN, H, proj_size=P, bias=bias, **kwargs)
    assert list(tg_layer.state_dict()) == list(th_layer.state_dict())
    forward = (lambda m, x, h, c: m(x, (h, c))) if with_h0 else None
    (out, h, c), _ = check_layer(tg_layer, th_layer, [x, *states], forward=forward)
    assert out.shape[-1] == d * P and h.shape[-1] == P and c.shape[-1] == H
    assert repr(tg_layer) == repr(th_layer)


def test_lstm_proj_size_h0_of_hidden_size_is_refused():
    layer = tg.nn.LSTM(H_IN, H, proj_size=2)
    h0 = tg.zeros(1, N, H)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 2\)"):
        layer(tg.randn(T, N, H_IN), (h0, h0))


def test_outputs_have_torch_structure():
    x = tg.randn(T, N, H_IN)
    out, (h, c) = tg.nn.LSTM(H_IN, H, 2, bidirectional=True)(x)
    assert out.shape == (T, N, 2 * H) and h.shape == c.shape == (4, N, H)
    out, h = tg.nn.GRU(H_IN, H, batch_first=True)(tg.randn(N, T, H_IN))
    assert out.shape == (N, T, H) and h.shape == (1, N, H)
    # the last step of the output is the final hidden state of the last layer's forward direction
    np.testing.assert_allclose(out[:, -1].detach().numpy(), h[0].detach().numpy(), rtol=1e-6)


def test_float32_forward_keeps_dtype_and_matches_torch():
    tg_layer, th_layer = make("LSTM", H_IN, H, 2)
    tg_layer.load_state_dict({k: v.numpy() for k, v in th_layer.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((T, N, H_IN)).astype(np.float32)
    out, (h, c) = tg_layer(tg.tensor(x))
    ref, (rh, rc) = th_layer(torch.tensor(x))
    assert out.dtype == tg.float32 and h.dtype == tg.float32
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), rc.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_no_grad_inference_builds_no_graph():
    layer = tg.nn.GRU(H_IN, H, 2)
    with tg.no_grad():
        out, h = layer(tg.randn(T, N, H_IN))
    assert not out.requires_grad and out.grad_fn is None and not h.requires_grad


# ---------------------------------------------------------------------- gradients


@pytest.mark.parametrize("mode", list(MODES))
def test_gradcheck_and_gradgradcheck_through_time(mode):
    """Finite differences for the input, the initial states and a weight, first and second
    order (the split node's backward is itself differentiable)."""
    name, kwargs = MODES[mode]
    m = getattr(tg.nn, name)(2, 2, 2, bidirectional=True, **kwargs).double()
    x = tg.randn(3, 1, 2, dtype=tg.float64, requires_grad=True)
    h0 = tg.randn(4, 1, 2, dtype=tg.float64, requires_grad=True)
    w = m.weight_hh_l1_reverse  # perturbed in place by the checks, so m sees the changes

    def f(x, h0, w):
        if mode == "LSTM":
            out, (h, c) = m(x, (h0, h0 * 0.5))
            return out, h, c
        return m(x, h0)

    assert gradcheck(f, (x, h0, w))
    assert gradgradcheck(f, (x, h0, w))


def test_split_node_gradients_of_unused_pieces_are_zero():
    # only part of the output is used: the unused time steps and gates still get (zero) gradients
    x = tg.randn(T, N, H_IN, requires_grad=True)
    out, _ = tg.nn.LSTM(H_IN, H)(x)
    out[1].sum().backward()
    assert x.grad.shape == x.shape
    np.testing.assert_array_equal(x.grad[2:].numpy(), 0.0)
    assert np.abs(x.grad[:2].numpy()).sum() > 0


def test_modifying_h0_in_place_before_backward_raises():
    m = tg.nn.GRU(H_IN, H)
    h0 = tg.randn(1, N, H, requires_grad=True)
    out, _ = m(tg.randn(T, N, H_IN), h0)
    with tg.no_grad():
        h0.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gate_sigmoid_is_exact_in_the_tails(dtype):
    """The gates' sigmoid (ops/elementwise.py, computed from e^-|x|) keeps full relative
    precision for saturated gates and never overflows."""
    x = np.concatenate([np.linspace(-100, 100, 2001), [-1e4, 1e4, 0.0]]).astype(dtype)
    ours = tg.tensor(x).sigmoid().numpy()
    ref = torch.tensor(x, dtype=torch.float64).sigmoid().numpy()
    tiny = np.finfo(dtype).tiny
    np.testing.assert_allclose(ours[ref > tiny], ref[ref > tiny], rtol=4 * np.finfo(dtype).eps)
    assert ours.dtype == x.dtype and np.all(ours[ref <= tiny] <= tiny)


# ---------------------------------------------------------------------- dropout in training


def test_dropout_applies_between_layers_only_in_training():
    tg.manual_seed(0)
    layer = tg.nn.GRU(H_IN, H, 2, dropout=0.5)
    x = tg.randn(T, N, H_IN)
    train_out, _ = layer(x)
    layer.eval()
    eval_out, _ = layer(x)
    assert not np.allclose(train_out.detach().numpy(), eval_out.detach().numpy())
    eval_again, _ = layer(x)
    np.testing.assert_array_equal(eval_out.detach().numpy(), eval_again.detach().numpy())


def test_dropout_is_not_applied_after_the_last_layer():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        layer = tg.nn.LSTM(H_IN, H, 1, dropout=0.9)
    x = tg.randn(T, N, H_IN)
    train_out, _ = layer(x)
    eval_out, _ = layer.eval()(x)
    np.testing.assert_array_equal(train_out.detach().numpy(), eval_out.detach().numpy())


def test_dropout_in_training_still_backpropagates():
    layer = tg.nn.LSTM(H_IN, H, 2, dropout=0.3)
    x = tg.randn(T, N, H_IN, requires_grad=True)
    out, (h, c) = layer(x)
    (out.sum() + c.sum()).backward()
    assert x.grad is not None and all(p.grad is not None for p in layer.parameters())


# ---------------------------------------------------------------------- parameters and init


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_keys_and_shapes_match_torch(mode, bias):
    tg_layer, th_layer = make(mode, H_IN, H, 2, bias=bias, bidirectional=True)
    ours = {k: v.shape for k, v in tg_layer.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in th_layer.state_dict().items()}
    assert list(ours) == list(theirs)
    assert ours == theirs
    assert [[p.shape for p in ps] for ps in tg_layer.all_weights] == [
        [tuple(p.shape) for p in ps] for ps in th_layer.all_weights
    ]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_pytorch_uniform(name):
    layer = getattr(tg.nn, name)(100, 256)
    bound = 1 / np.sqrt(256)
    for pname, p in layer.named_parameters():
        w = p.detach().numpy()
        assert w.min() >= -bound and w.max() <= bound, pname
    w = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    # U(-b, b): mean 0, variance b^2 / 3
    assert abs(w.mean()) < 0.02 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.03


@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((5, 6), {}),
        ((5, 6, 2), {"bias": False, "batch_first": True, "dropout": 0.25}),
        ((5, 6), {"bidirectional": True}),
    ],
)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_repr_matches_torch(name, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(getattr(tg.nn, name)(*args, **kwargs)) == repr(
            getattr(torch.nn, name)(*args, **kwargs)
        )


def test_cell_and_relu_repr_matches_torch():
    for ctor in [
        lambda nn: nn.RNN(3, 4, nonlinearity="relu"),
        lambda nn: nn.RNN(3, 4, 2, "relu"),
        lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
        lambda nn: nn.LSTMCell(3, 4),
        lambda nn: nn.GRUCell(3, 4, bias=False),
    ]:
        assert repr(ctor(tg.nn)) == repr(ctor(torch.nn))


def test_positional_nonlinearity_and_relu_is_used():
    tg_layer, th_layer = tg.nn.RNN(H_IN, H, 1, "relu"), torch.nn.RNN(H_IN, H, 1, "relu")
    assert tg_layer.nonlinearity == "relu" and tg_layer.mode == "RNN_RELU"
    check_layer(tg_layer, th_layer, [np.random.default_rng(5).standard_normal((T, N, H_IN))])


# ---------------------------------------------------------------------- constructor errors


def test_constructor_errors():
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        tg.nn.LSTM(5, 6, proj_size=6)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        tg.nn.GRU(5, 6, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        tg.nn.RNN(5, 6, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        tg.nn.RNNCell(5, 6, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        tg.nn.LSTM(5, 6, 2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        tg.nn.GRU(5, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        tg.nn.GRU(5, 6, 0)
    with pytest.raises(TypeError, match="input_size should be of type int"):
        tg.nn.GRU(5.0, 6)
    with pytest.raises(TypeError, match="bias should be of type bool"):
        tg.nn.RNN(5, 6, bias=1)


# ---------------------------------------------------------------------- input errors


def test_wrong_input_feature_size_names_layer_and_shapes():
    with pytest.raises(
        RuntimeError, match=r"LSTM\(5, 6, num_layers=2\).*Expected 5, got 7.*\(4, 3, 7\)"
    ):
        tg.nn.LSTM(5, 6, 2)(tg.randn(4, 3, 7))
    with pytest.raises(RuntimeError, match=r"GRU\(5, 6\).*Expected 5, got 4.*\(4, 4\)"):
        tg.nn.GRU(5, 6)(tg.randn(4, 4))


def test_wrong_h0_shape_names_layer_and_shapes():
    with pytest.raises(
        RuntimeError, match=r"GRU\(5, 6\).*Expected hidden size \(1, 3, 6\), got \[1, 2, 6\]"
    ):
        tg.nn.GRU(5, 6)(tg.randn(4, 3, 5), tg.randn(1, 2, 6))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 3, 6\), got \[1, 3, 6\]"):
        tg.nn.RNN(5, 6, bidirectional=True)(tg.randn(4, 3, 5), tg.randn(1, 3, 6))
    h, c = tg.randn(1, 3, 6), tg.randn(1, 3, 7)
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[1\] size \(1, 3, 6\), got \[1, 3, 7\]"
    ):
        tg.nn.LSTM(5, 6)(tg.randn(4, 3, 5), (h, c))
    with pytest.raises(RuntimeError, match="hx should also be 3-D"):
        tg.nn.RNN(5, 6)(tg.randn(4, 3, 5), tg.randn(3, 6))
    with pytest.raises(RuntimeError, match="hx should also be 2-D"):
        tg.nn.LSTM(5, 6)(tg.randn(4, 5), (tg.randn(1, 1, 6), tg.randn(1, 1, 6)))


def test_lstm_hx_must_be_a_pair():
    with pytest.raises(TypeError, match=r"LSTM\(5, 6\): hx must be a tuple \(h_0, c_0\)"):
        tg.nn.LSTM(5, 6)(tg.randn(4, 3, 5), tg.randn(1, 3, 6))


def test_wrong_input_rank_and_dtype():
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D or 3D, got 4D"):
        tg.nn.LSTM(5, 6)(tg.randn(2, 4, 3, 5))
    with pytest.raises(ValueError, match="input dtype .*float64.* does not match weight dtype"):
        tg.nn.GRU(5, 6)(tg.randn(4, 3, 5, dtype=tg.float64))


# ---------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cell_matches_torch(name, kwargs, bias, batched, with_hx):
    rng = np.random.default_rng(6)
    tg_cell = getattr(tg.nn, name)(H_IN, H, bias=bias, **kwargs)
    th_cell = getattr(torch.nn, name)(H_IN, H, bias=bias, **kwargs)
    lead = (N,) if batched else ()
    x = rng.standard_normal((*lead, H_IN))
    states = [rng.standard_normal((*lead, H)) for _ in range(2 if name == "LSTMCell" else 1)]
    if not with_hx:
        check_layer(tg_cell, th_cell, [x])
    elif name == "LSTMCell":
        check_layer(tg_cell, th_cell, [x, *states], forward=lambda m, x, h, c: m(x, (h, c)))
    else:
        check_layer(tg_cell, th_cell, [x, *states])


def test_cell_state_dict_keys_match_torch():
    for name in ["RNNCell", "LSTMCell", "GRUCell"]:
        for bias in [True, False]:
            ours = {k: v.shape for k, v in getattr(tg.nn, name)(3, 4, bias).state_dict().items()}
            th = getattr(torch.nn, name)(3, 4, bias).state_dict()
            assert ours == {k: tuple(v.shape) for k, v in th.items()}
            assert list(ours) == list(th)


def test_cell_errors_name_the_cell_and_shapes():
    with pytest.raises(RuntimeError, match=r"LSTMCell\(5, 6\).*inconsistent input_size: got 4"):
        tg.nn.LSTMCell(5, 6)(tg.randn(3, 4))
    with pytest.raises(RuntimeError, match=r"GRUCell\(5, 6\).*hidden0.*\(3, 6\).*\(2, 6\)"):
        tg.nn.GRUCell(5, 6)(tg.randn(3, 5), tg.randn(2, 6))
    with pytest.raises(RuntimeError, match=r"LSTMCell\(5, 6\).*hidden1.*\(3, 6\).*\(3, 7\)"):
        tg.nn.LSTMCell(5, 6)(tg.randn(3, 5), (tg.randn(3, 6), tg.randn(3, 7)))
    with pytest.raises(ValueError, match=r"RNNCell\(5, 6\).*Expected input to be 1D or 2D"):
        tg.nn.RNNCell(5, 6)(tg.randn(2, 3, 5))


def test_cell_loop_equals_layer():
    """Unrolling a cell with the layer's weights gives the layer's output."""
    layer = tg.nn.LSTM(H_IN, H)
    cell = tg.nn.LSTMCell(H_IN, H)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = tg.randn(T, N, H_IN)
    out, (h_n, c_n) = layer(x)
    h = c = tg.zeros(N, H)
    for t in range(T):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(
            h.detach().numpy(), out[t].detach().numpy(), rtol=1e-5, atol=1e-6
        )
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), rtol=1e-5, atol=1e-6)
