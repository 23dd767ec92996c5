"""Linear algebra: matmul (PyTorch's 1-D/2-D/batched/broadcast rules), mm, bmm, dot, outer,
einsum."""

from __future__ import annotations

import string

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import reduce as rd
from ember.ops import shape as sh
from ember.ops._util import shape_str


class Matmul(Function):
    """Product of stacks of matrices (both inputs at least 2-D, batch dims broadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        if b.ndim == 2 and a.ndim > 2 and a.flags.c_contiguous:
            # one large GEMM instead of a loop over the batch
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        if not STATE.grad_enabled:
            return _matmul_plain_backward(ctx, grad, need_a, need_b)
        ga = gb = None
        if need_a:
            ga = Matmul.apply(grad, sh.matrix_transpose(ctx.input(1)))  # dA = G B^T
        if need_b:
            a, b_ndim = ctx.input(0), ctx._inputs[1]._data.ndim
            if b_ndim == 2 and a._data.ndim > 2:
                k, n = ctx._inputs[1]._data.shape
                # dB = sum over the batch of A^T G, folded into one GEMM
                gb = Matmul.apply(sh.matrix_transpose(sh.reshape(a, (-1, k))),
                                  sh.reshape(grad, (-1, n)))
            else:
                gb = Matmul.apply(sh.matrix_transpose(a), grad)  # dB = A^T G
        return ga, gb


def _matmul_plain_backward(ctx, grad, need_a, need_b):
    """Matmul's backward on arrays when it is not recorded: the same products, no graph."""
    g = grad._data
    ga = gb = None
    if need_a:  # reads (and version-checks) only b
        b = ctx.input(1)._data
        ga = Tensor._make(g @ np.swapaxes(b, -1, -2))  # dA = G B^T (engine sums broadcast dims)
    if need_b:
        a, b_ndim = ctx.input(0)._data, ctx._inputs[1]._data.ndim
        if b_ndim == 2 and a.ndim > 2:  # dB = sum over the batch of A^T G, as one GEMM
            gb = a.reshape(-1, a.shape[-1]).T @ g.reshape(-1, g.shape[-1])
        else:
            gb = np.swapaxes(a, -1, -2) @ g  # dB = A^T G
        gb = Tensor._make(gb)
    return ga, gb


class Linear(Function):
    """``y = x @ w^T + b`` for 2-D ``x`` in one node (``F.linear``'s common case).

    One node instead of three (transpose, matmul, add) forward, and a backward of three BLAS
    calls: the per-op overhead dominates small layers.
    """

    saves_inputs = (0, 1)  # backward reads x and w, never b

    @staticmethod
    def forward(ctx, x, w, b):
        out = x @ w.T
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w, _ = ctx.inputs  # one version check
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        if STATE.grad_enabled:  # create_graph: the same formulas in ember ops, recorded
            if need_x:
                gx = Matmul.apply(grad, w)  # dx = G W
            if need_w:
                gw = Matmul.apply(sh.matrix_transpose(grad), x)  # dW = G^T X
            if need_b:
                gb = rd.sum(grad, 0)  # db = sum of G over rows
            return gx, gw, gb
        g = grad._data  # plain backward: the same products on arrays, no graph to record
        if need_x:  # one output feature: G W is an outer product, cheaper as a broadcast
            wd = w._data
            gx = Tensor._make(g * wd if wd.shape[0] == 1 else g @ wd)
        if need_w:
            gw = Tensor._make(g.T @ x._data)
        if need_b:
            gb = Tensor._make(g.sum(0))
        return gx, gw, gb


def linear(x, w, b):
    """``x @ w.T + b`` for 2-D ``x`` and ``w`` of one dtype (``b`` 1-D of that dtype, or None);
    the caller (``F.linear``) validates shapes."""
    return Linear.apply(x, w, b)


def _check_same_dtype(a, b, op):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = a if not isinstance(a, Tensor) else b
        raise TypeError(f"{op}(): expected Tensor arguments, got {type(bad).__name__}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{op}(): expected both arguments to have the same dtype, but got {a.dtype!r} and "
            f"{b.dtype!r}"
        )


def _mismatch(a_shape, b_shape, op):
    return RuntimeError(
        f"{op}(): shapes cannot be multiplied ({'x'.join(map(str, a_shape)) or 'scalar'} and "
        f"{'x'.join(map(str, b_shape)) or 'scalar'}): the last dimension of the first "
        f"({a_shape[-1] if a_shape else '-'}) must equal the "
        f"{'first' if len(b_shape) == 1 else 'second-to-last'} dimension of the second"
    )


def matmul(input, other):
    _check_same_dtype(input, other, "matmul")
    a_shape, b_shape = input._data.shape, other._data.shape
    if not a_shape or not b_shape:
        raise RuntimeError(
            f"matmul(): both arguments need to be at least 1D, but they are {len(a_shape)}D and "
            f"{len(b_shape)}D"
        )
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if a_shape[-1] != k_b:
        raise _mismatch(a_shape, b_shape, "matmul")
    if len(a_shape) > 2 and len(b_shape) > 2:
        try:
            np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        except ValueError:
            raise RuntimeError(
                f"matmul(): batch dimensions {shape_str(a_shape[:-2])} and "
                f"{shape_str(b_shape[:-2])} cannot be broadcast together"
            ) from None
    a = sh.unsqueeze(input, 0) if len(a_shape) == 1 else input
    b = sh.unsqueeze(other, -1) if len(b_shape) == 1 else other
    out = Matmul.apply(a, b)
    if len(b_shape) == 1:
        out = sh.squeeze(out, -1)
    if len(a_shape) == 1:
        out = sh.squeeze(out, -2 if len(b_shape) > 1 else -1)
    return out


def mm(input, mat2):
    _check_same_dtype(input, mat2, "mm")
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(
            f"mm(): expected 2D tensors, got {input._data.ndim}D and {mat2._data.ndim}D"
        )
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _mismatch(input._data.shape, mat2._data.shape, "mm")
    return Matmul.apply(input, mat2)


def bmm(input, mat2):
    _check_same_dtype(input, mat2, "bmm")
    a, b = input._data.shape, mat2._data.shape
    if len(a) != 3 or len(b) != 3:
        raise RuntimeError(f"bmm(): batch1 must be a 3D tensor and batch2 must be a 3D tensor, "
                           f"got {len(a)}D and {len(b)}D")
    if a[0] != b[0]:
        raise RuntimeError(f"bmm(): batch1 and batch2 must have same number of batches, got "
                           f"{a[0]} and {b[0]}")
    if a[2] != b[1]:
        raise _mismatch(a, b, "bmm")
    return Matmul.apply(input, mat2)


def dot(input, other):
    _check_same_dtype(input, other, "dot")
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"dot(): 1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        n, m = input._data.shape[0], other._data.shape[0]
        raise RuntimeError(
            f"dot(): inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the "
            f"same number of elements, but got {n} and {m} elements respectively"
        )
    return matmul(input, other)


def outer(input, vec2):
    if input._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError("outer(): expected 1D tensors")
    return sh.unsqueeze(input, 1) * sh.unsqueeze(vec2, 0)


ger = outer


# -- einsum -----------------------------------------------------------------------------------
def _parse_einsum(equation: str, shapes):
    """Expand '...' into letters; return (input subscripts, output subscripts)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError(
            f"einsum(): {len(inputs)} operands in the equation '{equation}' but {len(shapes)} "
            "tensors were given"
        )
    bad = [c for c in eq.replace("->", "").replace("...", "")
           if c != "," and c not in string.ascii_letters]
    if bad:
        raise RuntimeError(
            f"einsum(): invalid subscript given at index {eq.index(bad[0])} in the equation "
            f"string '{equation}', subscripts must be in [a-zA-Z]"
        )
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = max((len(s) - (len(sub) - 3) for sub, s in zip(inputs, shapes) if "..." in sub),
                default=0)
    ell = "".join(spare[:n_ell])
    expanded = []
    for sub, s in zip(inputs, shapes):
        if "..." in sub:
            k = len(s) - (len(sub) - 3)
            sub = sub.replace("...", ell[n_ell - k:] if k else "")
        if len(sub) != len(s):
            raise RuntimeError(
                f"einsum(): the number of subscripts in '{sub}' ({len(sub)}) does not match the "
                f"number of dimensions ({len(s)}) of its operand"
            )
        expanded.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
        seen_in = set("".join(expanded))
        for i, c in enumerate(out):
            if c not in seen_in:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    f"input operand (equation '{equation}')"
                )
            if c in out[:i]:
                raise RuntimeError(
                    f"einsum(): output subscript {c} appears more than once in the output "
                    f"(equation '{equation}')"
                )
    else:
        counts = {}
        for sub in expanded:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return expanded, out


class Einsum(Function):
    @staticmethod
    def forward(ctx, *arrays, subs, out):
        ctx.subs, ctx.out = subs, out
        return np.asarray(np.einsum(",".join(subs) + "->" + out, *arrays, optimize=True))

    @staticmethod
    def backward(ctx, grad):
        ops = ctx.inputs
        return tuple(  # d out/d operand k = einsum of grad with every other operand
            _einsum_operand_grad(grad, ops, ctx.subs, ctx.out, k) if need else None
            for k, need in enumerate(ctx.needs_input_grad)
        )


def _einsum_operand_grad(grad, ops, subs, out, k):
    """Gradient of operand k: contract grad with the other operands back to k's subscripts.

    Repeated letters in operand k get fresh letters tied by identity matrices; letters of k
    that appear nowhere else are broadcast with a vector of ones. Size-1 letters that broadcast
    against operand k come back at size 1 and are expanded; where operand k is the one of size
    1 the result is larger and the engine sums it down.
    """
    sub_k = subs[k]
    shape_k = ops[k]._data.shape
    dtype = grad._data.dtype
    used = set("".join(subs) + out)
    fresh = (c for c in string.ascii_letters if c not in used)
    terms = [(out, grad)] + [(s, o) for i, (s, o) in enumerate(zip(subs, ops)) if i != k]
    target = []
    seen = {}
    for c, size in zip(sub_k, shape_k):
        if c in seen:
            f = next(fresh)
            terms.append((c + f, Tensor._make(np.eye(size, dtype=dtype))))
            target.append(f)
        else:
            seen[c] = size
            target.append(c)
    present = set("".join(s for s, _ in terms))
    for c, size in seen.items():
        if c not in present:
            terms.append((c, Tensor._make(np.ones(size, dtype=dtype))))
    eq = ",".join(s for s, _ in terms) + "->" + "".join(target)
    g = einsum(eq, *[o for _, o in terms])
    # a letter of size n here but 1 in every other operand broadcast: d out/d x is the same for
    # each of the n positions, so the size-1 result is expanded back (its sum is the engine's)
    full = np.broadcast_shapes(g._data.shape, shape_k)
    return g if g._data.shape == full else sh.expand(g, full)


def einsum(equation: str, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for o in operands[1:]:
        _check_same_dtype(operands[0], o, "einsum")
    subs, out = _parse_einsum(equation, [o._data.shape for o in operands])
    sizes = {}
    for sub, o in zip(subs, operands):
        for c, n in zip(sub, o._data.shape):
            have = sizes.get(c, 1)
            if n != have and have != 1 and n != 1:  # size-1 dims broadcast, as in PyTorch
                raise RuntimeError(
                    f"einsum(): subscript '{c}' has size {have} in one operand and {n} in "
                    f"another (equation '{equation}', operand shapes "
                    f"{[tuple(t._data.shape) for t in operands]})"
                )
            sizes[c] = n if have == 1 else have
    return Einsum.apply(*operands, subs=tuple(subs), out=out)
