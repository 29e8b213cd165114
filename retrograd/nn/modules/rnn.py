"""Recurrent layers, as in PyTorch: ``RNN``, ``LSTM`` and ``GRU`` run over whole sequences (several
layers, optionally bidirectional); ``RNNCell``, ``LSTMCell`` and ``GRUCell`` take one time step.

Everything is composed of differentiable tensor operations (linear, sigmoid, tanh, chunk,
stack), so autograd gives the backward pass (and the second order) through time. For speed the
input projection ``x W_ih^T + b_ih`` of a layer is one matmul over all time steps; only the
hidden recurrence ``h W_hh^T + b_hh`` loops over time.

    lstm = rg.nn.LSTM(10, 20, num_layers=2, batch_first=True)
    output, (h_n, c_n) = lstm(rg.randn(4, 7, 10))   # (4, 7, 20), (2, 4, 20), (2, 4, 20)
"""
from __future__ import annotations

import math
import numbers
import warnings

from ...creation import empty, zeros
from ...ops.indexing import cat, stack
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

State = tuple  # (h,) for RNN and GRU, (h, c) for LSTM; each (N, hidden_size)


def _step(mode: str, gi: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None) -> State:
    """One time step: ``gi`` (N, gates * hidden) is the input's projection ``x W_ih^T + b_ih``;
    returns the new state. Gate order as PyTorch: LSTM i, f, g, o; GRU r, z, n."""
    gh = F.linear(state[0], w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = f.sigmoid() * state[1] + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    if mode == "GRU":
        r_i, z_i, n_i = gi.chunk(3, 1)
        r_h, z_h, n_h = gh.chunk(3, 1)
        r, z = (r_i + r_h).sigmoid(), (z_i + z_h).sigmoid()
        n = (n_i + r * n_h).tanh()
        return (n + z * (state[0] - n),)  # (1 - z) * n + z * h, as PyTorch computes it
    pre = gi + gh
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu(),)


def _recur(mode: str, projection: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None,
           reverse: bool) -> tuple[Tensor, State]:
    """Runs the recurrence over a projected sequence (L, N, gates * hidden), backwards when
    ``reverse``; returns the outputs (L, N, hidden) in time order and the final state."""
    steps = projection.unbind(0)
    outputs: list = [None] * len(steps)
    for t in (reversed(range(len(steps))) if reverse else range(len(steps))):
        state = _step(mode, steps[t], state, w_hh, b_hh)
        outputs[t] = state[0]
    return stack(outputs), state


class RNNBase(Module):
    """The common part of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` is 'RNN_TANH', 'RNN_RELU',
    'LSTM' or 'GRU'): the parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (and ``..._reverse``) per layer and direction, in PyTorch's order, all drawn
    from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int),
                                  ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                                f"{type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size > 0:
            raise NotImplementedError("LSTM: proj_size > 0 (projections) is not supported by "
                                      "retrograd")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        factory = {"device": device, "dtype": dtype}
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                shapes: list[tuple[int, ...]] = [(gate_size, layer_input), (gate_size, hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                names = [name.format(layer, "_reverse" if direction else "") for name in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(*shape, **factory)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draws every weight again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch packs the weights into one buffer for cuDNN; retrograd keeps
        them apart (kept so that scripts calling it run unchanged)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction: [[weight_ih, weight_hh, bias_ih, bias_hh],
        ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, name) for name in self._flat_weights_names]

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _check_input(self, input: Tensor) -> None:
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or "
                             f"convert model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _hidden_shape(self, input: Tensor) -> tuple[int, int, int]:
        batch = input.shape[0] if self.batch_first else input.shape[1]
        return (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)

    def _prepare(self, name: str, input: Tensor, hx: tuple | None
                 ) -> tuple[Tensor, tuple, bool]:
        """Checks the input (and initial states ``hx``), adds the batch dimension to unbatched
        ones; returns them with whether the input was batched."""
        if input.ndim not in (2, 3):
            tensor = "" if name == "LSTM" or name == "GRU" else " tensor"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D"
                             f"{tensor} instead")
        batched = input.ndim == 3
        if hx is not None and any(h.ndim != input.ndim for h in hx):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if name == "LSTM":
                raise RuntimeError(f"For {kind} input, hx and cx should also be {input.ndim}-D "
                                   f"but got ({hx[0].ndim}-D, {hx[1].ndim}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {input.ndim}-D but got "
                               f"{hx[0].ndim}-D tensor")
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
            hx = None if hx is None else tuple(h.unsqueeze(1) for h in hx)
        self._check_input(input)
        expected = self._hidden_shape(input)
        if hx is None:
            hx = tuple(zeros(*expected, dtype=input.dtype, device=input.device)
                       for _ in range(2 if self.mode == "LSTM" else 1))
        for i, h in enumerate(hx):
            if tuple(h.shape) != expected:
                what = f"hidden[{i}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {what} size {expected}, got {list(h.shape)}")
        return input, hx, batched

    def _run(self, input: Tensor, hx: tuple) -> tuple[Tensor, tuple]:
        """All layers and directions over a (L, N, H_in) or, batch_first, (N, L, H_in) input
        with initial states (layers * directions, N, hidden); returns the last layer's output
        and the final states, stacked as the initial ones."""
        x = input.transpose(0, 1) if self.batch_first else input
        directions = 2 if self.bidirectional else 1
        finals: list[list[Tensor]] = [[] for _ in hx]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                w_ih, w_hh, *biases = self.all_weights[index]
                b_ih, b_hh = biases if biases else (None, None)
                out, state = _recur(self.mode, F.linear(x, w_ih, b_ih),
                                    tuple(h[index] for h in hx), w_hh, b_hh, direction == 1)
                outputs.append(out)
                for final, h in zip(finals, state):
                    final.append(h)
            x = cat(outputs, 2) if directions == 2 else outputs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x.transpose(0, 1) if self.batch_first else x, tuple(stack(f) for f in finals)

    def _forward(self, name: str, input: Tensor, hx: tuple | None) -> tuple[Tensor, tuple]:
        input, hx, batched = self._prepare(name, input, hx)
        output, states = self._run(input, hx)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            states = tuple(h.squeeze(1) for h in states)
        return output, states


def _no_projection(kwargs: dict) -> None:
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (``relu`` with
    ``nonlinearity='relu'``), over ``num_layers`` stacked layers.

    input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in); optional
    ``hx`` (D * num_layers, N, H_out) (unbatched: (D * num_layers, H_out)), zeros when omitted.
    Returns ``(output, h_n)``: output (L, N, D * H_out) (batch first as the input), h_n shaped as
    hx; D = 2 when ``bidirectional``. ``dropout`` acts between layers in training mode only.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 **kwargs) -> None:
        _no_projection(kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward("RNN", input, None if hx is None else (hx,))
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory over ``num_layers`` stacked layers: with gates
    ``i, f, g, o = chunk(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, 4)``,
    ``c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)`` and ``h_t = sigmoid(o) * tanh(c_t)``.

    input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in); optional
    ``hx = (h_0, c_0)``, each (D * num_layers, N, H_out), zeros when omitted. Returns
    ``(output, (h_n, c_n))``, output (L, N, D * H_out). ``proj_size`` > 0 is not supported.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        output, (h_n, c_n) = self._forward("LSTM", input, None if hx is None else tuple(hx))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit over ``num_layers`` stacked layers: ``r = sigmoid(W_ir x + b_ir +
    W_hr h + b_hr)``, ``z`` likewise, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and
    ``h_t = (1 - z) * n + z * h_{t-1}``.

    Shapes as ``RNN``: input (L, N, H_in) (batch first, or unbatched), optional hx
    (D * num_layers, N, H_out); returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, **kwargs) -> None:
        _no_projection(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward("GRU", input, None if hx is None else (hx,))
        return output, h_n


class RNNCellBase(Module):
    """The common part of the cells: ``weight_ih`` (chunks * hidden, input), ``weight_hh``
    (chunks * hidden, hidden), ``bias_ih`` and ``bias_hh`` (chunks * hidden,), all drawn from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, **factory))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, **factory))
        for name in ("bias_ih", "bias_hh"):
            self.register_parameter(name, Parameter(empty(num_chunks * hidden_size, **factory))
                                    if bias else None)
        self.reset_parameters()  # type: ignore[misc]  # RNNBase's, shared (below)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    reset_parameters = RNNBase.reset_parameters

    def _cell(self, name: str, mode: str, input: Tensor, hx: tuple | None) -> State:
        """One step of the cell on input (N, H_in) or unbatched (H_in,), states (N, hidden)
        (zeros when ``hx`` is None)."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for i, h in enumerate(hx or ()):
            if h.ndim not in (1, 2):
                what = f"hx[{i}]" if mode == "LSTM" else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.ndim}D instead")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else tuple(h.unsqueeze(0) for h in hx)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        if hx is None:
            hx = (zeros(input.shape[0], self.hidden_size, dtype=input.dtype,
                        device=input.device),) * (2 if mode == "LSTM" else 1)
        for i, h in enumerate(hx):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} "
                                   f"batch size {h.shape[0]}")
            if h.ndim != 2 or h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                   f"{h.shape[-1]}, expected {self.hidden_size}")
        state = _step(mode, F.linear(input, self.weight_ih, self.bias_ih), hx, self.weight_hh,
                      self.bias_hh)
        return state if batched else tuple(h.squeeze(0) for h in state)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    input (N, H_in) or (H_in,); hx (N, H_out) or (H_out,), zeros when omitted -> h' as hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._cell("RNNCell", mode, input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One step of an LSTM (gates i, f, g, o as ``LSTM``).

    input (N, H_in) or (H_in,); ``hx = (h, c)``, each (N, H_out) or (H_out,), zeros when
    omitted -> ``(h', c')``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        h, c = self._cell("LSTMCell", "LSTM", input, None if hx is None else tuple(hx))
        return h, c


class GRUCell(RNNCellBase):
    """One step of a GRU (gates r, z, n as ``GRU``).

    input (N, H_in) or (H_in,); hx (N, H_out) or (H_out,), zeros when omitted -> h' as hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._cell("GRUCell", "GRU", input, None if hx is None else (hx,))[0]
