"""Fused LSTM cell: one time step as a single graph node (whole sequences: ``rnn_layer``).

A time step composed of ember ops is ~12 nodes forward and ~25 ops backward; with 32+ steps per
sequence that per-op overhead, not arithmetic, is most of an LSTM's time. Here the step is one
node whose forward is a handful of NumPy calls on the gate block. Backward writes the closed
form below on the saved activations; when it is itself recorded (``create_graph=True``) the same
formulas run as ember ops on a recomputed forward, so double backward works.

    gates = xp + h W + b,   i, f, o = sigmoid(.),  g = tanh(.)   (PyTorch's i, f, g, o order)
    c' = f c + i g,         h' = o tanh(c')
    dc~ = dc' + dh' o (1 - tanh(c')^2)
    d gates = [dc~ g i(1-i),  dc~ c f(1-f),  dc~ i (1-g^2),  dh' tanh(c') o(1-o)]
    dxp = d gates,  dh = d gates W^T,  dc = dc~ f,  dW = h^T d gates,  db = sum_rows d gates
"""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import elementwise as ew
from ember.ops import linalg
from ember.ops import reduce as rd
from ember.ops import shape as sh

__all__ = ["lstm_cell"]


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """In-place sigmoid as 0.5 (1 + tanh(a / 2)), which never overflows."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _wrap(flag: bool, fn):
    """A Tensor of ``fn()`` when the gradient is wanted, else None (``fn`` is not run)."""
    return Tensor._make(fn()) if flag else None


class LSTMCell(Function):
    """``(h', c') = lstm_step(xp, h, c, W, b)`` with ``W`` the transposed hidden weight (H, 4H)."""

    @staticmethod
    def forward(ctx, xp, h, c, w, b):
        hs = c.shape[-1]
        act = h @ w
        act += xp
        if b is not None:
            act += b
        g = np.tanh(act[:, 2 * hs : 3 * hs])
        _sigmoid_(act)  # i, f, o quarters (the g quarter is overwritten next)
        act[:, 2 * hs : 3 * hs] = g
        i, f, o = act[:, :hs], act[:, hs : 2 * hs], act[:, 3 * hs :]
        c_new = f * c
        c_new += i * g
        tc = np.tanh(c_new)
        ctx.act, ctx.tc = act, tc
        return o * tc, c_new

    @staticmethod
    def backward(ctx, dh, dc):
        if STATE.grad_enabled:
            return _recorded_cell_backward(ctx, dh, dc)
        _, h, c, w, _ = ctx.inputs
        act, tc, hs = ctx.act, ctx.tc, ctx.tc.shape[-1]
        i, f, g, o = (act[:, k * hs : (k + 1) * hs] for k in range(4))
        dh_, dc_ = dh._data, dc._data
        dct = dh_ * o * (1 - tc * tc) + dc_  # total gradient reaching c'
        dgates = np.empty_like(act)
        dgates[:, :hs] = dct * g * i * (1 - i)
        dgates[:, hs : 2 * hs] = dct * c._data * f * (1 - f)
        dgates[:, 2 * hs : 3 * hs] = dct * i * (1 - g * g)
        dgates[:, 3 * hs :] = dh_ * tc * o * (1 - o)
        need = ctx.needs_input_grad
        return (
            _wrap(need[0], lambda: dgates),
            _wrap(need[1], lambda: dgates @ w._data.T),
            _wrap(need[2], lambda: dct * f),
            _wrap(need[3], lambda: h._data.T @ dgates),
            _wrap(need[4], lambda: dgates.sum(0)),
        )


def _recorded_step(xp, h, c, w, b, dh, dc):
    """One step's closed-form backward as ember ops on a recomputed forward.

    Returns ``(d gates, dc)``: the gradient of the pre-activation gates (B, 4H) and of the
    previous cell state (B, H). ``dh`` may be None (no gradient reaches ``h'``).
    """
    hs = c.shape[-1]
    gates = xp + linalg.matmul(h, w)
    if b is not None:
        gates = gates + b
    i, f, o = (ew.sigmoid(gates[:, k * hs : (k + 1) * hs]) for k in (0, 1, 3))
    g = ew.tanh(gates[:, 2 * hs : 3 * hs])
    tc = ew.tanh(f * c + i * g)
    dh = dh if dh is not None else tc * 0.0  # a zero of the right shape and dtype
    dct = dh * o * (1 - tc * tc)
    if dc is not None:
        dct = dct + dc
    parts = [dct * g * i * (1 - i), dct * c * f * (1 - f), dct * i * (1 - g * g)]
    dgates = sh.cat([*parts, dh * tc * o * (1 - o)], -1)
    return dgates, dct * f


def _recorded_cell_backward(ctx, dh: Tensor, dc: Tensor):
    """LSTMCell's backward as ember ops (for double backward)."""
    xp, h, c, w, b = ctx.inputs
    dgates, dc_prev = _recorded_step(xp, h, c, w, b, dh, dc)
    need = ctx.needs_input_grad
    return (
        dgates if need[0] else None,
        linalg.matmul(dgates, sh.matrix_transpose(w)) if need[1] else None,
        dc_prev if need[2] else None,
        linalg.matmul(sh.matrix_transpose(h), dgates) if need[3] else None,
        rd.sum(dgates, 0) if need[4] else None,
    )


def lstm_cell(xp: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor, b_hh: Tensor | None):
    """One LSTM step on 2-D operands of one float dtype.

    Args:
        xp: input projection ``x W_ih^T + b_ih``, (B, 4H).
        h: hidden state (B, H).
        c: cell state (B, H).
        w_hh_t: transposed hidden weight, (H, 4H).
        b_hh: hidden bias (4H,) or None.

    Returns:
        ``(h', c')``, each (B, H).
    """
    return LSTMCell.apply(xp, h, c, w_hh_t, b_hh)
