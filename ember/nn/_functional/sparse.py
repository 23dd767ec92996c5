"""Embeddings and encodings: embedding, one_hot (``F.*``)."""

from __future__ import annotations

from ember import _dtype
from ember._creation import arange, full, zeros
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.ops.elementwise import clamp, where
from ember.ops.index import index_put
from ember.ops.reduce import amax, norm

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _check_indices(input: Tensor, num: int, op: str) -> None:
    if not isinstance(input, Tensor) or input.dtype not in (_dtype.int64, _dtype.int32):
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            f"{op}(): expected indices of dtype int64 or int32 (Long, Int), got {got}"
        )
    if input.numel() and (int(input.min()) < 0 or int(input.max()) >= num):
        raise IndexError(
            f"{op}(): index out of range in self: indices must be in [0, {num - 1}], got "
            f"values in [{int(input.min())}, {int(input.max())}]"
        )


def _renorm_rows_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` referenced by ``input`` to norm <= ``max_norm``, in place."""
    with no_grad():
        idx = input.reshape(-1)
        rows = weight[idx]
        norms = norm(rows, norm_type, 1, keepdim=True)
        # NOTE: PyTorch's 1e-7 keeps the rescaled norm just below max_norm
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[idx] = rows * scale  # duplicate indices write the same row twice


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` by the integer indices in ``input``.

    Args:
        input: integer indices.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient.
        max_norm: rows looked up are first renormalized in place to this ``norm_type`` norm.
        norm_type: the p of the max_norm norm.
        scale_grad_by_freq: divide each row's gradient by its count in ``input``.
        sparse: accepted for compatibility; gradients are always dense.

    Shape:
        - Input: ``(*)`` integer
        - Output: ``(*, embedding_dim)``
    """
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    _check_indices(input, num, "embedding")
    input = input.long()
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    out = weight[input]
    if padding_idx is None and not scale_grad_by_freq:
        return out
    # value-preserving gradient scaling: out.detach() + (out - out.detach()) * s has out's value
    # and gradient s (0 for padding rows, 1/count with scale_grad_by_freq)
    if scale_grad_by_freq:
        flat = input.reshape(-1)
        counts = zeros(num, dtype=out.dtype).index_add(
            0, flat, zeros(flat.shape[0], dtype=out.dtype) + 1
        )
        scale = (1.0 / counts[input]).unsqueeze(-1)
        if padding_idx is not None:
            scale = where((input == padding_idx).unsqueeze(-1), 0.0, scale)
        detached = out.detach()
        return detached + (out - detached) * scale
    return where((input == padding_idx).unsqueeze(-1), out.detach(), out)


def _bag_ids(input: Tensor, offsets: Tensor | None, include_last_offset: bool):
    """Flat indices, the bag of each, each one's position in its bag, and the number of bags."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated "
                "is a mini-batch of fixed length sequences."
            )
        b, length = input.shape
        bag = arange(b).unsqueeze(1).expand(b, length).reshape(-1)
        pos = arange(length).unsqueeze(0).expand(b, length).reshape(-1)
        return input.reshape(-1), bag, pos, b
    if input.ndim != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if offsets is None or offsets.ndim != 1:
        raise ValueError(
            "offsets has to be a 1D Tensor but got None"
            if offsets is None
            else f"offsets has to be a 1D Tensor, but got Tensor of dimension {offsets.ndim}"
        )
    offsets = offsets.long()
    if offsets.numel() and int(offsets[0]) != 0:
        raise ValueError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(offsets[0])}"
        )
    starts = offsets[:-1] if include_last_offset else offsets
    n, b = input.shape[0], starts.shape[0]
    # bag of element j: the number of bag starts <= j, minus one
    bag = (arange(n).unsqueeze(0) >= starts.unsqueeze(1)).long().sum(0) - 1
    pos = arange(n) - starts[bag] if n else bag
    return input, bag, pos, b


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxes of bags of embeddings, without materializing the bags' rows apart.

    Bags are the rows of a 2-D ``input``, or the slices ``input[offsets[i]:offsets[i+1]]`` of
    a 1-D one. Entries equal to ``padding_idx`` are left out; empty bags give zeros.

    Shape:
        - Input: ``(B, L)``, or ``(N,)`` with ``offsets`` ``(B,)`` (``(B + 1,)`` with
          ``include_last_offset``)
        - Output: ``(B, embedding_dim)``
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                "on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is "
                f"not None, then it must have the same shape as the input "
                f"({tuple(input.shape)})"
            )
    num, dim = weight.shape
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    flat, bag, pos, b = _bag_ids(input, offsets, include_last_offset)
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    keep = (flat != padding_idx) if padding_idx is not None else None
    if mode == "max":
        if keep is not None:
            rows = where(keep.unsqueeze(1), rows, float("-inf"))
        length = int(pos.max()) + 1 if flat.numel() else 1
        dense = full((b, length, dim), float("-inf"), dtype=weight.dtype)
        best = amax(index_put(dense, (bag, pos), rows), 1)
        return where(best == float("-inf"), 0.0, best)  # empty bags (or only padding): zeros
    if keep is not None:
        rows = rows * keep.to(rows.dtype).unsqueeze(1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    out = zeros(b, dim, dtype=weight.dtype).index_add(0, bag, rows)
    if mode == "sum":
        return out
    ones = (
        keep.to(weight.dtype) if keep is not None else zeros(bag.shape[0], dtype=weight.dtype) + 1
    )
    counts = zeros(b, dtype=weight.dtype).index_add(0, bag, ones)
    return out / clamp(counts, min=1.0).unsqueeze(1)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Int64 one-hot encoding of the class indices in ``tensor``.

    Shape:
        - Input: ``(*)`` int64
        - Output: ``(*, num_classes)`` int64
    """
    if not isinstance(tensor, Tensor) or tensor.dtype != _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return zeros(*tensor.shape, num_classes, dtype=_dtype.int64)
    lo, hi = int(tensor.min()), int(tensor.max())
    if lo < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = hi + 1
    elif hi >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == arange(num_classes)).long()
