"""ember: a deep-learning framework on NumPy with PyTorch's API."""

from ember import autograd, data, nn, optim, utils
from ember._backend import device
from ember._creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ember._dtype import bool_ as bool  # noqa: A004 - PyTorch exposes ember.bool
from ember._dtype import (
    double,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ember._dtype import float as float  # noqa: A004, PLC0414
from ember._dtype import int as int  # noqa: A004, PLC0414
from ember._printing import get_printoptions, set_printoptions
from ember._tensor import Size, Tensor, is_tensor
from ember.autograd.anomaly import detect_anomaly, set_detect_anomaly
from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.ops.elementwise import (
    abs,  # noqa: A004
    add,
    addcdiv,
    addcmul,
    allclose,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    ceil,
    clamp,
    clip,
    cos,
    div,
    eq,
    equal,
    exp,
    floor,
    floor_divide,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    log2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,  # noqa: A004
    relu,
    remainder,
    round,  # noqa: A004
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tanh,
    trunc,
    where,
)
from ember.ops.elementwise import div as divide
from ember.ops.elementwise import mul as multiply
from ember.ops.elementwise import neg as negative
from ember.ops.elementwise import sub as subtract
from ember.ops.index import (
    argwhere,
    gather,
    index_add,
    index_put,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    take_along_dim,
)
from ember.ops.linalg import bmm, dot, einsum, matmul, mm, outer
from ember.ops.reduce import (
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    count_nonzero,
    cumprod,
    cumsum,
    logsumexp,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    norm,
    prod,
    std,
    std_mean,
    sum,  # noqa: A004
    var,
    var_mean,
)
from ember.ops.shape import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    diagonal,
    flatten,
    flip,
    fliplr,
    flipud,
    hstack,
    moveaxis,
    movedim,
    narrow,
    permute,
    ravel,
    repeat,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from ember.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__version__ = "0.1.0"

# Loaded on first use, so ``import ember`` stays fast: {name: module that defines it}.
_LAZY = {
    "save": "ember.serialization",
    "load": "ember.serialization",
    "DataModule": "ember.train",
    "Learner": "ember.train",
    "Trainer": "ember.train",
    "TrainModule": "ember.train",
    "seed_everything": "ember.train",
}
_LAZY_MODULES = (
    "serialization",
    "train",
    "tune",
    "metrics",
    "models",
    "datasets",
    "transforms",
    "summary",
)


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"ember.{name}")
    else:
        raise AttributeError(f"module 'ember' has no attribute '{name}'")
    globals()[name] = value  # later lookups are plain module attributes
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))
