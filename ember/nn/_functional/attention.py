"""Attention: scaled_dot_product_attention, multi_head_attention_forward and distances (``F.*``)."""

from __future__ import annotations

import math

from ember._creation import arange, zeros
from ember._tensor import Tensor
from ember.nn._functional.activation import softmax
from ember.nn._functional.dropout import dropout
from ember.nn._functional.linear import linear
from ember.ops._util import shape_str
from ember.ops.shape import cat

__all__ = [
    "cosine_similarity",
    "multi_head_attention_forward",
    "pairwise_distance",
    "scaled_dot_product_attention",
]

_NEG_INF = float("-inf")


def _safe_softmax(x: Tensor, dim: int, masked: bool) -> Tensor:
    """Softmax along ``dim`` whose fully masked (all ``-inf``) rows give zeros, not NaN.

    ``masked`` says whether a mask was applied; only then can a row be all ``-inf``.
    """
    if not masked:
        return softmax(x, dim)
    # NOTE: softmax of an all -inf row is NaN (and so is its gradient); run such rows on zeros
    # and zero their weights afterwards, as PyTorch's _safe_softmax does
    dead = (x == _NEG_INF).all(dim, keepdim=True)
    return softmax(x.masked_fill(dead, 0.0), dim).masked_fill(dead, 0.0)


def _dropout(x: Tensor, p: float) -> Tensor:
    return dropout(x, p, True) if p > 0.0 else x


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``.

    Args:
        query: ``(*, L, E)``.
        key: ``(*, S, E)``.
        value: ``(*, S, Ev)``.
        attn_mask: broadcastable to ``(*, L, S)``; a bool mask keeps positions where True, a
            float mask is added to the scores.
        dropout_p: dropout on the attention weights.
        is_causal: keep position ``j`` for query ``i`` only when ``j <= i`` (top-left aligned);
            must not be combined with ``attn_mask``.
        scale: score scale; ``1 / sqrt(E)`` when None.

    Returns:
        ``(*, L, Ev)``. A query that may attend to nothing outputs zeros.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not "
                f"{type(t).__name__}"
            )
        if t.ndim < 2:
            raise RuntimeError(
                f"scaled_dot_product_attention(): {name} must be at least 2-D, got shape "
                f"{shape_str(t.shape)}"
            )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            "scaled_dot_product_attention(): expected query (*, L, E), key (*, S, E) and value "
            f"(*, S, Ev), got query {shape_str(query.shape)}, key {shape_str(key.shape)}, "
            f"value {shape_str(value.shape)}"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "scaled_dot_product_attention(): _scaled_dot_product_attention: Explicit attn_mask "
            "should not be set when is_causal=True"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(
            f"scaled_dot_product_attention(): dropout_p should be in [0, 1], got {dropout_p}"
        )
    tgt_len, src_len = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query * scale) @ key.transpose(-2, -1)
    if is_causal:
        attn_mask = arange(tgt_len).unsqueeze(1) >= arange(src_len).unsqueeze(0)
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(
                "scaled_dot_product_attention(): attn_mask must be a Tensor, not "
                f"{type(attn_mask).__name__}"
            )
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
        else:
            scores = scores.masked_fill(attn_mask.logical_not(), _NEG_INF)
    weights = _dropout(_safe_softmax(scores, -1, attn_mask is not None), dropout_p)
    return weights @ value


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2, dim) / (max(||x1||, eps) * max(||x2||, eps))`` after broadcasting.

    Shape:
        - x1, x2: broadcastable, ``(*1, D, *2)``
        - Output: the broadcast shape without ``dim``
    """
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError("cosine_similarity(): x1 and x2 must be Tensors")
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension.

    Shape:
        - x1, x2: ``(N, D)`` or ``(D)``, broadcastable
        - Output: ``(N)`` (``(N, 1)`` with keepdim) or ``()``
    """
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError("pairwise_distance(): x1 and x2 must be Tensors")
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def _float_mask(mask: Tensor | None, name: str, dtype) -> Tensor | None:
    """MHA's masks: a bool mask is True where attention is NOT allowed; float masks are added."""
    if mask is None:
        return None
    if mask.dtype.is_floating_point:
        return mask
    if mask.dtype.name != "bool":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return zeros(*mask.shape, dtype=dtype).masked_fill(mask, _NEG_INF)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs, as ``torch.nn.functional``'s.

    Shape:
        - query: ``(L, N, E)`` or ``(L, E)``; key ``(S, N, kdim)``; value ``(S, N, vdim)``
        - key_padding_mask: ``(N, S)`` or ``(S)``, True (or -inf) where a key is padding
        - attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``, True where attention is NOT allowed
        - Output: ``(L, N, E)`` and weights ``(N, L, S)`` (``(N, num_heads, L, S)`` without
          averaging), or None when ``need_weights`` is False
    """
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            "multi_head_attention_forward(): query, key and value must all be 3-D (batched) or "
            f"2-D (unbatched), got {shape_str(query.shape)}, {shape_str(key.shape)}, "
            f"{shape_str(value.shape)}"
        )
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(
            f"key shape {shape_str(key.shape)} does not match value shape {shape_str(value.shape)}"
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    # is_causal is only a hint that attn_mask is causal: the mask itself is always applied
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _float_mask(attn_mask, "attn_mask", query.dtype)

    # -- input projections
    if use_separate_proj_weight:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b_q)
        k = linear(key, k_proj_weight, b_k)
        v = linear(value, v_proj_weight, b_v)
    elif query is key and key is value:  # self-attention: one matmul for q, k and v
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {shape_str(attn_mask.shape)}, but "
                    f"should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {shape_str(attn_mask.shape)}, but "
                    f"should be {(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    # -- learned key/value bias appended as one extra source position
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)

    # -- split heads: (seq, N, E) -> (N * heads, seq, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (
        static_k
        if static_k is not None
        else k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    )
    v = (
        static_v
        if static_v is not None
        else v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    )
    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], 1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{shape_str(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-2, -1)
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = _dropout(_safe_softmax(scores, -1, attn_mask is not None), dropout_p)
    out = weights @ v  # (N * heads, L, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """Append one always-allowed (zero) column to a float mask."""
    if mask is None:
        return None
    return cat([mask, zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)
