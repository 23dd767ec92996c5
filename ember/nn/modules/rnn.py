"""Recurrent layers: RNN, LSTM, GRU and their cells.

Each layer precomputes the input projection of every time step with one matmul per layer and
direction, then runs the recurrence as one fused node (``ember.ops.rnn_layer``, which loops over
time in NumPy, never over the batch); only LSTM with ``proj_size`` steps through time in ember
ops. Gate order follows PyTorch: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ember._creation import empty, zeros
from ember._tensor import Tensor
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.ops._util import shape_str
from ember.ops.rnn_layer import gru_layer, lstm_layer, rnn_layer
from ember.ops.shape import cat, stack

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# -- one time step of each cell -----------------------------------------------------------------
# ``xp`` is the input projection ``x W_ih^T + b_ih`` (with ``b_hh`` folded in where it only adds)
# and ``w_hh_t`` the transposed hidden weight, transposed once per sequence rather than per step.
def _rnn_step(xp: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    pre = xp + h @ w_hh_t
    if b_hh is not None:
        pre = pre + b_hh
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xp, h, c, w_hh_t, b_hh, w_hr_t=None):
    gates = xp + h @ w_hh_t
    if b_hh is not None:
        gates = gates + b_hh
    hs = c.shape[-1]
    # one sigmoid over all four gates (the g quarter is unused): fewer ops than four slices
    i, f, _, o = gates.sigmoid().chunk(4, -1)
    g = gates[..., 2 * hs : 3 * hs].tanh()
    c = f * c + i * g
    h = o * c.tanh()
    if w_hr_t is not None:
        h = h @ w_hr_t
    return h, c


def _gru_step(xp, h, w_hh_t, b_hh):
    hp = h @ w_hh_t
    if b_hh is not None:
        hp = hp + b_hh
    hs = h.shape[-1]
    rz = (xp[..., : 2 * hs] + hp[..., : 2 * hs]).sigmoid()
    r, z = rz.chunk(2, -1)
    n = (xp[..., 2 * hs :] + r * hp[..., 2 * hs :]).tanh()
    return n + z * (h - n)  # (1 - z) * n + z * h


def _check_size(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


class RNNBase(Module):
    """Shared code of RNN, LSTM and GRU: parameters, checks and the layer/direction loop.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: stacked recurrent layers. Default: 1.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: True.
        batch_first: input and output are ``(batch, seq, feature)``. Default: False.
        dropout: dropout on the outputs of every layer but the last. Default: 0.
        bidirectional: run a second direction over the reversed sequence. Default: False.
        proj_size: LSTM only: project ``h`` to this size (0: no projection). Default: 0.
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
            raise ValueError("Unrecognized RNN mode: " + mode)
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        for name, flag in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(flag).__name__}")
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size

        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else real_hidden * num_directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [
                    ("weight_ih", (gate_size, layer_in)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    name = base + suffix
                    self.register_parameter(
                        name, Parameter(empty(*shape, dtype=dtype, device=device))
                    )
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias uniform in ``(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op: PyTorch compacts weights for cuDNN here; ember's layout needs no compaction."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[self._parameters[n] for n in names] for names in self._all_weights]

    def _layer_weights(self, idx: int) -> dict:
        p = self._parameters
        names = self._all_weights[idx]
        out = {"w_ih": p[names[0]], "w_hh": p[names[1]], "b_ih": None, "b_hh": None}
        if self.bias:
            out["b_ih"], out["b_hh"] = p[names[2]], p[names[3]]
        out["w_hr"] = p[names[-1]] if self.proj_size > 0 else None
        return out

    def _hidden_shape(self, batch: int, proj: bool = True) -> tuple:
        size = self.proj_size if (proj and self.proj_size > 0) else self.hidden_size
        return ((2 if self.bidirectional else 1) * self.num_layers, batch, size)

    def _check_input(self, input: Tensor) -> bool:
        """Validate ``input``; returns whether it is batched (3-D)."""
        name = self._get_name()
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, not {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}({self.extra_repr()}): input.size(-1) must be equal to input_size. "
                f"Expected {self.input_size}, got input of shape {shape_str(input.shape)}"
            )
        w = self._parameters[self._flat_weights_names[0]]
        if input.dtype != w.dtype:
            raise ValueError(
                f"{name}: input dtype ({input.dtype}) does not match weight dtype ({w.dtype})"
            )
        return input.ndim == 3

    def _check_hidden(self, hx: Tensor, batched: bool, expected: tuple, label: str) -> Tensor:
        name = self._get_name()
        if not isinstance(hx, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, not {type(hx).__name__}")
        if batched and hx.ndim != 3:
            raise RuntimeError(
                f"{name}: for batched 3-D input, {label} should also be 3-D but got "
                f"{hx.ndim}-D tensor"
            )
        if not batched:
            if hx.ndim != 2:
                raise RuntimeError(
                    f"{name}: for unbatched 2-D input, {label} should also be 2-D but got "
                    f"{hx.ndim}-D tensor"
                )
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != expected:
            raise RuntimeError(
                f"{name}({self.extra_repr()}): Expected {label} size {expected}, got "
                f"{list(hx.shape)}"
            )
        return hx

    def _run(self, input: Tensor, hx, cx=None):
        """Run all layers over time-major ``input`` ``(seq, batch, feature)``.

        Returns the last layer's output and the final ``h`` (and ``c``) of every
        layer/direction, stacked as ``(num_layers * num_directions, batch, size)``.
        """
        num_directions = 2 if self.bidirectional else 1
        layer_input = input
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                idx = layer * num_directions + direction
                w = self._layer_weights(idx)
                b_ih, b_hh = w["b_ih"], w["b_hh"]
                if self.mode != "GRU" and b_ih is not None:
                    # both biases enter only as a sum outside GRU's reset gate: fold into one
                    b_ih, b_hh = b_ih + b_hh, None
                # one matmul for every time step of this layer and direction
                xproj = F.linear(layer_input, w["w_ih"], b_ih)
                c = cx[idx] if cx is not None else None
                out, h, c = self._direction(xproj, hx[idx], c, w, b_hh, direction == 1)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            layer_input = outs[0] if num_directions == 1 else cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, stack(h_n, 0), (stack(c_n, 0) if cx is not None else None)

    def _direction(self, xproj: Tensor, h: Tensor, c, w: dict, b_hh, reverse: bool):
        """One layer and direction over the projected sequence ``xproj`` (T, B, G).

        Returns the hidden states of every step (T, B, H_out) and the final ``h`` and ``c``.
        """
        w_hh_t = w["w_hh"].t()
        # the whole recurrence as one fused node (only LSTM with a projection steps in ember ops)
        if self.mode == "GRU":
            return (*gru_layer(xproj, h, w_hh_t, b_hh, reverse=reverse), None)
        if self.mode != "LSTM":
            act = "relu" if self.mode == "RNN_RELU" else "tanh"
            return (*rnn_layer(xproj, h, w_hh_t, b_hh, act, reverse=reverse), None)
        if self.proj_size == 0:
            return lstm_layer(xproj, h, c, w_hh_t, b_hh, reverse=reverse)
        w_hr_t = w["w_hr"].t()
        ys = []
        steps = xproj.unbind(0)
        for xp in reversed(steps) if reverse else steps:
            h, c = _lstm_step(xp, h, c, w_hh_t, b_hh, w_hr_t)
            ys.append(h)
        if reverse:
            ys.reverse()
        return stack(ys, 0), h, c

    def _forward(self, input: Tensor, hx, lstm: bool):
        batched = self._check_input(input)
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        batch = input.shape[1]
        h_shape = self._hidden_shape(batch)
        c_shape = self._hidden_shape(batch, proj=False)
        if hx is None:
            h0 = zeros(*h_shape, dtype=input.dtype, device=input.device)
            c0 = zeros(*c_shape, dtype=input.dtype, device=input.device) if lstm else None
        elif lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(
                    f"{self._get_name()}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}"
                )
            h0 = self._check_hidden(hx[0], batched, h_shape, "hidden[0]")
            c0 = self._check_hidden(hx[1], batched, c_shape, "hidden[1]")
        else:
            h0 = self._check_hidden(hx, batched, h_shape, "hidden")
            c0 = None
        output, h_n, c_n = self._run(input, h0, c0)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

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


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as in :class:`RNNBase`.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape:
        - Input: ``(L, N, H_in)``, ``(N, L, H_in)`` with batch_first, or ``(L, H_in)``
        - h_0: ``(D * num_layers, N, H_out)`` or ``(D * num_layers, H_out)``; zeros if omitted
        - Output: ``(L, N, D * H_out)`` and h_n ``(D * num_layers, N, H_out)``
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device=device, dtype=dtype,
        )  # fmt: skip

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward(input, hx, lstm=False)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order ``i, f, g, o``.

    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` (then ``h_t W_hr^T`` with proj_size).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: as in :class:`RNNBase`.

    Shape:
        - Input: ``(L, N, H_in)``, ``(N, L, H_in)`` with batch_first, or ``(L, H_in)``
        - (h_0, c_0): ``(D * num_layers, N, H_out)`` and ``(D * num_layers, N, H_cell)``
        - Output: ``(L, N, D * H_out)`` and ``(h_n, c_n)`` shaped as ``(h_0, c_0)``
    """

    def __init__(
        self,
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
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device=device, dtype=dtype,
        )  # fmt: skip

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        return self._forward(input, hx, lstm=True)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gate order ``r, z, n``.

    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as in :class:`RNNBase`.

    Shape:
        As :class:`RNN`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, device=device, dtype=dtype,
        )  # fmt: skip

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward(input, hx, lstm=False)


class RNNCellBase(Module):
    """Parameters and checks shared by RNNCell, LSTMCell and GRUCell."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
        dtype=None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(
            empty(num_chunks * hidden_size, input_size, dtype=dtype, device=device)
        )
        self.weight_hh = Parameter(
            empty(num_chunks * hidden_size, hidden_size, dtype=dtype, device=device)
        )
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias uniform in ``(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx, n_states: int):
        """Check shapes, add a batch dim to 1-D input; returns (input, states, batched)."""
        name = self._get_name()
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, not {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}({self.extra_repr()}): input has inconsistent input_size: expected "
                f"{self.input_size}, got input of shape {shape_str(input.shape)}"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        batch = input.shape[0]
        if hx is None:
            states = [
                zeros(batch, self.hidden_size, dtype=input.dtype, device=input.device)
                for _ in range(n_states)
            ]
            return input, states, batched
        states = list(hx) if n_states > 1 else [hx]
        if len(states) != n_states:
            raise TypeError(f"{name}: hx must be a tuple of {n_states} tensors")
        for k, s in enumerate(states):
            label = f"hx[{k}]" if n_states > 1 else "hidden"
            if not isinstance(s, Tensor) or s.ndim != (2 if batched else 1):
                raise ValueError(
                    f"{name}: Expected {label} to be {'2D' if batched else '1D'} like the input, "
                    f"got {getattr(s, 'ndim', type(s).__name__)}D instead"
                )
            if not batched:
                s = s.unsqueeze(0)
            if tuple(s.shape) != (batch, self.hidden_size):
                raise RuntimeError(
                    f"{name}({self.extra_repr()}): Expected {label} of shape "
                    f"{shape_str((batch, self.hidden_size))}, got {shape_str(s.shape)}"
                )
            states[k] = s
        return input, states, batched


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Shape:
        - Input: ``(N, H_in)`` or ``(H_in)``; hidden ``(N, H_out)`` or ``(H_out)`` (zeros if None)
        - Output: ``(N, H_out)`` or ``(H_out)``
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True,
        nonlinearity: str = "tanh", device=None, dtype=None,
    ) -> None:  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, hx, 1)
        xp = F.linear(input, self.weight_ih, self.bias_ih)
        h = _rnn_step(xp, h, self.weight_hh.t(), self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    Shape:
        - Input: ``(N, H_in)`` or ``(H_in)``; hx ``(h, c)`` each ``(N, H)`` or ``(H)``
        - Output: ``(h', c')`` shaped as ``hx``
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        input, (h, c), batched = self._prepare(input, hx, 2)
        xp = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(xp, h, c, self.weight_hh.t(), self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates ``r, z, n``).

    Shape:
        - Input: ``(N, H_in)`` or ``(H_in)``; hidden ``(N, H)`` or ``(H)`` (zeros if None)
        - Output: ``(N, H)`` or ``(H)``
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, hx, 1)
        xp = F.linear(input, self.weight_ih, self.bias_ih)
        h = _gru_step(xp, h, self.weight_hh.t(), self.bias_hh)
        return h if batched else h.squeeze(0)
