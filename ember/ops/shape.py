"""Shape and movement ops: reshape, permute, expand, repeat, flip, roll, cat, split, pad, ..."""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.ops._util import canonical_dim, shape_str


def _size_args(size) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` spellings of a shape."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _infer_shape(shape: tuple, numel: int, op: str) -> tuple:
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{op}(): only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}(): invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(
                f"{op}(): shape '{list(shape)}' is invalid for input of size {numel}"
            )
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    elif known != numel:
        raise RuntimeError(f"{op}(): shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape), None  # d reshape = reshape back


class ReshapeCopy(Reshape):
    """A reshape that cannot share storage (non-contiguous input): a copy, as in PyTorch, with
    its own version counter."""

    is_view = False


def _viewable(arr: np.ndarray, shape: tuple) -> bool:
    """Whether ``arr`` can take ``shape`` without a copy (works on NumPy 1.26 and 2.x)."""
    if arr.flags.c_contiguous:
        return True
    probe = arr.view()
    try:
        probe.shape = shape
    except AttributeError:
        return False
    return True


def reshape(input, *shape):
    shape = _infer_shape(_size_args(shape), input._data.size, "reshape")
    # always a new tensor (never ``input`` itself), as PyTorch returns a new view
    return (Reshape if _viewable(input._data, shape) else ReshapeCopy).apply(input, shape)


def view(input, *shape):
    """Like reshape, but refuses (as PyTorch does) when the result cannot share storage."""
    shape = _infer_shape(_size_args(shape), input._data.size, "view")
    if not _viewable(input._data, shape):
        raise RuntimeError(
            f"view(): view size is not compatible with input tensor's size and stride (at least "
            f"one dimension spans across two contiguous subspaces): shape "
            f"{shape_str(input._data.shape)} with strides {input.stride()} -> "
            f"{shape_str(shape)}. Use .reshape(...) instead."
        )
    return Reshape.apply(input, shape)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s = canonical_dim(start_dim, len(shape), "flatten")
    e = canonical_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # PyTorch returns self here
    return reshape(input, shape[:s] + (-1,) + shape[e + 1 :])


def ravel(input):
    return reshape(input, (-1,))


def unflatten(input, dim: int, sizes):
    shape = input._data.shape
    d = canonical_dim(dim, len(shape), "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, shape[d], "unflatten")
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
            f"({shape[d]}) in the input tensor of shape {shape_str(shape)}"
        ) from None
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        drop = {canonical_dim(d, len(shape), "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in drop and s == 1))
    return Reshape.apply(input, new)  # a new view even when nothing is dropped


def unsqueeze(input, dim: int):
    shape = input._data.shape
    d = canonical_dim(dim, len(shape) + 1, "unsqueeze")
    return reshape(input, shape[:d] + (1,) + shape[d:])


class Permute(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.dims))), None  # d permute = inverse permute


def permute(input, *dims):
    dims = _size_args(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(canonical_dim(d, n, "permute") for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got dims {dims})")
    return Permute.apply(input, dims)


def transpose(input, dim0: int, dim1: int):
    n = input._data.ndim
    if n == 0:
        return input
    d0, d1 = canonical_dim(dim0, n, "transpose"), canonical_dim(dim1, n, "transpose")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def reverse_dims(input):
    """``.T``: all dimensions reversed."""
    return Permute.apply(input, tuple(range(input._data.ndim - 1, -1, -1)))


def matrix_transpose(input):
    """``.mT``: the last two dimensions swapped."""
    n = input._data.ndim
    if n < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices")
    return Permute.apply(input, tuple(range(n - 2)) + (n - 1, n - 2))


def movedim(input, source, destination):
    n = input._data.ndim
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    src = [canonical_dim(d, n, "movedim") for d in src]
    dst = [canonical_dim(d, n, "movedim") for d in dst]
    for name, given, dims in (("source", source, src), ("destination", destination, dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(dims)}, given {given})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


class Expand(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        lead = len(shape) - x.ndim
        if shape[lead:] == x.shape and not any(s != 1 for s in shape[:lead]):
            return x.reshape(shape)  # nothing repeats: a plain (writable) view, as in PyTorch
        return np.broadcast_to(x, shape)  # read-only: elements alias each other

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # d expand = identity; the engine sums the broadcast dims back down


def expand(input, *sizes):
    sizes = _size_args(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(): the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        cur = shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError(
                    f"expand(): the expanded size of the tensor (-1) isn't allowed in a leading, "
                    f"non-existing dimension {i}. Target sizes: {list(sizes)}. Tensor sizes: "
                    f"{list(shape)}"
                )
            s = cur
        if cur is not None and cur != s and cur != 1:
            raise RuntimeError(
                f"expand(): the expanded size of the tensor ({s}) must match the existing size "
                f"({cur}) at non-singleton dimension {i}. Target sizes: {list(sizes)}. "
                f"Tensor sizes: {list(shape)}"
            )
        target.append(s)
    return Expand.apply(input, tuple(target))  # a new view even when the shape is unchanged


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


def broadcast_shapes(*shapes):
    try:
        return np.broadcast_shapes(*[tuple(s) for s in shapes])
    except ValueError:
        raise RuntimeError(
            f"broadcast_shapes(): shapes {[tuple(s) for s in shapes]} cannot be broadcast together"
        ) from None


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*[t._data.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


class Repeat(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, x, reps):
        x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
        ctx.src_shape = x.shape
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, grad):
        reps, shape = ctx.inputs[1], ctx.src_shape
        # tile = copies laid side by side: reshape to (r0, s0, r1, s1, ...) and sum the r axes
        split = tuple(v for pair in zip(reps, shape) for v in pair)
        summed = grad.reshape(split).sum(tuple(range(0, 2 * len(shape), 2)))  # d = sum of copies
        return summed, None


def repeat(input, *sizes):
    reps = _size_args(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            "repeat(): number of dimensions of repeat dims can not be smaller than number of "
            f"dimensions of tensor (got {len(reps)} < {input._data.ndim})"
        )
    return Repeat.apply(input, reps)


def tile(input, dims):
    reps = tuple(dims)
    reps = (1,) * (input._data.ndim - len(reps)) + reps
    return repeat(input, reps)


class Flip(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, x, dims):
        return np.flip(x, dims).copy()  # PyTorch's flip copies; a view would alias the input

    @staticmethod
    def backward(ctx, grad):
        return flip(grad, ctx.inputs[1]), None  # d flip = flip back (a permutation)


def flip(input, dims):
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    dims = tuple(canonical_dim(d, input._data.ndim, "flip") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"flip(): dims {dims} contain a dim that appears multiple times")
    return Flip.apply(input, dims if input._data.ndim else ())


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


class Roll(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, x, shifts, dims):
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        shifts, dims = ctx.inputs[1], ctx.inputs[2]
        back = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return Roll.apply(grad, back, dims), None, None  # d roll = roll back (a permutation)


def roll(input, shifts, dims=None):
    if dims is not None:
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else dims
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else shifts
        if isinstance(dims, tuple) != isinstance(shifts, tuple) or (
            isinstance(dims, tuple) and len(dims) != len(shifts)
        ):
            raise RuntimeError(
                f"roll(): shifts and dimensions must align. shifts: {shifts}, dims: {dims}"
            )
        if isinstance(dims, tuple):
            dims = tuple(canonical_dim(d, input._data.ndim, "roll") for d in dims)
        else:
            dims = canonical_dim(dims, input._data.ndim, "roll")
        return Roll.apply(input, shifts, dims)
    return reshape(Roll.apply(ravel(input), shifts, None), input._data.shape)


class Cat(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.sizes = [a.shape[dim] for a in arrays]
        ctx.dim = dim
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.dim
        return tuple(  # d cat = the slice of grad each input filled
            narrow(grad, dim, start, size) if need else None
            for start, size, need in zip(np.cumsum([0] + ctx.sizes[:-1]), ctx.sizes,
                                         ctx.needs_input_grad)
        )


def cat(tensors, dim: int = 0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"cat(): expected a sequence of Tensors, got {type(t).__name__} at {i}")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    # PyTorch's legacy rule: 1-D empty tensors fit any shape; they are reshaped to an empty
    # slab of the others' shape, so they still get their (empty) gradient
    ref = next((t._data for t in tensors if t._data.shape != (0,)), tensors[0]._data)
    d = canonical_dim(dim, ref.ndim, "cat")
    if ref.shape != (0,):
        slab = ref.shape[:d] + (0,) + ref.shape[d + 1 :]
        tensors = [reshape(t, slab) if t._data.shape == (0,) else t for t in tensors]
    for i, t in enumerate(tensors[1:], 1):
        s = t._data.shape
        if len(s) != ref.ndim:
            raise RuntimeError(
                f"cat(): Tensors must have same number of dimensions: got {ref.ndim} and "
                f"{len(s)} (shapes {shape_str(ref.shape)} and {shape_str(s)})"
            )
        bad = [j for j, (a, b) in enumerate(zip(s, ref.shape)) if j != d and a != b]
        if bad:
            raise RuntimeError(
                f"cat(): Sizes of tensors must match except in dimension {d}. Expected size "
                f"{ref.shape[bad[0]]} but got size {s[bad[0]]} for tensor number {i} in the list "
                f"(shapes {shape_str(ref.shape)} and {shape_str(s)})"
            )
    if len({t._data.dtype for t in tensors}) > 1:  # promote (through a recorded cast)
        from ember._dtype import from_numpy_dtype, result_type
        from ember.ops.elementwise import cast

        dt = from_numpy_dtype(result_type(*[t._data for t in tensors]))
        tensors = [t if t._data.dtype == dt.np else cast(t, dt) for t in tensors]
    return Cat.apply(*tensors, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    d = canonical_dim(dim, len(ref) + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t.ndim > 1 else unsqueeze(t, 0) for t in tensors], 0)


class Split(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return cat(list(grads), ctx.inputs[2]), None, None  # d split = the pieces side by side


def split(input, split_size_or_sections, dim: int = 0):
    n = input._data.ndim
    d = canonical_dim(dim, n, "split")
    length = input._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and length):
            raise RuntimeError(
                f"split(): split_size can only be 0 if dimension size is 0, and never negative, "
                f"but got split_size={step} and dimension size {length}"
            )
        sizes = [min(step, length - i) for i in range(0, length, step)] if length else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes(): split sizes must be non-negative, got {sizes}")
    return Split.apply(input, tuple(sizes), d)


def chunk(input, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = canonical_dim(dim, input._data.ndim, "chunk")
    length = input._data.shape[d]
    if length == 0:  # PyTorch: `chunks` empty pieces
        return Split.apply(input, (0,) * chunks, d)
    return split(input, -(-length // chunks), d)


class Unbind(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        return tuple(np.moveaxis(x, dim, 0))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads), ctx.inputs[1]), None  # d unbind = stack the pieces back


def unbind(input, dim: int = 0):
    if input._data.ndim == 0:
        raise IndexError(f"unbind(): Dimension specified as {dim} but tensor has no dimensions")
    d = canonical_dim(dim, input._data.ndim, "unbind")
    if input._data.shape[d] == 1:
        return (squeeze(input, d),)
    return Unbind.apply(input, d)


def narrow(input, dim: int, start: int, length: int):
    d = canonical_dim(dim, input._data.ndim, "narrow")
    size = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += size
    if start < 0 or start + length > size or length < 0:
        raise RuntimeError(
            f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size})."
        )
    key = (slice(None),) * d + (slice(start, start + length),)
    return input[key]


class Tril(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, x, k, upper):
        return np.triu(x, k) if upper else np.tril(x, k)

    @staticmethod
    def backward(ctx, grad):
        _, k, upper = ctx.inputs
        return Tril.apply(grad, k, upper), None, None  # d mask(x) = mask(grad)


def tril(input, diagonal: int = 0):
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal, False)


def triu(input, diagonal: int = 0):
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal, True)


def _diag_positions(shape, offset, d1, d2):
    length = max(0, min(shape[d1] - max(-offset, 0), shape[d2] - max(offset, 0)))
    idx = np.arange(length)
    return idx + max(-offset, 0), idx + max(offset, 0)


class Diagonal(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.in_shape = x.shape
        out = np.diagonal(x, offset, d1, d2)
        if x.flags.writeable:
            out.flags.writeable = True  # a real view, writable like PyTorch's (NumPy: read-only)
        return out

    @staticmethod
    def backward(ctx, grad):
        _, offset, d1, d2 = ctx.inputs
        # d diagonal = the gradient placed back on that diagonal of zeros
        return DiagonalEmbed.apply(grad, ctx.in_shape, offset, d1, d2), None, None, None


class DiagonalEmbed(Function):
    """Place the last axis of ``grad`` on a diagonal of a zero tensor (diagonal's backward)."""

    saves_inputs = ()  # backward reads no input values
    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        out = np.zeros(shape, dtype=g.dtype)
        rows, cols = _diag_positions(shape, offset, d1, d2)
        np.moveaxis(out, (d1, d2), (-2, -1))[..., rows, cols] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        _, _, offset, d1, d2 = ctx.inputs
        # linear, adjoint of diagonal: d embed = read the diagonal back
        return Diagonal.apply(grad, offset, d1, d2), None, None, None, None


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    n = input._data.ndim
    d1, d2 = canonical_dim(dim1, n, "diagonal"), canonical_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset, d1, d2)


class ConstantPad(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, x, widths, value):
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        widths = ctx.inputs[1]
        key = tuple(slice(lo, grad._data.shape[i] - hi) for i, (lo, hi) in enumerate(widths))
        return grad[key], None, None  # d pad = the unpadded window of grad


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (left, right) pairs from the last dim.

    Negative widths crop. Modes: constant, reflect, replicate, circular.
    """
    pad = tuple(int(p) for p in pad)
    n = input._data.ndim
    if len(pad) % 2 or len(pad) // 2 > n:
        raise RuntimeError(
            f"pad(): padding length must be divisible by 2 and at most twice the number of "
            f"dimensions ({n}, input shape {shape_str(input._data.shape)}), got {len(pad)}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad(): unrecognised padding mode {mode!r}; expected constant, reflect, replicate "
            "or circular"
        )
    pairs = [(0, 0)] * n
    for i in range(len(pad) // 2):
        pairs[n - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for d, (lo, hi) in enumerate(pairs):
        if input._data.shape[d] + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError(
                f"pad(): negative padding ({lo}, {hi}) removes more than the size "
                f"{input._data.shape[d]} of dimension {d} (input shape "
                f"{shape_str(input._data.shape)})"
            )
    if any(lo < 0 or hi < 0 for lo, hi in pairs):  # crop first, then pad the rest
        key = tuple(slice(max(-lo, 0), input._data.shape[i] - max(-hi, 0))
                    for i, (lo, hi) in enumerate(pairs))
        input = input[key]
        pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    if mode == "constant":
        return ConstantPad.apply(input, tuple(pairs), 0 if value is None else value)
    out = input
    for d, (lo, hi) in enumerate(pairs):
        if lo or hi:
            out = out.index_select(d, Tensor._make(_pad_index(out._data.shape[d], lo, hi, mode, d)))
    return out


def _pad_index(size: int, lo: int, hi: int, mode: str, dim: int) -> np.ndarray:
    """Source positions of each padded position along one dim."""
    if mode == "reflect" and (lo >= size or hi >= size):
        raise RuntimeError(
            f"pad(): padding size should be less than the corresponding input dimension, but got "
            f"padding ({lo}, {hi}) at dimension {dim} of size {size}"
        )
    if mode == "circular" and (lo > size or hi > size):
        raise RuntimeError(
            f"pad(): padding value causes wrapping around more than once (dimension {dim})"
        )
    pos = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    if mode == "circular":
        return np.mod(pos, size)
    period = 2 * (size - 1) if size > 1 else 1
    pos = np.mod(pos, period)
    return np.where(pos >= size, period - pos, pos)
