"""Recurrent layers, PyTorch's ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Parameter names, shapes, gate order and initialisation are PyTorch's, so state dicts load in
both directions. For layer ``k`` (``_reverse`` added for the backward direction)::

    weight_ih_l{k}  (G * hidden_size, input_size or num_directions * H_out)
    weight_hh_l{k}  (G * hidden_size, H_out)
    bias_ih_l{k}, bias_hh_l{k}  (G * hidden_size,)
    weight_hr_l{k}  (proj_size, hidden_size)   LSTM with proj_size > 0 only

with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: gates r, z, n), H_out = proj_size if
it is set, else hidden_size, every one of them drawn from U(-1/sqrt(hidden_size),
1/sqrt(hidden_size)).

A layer computes the input projection ``x Wᵢₕᵀ + b`` for the whole sequence with one matrix
product, then loops over time for the recurrent part only. Autograd differentiates through the
loop (backpropagation through time); no step carries calculus of its own. The sequence and the
concatenated gates are cut into pieces by ``_Split``, a multi-output node whose backward is one
concatenation: T separate slices would each send back a zero-padded gradient the size of the
whole sequence, which makes backward quadratic in the sequence length.

A ``PackedSequence`` input (tensorgrad/nn/utils/rnn.py) runs the same steps on a batch that
shrinks as sequences end: step t updates the first ``batch_sizes[t]`` (longest) sequences only,
so each sequence's final state is the state after its own last step, and the reverse direction
starts each sequence at its own last step. The output is packed the same way.
"""

from __future__ import annotations

import math
import numbers
import warnings

from .. import backend, creation
from ..jit import recorder
from ..ops.movement import Split, Stack
from ..tensor import Tensor, cat
from . import init
from .dropout import dropout
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---------------------------------------------------------------------- one time step
# ``xw`` is the input's projection x Wᵢₕᵀ (+ biases) and ``w_hh_t`` is Wₕₕᵀ, both made once per
# sequence rather than once per step.


def _rnn_step(xw: Tensor, h: Tensor, w_hh_t: Tensor, relu: bool) -> Tensor:
    """h' = act(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ), act = tanh or relu."""
    pre = xw + h @ w_hh_t
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xw: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor, w_hr_t=None) -> tuple:
    """[i, f, g, o] = x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ;
    c' = σ(f) c + σ(i) tanh(g);  h' = σ(o) tanh(c'), then h' Wₕᵣᵀ with a projection."""
    n = c.shape[-1]
    i, f, g, o = Split.apply(xw + h @ w_hh_t, (n, n, n, n), xw.ndim - 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr_t is None else h @ w_hr_t), c


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


def _packed_recurrence(step, xs: list, state: tuple, batch_sizes: list, reverse: bool):
    """Run ``state = step(xs[t], state)`` over packed steps, step t on the first
    ``batch_sizes[t]`` sequences. Returns the packed outputs (the h of every step, concatenated)
    and each sequence's final state, in sorted batch order.

    Forward, the batch shrinks: before step t the states of the sequences that ended are set
    aside. Backward in time, it grows: at step t the sequences whose last step is t join with
    their initial states."""
    steps = len(batch_sizes)
    hs: list[Tensor | None] = [None] * steps
    if not reverse:
        ended = []  # states of the sequences that ended, the longest group first
        for t in range(steps):
            n = batch_sizes[t]
            if n < state[0].shape[0]:
                parts = [Split.apply(s, (n, s.shape[0] - n), 0) for s in state]
                ended.append(tuple(p[1] for p in parts))
                state = tuple(p[0] for p in parts)
            state = step(xs[t], state)
            hs[t] = state[0]
        groups = [state, *reversed(ended)]  # sorted order: the longest sequences come first
        last = tuple(
            cat([g[k] for g in groups], 0) if ended else state[k] for k in range(len(state))
        )
    else:
        # the initial states in groups of the sequences that join at each step, shortest last
        joins = [b - a for a, b in zip([0, *batch_sizes[::-1]], batch_sizes[::-1]) if b > a]
        init = [iter(Split.apply(s, joins, 0)) for s in state]
        state, size = None, 0
        for t in range(steps - 1, -1, -1):
            if batch_sizes[t] > size:
                new = tuple(next(i) for i in init)
                state = new if state is None else tuple(cat([s, p], 0) for s, p in zip(state, new))
                size = batch_sizes[t]
            state = step(xs[t], state)
            hs[t] = state[0]
        last = state
    return cat(hs, 0), last


# ---------------------------------------------------------------------- multi-layer layers


class RNNBase(Module):
    """The common machinery of ``RNN``, ``LSTM`` and ``GRU``; ``mode`` is ``'RNN_TANH'``,
    ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.

    Input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in). The output
    holds the last layer's hidden state at every step, both directions concatenated on the last
    axis; ``h_n`` (and ``c_n``) the final state of every layer and direction, in the order
    layer 0 forward, layer 0 backward, layer 1 forward, ... ``dropout`` is applied to the output
    of every layer but the last, while training.

    ``proj_size > 0`` (LSTM only) projects each step's h to ``proj_size`` features with
    ``weight_hr``; the output, ``h_0`` and ``h_n`` then have ``proj_size`` features, ``c`` keeps
    ``hidden_size``.
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
        if proj_size > 0 and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        out_size = proj_size or hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, out_size),
                }
                if bias:
                    shapes["bias_ih"] = shapes["bias_hh"] = (gate_size,)
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
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

    def _check_input(self, input: Tensor) -> None:
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

    def _state_shapes(self, batch: int) -> list[tuple[int, ...]]:
        """The shapes of h (and c): (num_layers * num_directions, batch, features)."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        h = (layers, batch, self.proj_size or self.hidden_size)
        return [h, (layers, batch, self.hidden_size)] if self.mode == "LSTM" else [h]

    def _initial_states(self, hx, batch: int, like: Tensor) -> list:
        """[h_0] or [h_0, c_0], zeros when ``hx`` is None; ``hx`` is only unpacked here."""
        lstm = self.mode == "LSTM"
        if hx is None:
            return [
                creation.zeros(*shape, dtype=like.dtype, device=like.device)
                for shape in self._state_shapes(batch)
            ]
        if lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self._name()}: hx must be a tuple (h_0, c_0)")
        return list(hx) if lstm else [hx]

    def _forward_packed(self, input: PackedSequence, hx):
        """The layer on a ``PackedSequence``: the packed output and, for every layer and
        direction, each sequence's state after its last step, in the input's batch order."""
        lstm = self.mode == "LSTM"
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if data.ndim != 2:
            raise RuntimeError(
                f"{self._name()}: a packed input's data must have 2 dimensions "
                f"(sum of lengths, input_size), got {data.ndim} (shape {data.shape})"
            )
        self._check_input(data)
        sizes = recorder.guard(_sizes, batch_sizes.array, label="a packed sequence's batch sizes")
        states = self._initial_states(hx, sizes[0], data)
        for k, (s, expected) in enumerate(zip(states, self._state_shapes(sizes[0]))):
            if s.shape != expected:
                which = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(
                    f"{self._name()}: Expected {which} size {expected}, got {list(s.shape)} "
                    f"(packed input of batch size {sizes[0]})"
                )
        if hx is not None and sorted_indices is not None:  # the given states follow the input
            states = [s.index_select(1, sorted_indices) for s in states]
        output, finals = self._layers(data, [Split.apply(s, None, 0) for s in states], 0, sizes)
        finals = [Stack.apply(0, *f) for f in finals]
        if unsorted_indices is not None:
            finals = [f.index_select(1, unsorted_indices) for f in finals]
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return output, (tuple(finals) if lstm else finals[0])

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        lstm = self.mode == "LSTM"
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{self._name()}: expected the input to be a Tensor or a PackedSequence, got "
                f"{type(input).__name__}"
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
        self._check_input(input)
        time_dim = 1 if self.batch_first and batched else 0
        if not batched:
            input = input.unsqueeze(1 - time_dim)
            states = [s.unsqueeze(1) for s in states]
        batch = input.shape[1 - time_dim]
        if not states:
            states = self._initial_states(None, batch, input)
        for k, (s, expected) in enumerate(zip(states, self._state_shapes(batch))):
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

    def _layers(self, x: Tensor, states: list, time_dim: int, batch_sizes=None) -> tuple:
        """Run every layer over the sequence ``x`` (time along ``time_dim``, or packed data
        with ``batch_sizes``); ``states`` holds one tuple per state kind (h, and c for LSTM) of
        one initial state per layer/direction. Returns the last layer's output and the final
        states, in the same layout."""
        num_directions = 2 if self.bidirectional else 1
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                names = self._all_weights[k]
                params = [getattr(self, n) for n in names]
                init_state = [s[k] for s in states]
                out, last = self._direction(
                    x, params, init_state, time_dim, direction == 1, batch_sizes
                )
                outputs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            x = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if layer < self.num_layers - 1 and self.dropout > 0 and self.training:
                x = dropout(x, self.dropout, True)
        return x, finals

    def _direction(self, x, params, state, time_dim, reverse, batch_sizes=None):
        """One layer in one direction: the input projection for all steps in one product, then
        the recurrence step by step. Returns the stacked (or packed) hidden states and the
        final state."""
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        w_hr_t = params[-1].mT if self.proj_size > 0 else None
        if batch_sizes is None:
            # (T*N, H_in) @ (H_in, G): one 2-D product (a 3-D one would be T small products)
            xw = (x.reshape(-1, x.shape[-1]) @ w_ih.mT).reshape(*x.shape[:2], w_ih.shape[0])

            def steps(t: Tensor) -> tuple:
                return Split.apply(t, None, time_dim)
        else:  # packed (sum of lengths, H_in): step t is the next batch_sizes[t] rows
            xw = x @ w_ih.mT

            def steps(t: Tensor) -> tuple:
                return Split.apply(t, batch_sizes, 0)

        w_hh_t = w_hh.mT
        if self.mode == "GRU":
            if b_ih is not None:
                xw = xw + b_ih
            n = self.hidden_size
            xrz, xn = Split.apply(xw, (2 * n, n), xw.ndim - 1)
            xs = list(zip(steps(xrz), steps(xn)))

            def step(x_t, s):
                return (_gru_step(x_t[0], x_t[1], s[0], w_hh_t, b_hh),)
        else:
            if b_ih is not None:
                xw = xw + (b_ih + b_hh)
            xs = steps(xw)
            if self.mode == "LSTM":

                def step(x_t, s):
                    return _lstm_step(x_t, s[0], s[1], w_hh_t, w_hr_t)
            else:
                relu = self.mode == "RNN_RELU"

                def step(x_t, s):
                    return (_rnn_step(x_t, s[0], w_hh_t, relu),)

        if batch_sizes is not None:
            return _packed_recurrence(step, xs, tuple(state), batch_sizes, reverse)
        n_steps = len(xs)
        order = range(n_steps - 1, -1, -1) if reverse else range(n_steps)
        hs: list[Tensor | None] = [None] * n_steps
        state = tuple(state)
        for t in order:
            state = step(xs[t], state)
            hs[t] = state[0]
        return Stack.apply(time_dim, *hs), state


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

    With ``proj_size = P > 0``: hₜ = (o tanh(cₜ)) Wₕᵣᵀ, Wₕᵣ of shape (P, hidden_size), so h
    (the output, ``h_0`` and ``h_n``) has P features.

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


def _sizes(batch_sizes) -> list[int]:
    """A packed sequence's batch sizes (its array, on any device) as Python ints."""
    return [int(b) for b in backend.to_numpy(batch_sizes)]
