"""Op cases: F.* normalization and embedding (batch/layer/group/instance norm, LRN, normalize,
embedding, one_hot). Dropout is random, so it is tested in tests/nn/test_dropout.py instead.
The padding_idx / scale_grad_by_freq gradients are not derivatives of the forward, so they are
compared with PyTorch in tests/nn/test_sparse.py rather than gradchecked."""

import sys

import numpy as np

from tests.ops.cases import OpCase, args, positive, randn, register


def lib(t):
    """``ember`` or ``torch``, whichever the tensor belongs to."""
    return sys.modules[type(t).__module__.partition(".")[0]]


def nnf(t):
    return lib(t).nn.functional


def ints(high, *shape):
    return lambda rng: rng.integers(0, high, shape).astype(np.int64)


def _bn_train(x, w, b):
    L = lib(x)
    rm, rv = L.zeros(x.shape[1], dtype=x.dtype), L.ones(x.shape[1], dtype=x.dtype)
    out = nnf(x).batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5)
    return out, rm, rv  # the updated running statistics are compared too


def _bn_ref(x, w, b):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5) * w.reshape(shape) + b.reshape(shape)
    n = x.size // x.shape[1]
    return y, 0.1 * mu.reshape(-1), 0.9 + 0.1 * var.reshape(-1) * n / (n - 1)


def _in_running(x):
    rm, rv = lib(x).zeros(3, dtype=x.dtype), lib(x).ones(3, dtype=x.dtype)
    out = nnf(x).instance_norm(x, rm, rv, momentum=0.2)
    return out, rm, rv


def _ln_ref(x, w, b):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


register(
    OpCase(
        "F.batch_norm_train",
        lambda x, w, b: _bn_train(x, w, b)[0],
        args(randn(4, 3, 5), positive(3), randn(3)),
        ref=lambda x, w, b: _bn_ref(x, w, b)[0],
    ),
    # the updated running statistics (no gradient: they are updated outside the graph)
    OpCase(
        "F.batch_norm_running_stats",
        lambda x, w, b: _bn_train(x, w, b)[1:],
        args(randn(4, 3, 5), positive(3), randn(3)),
        ref=lambda x, w, b: _bn_ref(x, w, b)[1:],
        diff=(),
    ),
    OpCase(
        "F.batch_norm_train_2d",
        lambda x, w, b: nnf(x).batch_norm(x, None, None, w, b, True),
        args(randn(3, 2, 3, 3), positive(2), randn(2)),
    ),
    OpCase(
        "F.batch_norm_train_noaffine",
        lambda x: nnf(x).batch_norm(x, None, None, None, None, True),
        args(randn(6, 3)),
    ),
    OpCase(
        "F.batch_norm_eval",
        lambda x, rm, rv, w, b: nnf(x).batch_norm(x, rm, rv, w, b, False),
        args(randn(4, 3, 2), randn(3), positive(3), positive(3), randn(3)),
        diff=(0, 3, 4),
    ),
    OpCase(
        "F.layer_norm",
        lambda x, w, b: nnf(x).layer_norm(x, (5,), w, b),
        args(randn(3, 4, 5), positive(5), randn(5)),
        ref=_ln_ref,
    ),
    OpCase(
        "F.layer_norm_2d_shape",
        lambda x, w: nnf(x).layer_norm(x, (3, 4), w),
        args(randn(2, 3, 4), positive(3, 4)),
    ),
    OpCase("F.layer_norm_noaffine", lambda x: nnf(x).layer_norm(x, [6]), args(randn(4, 6))),
    OpCase(
        "F.group_norm",
        lambda x, w, b: nnf(x).group_norm(x, 2, w, b),
        args(randn(3, 4, 5), positive(4), randn(4)),
    ),
    OpCase("F.group_norm_2d", lambda x: nnf(x).group_norm(x, 3), args(randn(2, 6, 2, 2))),
    OpCase(
        "F.instance_norm",
        lambda x, w, b: nnf(x).instance_norm(x, weight=w, bias=b),
        args(randn(2, 3, 6), positive(3), randn(3)),
    ),
    OpCase(
        "F.instance_norm_running_stats", lambda x: _in_running(x), args(randn(2, 3, 2, 3)), diff=()
    ),
    OpCase(
        "F.local_response_norm",
        lambda x: nnf(x).local_response_norm(x, 3, 0.5, 0.75, 1.0),
        args(randn(2, 5, 4)),
    ),
    OpCase(
        "F.local_response_norm_even",
        lambda x: nnf(x).local_response_norm(x, 2, k=2.0),
        args(randn(2, 4, 2, 3)),
    ),
    OpCase("F.normalize", lambda x: nnf(x).normalize(x), args(randn(3, 4))),
    OpCase(
        "F.normalize_p1_dim0", lambda x: nnf(x).normalize(x, p=1.0, dim=0), args(positive(3, 4))
    ),
    OpCase(
        "F.embedding",
        lambda i, w: nnf(w).embedding(i, w),
        args(ints(5, 2, 3), randn(5, 4)),
        ref=lambda i, w: w[i],
    ),
    OpCase(
        "F.embedding_padding_idx",
        lambda i, w: nnf(w).embedding(i, w, padding_idx=1),
        args(lambda rng: np.array([[0, 1, 2], [1, 4, 1]]), randn(5, 4)),
        diff=(),
    ),
    OpCase(
        "F.embedding_scale_grad_by_freq",
        lambda i, w: nnf(w).embedding(i, w, padding_idx=0, scale_grad_by_freq=True),
        args(lambda rng: np.array([3, 0, 2, 3, 3, 1]), randn(5, 2)),
        diff=(),
    ),
    OpCase(
        "F.embedding_bag_mean",
        lambda i, w, o: nnf(w).embedding_bag(i, w, o),
        args(ints(5, 7), randn(5, 3), lambda rng: np.array([0, 2, 2, 5])),
        diff=(1,),
    ),
    OpCase(
        "F.embedding_bag_max",
        lambda i, w: nnf(w).embedding_bag(i, w, mode="max"),
        args(lambda rng: np.array([[0, 1, 3], [4, 2, 2]]), randn(5, 3)),
        diff=(1,),
    ),
    OpCase(
        "F.embedding_bag_sum_weighted",
        lambda i, w, o, p: nnf(w).embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
        args(ints(5, 6), randn(5, 2), lambda rng: np.array([0, 4]), randn(6)),
        diff=(1, 3),
    ),
    OpCase(
        "F.one_hot",
        lambda i: nnf(i).one_hot(i, 6),
        args(ints(6, 2, 4)),
        diff=(),
        ref=lambda i: np.eye(6, dtype=np.int64)[i],
    ),
    OpCase("F.one_hot_infer", lambda i: nnf(i).one_hot(i), args(ints(4, 5)), diff=()),
)
