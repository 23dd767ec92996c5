"""Fused activation kernels: softmax, log_softmax, softplus, logsigmoid, gelu (and erf).

Each forward is a numerically stable NumPy kernel; each backward is written with ember ops, so
it is itself differentiable (double backward works). Activations that are plain compositions of
existing ops (elu, silu, hardswish, ...) live in ``ember.nn.functional`` with no backward here.
"""

from __future__ import annotations

import math

import numpy as np

from ember.autograd.function import Function
from ember.ops import elementwise as ew
from ember.ops import reduce as rd
from ember.ops._util import canonical_dim, float_input

_SQRT_2 = math.sqrt(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# Cephes' rational approximations (ndtr.c): erf(x) = x T(x^2) / U(x^2) on |x| < 1 and
# erfc(x) = exp(-x^2) P(x) / Q(x) on 1 <= |x| (x clamped at 10, where erfc underflows anyway);
# both ~1e-16 absolute against math.erf (tests/nn/test_activation.py)
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)


def _poly(x, coeffs):
    """sum coeffs[i] x^(n-i) by Horner's rule, in place on one buffer."""
    acc = np.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        acc *= x
        acc += c
    return acc


def _erf_np(x):
    """erf on an array, without SciPy: float64 arithmetic, result in x's dtype."""
    x64 = np.asarray(x, dtype=np.float64)
    ax = np.abs(x64)
    with np.errstate(all="ignore"):  # the |x| < 1 formula overflows for huge x; not used there
        z = x64 * x64
        out = x64 * _poly(z, _T) / _poly(z, _U)
        far = ~(ax < 1.0)  # NaN goes here too and stays NaN
        if far.any():
            xf = np.minimum(ax[far], 10.0)
            erfc = np.exp(-xf * xf) * _poly(xf, _P) / _poly(xf, _Q)
            out[far] = np.copysign(1.0 - erfc, x64[far])
    return out.astype(np.asarray(x).dtype, copy=False)


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(_erf_np(x))

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        return grad * (ew.exp(-(x * x)) * _TWO_OVER_SQRT_PI)  # d erf(x) = 2/sqrt(pi) e^(-x^2)


def erf(input):
    return Erf.apply(float_input(input))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        # NOTE: subtracting the max keeps exp() from overflowing for large logits
        e = np.exp(x - np.amax(x, axis=dim, keepdims=True))
        e /= np.sum(e, axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.inputs[1]
        y = ctx.output
        # d softmax_i / d x_j = y_i (delta_ij - y_j)  =>  dx = y (g - sum(g y))
        return y * (grad - rd.sum(grad * y, dim, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - np.amax(x, axis=dim, keepdims=True)
        # NOTE: x - max - log(sum(exp(x - max))) is finite for logits of any size
        return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.inputs[1]
        y = ctx.output
        # d log_softmax_i / d x_j = delta_ij - softmax_j  =>  dx = g - exp(y) sum(g)
        return grad - ew.exp(y) * rd.sum(grad, dim, keepdim=True), None


def _softmax_like(cls, input, dim, name):
    x = float_input(input)
    if x._data.ndim == 0:  # a 0-d tensor is one class
        canonical_dim(dim, 0, name)
        return cls.apply(x.reshape(1), 0).reshape(())
    return cls.apply(x, canonical_dim(dim, x._data.ndim, name))


def softmax(input, dim: int):
    return _softmax_like(Softmax, input, dim, "softmax")


def log_softmax(input, dim: int):
    return _softmax_like(LogSoftmax, input, dim, "log_softmax")


class Softplus(Function):
    @staticmethod
    def forward(ctx, x, beta, threshold):
        z = x * beta
        ctx.linear = z > threshold
        # NOTE: log(1 + e^z) = max(z, 0) + log1p(e^-|z|) never overflows
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.asarray(np.where(ctx.linear, x, soft).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        x, beta, _ = ctx.inputs
        # d/dx log(1 + e^(beta x)) / beta = sigmoid(beta x); identity above the threshold
        return ew.where(ctx.linear, grad, grad * ew.sigmoid(x * beta)), None, None


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    return Softplus.apply(float_input(input), beta, threshold)


class LogSigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # NOTE: log sigmoid(x) = min(x, 0) - log1p(e^-|x|): finite for |x| of any size
        return np.asarray(np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        return grad * ew.sigmoid(-x)  # d log sigmoid(x) = 1 - sigmoid(x) = sigmoid(-x)


def logsigmoid(input):
    return LogSigmoid.apply(float_input(input))


class Gelu(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(x * 0.5 * (1.0 + _erf_np(x / _SQRT_2)))  # x Phi(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        cdf = (erf(x / _SQRT_2) + 1.0) * 0.5  # Phi(x) = (1 + erf(x / sqrt 2)) / 2
        pdf = ew.exp(x * x * -0.5) * _INV_SQRT_2PI  # phi(x) = Phi'(x) = e^(-x^2/2) / sqrt(2 pi)
        return grad * (cdf + x * pdf)  # d x Phi(x) = Phi(x) + x phi(x)


def gelu(input):
    return Gelu.apply(float_input(input))
