"""Recurrent layers, PyTorch's ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Parameter names, shapes, gate order and initialisation are PyTorch's, so state dicts load in
both directions. For layer ``k`` (``_reverse`` added for the backward direction)::

    weight_ih_l{k}  (G * hidden_size, input_size or num_directions * hidden_size)
    weight_hh_l{k}  (G * hidden_size, hidden_size)
    bias_ih_l{k}, bias_hh_l{k}  (G * hidden_size,)

with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: gates r, z, n), every one of them drawn
from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

A layer computes the input projection ``x Wᵢₕᵀ + b`` for the whole sequence with one matrix
product, then loops over time for the recurrent part only. Autograd differentiates through the
loop (backpropagation through time); no step carries calculus of its own. The sequence and the
concatenated gates are cut into pieces by ``_Split``, a multi-output node whose backward is one
concatenation: T separate slices would each send back a zero-padded gradient the size of the
whole sequence, which makes backward quadratic in the sequence length.
"""

from __future__ import annotations

import math
import numbers
import warnings

from .. import creation
from ..ops.movement import Split, Stack
from ..tensor import Tensor, cat
from . import init
from .dropout import dropout
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---------------------------------------------------------------------- one time step
# ``xw`` is the input's projection x Wᵢₕᵀ (+ biases) and ``w_hh_t`` is Wₕₕᵀ, both made once per
# sequence rather than once per step.


def _rnn_step(xw: Tensor, h: Tensor, w_hh_t: Tensor, relu: bool) -> Tensor:
    """h' = act(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), act = tanh or relu."""
    pre = xw + h @ w_hh_t
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xw: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor) -> tuple:
    """[i, f, g, o] = x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ;
    c' = σ(f) c + σ(i) tanh(g);  h' = σ(o) tanh(c')."""
    n = h.shape[-1]
    i, f, g, o = Split.apply(xw + h @ w_hh_t, (n, n, n, n), xw.ndim - 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(xrz: Tensor, xn: Tensor, h: Tensor, w_hh_t: Tensor, b_hh) -> Tensor:
    """[r, z] = σ(x Wᵢ[r,z]ᵀ + bᵢ[r,z] + h Wₕ[r,z]ᵀ + bₕ[r,z]);
    n = tanh(x Wᵢₙᵀ + bᵢₙ + r (h Wₕₙᵀ + bₕₙ));  h' = (1 - z) n + z h = n + z (h - n)."""
    n_hidden = h.shape[-1]
    hw = h @ w_hh_t
    if b_hh is not None:
        hw = hw + b_hh
    hrz, hn = Split.apply(hw, (2 * n_hidden, n_hidden), hw.ndim - 1)
    r, z = Split.apply((xrz + hrz).sigmoid(), (n_hidden, n_hidden), hw.ndim - 1)
    n = (xn + r * hn).tanh()
    return n + z * (h - n)


# ---------------------------------------------------------------------- multi-layer layers


class RNNBase(Module):
    """The common machinery of ``RNN``, ``LSTM`` and ``GRU``; ``mode`` is ``'RNN_TANH'``,
    ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.

    Input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in). The output
    holds the last layer's hidden state at every step, both directions concatenated on the last
    axis; ``h_n`` (and ``c_n``) the final state of every layer and direction, in the order
    layer 0 forward, layer 0 backward, layer 1 forward, ... ``dropout`` is applied to the output
    of every layer but the last, while training.

    ``proj_size`` (LSTM projections) is not implemented.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size > 0:
            raise NotImplementedError("LSTM with proj_size > 0 is not implemented in tensorgrad")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, hidden_size),
                }
                if bias:
                    shapes["bias_ih"] = shapes["bias_hh"] = (gate_size,)
                names = []
                for base, shape in shapes.items():
                    name = base + suffix
                    empty = creation.empty(*shape, dtype=dtype, device=device)
                    setattr(self, name, Parameter(empty))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """PyTorch's cuDNN weight-layout hook; there is nothing to flatten here."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward

    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{self._name()}: expected the input to be a Tensor, got {type(input).__name__} "
                "(PackedSequence is not supported)"
            )
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D "
                f"tensor instead (shape {input.shape})"
            )
        batched = input.ndim == 3
        if lstm and hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self._name()}: hx must be a tuple (h_0, c_0)")
        states = list(hx) if lstm and hx is not None else [hx] if hx is not None else []
        shape = input.shape
        want = 3 if batched else 2
        if any(s.ndim != want for s in states):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            dims = ", ".join(f"{s.ndim}-D" for s in states)
            raise RuntimeError(
                f"{self._name()}: for {kind} input, hx should also be {want}-D but got "
                f"({dims}) tensor(s)"
            )
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(
                f"{type(self).__name__} input dtype ({input.dtype}) does not match weight dtype "
                f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{self._name()}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]} (input shape {input.shape})"
            )
        time_dim = 1 if self.batch_first and batched else 0
        if not batched:
            input = input.unsqueeze(1 - time_dim)
            states = [s.unsqueeze(1) for s in states]
        batch = input.shape[1 - time_dim]
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if not states:
            states = [creation.zeros(*expected, dtype=input.dtype, device=input.device)]
            states *= 2 if lstm else 1
        for k, s in enumerate(states):
            if s.shape != expected:
                which = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(
                    f"{self._name()}: Expected {which} size {expected}, got {list(s.shape)} "
                    f"(input shape {shape})"
                )
        output, finals = self._layers(input, [Split.apply(s, None, 0) for s in states], time_dim)
        if not batched:
            output = output.squeeze(1 - time_dim)
        finals = [Stack.apply(0, *f) if batched else Stack.apply(0, *f).squeeze(1) for f in finals]
        return output, (tuple(finals) if lstm else finals[0])

    def _layers(self, x: Tensor, states: list, time_dim: int) -> tuple:
        """Run every layer over the sequence ``x`` (time along ``time_dim``); ``states`` holds
        one tuple per state kind (h, and c for LSTM) of one initial state per layer/direction.
        Returns the last layer's output and the final states, in the same layout."""
        num_directions = 2 if self.bidirectional else 1
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                names = self._all_weights[k]
                params = [getattr(self, n) for n in names]
                init_state = [s[k] for s in states]
                out, last = self._direction(x, params, init_state, time_dim, direction == 1)
                outputs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            x = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if layer < self.num_layers - 1 and self.dropout > 0 and self.training:
                x = dropout(x, self.dropout, True)
        return x, finals

    def _direction(self, x: Tensor, params: list, state: list, time_dim: int, reverse: bool):
        """One layer in one direction: the input projection for all steps in one product, then
        the recurrence step by step. Returns the stacked hidden states and the final state."""
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        steps = x.shape[time_dim]
        # (T*N, H_in) @ (H_in, G): one 2-D product (a 3-D one would be T small products)
        xw = (x.reshape(-1, x.shape[-1]) @ w_ih.mT).reshape(*x.shape[:2], w_ih.shape[0])
        w_hh_t = w_hh.mT
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        hs: list[Tensor | None] = [None] * steps
        if self.mode == "GRU":
            if b_ih is not None:
                xw = xw + b_ih
            n = self.hidden_size
            xrz, xn = Split.apply(xw, (2 * n, n), 2)
            xrz, xn = Split.apply(xrz, None, time_dim), Split.apply(xn, None, time_dim)
            (h,) = state
            for t in order:
                h = hs[t] = _gru_step(xrz[t], xn[t], h, w_hh_t, b_hh)
            last = (h,)
        else:
            if b_ih is not None:
                xw = xw + (b_ih + b_hh)
            xs = Split.apply(xw, None, time_dim)
            if self.mode == "LSTM":
                h, c = state
                for t in order:
                    h, c = _lstm_step(xs[t], h, c, w_hh_t)
                    hs[t] = h
                last = (h, c)
            else:
                relu = self.mode == "RNN_RELU"
                (h,) = state
                for t in order:
                    h = hs[t] = _rnn_step(xs[t], h, w_hh_t, relu)
                last = (h,)
        return Stack.apply(time_dim, *hs), last


class RNN(RNNBase):
    """Elman RNN: hₜ = act(xₜ Wᵢₕᵀ + bᵢₕ + hₜ₋₁ Wₕₕᵀ + bₕₕ) with act = tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)`` returns
    ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates in PyTorch's order i, f, g, o::

        i, f, o = σ(·), g = tanh(·)  of  xₜ Wᵢₕᵀ + bᵢₕ + hₜ₋₁ Wₕₕᵀ + bₕₕ
        cₜ = f cₜ₋₁ + i g,   hₜ = o tanh(cₜ)

    ``forward(input, hx=None)`` with ``hx = (h_0, c_0)`` returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, gates in PyTorch's order r, z, n::

        r, z = σ(xₜ Wᵢ[r,z]ᵀ + bᵢ[r,z] + hₜ₋₁ Wₕ[r,z]ᵀ + bₕ[r,z])
        n = tanh(xₜ Wᵢₙᵀ + bᵢₙ + r (hₜ₋₁ Wₕₙᵀ + bₕₙ))
        hₜ = (1 - z) n + z hₜ₋₁

    ``forward(input, hx=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """One time step: ``weight_ih`` (G * hidden_size, input_size), ``weight_hh``
    (G * hidden_size, hidden_size), ``bias_ih``/``bias_hh`` (G * hidden_size,), all drawn from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). Input (N, H_in) or unbatched (H_in,)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(g, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.empty(g, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(creation.empty(g, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.empty(g, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _check(self, input: Tensor, hx: list) -> tuple:
        """Validate; return the batched input, the batched states and whether it was batched."""
        name = f"{type(self).__name__}({self.extra_repr()})"
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                f"(shape {input.shape})"
            )
        for k, h in enumerate(hx):
            if h.ndim not in (1, 2):
                raise ValueError(
                    f"{name}: Expected hx[{k}] to be 1D or 2D, got {h.ndim}D instead "
                    f"(shape {h.shape})"
                )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size} (input shape {input.shape})"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = [h.unsqueeze(0) for h in hx]
        if not hx:
            zeros = creation.zeros(
                input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device
            )
            hx = [zeros] * (2 if isinstance(self, LSTMCell) else 1)
        for k, h in enumerate(hx):
            if h.shape != (input.shape[0], self.hidden_size):
                raise RuntimeError(
                    f"{name}: Expected hidden{k} of shape {(input.shape[0], self.hidden_size)} "
                    f"(input batch size {input.shape[0]}, hidden_size {self.hidden_size}), "
                    f"got {h.shape}"
                )
        return input, hx, batched

    def _project(self, input: Tensor, *, hidden_bias: bool) -> Tensor:
        xw = input @ self.weight_ih.mT
        if self.bias_ih is None:
            return xw
        return xw + (self.bias_ih + self.bias_hh) if hidden_bias else xw + self.bias_ih


class RNNCell(RNNCellBase):
    """h' = act(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), act = tanh or relu; ``forward(input, hx=None)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, [] if hx is None else [hx])
        out = _rnn_step(
            self._project(x, hidden_bias=True), h, self.weight_hh.mT, self.nonlinearity == "relu"
        )
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o); ``forward(input, hx=None)`` with ``hx = (h, c)``
    returns ``(h', c')``."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._check(input, [] if hx is None else list(hx))
        h, c = _lstm_step(self._project(x, hidden_bias=True), h, c, self.weight_hh.mT)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n); ``forward(input, hx=None)`` returns h'."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, [] if hx is None else [hx])
        n = self.hidden_size
        xrz, xn = Split.apply(self._project(x, hidden_bias=False), (2 * n, n), 1)
        out = _gru_step(xrz, xn, h, self.weight_hh.mT, self.bias_hh)
        return out if batched else out.squeeze(0)
