"""Fused recurrent layers: the whole recurrence of one layer and direction as one graph node.

A time step composed of ember ops is 10-40 graph nodes; over a sequence that per-op overhead, not
arithmetic, dominates. Here forward and backward (BPTT) loop over time in NumPy on preallocated
buffers: forward saves every step's activations, backward accumulates the gradient of every
step's pre-activations into one (T, B, G) buffer, so the hidden weight's gradient is one matmul
over all T*B rows. When backward is itself recorded (``create_graph=True``) the same closed forms
run as ember ops on a recomputed forward, so double backward works.

Conventions of every op here: ``xproj`` (T, B, G) is the input projection of all steps
``x W_ih^T + b_ih`` (G = gates * H), ``w`` the transposed hidden weight (H, G), ``b`` the hidden
bias (G,) or None, ``reverse=True`` runs from the last step to the first (the backward direction
of a bidirectional layer) and ``out[t]`` is the hidden state after reading ``xproj[t]``.

LSTM (gates i, f, g, o): see ``ember.ops.rnn``.
GRU (gates r, z, n), with ``hp = h W + b``:
    r, z = sigmoid(xp_rz + hp_rz),  n = tanh(xp_n + r hp_n),  h' = n + z (h - n)
    dn~ = dh' (1 - z)(1 - n^2),  dz~ = dh' (h - n) z(1 - z),  dr~ = dn~ hp_n r(1 - r)
    dxp = [dr~, dz~, dn~],  dhp = [dr~, dz~, dn~ r],  dh = dh' z + dhp W^T
RNN: h' = act(xp + h W + b),  dpre = dh' act'(.),  dh = dpre W^T
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
from ember.ops.rnn import _recorded_step, _wrap, lstm_cell

__all__ = ["lstm_layer", "gru_layer", "rnn_layer"]


# -- shared bookkeeping ---------------------------------------------------------------------------
# A state buffer (T + 1, B, H) holds the initial state too: forward, step t reads row t and writes
# row t + 1; reverse, step t reads row t + 1 and writes row t. Either way the rows of the T
# outputs are in time order and the rows of the T previous states are one contiguous slice.
def _order(steps: int, reverse: bool) -> range:
    """Time steps in processing order."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _state_buffer(h0: np.ndarray, steps: int, reverse: bool) -> np.ndarray:
    buf = np.empty((steps + 1, *h0.shape), h0.dtype)
    buf[steps if reverse else 0] = h0
    return buf


def _outputs(buf: np.ndarray, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """(states after every step in time order, final state)."""
    return (buf[:-1], buf[0]) if reverse else (buf[1:], buf[-1])


def _previous(buf: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step read, in time order (T, B, H)."""
    return buf[1:] if reverse else buf[:-1]


def _own(grad: Tensor | None, shape: tuple, dtype) -> np.ndarray:
    """A writable copy of ``grad``'s array, or zeros when no gradient arrived."""
    return grad._data.copy() if grad is not None else np.zeros(shape, dtype)


def _nonzero(grad: Tensor | None) -> np.ndarray | None:
    """``grad``'s array, or None when absent or all zero (the engine's zeros for an unused
    output), so the time loop can skip adding it."""
    if grad is None or not grad._data.any():
        return None
    return grad._data


def _weight_grads(need, h_prev: np.ndarray, dpre: np.ndarray) -> tuple:
    """dW = sum_t h_{t-1}^T dpre_t as one product over all T*B rows; db = its row sum."""
    flat = dpre.reshape(-1, dpre.shape[-1])
    return (
        _wrap(need[0], lambda: h_prev.reshape(-1, h_prev.shape[-1]).T @ flat),
        _wrap(need[1], lambda: flat.sum(0)),
    )


def _recorded_weight_grads(need, h_prev: list, dpre: list) -> tuple:
    """``_weight_grads`` as ember ops on per-step lists (recorded backward)."""
    flat = sh.reshape(sh.stack(dpre, 0), -1, dpre[0].shape[-1])
    hs = sh.reshape(sh.stack(h_prev, 0), -1, h_prev[0].shape[-1])
    return (
        linalg.matmul(sh.matrix_transpose(hs), flat) if need[0] else None,
        rd.sum(flat, 0) if need[1] else None,
    )


def _step_grad(dh: Tensor | None, douts, t: int, h_prev: Tensor) -> Tensor:
    """Recorded backward: the gradient reaching step ``t``'s state, carried ``dh`` + ``dout[t]``
    (zeros shaped like the entering state ``h_prev`` when none reaches it)."""
    if douts is not None:
        dh = douts[t] if dh is None else dh + douts[t]
    return h_prev * 0.0 if dh is None else dh


def _replay(ctx, dout, step):
    """Rerun a single-state layer's forward as ember ops, for its recorded backward.

    ``step(x_t, h) -> (saved, h')`` is one time step. Returns the time order, the state entering
    each step, what each step saved, and the per-step output gradients (None when unused).
    """
    xproj, h = ctx.inputs[0], ctx.inputs[1]
    steps = xproj.shape[0]
    order = _order(steps, ctx.reverse)
    xs = sh.unbind(xproj, 0)
    h_prev, saved = [None] * steps, [None] * steps
    for t in order:
        h_prev[t] = h
        saved[t], h = step(xs[t], h)
    return order, h_prev, saved, (sh.unbind(dout, 0) if dout is not None else None)


def _check(name: str, gates: int, xproj: Tensor, states: list, w: Tensor, b) -> None:
    """Shapes (T>0, B, G), (B, H) per state, (H, G), (G,) and one dtype, else RuntimeError."""
    operands = (*states, w, *([b] if b is not None else []))
    ok = xproj.ndim == 3 and w.ndim == 2 and all(s.ndim == 2 for s in states)
    if ok:
        steps, batch, gate = xproj.shape
        hs = states[0].shape[-1]
        ok = (
            steps > 0
            and gate == gates * hs
            and all(tuple(s.shape) == (batch, hs) for s in states)
            and tuple(w.shape) == (hs, gate)
            and (b is None or tuple(b.shape) == (gate,))
        )
    if not ok:
        got = ", ".join(str(tuple(t.shape)) for t in (xproj, *operands))
        raise RuntimeError(
            f"{name}: expected xproj (T>0, B, {gates}H), states (B, H), w_hh_t (H, {gates}H) "
            f"and b_hh ({gates}H,); got shapes {got}"
        )
    for t in operands:
        if t.dtype != xproj.dtype:
            raise RuntimeError(
                f"{name}: expected every operand of dtype {xproj.dtype}, got {t.dtype}"
            )


# -- LSTM -----------------------------------------------------------------------------------------
class LSTMLayer(Function):
    """``(out, h_T, c_T) = lstm over time(xproj, h0, c0, W, b)``; one node for the sequence.

    ``reverse=True`` runs from the last time step to the first (the backward direction of a
    bidirectional layer); ``out[t]`` is always the hidden state after reading ``xproj[t]``.
    """

    @staticmethod
    def forward(ctx, xproj, h0, c0, w, b, reverse=False):
        steps, batch, gate = xproj.shape
        hs = gate // 4
        dt = xproj.dtype
        # sigmoid(a) = 1 / (1 + exp(-a)) and tanh(a) = 2 sigmoid(2a) - 1: fold -1 (i, f, o) and
        # -2 (g) into the pre-activations (exact in binary), then one exp over all four gates;
        # NumPy's exp is much faster than its tanh; exp overflow to inf gives sigmoid 0 exactly.
        scale = np.full(gate, -1.0, dt)
        scale[2 * hs : 3 * hs] = -2.0
        a = np.empty((batch, gate), dt)  # one step's gates
        # activations of every step, gate-major (T, 4, B, H) so each gate is one contiguous block
        acts = np.empty((steps, 4, batch, hs), dt)
        # state buffers hold the initial state too: step t reads row src and writes row dst
        hbuf, cbuf = _state_buffer(h0, steps, reverse), _state_buffer(c0, steps, reverse)
        tcs = np.empty((steps, batch, hs), dt)
        off = 0 if reverse else 1
        ig = np.empty((batch, hs), dt)
        with np.errstate(over="ignore"):
            for t in _order(steps, reverse):
                src, dst = t + 1 - off, t + off
                np.matmul(hbuf[src], w, out=a)
                a += xproj[t]
                if b is not None:
                    a += b
                a *= scale
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)
                np.copyto(acts[t], a.reshape(batch, 4, hs).transpose(1, 0, 2))
                i, f, g, o = acts[t]
                g *= 2
                g -= 1
                c = cbuf[dst]
                np.multiply(f, cbuf[src], out=c)
                np.multiply(i, g, out=ig)
                c += ig
                np.tanh(c, out=tcs[t])
                np.multiply(o, tcs[t], out=hbuf[dst])
        ctx.acts, ctx.hbuf, ctx.cbuf, ctx.tcs, ctx.reverse = acts, hbuf, cbuf, tcs, reverse
        return (*_outputs(hbuf, reverse), _outputs(cbuf, reverse)[1])

    @staticmethod
    def backward(ctx, dout, dh_last, dc_last):
        if STATE.grad_enabled:
            return _recorded_lstm_backward(ctx, dout, dh_last, dc_last)
        ctx.output  # noqa: B018 -- refuses to run if an output was changed in place
        _, _, _, w, _ = ctx.inputs
        acts, tcs, reverse = ctx.acts, ctx.tcs, ctx.reverse
        steps, _, batch, hs = acts.shape
        gate = 4 * hs
        # previous states of every step, stacked in step order
        h_prev, c_prev = _previous(ctx.hbuf, reverse), _previous(ctx.cbuf, reverse)
        i, f, g, o = acts[:, 0], acts[:, 1], acts[:, 2], acts[:, 3]
        # step-independent factors of every step at once (see the module docstring):
        # d gates_k = dc~ coef_k for k = i, f, g and dh' coef_o;  dc~ = dh' dh_dc + dc'
        coef = np.empty_like(acts)
        tmp = np.empty_like(tcs)
        for k, (gate_k, other) in enumerate(((i, g), (f, c_prev), (g, i), (o, tcs))):
            # sigmoid' = s (1 - s) for i, f, o;  tanh' = 1 - g^2 = (1 - g)(1 + g) for g
            np.subtract(1, gate_k, out=tmp)
            tmp *= gate_k if k != 2 else 1 + g
            np.multiply(other, tmp, out=coef[:, k])
        dh_dc = np.multiply(tcs, tcs, out=tmp)
        np.subtract(1, dh_dc, out=dh_dc)
        dh_dc *= o
        dgates = np.empty((steps, batch, gate), acts.dtype)
        d4 = np.empty((4, batch, hs), acts.dtype)
        dh = _own(dh_last, (batch, hs), acts.dtype)
        dc = _own(dc_last, (batch, hs), acts.dtype)
        dout_ = _nonzero(dout)
        w_t = w._data.T  # (4H, H)
        need_dh0, first = ctx.needs_input_grad[1], _order(steps, reverse)[0]
        for t in reversed(_order(steps, reverse)):
            if dout_ is not None:
                dh += dout_[t]
            dct = dh * dh_dc[t]
            dct += dc
            # gate-major scratch (contiguous blocks), then one transposing copy into (B, 4H)
            np.multiply(dct, coef[t, :3], out=d4[:3])
            np.multiply(dh, coef[t, 3], out=d4[3])
            dg = dgates[t]
            np.copyto(dg.reshape(batch, 4, hs), d4.transpose(1, 0, 2))
            dc = dct * f[t]
            if t != first or need_dh0:
                dh = dg @ w_t
        need = ctx.needs_input_grad
        return (
            _wrap(need[0], lambda: dgates),
            _wrap(need[1], lambda: dh),
            _wrap(need[2], lambda: dc),
            *_weight_grads(need[3:], h_prev, dgates),
        )


def _recorded_lstm_backward(ctx, dout, dh_last, dc_last):
    """LSTMLayer's BPTT as ember ops on a forward recomputed with ``lstm_cell`` (double backward).

    The recomputed states carry the dependence of the saved activations on the inputs, so the
    gradients returned here can themselves be differentiated.
    """
    xproj, h0, c0, w, b = ctx.inputs
    steps = xproj.shape[0]
    order = _order(steps, ctx.reverse)
    xs = sh.unbind(xproj, 0)
    h_prev, c_prev = [None] * steps, [None] * steps
    h, c = h0, c0
    for t in order:
        h_prev[t], c_prev[t] = h, c
        h, c = lstm_cell(xs[t], h, c, w, b)
    douts = sh.unbind(dout, 0) if dout is not None else None
    dh, dc = dh_last, dc_last
    dgates = [None] * steps
    w_t = sh.matrix_transpose(w)
    for t in reversed(order):
        dh = _step_grad(dh, douts, t, h_prev[t])
        dgates[t], dc = _recorded_step(xs[t], h_prev[t], c_prev[t], w, b, dh, dc)
        dh = linalg.matmul(dgates[t], w_t)
    need = ctx.needs_input_grad
    return (
        sh.stack(dgates, 0) if need[0] else None,
        dh if need[1] else None,
        dc if need[2] else None,
        *_recorded_weight_grads(need[3:], h_prev, dgates),
    )


# -- GRU ------------------------------------------------------------------------------------------
class GRULayer(Function):
    """``(out, h_T) = gru over time(xproj, h0, W, b)``; one node for the sequence."""

    @staticmethod
    def forward(ctx, xproj, h0, w, b, reverse=False):
        steps, batch, gate = xproj.shape
        hs = gate // 3
        dt = xproj.dtype
        hbuf = _state_buffer(h0, steps, reverse)
        rz = np.empty((steps, batch, 2 * hs), dt)  # r, z of every step
        ns = np.empty((steps, batch, hs), dt)  # n of every step
        hns = np.empty((steps, batch, hs), dt)  # hp_n = h W_hn^T + b_hn, which r scales
        hp = np.empty((batch, gate), dt)
        off = 0 if reverse else 1
        with np.errstate(over="ignore"):
            for t in _order(steps, reverse):
                src, dst = t + 1 - off, t + off
                np.matmul(hbuf[src], w, out=hp)
                if b is not None:
                    hp += b
                a = rz[t]
                np.add(xproj[t, :, : 2 * hs], hp[:, : 2 * hs], out=a)
                np.negative(a, out=a)  # sigmoid(a) = 1 / (1 + exp(-a)); overflow gives 0
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)
                hns[t] = hp[:, 2 * hs :]
                n = ns[t]
                np.multiply(a[:, :hs], hns[t], out=n)
                n += xproj[t, :, 2 * hs :]
                np.tanh(n, out=n)
                h = hbuf[dst]
                np.subtract(hbuf[src], n, out=h)  # h' = n + z (h - n)
                h *= a[:, hs:]
                h += n
        ctx.rz, ctx.ns, ctx.hns, ctx.hbuf, ctx.reverse = rz, ns, hns, hbuf, reverse
        return _outputs(hbuf, reverse)

    @staticmethod
    def backward(ctx, dout, dh_last):
        if STATE.grad_enabled:
            return _recorded_gru_backward(ctx, dout, dh_last)
        ctx.output  # noqa: B018 -- refuses to run if an output was changed in place
        _, _, w, _ = ctx.inputs
        rz, ns, hns, reverse = ctx.rz, ctx.ns, ctx.hns, ctx.reverse
        steps, batch, hs = ns.shape
        h_prev = _previous(ctx.hbuf, reverse)
        r, z = rz[..., :hs], rz[..., hs:]
        # step-independent factors (module docstring): dn~ = dh' kn, dz~ = dh' kz, dr~ = dh' kr
        kn = (1 - z) * (1 - ns * ns)
        kz = (h_prev - ns) * z * (1 - z)
        kr = kn * hns * r * (1 - r)
        knr = kn * r
        dxp = np.empty((steps, batch, 3 * hs), ns.dtype)
        dhp = np.empty_like(dxp)
        dh = _own(dh_last, (batch, hs), ns.dtype)
        dout_ = _nonzero(dout)
        w_t = w._data.T  # (3H, H)
        for t in reversed(_order(steps, reverse)):
            if dout_ is not None:
                dh += dout_[t]
            dx, dp = dxp[t], dhp[t]
            np.multiply(dh, kr[t], out=dx[:, :hs])
            np.multiply(dh, kz[t], out=dx[:, hs : 2 * hs])
            np.multiply(dh, kn[t], out=dx[:, 2 * hs :])
            dp[:, : 2 * hs] = dx[:, : 2 * hs]
            np.multiply(dh, knr[t], out=dp[:, 2 * hs :])
            dh *= z[t]
            dh += dp @ w_t
        need = ctx.needs_input_grad
        return (
            _wrap(need[0], lambda: dxp),
            _wrap(need[1], lambda: dh),
            *_weight_grads(need[2:], h_prev, dhp),
        )


def _gru_terms(xp, h, w, b):
    """One GRU step as ember ops: ``((r, z, n, hp_n), h')``."""
    hs = h.shape[-1]
    hp = linalg.matmul(h, w)
    if b is not None:
        hp = hp + b
    rz = ew.sigmoid(xp[:, : 2 * hs] + hp[:, : 2 * hs])
    r, z, hn = rz[:, :hs], rz[:, hs:], hp[:, 2 * hs :]
    n = ew.tanh(xp[:, 2 * hs :] + r * hn)
    return (r, z, n, hn), n + z * (h - n)


def _recorded_gru_backward(ctx, dout, dh_last):
    """GRULayer's BPTT as ember ops on a recomputed forward (double backward)."""
    w, b = ctx.inputs[2], ctx.inputs[3]
    order, h_prev, terms, douts = _replay(ctx, dout, lambda x, h: _gru_terms(x, h, w, b))
    dh = dh_last
    dxp, dhp = [None] * len(h_prev), [None] * len(h_prev)
    w_t = sh.matrix_transpose(w)
    for t in reversed(order):
        dh = _step_grad(dh, douts, t, h_prev[t])
        r, z, n, hn = terms[t]
        dn = dh * (1 - z) * (1 - n * n)
        dz = dh * (h_prev[t] - n) * z * (1 - z)
        dr = dn * hn * r * (1 - r)
        dxp[t] = sh.cat([dr, dz, dn], -1)
        dhp[t] = sh.cat([dr, dz, dn * r], -1)
        dh = dh * z + linalg.matmul(dhp[t], w_t)
    need = ctx.needs_input_grad
    return (
        sh.stack(dxp, 0) if need[0] else None,
        dh if need[1] else None,
        *_recorded_weight_grads(need[2:], h_prev, dhp),
    )


# -- Elman RNN ------------------------------------------------------------------------------------
class RNNLayer(Function):
    """``(out, h_T) = tanh or relu RNN over time(xproj, h0, W, b)``; one node for the sequence."""

    @staticmethod
    def forward(ctx, xproj, h0, w, b, relu=False, reverse=False):
        steps = xproj.shape[0]
        hbuf = _state_buffer(h0, steps, reverse)
        off = 0 if reverse else 1
        for t in _order(steps, reverse):
            src, dst = t + 1 - off, t + off
            h = hbuf[dst]
            np.matmul(hbuf[src], w, out=h)
            h += xproj[t]
            if b is not None:
                h += b
            if relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
        ctx.hbuf, ctx.relu, ctx.reverse = hbuf, relu, reverse
        return _outputs(hbuf, reverse)

    @staticmethod
    def backward(ctx, dout, dh_last):
        if STATE.grad_enabled:
            return _recorded_rnn_backward(ctx, dout, dh_last)
        ctx.output  # noqa: B018 -- refuses to run if an output was changed in place
        _, _, w, _ = ctx.inputs
        reverse = ctx.reverse
        hs_out, _ = _outputs(ctx.hbuf, reverse)
        # act'(pre) from the output: relu' = [h > 0], tanh' = 1 - h^2
        deriv = (hs_out > 0).astype(hs_out.dtype) if ctx.relu else 1 - hs_out * hs_out
        dpre = np.empty_like(deriv)
        dh = _own(dh_last, deriv.shape[1:], deriv.dtype)
        dout_ = _nonzero(dout)
        w_t = w._data.T
        for t in reversed(_order(len(deriv), reverse)):
            if dout_ is not None:
                dh += dout_[t]
            np.multiply(dh, deriv[t], out=dpre[t])
            dh = dpre[t] @ w_t
        need = ctx.needs_input_grad
        return (
            _wrap(need[0], lambda: dpre),
            _wrap(need[1], lambda: dh),
            *_weight_grads(need[2:], _previous(ctx.hbuf, reverse), dpre),
        )


def _recorded_rnn_backward(ctx, dout, dh_last):
    """RNNLayer's BPTT as ember ops on a recomputed forward (double backward)."""
    w, b = ctx.inputs[2], ctx.inputs[3]

    def step(x, h):
        pre = x + linalg.matmul(h, w)
        if b is not None:
            pre = pre + b
        return pre, (ew.relu(pre) if ctx.relu else ew.tanh(pre))

    order, h_prev, pre, douts = _replay(ctx, dout, step)
    dh = dh_last
    dpre = [None] * len(h_prev)
    w_t = sh.matrix_transpose(w)
    for t in reversed(order):
        dh = _step_grad(dh, douts, t, h_prev[t])
        if ctx.relu:  # relu'' = 0: the mask is a constant
            dpre[t] = dh * (pre[t] > 0).to(dh.dtype)
        else:
            y = ew.tanh(pre[t])
            dpre[t] = dh * (1 - y * y)
        dh = linalg.matmul(dpre[t], w_t)
    need = ctx.needs_input_grad
    return (
        sh.stack(dpre, 0) if need[0] else None,
        dh if need[1] else None,
        *_recorded_weight_grads(need[2:], h_prev, dpre),
    )


# -- wrappers -------------------------------------------------------------------------------------
def lstm_layer(
    xproj: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_hh_t: Tensor,
    b_hh: Tensor | None = None,
    reverse: bool = False,
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer and direction over a whole sequence (gates i, f, g, o), as one node.

    Args:
        xproj: ``x W_ih^T + b_ih`` of every step (``b_hh`` may be folded in), (T, B, 4H).
        h0, c0: initial hidden and cell states, (B, H) each.
        w_hh_t: transposed hidden weight, (H, 4H).
        b_hh: hidden bias (4H,) or None.
        reverse: run from the last step to the first.

    Returns:
        ``(out, h_T, c_T)``: the hidden state of every step (T, B, H) and the final hidden and
        cell states (B, H), those after the last step processed.
    """
    _check("lstm_layer", 4, xproj, [h0, c0], w_hh_t, b_hh)
    return LSTMLayer.apply(xproj, h0, c0, w_hh_t, b_hh, reverse=reverse)


def gru_layer(
    xproj: Tensor, h0: Tensor, w_hh_t: Tensor, b_hh: Tensor | None = None, reverse: bool = False
) -> tuple[Tensor, Tensor]:
    """One GRU layer and direction over a whole sequence (gates r, z, n), as one node.

    Args:
        xproj: ``x W_ih^T + b_ih`` of every step, (T, B, 3H).
        h0: initial hidden state, (B, H).
        w_hh_t: transposed hidden weight, (H, 3H).
        b_hh: hidden bias (3H,) or None (not foldable into xproj: ``r`` scales its n part).
        reverse: run from the last step to the first.

    Returns:
        ``(out, h_T)``: the hidden state of every step (T, B, H) and the final one (B, H).
    """
    _check("gru_layer", 3, xproj, [h0], w_hh_t, b_hh)
    return GRULayer.apply(xproj, h0, w_hh_t, b_hh, reverse=reverse)


def rnn_layer(
    xproj: Tensor,
    h0: Tensor,
    w_hh_t: Tensor,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
    reverse: bool = False,
) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer and direction over a whole sequence, as one node.

    Args:
        xproj: ``x W_ih^T + b_ih`` of every step (``b_hh`` may be folded in), (T, B, H).
        h0: initial hidden state, (B, H).
        w_hh_t: transposed hidden weight, (H, H).
        b_hh: hidden bias (H,) or None.
        nonlinearity: ``"tanh"`` or ``"relu"``.
        reverse: run from the last step to the first.

    Returns:
        ``(out, h_T)``: the hidden state of every step (T, B, H) and the final one (B, H).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: unknown nonlinearity '{nonlinearity}'")
    _check("rnn_layer", 1, xproj, [h0], w_hh_t, b_hh)
    return RNNLayer.apply(xproj, h0, w_hh_t, b_hh, relu=nonlinearity == "relu", reverse=reverse)
