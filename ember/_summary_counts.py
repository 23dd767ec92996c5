"""Per-layer cost rules of ``ember.summary``: multiply-accumulates and bytes saved for backward.

Each rule sees one call of a layer (its module, the input tensors and the output tensors) and
returns ``(macs, saved_bytes)``:

- **MACs** count the multiply-accumulate operations of the layer's arithmetic core
  (FLOPs ~ 2 x MACs). Bias additions and the elementwise gate math of recurrent cells are not
  counted; activations, pooling, dropout, reshapes and embedding lookups count 0.
- **saved_bytes** estimate the tensors the layer's ops keep for the backward pass, per layer
  type (parameters are not included; they are counted once in the totals): the input of
  Linear/Conv/normalization layers, the output of activations (ReLU, Sigmoid, ... keep their
  result), the input plus int64 indices of max pooling, a 1-byte mask for dropout, the index
  tensor of an embedding, and for recurrent and attention layers the per-step states and
  attention weights listed in their rules. A layer without a rule is assumed to keep its input.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ember._tensor import Tensor
from ember.nn.modules import (
    activation,
    attention,
    conv,
    dropout,
    flatten,
    linear,
    normalization,
    pooling,
    rnn,
    sparse,
    vision,
)

__all__ = ["has_rule", "layer_cost", "tensors_in"]


def tensors_in(obj) -> list[Tensor]:
    """Every Tensor inside nested tuples/lists/dicts, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in tensors_in(item)]
    return []


def _numel(t: Tensor) -> int:
    return math.prod(t.shape)


# -- rules: (module, inputs, outputs) -> (macs, saved_bytes) ------------------------------------
def _linear(m, ins, outs):
    # one dot product of length in_features per output element
    return _numel(outs[0]) * m.in_features, ins[0].nbytes


def _bilinear(m, ins, outs):
    # y_k = x1^T W_k x2: in1 * in2 MACs per output element (x1^T W_k first costs the same)
    return _numel(outs[0]) * m.in1_features * m.in2_features, ins[0].nbytes + ins[1].nbytes


def _conv(m, ins, outs):
    kernel = math.prod(m.kernel_size)
    if m.transposed:
        # every input element is scattered through out_channels / groups kernels; counting
        # from the input skips the zeros a direct "output x kernel" count would include
        return _numel(ins[0]) * (m.out_channels // m.groups) * kernel, ins[0].nbytes
    return _numel(outs[0]) * (m.in_channels // m.groups) * kernel, ins[0].nbytes


def _norm(m, ins, outs):
    # (x - mean) * inv_std is one MAC per element; the affine y * gamma + beta another
    affine = getattr(m, "affine", False) or getattr(m, "elementwise_affine", False)
    return _numel(outs[0]) * (2 if affine else 1), ins[0].nbytes


def _seq_batch(x: Tensor, batch_first: bool) -> tuple[int, int]:
    if x.ndim == 2:  # unbatched (L, H_in)
        return x.shape[0], 1
    return (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])


def _rnn(m, ins, outs):
    """Per time step, layer and direction: ``gates * (in + P) * H`` MACs (+ ``H * P`` for an
    LSTM projection), with P = proj_size or H; saved: the layer input, the gate activations,
    the new h (and c for LSTM)."""
    seq, batch = _seq_batch(ins[0], m.batch_first)
    gates = rnn._GATES[m.mode]
    dirs = 2 if m.bidirectional else 1
    hidden, proj = m.hidden_size, m.proj_size or m.hidden_size
    macs = saved = 0
    for layer in range(m.num_layers):
        width = m.input_size if layer == 0 else proj * dirs
        macs += gates * (width + proj) * hidden + (hidden * proj if m.proj_size else 0)
        saved += width + gates * hidden + proj + (hidden if m.mode == "LSTM" else 0)
    steps = seq * batch * dirs
    return steps * macs, steps * saved * ins[0].itemsize


def _rnn_cell(m, ins, outs):
    x = ins[0]
    batch = x.shape[0] if x.ndim == 2 else 1
    gates = m.weight_ih.shape[0] // m.hidden_size
    macs = batch * gates * (m.input_size + m.hidden_size) * m.hidden_size
    saved = batch * (m.input_size + m.hidden_size + gates * m.hidden_size) * x.itemsize
    return macs, saved


def _attention(m, ins, outs):
    """Projections ``L E^2 + S kdim E + S vdim E``, scores ``Q K^T`` and ``A V`` (``L S E``
    each), output projection ``L E^2``, per batch item; saved: q/k/v inputs and projections,
    the attention weights ``(heads, L, S)`` and the input of the output projection."""
    q, k = ins[0], ins[1] if len(ins) > 1 else ins[0]
    if q.ndim == 2:
        (length, batch), source = (q.shape[0], 1), k.shape[0]
    elif m.batch_first:
        (batch, length), source = q.shape[:2], k.shape[1]
    else:
        (length, batch), source = q.shape[:2], k.shape[0]
    e = m.embed_dim
    macs = batch * (
        length * e * e + source * (m.kdim + m.vdim) * e + 2 * length * source * e + length * e * e
    )
    kept = (
        length * e
        + source * (m.kdim + m.vdim)
        + (length + 2 * source) * e
        + m.num_heads * length * source
        + length * e
    )
    return macs, batch * kept * q.itemsize


def _keeps_output(m, ins, outs):
    return 0, outs[0].nbytes


def _dropout(m, ins, outs):
    return 0, _numel(outs[0]) if m.p > 0 else 0  # a 1-byte keep mask


def _max_pool(m, ins, outs):
    return 0, ins[0].nbytes + 8 * _numel(outs[0])  # the input and int64 argmax indices


def _nothing(m, ins, outs):
    return 0, 0


def _keeps_input(m, ins, outs):
    return 0, sum(t.nbytes for t in ins)


_ACTIVATIONS = tuple(getattr(activation, name) for name in activation.__all__)
_RULES: list[tuple[tuple[type, ...], Callable]] = [
    ((linear.Linear,), _linear),
    ((linear.Bilinear,), _bilinear),
    ((conv._ConvNd,), _conv),
    ((normalization._NormBase, normalization.LayerNorm, normalization.GroupNorm), _norm),
    ((normalization.LocalResponseNorm,), _norm),
    ((rnn.RNNBase,), _rnn),
    ((rnn.RNNCellBase,), _rnn_cell),
    ((attention.MultiheadAttention,), _attention),
    (_ACTIVATIONS, _keeps_output),
    ((dropout._DropoutNd,), _dropout),
    ((pooling._MaxPoolNd, pooling.AdaptiveMaxPool2d), _max_pool),
    ((sparse.Embedding, sparse.EmbeddingBag), _keeps_input),
    ((pooling.AvgPool1d, pooling.AvgPool2d, pooling.AdaptiveAvgPool1d), _nothing),
    ((pooling.AdaptiveAvgPool2d, pooling.MaxUnpool2d, vision.Upsample), _nothing),
    ((vision.PixelShuffle, vision.PixelUnshuffle, flatten.Flatten, flatten.Unflatten), _nothing),
    ((linear.Identity,), _nothing),
]


def _rule_for(module) -> Callable | None:
    for types, rule in _RULES:
        if isinstance(module, types):
            return rule
    return None


def has_rule(module) -> bool:
    """Whether ``module``'s type has a cost rule (its children's calls are then not counted)."""
    return _rule_for(module) is not None


def layer_cost(module, inputs: list[Tensor], outputs: list[Tensor]) -> tuple[int, int, bool]:
    """``(macs, saved_bytes, known)`` of one call; unknown layers: 0 MACs, their input saved."""
    rule = _rule_for(module)
    if rule is None:
        return (*_keeps_input(module, inputs, outputs), False)
    if not inputs or not outputs:
        return 0, 0, True
    macs, saved = rule(module, inputs, outputs)
    return int(macs), int(saved), True
