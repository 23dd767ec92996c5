"""TensorOps: the Tensor methods that are one-line delegations into ``ember.ops``.

Kept apart from ``_tensor.py`` (storage, metadata, autograd) so both files stay small.
``_ops`` and ``_creation`` are bound by ``_tensor.py`` once ``ember.ops`` can be imported.
"""

# ruff: noqa: A002, A003 - PyTorch's argument and method names (min, max, abs, ...)
from __future__ import annotations

_ops = None
_creation = None


class TensorOps:
    """Operator overloads and op methods of Tensor."""

    __slots__ = ()

    # -- arithmetic operators ------------------------------------------------------------------
    def __add__(self, other):
        return _ops.elementwise.add(self, other)

    def __radd__(self, other):
        return _ops.elementwise.add(other, self)

    def __sub__(self, other):
        return _ops.elementwise.sub(self, other)

    def __rsub__(self, other):
        return _ops.elementwise.sub(other, self)

    def __mul__(self, other):
        return _ops.elementwise.mul(self, other)

    def __rmul__(self, other):
        return _ops.elementwise.mul(other, self)

    def __truediv__(self, other):
        return _ops.elementwise.div(self, other)

    def __rtruediv__(self, other):
        return _ops.elementwise.div(other, self)

    def __floordiv__(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.elementwise.remainder(self, other)

    def __rmod__(self, other):
        return _ops.elementwise.remainder(other, self)

    def __pow__(self, other):
        return _ops.elementwise.pow(self, other)

    def __rpow__(self, other):
        return _ops.elementwise.pow(other, self)

    def __matmul__(self, other):
        return _ops.linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.linalg.matmul(other, self)

    def __neg__(self):
        return _ops.elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.elementwise.abs(self)

    def __invert__(self):
        return _ops.elementwise.bitwise_not(self)

    def __and__(self, other):
        return _ops.elementwise.bitwise_and(self, other)

    def __rand__(self, other):
        return _ops.elementwise.bitwise_and(other, self)

    def __or__(self, other):
        return _ops.elementwise.bitwise_or(self, other)

    def __ror__(self, other):
        return _ops.elementwise.bitwise_or(other, self)

    def __xor__(self, other):
        return _ops.elementwise.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _ops.elementwise.bitwise_xor(other, self)

    def __iadd__(self, other):
        return _ops.inplace.add_(self, other)

    def __isub__(self, other):
        return _ops.inplace.sub_(self, other)

    def __imul__(self, other):
        return _ops.inplace.mul_(self, other)

    def __itruediv__(self, other):
        return _ops.inplace.div_(self, other)

    def __ipow__(self, other):
        return _ops.inplace.pow_(self, other)

    # comparisons (no gradient)
    def __eq__(self, other):
        return _ops.elementwise.eq(self, other)

    def __ne__(self, other):
        return _ops.elementwise.ne(self, other)

    def __lt__(self, other):
        return _ops.elementwise.lt(self, other)

    def __le__(self, other):
        return _ops.elementwise.le(self, other)

    def __gt__(self, other):
        return _ops.elementwise.gt(self, other)

    def __ge__(self, other):
        return _ops.elementwise.ge(self, other)

    # -- indexing ------------------------------------------------------------------------------
    def __getitem__(self, key):
        return _ops.index.getitem(self, key)

    def __setitem__(self, key, value):
        _ops.index.setitem(self, key, value)

    def __contains__(self, item) -> bool:
        if not isinstance(item, (TensorOps, int, float, bool)):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(item)}."
            )
        return bool(_ops.elementwise.eq(self, item).any())

    # -- properties ---------------------------------------------------------------------------
    @property
    def T(self):  # noqa: N802
        return _ops.shape.reverse_dims(self)

    @property
    def mT(self):  # noqa: N802
        return _ops.shape.matrix_transpose(self)

    # -- op methods -----------------------------------------------------------------------------
    def abs(self):
        return _ops.elementwise.abs(self)

    def neg(self):
        return _ops.elementwise.neg(self)

    def exp(self):
        return _ops.elementwise.exp(self)

    def log(self):
        return _ops.elementwise.log(self)

    def log1p(self):
        return _ops.elementwise.log1p(self)

    def log2(self):
        return _ops.elementwise.log2(self)

    def sqrt(self):
        return _ops.elementwise.sqrt(self)

    def rsqrt(self):
        return _ops.elementwise.rsqrt(self)

    def sin(self):
        return _ops.elementwise.sin(self)

    def cos(self):
        return _ops.elementwise.cos(self)

    def tanh(self):
        return _ops.elementwise.tanh(self)

    def sigmoid(self):
        return _ops.elementwise.sigmoid(self)

    def relu(self):
        return _ops.elementwise.relu(self)

    def sign(self):
        return _ops.elementwise.sign(self)

    def floor(self):
        return _ops.elementwise.floor(self)

    def ceil(self):
        return _ops.elementwise.ceil(self)

    def trunc(self):
        return _ops.elementwise.trunc(self)

    def square(self):
        return _ops.elementwise.square(self)

    def isnan(self):
        return _ops.elementwise.isnan(self)

    def isinf(self):
        return _ops.elementwise.isinf(self)

    def isfinite(self):
        return _ops.elementwise.isfinite(self)

    def logical_not(self):
        return _ops.elementwise.logical_not(self)

    def bitwise_not(self):
        return _ops.elementwise.bitwise_not(self)

    def negative(self):
        return _ops.elementwise.neg(self)

    def round(self, *, decimals=0):
        return _ops.elementwise.round(self, decimals=decimals)

    def abs_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.abs, "abs_")

    def neg_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.neg, "neg_")

    def exp_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.exp, "exp_")

    def log_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.log, "log_")

    def sqrt_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.sqrt, "sqrt_")

    def tanh_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.tanh, "tanh_")

    def sigmoid_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.sigmoid, "sigmoid_")

    def relu_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.relu, "relu_")

    def floor_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.floor, "floor_")

    def ceil_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.ceil, "ceil_")

    def sign_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.sign, "sign_")

    def trunc_(self):
        return _ops.inplace.unary_(self, _ops.elementwise.trunc, "trunc_")

    def round_(self, *, decimals=0):
        return _ops.inplace.unary_(
            self, lambda x: _ops.elementwise.round(x, decimals=decimals), "round_"
        )

    def add(self, other, *, alpha=1):
        return _ops.elementwise.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.elementwise.sub(self, other, alpha=alpha)

    def subtract(self, other, *, alpha=1):
        return _ops.elementwise.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.elementwise.mul(self, other)

    def multiply(self, other):
        return _ops.elementwise.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ops.elementwise.div(self, other, rounding_mode=rounding_mode)

    def divide(self, other, *, rounding_mode=None):
        return _ops.elementwise.div(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other):
        return _ops.elementwise.div(self, other)

    def floor_divide(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def remainder(self, other):
        return _ops.elementwise.remainder(self, other)

    def pow(self, other):
        return _ops.elementwise.pow(self, other)

    def maximum(self, other):
        return _ops.elementwise.maximum(self, other)

    def minimum(self, other):
        return _ops.elementwise.minimum(self, other)

    def eq(self, other):
        return _ops.elementwise.eq(self, other)

    def ne(self, other):
        return _ops.elementwise.ne(self, other)

    def lt(self, other):
        return _ops.elementwise.lt(self, other)

    def le(self, other):
        return _ops.elementwise.le(self, other)

    def gt(self, other):
        return _ops.elementwise.gt(self, other)

    def ge(self, other):
        return _ops.elementwise.ge(self, other)

    def logical_and(self, other):
        return _ops.elementwise.logical_and(self, other)

    def logical_or(self, other):
        return _ops.elementwise.logical_or(self, other)

    def logical_xor(self, other):
        return _ops.elementwise.logical_xor(self, other)

    def bitwise_and(self, other):
        return _ops.elementwise.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _ops.elementwise.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _ops.elementwise.bitwise_xor(self, other)

    def greater(self, other):
        return _ops.elementwise.gt(self, other)

    def less(self, other):
        return _ops.elementwise.lt(self, other)

    def clamp(self, min=None, max=None):
        return _ops.elementwise.clamp(self, min, max)

    def clip(self, min=None, max=None):
        return _ops.elementwise.clamp(self, min, max)

    def clamp_(self, min=None, max=None):
        return _ops.inplace.clamp_(self, min, max)

    def clip_(self, min=None, max=None):
        return _ops.inplace.clamp_(self, min, max)

    def where(self, condition, other):
        return _ops.elementwise.where(condition, self, other)

    def lerp(self, end, weight):
        return _ops.elementwise.lerp(self, end, weight)

    def lerp_(self, end, weight):
        return _ops.inplace.lerp_(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _ops.elementwise.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _ops.elementwise.addcdiv(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _ops.inplace.addcmul_(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _ops.inplace.addcdiv_(self, tensor1, tensor2, value=value)

    def add_(self, other, *, alpha=1):
        return _ops.inplace.add_(self, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return _ops.inplace.sub_(self, other, alpha=alpha)

    def mul_(self, other):
        return _ops.inplace.mul_(self, other)

    def div_(self, other):
        return _ops.inplace.div_(self, other)

    def pow_(self, other):
        return _ops.inplace.pow_(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.elementwise.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.elementwise.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return _ops.elementwise.equal(self, other)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.prod(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.reduce.var(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.reduce.std(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def max(self, dim=None, keepdim=False):
        return _ops.reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.reduce.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _ops.reduce.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.reduce.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.reduce.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _ops.reduce.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _ops.reduce.norm(self, p, dim, keepdim, dtype)

    def all(self, dim=None, keepdim=False):
        return _ops.reduce.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.reduce.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _ops.reduce.count_nonzero(self, dim)

    def cumsum(self, dim, *, dtype=None):
        return _ops.reduce.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _ops.reduce.cumprod(self, dim, dtype=dtype)

    def sum_to_size(self, *size):
        return _ops.reduce.sum_to_size(self, *size)

    def reshape(self, *shape):
        return _ops.shape.reshape(self, *shape)

    def view(self, *shape):
        return _ops.shape.view(self, *shape)

    def permute(self, *shape):
        return _ops.shape.permute(self, *shape)

    def expand(self, *shape):
        return _ops.shape.expand(self, *shape)

    def repeat(self, *shape):
        return _ops.shape.repeat(self, *shape)

    def view_as(self, other):
        return _ops.shape.view_as(self, other)

    def reshape_as(self, other):
        return _ops.shape.reshape_as(self, other)

    def expand_as(self, other):
        return _ops.shape.expand_as(self, other)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.shape.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.shape.unflatten(self, dim, sizes)

    def ravel(self):
        return _ops.shape.ravel(self)

    def squeeze(self, dim=None):
        return _ops.shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.shape.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return _ops.shape.transpose(self, dim0, dim1)

    def swapaxes(self, axis0, axis1):
        return _ops.shape.transpose(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return _ops.shape.transpose(self, dim0, dim1)

    def movedim(self, source, destination):
        return _ops.shape.movedim(self, source, destination)

    def moveaxis(self, source, destination):
        return _ops.shape.movedim(self, source, destination)

    def t(self):
        return _ops.shape.t(self)

    def broadcast_to(self, shape):
        return _ops.shape.broadcast_to(self, shape)

    def tile(self, *dims):
        return _ops.shape.tile(self, _ops.shape._size_args(dims))

    def flip(self, *dims):
        return _ops.shape.flip(self, _ops.shape._size_args(dims))

    def fliplr(self):
        return _ops.shape.fliplr(self)

    def flipud(self):
        return _ops.shape.flipud(self)

    def roll(self, shifts, dims=None):
        return _ops.shape.roll(self, shifts, dims)

    def split(self, split_size, dim=0):
        return _ops.shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.shape.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _ops.shape.unbind(self, dim)

    def narrow(self, dim, start, length):
        return _ops.shape.narrow(self, dim, start, length)

    def tril(self, diagonal=0):
        return _ops.shape.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.shape.triu(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _ops.shape.diagonal(self, offset, dim1, dim2)

    def gather(self, dim, index):
        return _ops.index.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _ops.index.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _ops.inplace.scatter_(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _ops.index.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return _ops.inplace.scatter_add_(self, dim, index, src)

    def index_select(self, dim, index):
        return _ops.index.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return _ops.index.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return _ops.inplace.masked_fill_(self, mask, value)

    def masked_select(self, mask):
        return _ops.index.masked_select(self, mask)

    def take_along_dim(self, indices, dim=None):
        return _ops.index.take_along_dim(self, indices, dim)

    def nonzero(self, *, as_tuple=False):
        return _ops.index.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _ops.index.argwhere(self)

    def index_put(self, indices, values, accumulate=False):
        return _ops.index.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return _ops.inplace.index_put_(self, indices, values, accumulate)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.index.index_add(self, dim, index, source, alpha=alpha)

    def matmul(self, other):
        return _ops.linalg.matmul(self, other)

    def mm(self, other):
        return _ops.linalg.mm(self, other)

    def bmm(self, other):
        return _ops.linalg.bmm(self, other)

    def dot(self, other):
        return _ops.linalg.dot(self, other)

    def outer(self, other):
        return _ops.linalg.outer(self, other)

    def zero_(self):
        return _ops.inplace.zero_(self)

    def fill_(self, value):
        return _ops.inplace.fill_(self, value)

    def copy_(self, src, non_blocking=False):
        return _ops.inplace.copy_(self, src)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return _creation.uniform_(self, a, b, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _creation.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _creation.bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _creation.exponential_(self, lambd, generator=generator)

    def random_(self, low=0, high=None, *, generator=None):
        return _creation.random_(self, low, high, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        return _creation.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _creation.multinomial(self, num_samples, replacement, generator=generator)

    def softmax(self, dim, dtype=None):
        return _ops.activation.softmax(self if dtype is None else self.to(dtype), dim)

    def log_softmax(self, dim, dtype=None):
        return _ops.activation.log_softmax(self if dtype is None else self.to(dtype), dim)
