"""Per-channel arithmetic on channels-last rows, and the batch-norm path built on it."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.ops import channels as ch
from ember.ops import norm


def _channels_last(a: np.ndarray) -> np.ndarray:
    """``a`` (N, C, *S) with the same values, stored channels-last (as conv outputs are)."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply])
@pytest.mark.parametrize(
    "r, c",
    # regrouped; regrouped up to apply's full row length; prime rows; wide; wider than that
    # row length; empty
    [(64, 16), (2048, 16), (96, 24), (7, 16), (5, 3000), (3, 9000), (0, 8)],
)
def test_apply_equals_broadcasting(ufunc, r, c):
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((r, c)).astype(np.float32)
    v = rng.standard_normal(c).astype(np.float32)
    want = ufunc(rows, v)
    got = ch.apply(ufunc, rows, v)
    assert got.shape == (r, c) and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    out = np.empty_like(rows)
    assert ch.apply(ufunc, rows, v, out=out) is not None
    np.testing.assert_array_equal(out, want)


def test_apply_into_a_strided_out_writes_it():
    rows = np.arange(64 * 16, dtype=np.float64).reshape(64, 16)
    v = np.arange(16, dtype=np.float64)
    big = np.zeros((64, 32))
    ch.apply(np.add, rows, v, out=big[:, ::2])  # not C-contiguous: plain broadcasting
    np.testing.assert_array_equal(big[:, ::2], rows + v)
    assert not big[:, 1::2].any()


def test_rows_of_views_channels_last_memory_and_copies_on_request():
    a = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    cl = _channels_last(a)
    rows = ch.rows_of(cl)
    assert rows.shape == (40, 3) and np.shares_memory(rows, cl)
    assert ch.rows_of(a) is None  # NCHW memory: no rows view
    copied = ch.rows_of(a, copy=True)
    np.testing.assert_array_equal(copied, rows)
    back = ch.as_channels_first(rows, a.shape)
    np.testing.assert_array_equal(back, a)
    assert np.shares_memory(back, cl)
    two_d = np.ones((6, 3))
    assert np.shares_memory(ch.rows_of(two_d), two_d)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [(50, 7), (4096, 16), (96, 3), (64, 40), (1, 5)])
def test_sums_are_column_sums(dtype, shape):
    rows = np.random.default_rng(2).integers(-5, 5, shape).astype(dtype)
    s = ch.sums(rows)
    assert s.shape == (shape[1],) and s.dtype == dtype
    np.testing.assert_array_equal(s, rows.sum(axis=0))  # small integers: exact in any order
    assert not ch.sums(np.zeros((0, 4), dtype)).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(
    "shape",
    [(50, 7), (4096, 16), (96, 3), (64, 40), (1, 5), (0, 4), (1 << 19, 2)],  # last: long columns
)
def test_dot_sums_are_column_sums_of_the_product(dtype, shape):
    rng = np.random.default_rng(5)
    a = rng.integers(-3, 4, shape).astype(dtype)
    b = rng.integers(-3, 4, shape).astype(dtype)
    for left, right in ((a, b), (a, a)):  # one array twice: the variance's sum of squares
        s = ch.dot_sums(left, right)
        assert s.shape == (shape[1],) and s.dtype == dtype
        np.testing.assert_array_equal(s, (left * right).sum(axis=0))  # small integers: exact


def test_dot_sums_keep_float32_error_small_on_long_columns():
    # a column of 2^20 rows with only two regrouped: summed through BLAS, not one long
    # sequential sum (which was 600x further from the float64 sum)
    a = (np.random.default_rng(6).standard_normal((1 << 20, 3)) + 0.5).astype(np.float32)
    exact = np.square(a.astype(np.float64)).sum(axis=0)
    assert np.abs(ch.dot_sums(a, a) / exact - 1).max() < 5e-6


def _bn_run(x: np.ndarray, g: np.ndarray, affine: bool, dtype):
    """Output, input/weight/bias grads and running stats of one training-mode batch norm."""
    c = x.shape[1]
    bn = (ember.nn.BatchNorm1d if x.ndim <= 3 else ember.nn.BatchNorm2d)(
        c, affine=affine, dtype=dtype
    )
    if affine:
        with ember.no_grad():
            bn.weight.copy_(ember.tensor(np.linspace(0.5, 2.0, c)))
            bn.bias.copy_(ember.tensor(np.linspace(-1.0, 1.0, c)))
    t = ember.from_numpy(x).requires_grad_()
    y = bn(t)
    y.backward(ember.from_numpy(g))
    res = [y.detach().numpy(), t.grad.numpy(), bn.running_mean.numpy(), bn.running_var.numpy()]
    if affine:
        res += [bn.weight.grad.numpy(), bn.bias.grad.numpy()]
    return res


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize(
    "shape, grad_layout",
    [
        ((4, 16, 6, 6), "channels_last"),
        ((4, 16, 6, 6), "nchw"),
        ((3, 5, 7), "channels_last"),
        ((10, 6), "nchw"),
    ],
)
def test_batch_norm_rows_path_equals_general_path(monkeypatch, shape, grad_layout, affine, dtype):
    np_dtype = np.float32 if dtype == ember.float32 else np.float64
    rng = np.random.default_rng(3)
    x = _channels_last((rng.standard_normal(shape) * 3 + 1).astype(np_dtype))
    g = rng.standard_normal(shape).astype(np_dtype)
    if grad_layout == "channels_last":
        g = _channels_last(g)
    calls = []
    real = norm._rows_forward
    monkeypatch.setattr(norm, "_rows_forward", lambda *a: calls.append(1) or real(*a))
    fast = _bn_run(x, g, affine, dtype)
    assert calls  # the rows path ran
    with monkeypatch.context() as m:
        m.setattr(norm, "_channel_rows", lambda *a: None)  # the general path
        slow = _bn_run(x, g, affine, dtype)
    assert len(calls) == 1
    tol = 1e-5 if np_dtype == np.float32 else 1e-12
    for a, b in zip(fast, slow):
        assert a.dtype == np_dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert np.moveaxis(fast[0], 1, -1).flags.c_contiguous  # the output keeps the layout


def test_batch_norm_rows_path_passes_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(4)
    x = ember.from_numpy(_channels_last(rng.standard_normal((3, 4, 3, 3)))).requires_grad_()
    w = ember.tensor(rng.uniform(0.5, 1.5, 4), requires_grad=True)
    b = ember.tensor(rng.standard_normal(4), requires_grad=True)
    assert norm._channel_rows(x._data, w._data.reshape(1, 4, 1, 1), None, (0, 2, 3)) is not None

    def f(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


@pytest.mark.parametrize("layout", ["channels_last", "nchw"])
@pytest.mark.parametrize("shape", [(3, 16, 4, 5), (6, 4), (2, 3, 7)])
def test_channel_affine_equals_broadcast_arithmetic(shape, layout):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(np.float32)
    if layout == "channels_last":
        x = _channels_last(x)
    scale = rng.standard_normal(shape[1]).astype(np.float32)
    shift = rng.standard_normal(shape[1]).astype(np.float32)
    keep = (1, -1) + (1,) * (len(shape) - 2)
    out = norm.channel_affine(ember.from_numpy(x), ember.tensor(scale), ember.tensor(shift))
    want = x * scale.reshape(keep) + shift.reshape(keep)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-6)
    assert out.dtype == ember.float32
    # float64 input with float32 statistics promotes, as the broadcast ops do
    out64 = norm.channel_affine(
        ember.from_numpy(x.astype(np.float64)), ember.tensor(scale), ember.tensor(shift)
    )
    assert out64.dtype == ember.float64


def test_eval_batch_norm_on_conv_layout_passes_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(9)
    x = ember.from_numpy(_channels_last(rng.standard_normal((2, 3, 3, 4)))).requires_grad_()
    mean = ember.tensor(rng.standard_normal(3), requires_grad=True)
    var = ember.tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True)
    w = ember.tensor(rng.standard_normal(3), requires_grad=True)
    b = ember.tensor(rng.standard_normal(3), requires_grad=True)

    def f(x, mean, var, w, b):
        return F.batch_norm(x, mean, var, w, b, training=False)

    assert ember.autograd.gradcheck(f, (x, mean, var, w, b))
    assert ember.autograd.gradgradcheck(f, (x, mean, var, w, b))
    y = f(x, mean, var, w, b)
    assert np.moveaxis(y._data, 1, -1).flags.c_contiguous  # the layout is kept
