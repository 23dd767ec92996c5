"""The speed-only code paths give exactly what the general paths give."""

import numpy as np
import pytest

import ember
from ember.ops import conv as C
from ember.ops.elementwise import _ZERO_CHUNK, _relu_array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (3, _ZERO_CHUNK // 2 + 5), (2, 3, 4, 5)])
def test_relu_against_zero_chunks_equals_maximum(shape, dtype):
    x = np.asarray(np.random.default_rng(0).standard_normal(shape)).astype(dtype)
    if x.ndim:
        x.flat[0] = np.nan
        x.flat[-1] = -0.0
    out = _relu_array(x)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    assert not np.signbit(out[~np.isnan(out)]).any()  # never -0.0


def test_relu_gradient_passes_through_nan_as_pytorch_does():
    # PyTorch's relu backward zeroes the gradient where the output is <= 0; NaN is not, so its
    # gradient passes through. Repeated shapes take the cached zero view: check both calls.
    for _ in range(2):
        x = ember.tensor([np.nan, -1.0, 0.0, -0.0, 2.0], requires_grad=True)
        ember.relu(x).backward(ember.tensor([3.0, 3.0, 3.0, 3.0, 3.0]))
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 0.0, 0.0, 3.0])
    x = ember.tensor([np.nan, -1.0, 2.0], requires_grad=True)
    (g,) = ember.autograd.grad(ember.relu(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [1.0, 0.0, 1.0])
    torch = pytest.importorskip("torch")
    t = torch.tensor([np.nan, -1.0, 0.0, -0.0, 2.0], requires_grad=True)
    torch.relu(t).backward(torch.full((5,), 3.0))
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 0.0, 0.0, 0.0, 3.0])


@pytest.mark.parametrize("order", ["channels_last", "fortran"])
def test_relu_of_permuted_contiguous_arrays_keeps_their_layout(order):
    a = np.random.default_rng(7).standard_normal((2, 3, 4, 5))
    x = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    if order == "fortran":
        x = np.asfortranarray(a)
    out = _relu_array(x)
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    assert out.strides == x.strides


def test_relu_of_strided_and_integer_arrays():
    x = np.arange(-6.0, 6.0).reshape(3, 4)[:, ::2]
    np.testing.assert_array_equal(_relu_array(x), np.maximum(x, 0))
    k = np.arange(-3, 3)
    np.testing.assert_array_equal(_relu_array(k), np.maximum(k, 0))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    "c, o, hw, k, stride, padding, dilation",
    [
        (3, 8, (12, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
        (5, 4, (9, 7), (3, 3), (2, 1), (0, 2), (1, 2)),
        (2, 3, (8, 8), (2, 3), (3, 2), (1, 0), (2, 1)),
        # stride 1: the padded-width grid path
        (4, 3, (7, 10), (2, 3), (1, 1), (0, 0), (2, 1)),
        (2, 5, (6, 9), (3, 2), (1, 1), (2, 0), (1, 3)),
        (1, 2, (5, 6), (1, 1), (1, 1), (0, 0), (1, 1)),
    ],
)
def test_single_image_convolution_equals_batched_lowering(
    c, o, hw, k, stride, padding, dilation, bias
):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, c, *hw))
    w = rng.standard_normal((o, c, *k))
    b = rng.standard_normal(o) if bias else None
    batched, _ = C._conv_forward(x, w, b, stride, padding, dilation, 1)  # channels-last im2col
    singles = [C._conv_forward(x[i : i + 1], w, b, stride, padding, dilation, 1) for i in range(3)]
    assert all(cols is None for _, cols in singles)
    out = np.concatenate([y for y, _ in singles])
    np.testing.assert_allclose(out, batched, rtol=1e-12, atol=1e-12)
    assert all(y.flags.c_contiguous and y.dtype == x.dtype for y, _ in singles)


def test_single_image_convolution_of_a_strided_unpadded_input():
    # no padding and a transposed image: the patches are read from the input itself
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 3, 9, 8)).astype(np.float32).transpose(0, 1, 3, 2)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    out, _ = C._conv_forward(x, w, b, (1, 1), (0, 0), (1, 1), 1)
    ref, _ = C._conv_forward(np.concatenate([x, x]), w, b, (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_allclose(out[0], ref[0], rtol=1e-5, atol=1e-5)
    assert out.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "c, o, hw, k, stride, padding, dilation",
    [
        (3, 8, (12, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
        (5, 4, (9, 7), (3, 3), (2, 1), (0, 2), (1, 2)),
        (4, 6, (8, 8), (1, 1), (1, 1), (0, 0), (1, 1)),
    ],
)
def test_batch_chunked_lowering_equals_whole_batch(
    monkeypatch, c, o, hw, k, stride, padding, dilation, dtype
):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, c, *hw)).astype(dtype)
    w = rng.standard_normal((o, c, *k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    whole, _ = C._conv_forward(x, w, b, stride, padding, dilation, 1)
    oh, ow = whole.shape[2:]
    g = rng.standard_normal(whole.shape).astype(dtype)
    dw_whole = C._conv_w_forward(x, g, w.shape, stride, padding, dilation, 1)
    # two images per chunk: chunks of 2, 2 and 1 (a short last chunk)
    monkeypatch.setattr(C, "_COLS_CHUNK_BYTES", 2 * oh * ow * c * k[0] * k[1] * x.itemsize)
    assert len(C._image_chunks(5, oh, ow, c * k[0] * k[1], x.itemsize)) == 3
    chunked, cols = C._conv_forward(x, w, b, stride, padding, dilation, 1)
    assert cols is None and chunked.dtype == dtype
    dw_chunked = C._conv_w_forward(x, g, w.shape, stride, padding, dilation, 1)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(chunked, whole, rtol=tol, atol=tol)
    np.testing.assert_allclose(dw_chunked, dw_whole, rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 1])  # one chunk; one image per chunk
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "c, o, hw, k, stride, padding, dilation",
    [
        (3, 8, (12, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
        (2, 4, (9, 11), (3, 2), (2, 1), (0, 2), (1, 2)),
        (2, 3, (8, 10), (1, 1), (1, 1), (0, 0), (1, 1)),
    ],
)
def test_few_channel_nchw_lowering_equals_channels_last_lowering(
    monkeypatch, c, o, hw, k, stride, padding, dilation, dtype, chunk_bytes
):
    monkeypatch.setattr(C, "_COLS_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, c, *hw)).astype(dtype)  # NCHW: the (c, i, j)-major lowering
    x_cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    w = rng.standard_normal((o, c, *k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    ow = C.out_size(hw[1], k[1], stride[1], padding[1], dilation[1])
    assert C._kmajor(x, k[1], stride, ow) and not C._kmajor(x_cl, k[1], stride, ow)
    y, cols = C._conv_forward(x, w, b, stride, padding, dilation, 1)
    want, _ = C._conv_forward(x_cl, w, b, stride, padding, dilation, 1)
    g = rng.standard_normal(y.shape).astype(dtype)
    dw = C._conv_w_forward(x, g, w.shape, stride, padding, dilation, 1)
    want_dw = C._conv_w_forward(x_cl, g, w.shape, stride, padding, dilation, 1)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(dw, want_dw, rtol=tol, atol=tol)
    assert cols is None and y.dtype == dw.dtype == dtype and dw.flags.c_contiguous


def test_few_channel_nchw_conv2d_passes_gradcheck():
    rng = np.random.default_rng(9)
    x = ember.tensor(rng.standard_normal((3, 2, 4, 9)))  # an input without grad: a stem
    w = ember.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = ember.tensor(rng.standard_normal(3), requires_grad=True)
    assert C._kmajor(x._data, 3, (1, 1), 9)

    def f(w, b):
        return ember.nn.functional.conv2d(x, w, b, padding=1)

    assert ember.autograd.gradcheck(f, (w, b))
    assert ember.autograd.gradgradcheck(f, (w, b))


def _conv2d_passes_gradchecks(seed, x_shape, w_shape, **geometry):
    """float64 gradcheck and gradgradcheck of ``conv2d`` (with bias) in ``geometry``."""
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = ember.tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = ember.tensor(rng.standard_normal(w_shape[0]), requires_grad=True)

    def f(x, w, b):
        return ember.nn.functional.conv2d(x, w, b, **geometry)

    assert ember.autograd.gradcheck(f, (x, w, b))
    assert ember.autograd.gradgradcheck(f, (x, w, b))


def _count_calls(monkeypatch, name: str) -> list:
    """Calls of ``ember.ops.conv.<name>`` from now on, one entry each."""
    calls, real = [], getattr(C, name)
    monkeypatch.setattr(C, name, lambda *a: calls.append(1) or real(*a))
    return calls


def test_batch_chunked_conv2d_passes_gradcheck(monkeypatch):
    monkeypatch.setattr(C, "_COLS_CHUNK_BYTES", 1)  # one image per chunk
    _conv2d_passes_gradchecks(4, (3, 2, 5, 5), (3, 2, 3, 3), padding=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "n, c, o, hw, k, padding, dilation, channels_last",
    [
        (4, 3, 5, (8, 8), (3, 3), (1, 1), (1, 1), True),
        (2, 4, 2, (7, 9), (2, 3), (0, 2), (2, 1), False),
        (1, 2, 3, (6, 5), (1, 1), (0, 0), (1, 1), True),
        (3, 2, 4, (1, 9), (1, 3), (0, 1), (1, 2), False),  # a 1-D conv run as 2-D
    ],
)
def test_conv_backward_from_one_patch_matrix_equals_separate_gradients(
    n, c, o, hw, k, padding, dilation, channels_last, dtype
):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((n, c, *hw)).astype(dtype)
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    w = rng.standard_normal((o, c, *k)).astype(dtype)
    y, _ = C._conv_forward(x, w, None, (1, 1), padding, dilation, 1)
    g = rng.standard_normal(y.shape).astype(dtype)
    gx, gw = C._conv_t_and_w(x, g, w, (1, 1), padding, dilation)
    want_x = C._conv_t_forward(g, w, x.shape, (1, 1), padding, dilation, 1)
    want_w = C._conv_w_forward(x, g, w.shape, (1, 1), padding, dilation, 1)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gx, want_x, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw, want_w, rtol=tol, atol=tol)
    assert gx.dtype == gw.dtype == dtype and gw.flags.c_contiguous


def test_conv_backward_from_one_patch_matrix_only_where_it_applies():
    x = np.zeros((2, 3, 6, 6))
    w = np.zeros((4, 3, 3, 3))
    g = np.zeros((2, 4, 3, 3))
    assert C._conv_t_and_w(x, g, w, (2, 2), (1, 1), (1, 1)) is None  # strided
    g1 = np.zeros((2, 4, 8, 8))  # 1x1 kernel with padding 1: not a convolution of dy
    assert C._conv_t_and_w(x, g1, np.zeros((4, 3, 1, 1)), (1, 1), (1, 1), (1, 1)) is None


def test_conv_layer_gradients_through_the_shared_patch_matrix(monkeypatch):
    calls = _count_calls(monkeypatch, "_conv_t_and_w")
    rng = np.random.default_rng(7)
    x = ember.tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((3, 2, 3, 2)), requires_grad=True)
    b = ember.tensor(rng.standard_normal(3), requires_grad=True)

    def f(x, w, b):
        return ember.nn.functional.conv2d(x, w, b, padding=(1, 0), dilation=(1, 2))

    assert ember.autograd.gradcheck(f, (x, w, b))
    assert calls  # first-order backward took the shared path
    assert ember.autograd.gradgradcheck(f, (x, w, b))  # create_graph: the recorded ops
    x.grad = None
    ember.nn.functional.conv2d(x.detach(), w, b).sum().backward()  # weight grad alone
    assert w.grad is not None


@pytest.mark.parametrize("n", [1, 2, 40])  # single image, one chunk, several chunks
def test_conv_with_zero_input_channels_is_the_bias_in_every_lowering(n, monkeypatch):
    monkeypatch.setattr(C, "_COLS_CHUNK_BYTES", 64)
    x = ember.zeros(n, 0, 5, 5, requires_grad=True)
    w = ember.zeros(4, 0, 3, 3, requires_grad=True)
    b = ember.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = ember.nn.functional.conv2d(x, w, b, padding=1)  # an empty sum over channels, plus b
    assert y.shape == (n, 4, 5, 5)
    want = np.broadcast_to(np.array([1.0, 2.0, 3.0, 4.0])[:, None, None], y.shape)
    np.testing.assert_array_equal(y.detach().numpy(), want)
    y.sum().backward()
    assert x.grad.shape == (n, 0, 5, 5) and w.grad.shape == (4, 0, 3, 3)
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 25.0 * n))


def test_batch_one_conv2d_gradients_match_batched_run():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 6))
    conv = ember.nn.Conv2d(3, 4, 3, padding=1, dtype=ember.float64)
    xs = [ember.tensor(x[i : i + 1], requires_grad=True) for i in range(2)]
    for xi in xs:
        conv(xi).square().sum().backward()
    g_single = conv.weight.grad.numpy().copy()
    conv.zero_grad()
    xb = ember.tensor(x, requires_grad=True)
    conv(xb).square().sum().backward()
    np.testing.assert_allclose(g_single, conv.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        np.concatenate([xi.grad.numpy() for xi in xs]), xb.grad.numpy(), rtol=1e-12
    )


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(
    "shape, padding, ceil_mode",
    [
        ((1, 3, 8, 8), (0, 0), False),
        ((2, 4, 7, 9), (1, 1), False),
        ((1, 5, 7, 6), (0, 1), True),
    ],
)
def test_pairwise_2x2_max_pool_equals_running_max(shape, padding, ceil_mode, channels_last):
    from ember.ops.pool import MaxPool

    x = np.random.default_rng(3).standard_normal(shape)
    x.flat[5] = np.nan  # NaN propagates on both paths
    if channels_last:  # the layout convolutions produce: channels are the fastest axis
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    args = ((2, 2), (2, 2), padding, (1, 1), ceil_mode, False)
    with ember.no_grad():
        fast = MaxPool.forward(MaxPool.__new__(MaxPool), x, *args)
    general = MaxPool.forward(MaxPool.__new__(MaxPool), x, *args)  # grad mode: argmax path
    np.testing.assert_array_equal(fast, general)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 4, 7, 9), (3, 1, 2, 2)])
def test_pairwise_2x2_argmax_equals_running_first_argmax(shape, layout, dtype):
    from ember.ops.pool import _argmax_2x2, _first_argmax, _slices

    rng = np.random.default_rng(4)
    x = rng.integers(-1, 2, shape).astype(dtype)  # three values: ties in most windows
    if layout == "channels_last":  # the work view is then (N, H, W, C)
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    cl = layout == "channels_last"
    oh, ow = (x.shape[1] // 2, x.shape[2] // 2) if cl else (x.shape[2] // 2, x.shape[3] // 2)
    slices = _slices((2, 2), (2, 2), (1, 1), (oh, ow), cl)
    best, arg = _argmax_2x2(x, slices)
    general = x[slices[0][1]].copy()
    for _, key in slices[1:]:
        np.maximum(general, x[key], out=general)
    np.testing.assert_array_equal(best, general)
    np.testing.assert_array_equal(arg, _first_argmax(x, slices, general, 4))


@pytest.mark.parametrize("layout", ["channels_last", "nchw", "strided"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_batch_norm_sums_equal_numpy_sums(layout, dtype):
    from ember.ops.reduce import sum_keepdims as _sum_keep

    a = np.random.default_rng(4).standard_normal((3, 5, 4, 6)).astype(dtype)
    if layout == "channels_last":
        a = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    elif layout == "strided":
        a = a[:, :, ::2]
    axes = (0, 2, 3)
    out = _sum_keep(a, axes)
    assert out.shape == (1, 5, 1, 1) and out.dtype == dtype
    tol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(out, a.astype(np.float64).sum(axis=axes, keepdims=True), rtol=tol)
    other = _sum_keep(a, (0, 1))  # not batch norm's axes: NumPy's own reduction
    np.testing.assert_array_equal(other, a.sum(axis=(0, 1), keepdims=True))


def test_batch_norm_on_conv_layout_matches_contiguous_input():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 5, 5))
    bn = ember.nn.BatchNorm2d(3, dtype=ember.float64)
    cl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    grads = []
    for arr in (x, cl):
        t = ember.from_numpy(arr).requires_grad_()  # shares memory: keeps the layout
        assert np.moveaxis(t._data, 1, -1).flags.c_contiguous == (arr is cl)
        bn.zero_grad()
        y = bn(t)
        (y * ember.tensor(np.arange(y.numel(), dtype=np.float64).reshape(y.shape))).sum().backward()
        grads.append((y.detach().numpy(), t.grad.numpy(), bn.weight.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_over_all_but_channels_uses_blas_and_matches(keepdim):
    a = np.random.default_rng(6).standard_normal((2, 3, 4, 5))
    cl = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    t = ember.from_numpy(cl).requires_grad_()
    s = t.sum((0, 2, 3), keepdim=keepdim)
    np.testing.assert_allclose(s.detach().numpy(), a.sum((0, 2, 3), keepdims=keepdim), rtol=1e-12)
    s.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.ones_like(a))


@pytest.mark.parametrize("shape", [(0, 3, 4, 4), (2, 3, 0, 4), (2, 0, 4, 4)])
def test_channel_sums_and_relu_of_empty_tensors(shape):
    a = np.zeros(shape, np.float32)
    out = ember.from_numpy(a).sum((0, 2, 3))
    assert out.shape == (shape[1],) and not out.numpy().any()
    assert ember.relu(ember.from_numpy(a)).shape == shape


def _without_taps(monkeypatch):
    monkeypatch.setattr(C, "_TAPS_CHANNELS", (0, -1))  # no channel count qualifies


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "n, c, o, hw, k, padding, dilation",
    [
        (3, 16, 16, (10, 10), (3, 3), (1, 1), (1, 1)),  # a ResNet stage-1 block, small
        (2, 4, 7, (9, 12), (5, 3), (2, 1), (1, 1)),
        (2, 6, 3, (11, 8), (3, 3), (2, 2), (2, 2)),  # dilated
        (3, 5, 4, (7, 6), (2, 2), (0, 0), (1, 1)),  # unpadded: the input read in place
        (2, 8, 5, (1, 40), (1, 3), (0, 1), (1, 2)),  # a 1-D conv run as 2-D
    ],
)
def test_shifted_product_lowering_equals_im2col(
    monkeypatch, n, c, o, hw, k, padding, dilation, dtype, bias
):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((n, *hw, c)).astype(dtype).transpose(0, 3, 1, 2)  # channels-last
    w = rng.standard_normal((o, c, *k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype) if bias else None
    monkeypatch.setattr(C, "_TAPS_MAX_GRID", 100.0)  # small test images qualify
    oh = C.out_size(hw[0], k[0], 1, padding[0], dilation[0])
    ow = C.out_size(hw[1], k[1], 1, padding[1], dilation[1])
    assert C._taps_suit(x, w, (1, 1), padding, 1, oh, ow)
    taps = C._taps_forward(x, w, padding, dilation, oh, ow)
    if taps is None:
        pytest.skip("no BLAS ?gemm bound here")
    y, cols = C._conv_forward(x, w, b, (1, 1), padding, dilation, 1)
    _without_taps(monkeypatch)
    want, _ = C._conv_forward(x, w, b, (1, 1), padding, dilation, 1)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    assert cols is None and y.dtype == dtype and y.shape == want.shape
    assert y.transpose(0, 2, 3, 1).flags.c_contiguous  # channels-last, like im2col's output


def test_shifted_product_lowering_where_it_applies():
    def suits(n, c, o, hw, stride=(1, 1), padding=(1, 1), groups=1, nchw=False, dtype=np.float32):
        x = np.zeros((n, *hw, c), dtype).transpose(0, 3, 1, 2)
        if nchw:
            x = np.ascontiguousarray(x)
        w = np.zeros((o, c // groups, 3, 3), np.float32)
        oh, ow = (C.out_size(s, 3, st, p, 1) for s, st, p in zip(hw, stride, padding))
        return C._taps_suit(x, w, stride, padding, groups, oh, ow)

    assert suits(32, 16, 16, (32, 32))  # ResNet-20's first stage
    assert suits(8, 8, 16, (64, 64))
    assert not suits(32, 16, 32, (32, 32), stride=(2, 2))
    assert not suits(32, 32, 32, (16, 16))  # padding rows cost more than the copy saves
    assert not suits(32, 64, 64, (32, 32))  # wide enough for one efficient product
    assert not suits(32, 2, 16, (32, 32))  # too few channels for the products
    assert not suits(32, 16, 16, (32, 32), groups=2)
    assert not suits(32, 16, 16, (32, 32), dtype=np.float64)  # mixed dtypes
    assert not suits(32, 4, 8, (32, 32), nchw=True)  # an NCHW stem: its own lowering


def test_shifted_product_lowering_falls_back_without_blas(monkeypatch):
    from ember import _blas

    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 6, 8, 8)).astype(np.float32)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    w = rng.standard_normal((4, 6, 3, 3)).astype(np.float32)
    monkeypatch.setattr(C, "_TAPS_MAX_GRID", 100.0)
    monkeypatch.setattr(_blas, "_bound", {})
    assert C._taps_forward(x, w, (1, 1), (1, 1), 8, 8) is None
    y, _ = C._conv_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)  # the im2col lowering
    _without_taps(monkeypatch)
    np.testing.assert_array_equal(y, C._conv_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)[0])


def test_conv2d_through_the_shifted_products_passes_gradcheck(monkeypatch):
    monkeypatch.setattr(C, "_TAPS_MAX_GRID", 100.0)
    calls = _count_calls(monkeypatch, "_taps_forward")
    _conv2d_passes_gradchecks(14, (2, 4, 5, 6), (3, 4, 3, 3), padding=1)
    assert calls  # the forward (and double backward's convolutions) took the products


_STRIDED_CASES = [
    # (x shape, w shape, stride, padding, dilation)
    ((4, 16, 12, 12), (8, 16, 3, 3), (2, 2), (1, 1), (1, 1)),  # a ResNet downsampling block
    ((3, 5, 9, 7), (4, 5, 3, 3), (2, 1), (0, 2), (1, 2)),
    ((2, 3, 8, 8), (3, 3, 2, 3), (3, 2), (1, 0), (2, 1)),
    ((2, 4, 9, 9), (5, 4, 2, 2), (3, 3), (0, 0), (1, 1)),  # kernel < stride: phases get no tap
    ((2, 4, 10, 10), (5, 4, 3, 3), (2, 2), (1, 1), (2, 2)),  # every tap in one phase
    ((2, 3, 7, 7), (2, 3, 3, 3), (1, 1), (3, 3), (1, 1)),  # stride 1, padding past the kernel
    ((2, 4, 1, 20), (3, 4, 1, 3), (1, 2), (0, 1), (1, 1)),  # a strided 1-D conv
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", _STRIDED_CASES)
def test_phase_conv_transpose_equals_col2im(
    monkeypatch, x_shape, w_shape, stride, padding, dilation, dtype
):
    rng = np.random.default_rng(16)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    y, _ = C._conv_forward(x, w, None, stride, padding, dilation, 1)
    g = rng.standard_normal(y.shape).astype(dtype)
    if C._conv_t_phases(g, w, x_shape, stride, padding, dilation) is None:
        pytest.skip("no BLAS ?gemm bound here")
    got = C._conv_t_forward(g, w, x_shape, stride, padding, dilation, 1)
    monkeypatch.setattr(C, "_conv_t_phases", lambda *a: None)  # col2im
    want = C._conv_t_forward(g, w, x_shape, stride, padding, dilation, 1)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert got.shape == x_shape and got.dtype == dtype


def test_phase_conv_transpose_falls_back_without_blas(monkeypatch):
    from ember import _blas

    rng = np.random.default_rng(17)
    g = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    monkeypatch.setattr(_blas, "_bound", {})
    assert C._conv_t_phases(g, w, (2, 2, 8, 8), (2, 2), (1, 1), (1, 1)) is None
    out = C._conv_t_forward(g, w, (2, 2, 8, 8), (2, 2), (1, 1), (1, 1), 1)
    assert out.shape == (2, 2, 8, 8) and np.isfinite(out).all()


def test_strided_conv2d_through_the_phases_passes_gradcheck(monkeypatch):
    calls = _count_calls(monkeypatch, "_conv_t_phases")
    geometry = dict(stride=(2, 3), padding=1, dilation=(1, 2))
    _conv2d_passes_gradchecks(18, (2, 3, 7, 6), (4, 3, 3, 2), **geometry)
    assert calls  # the input gradient went through the phases


@pytest.mark.parametrize("n, c_in, c_out", [(0, 16, 8), (2, 16, 0), (2, 0, 8)])
@pytest.mark.parametrize("transposed", [False, True])
def test_empty_batches_and_channels_give_empty_results_on_every_path(
    n, c_in, c_out, transposed, monkeypatch
):
    # shapes the shifted-window and phase paths would take, were they not empty
    monkeypatch.setattr(C, "_TAPS_MAX_GRID", 100.0)
    nn = ember.nn
    if transposed:
        layer = nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
        want = (n, c_out, 16, 16)
    else:
        layer = nn.Conv2d(c_in, c_out, 3, padding=1)
        want = (n, c_out, 8, 8)
    x = ember.zeros(n, 8, 8, c_in).permute(0, 3, 1, 2).requires_grad_()  # channels-last
    y = layer(x)
    assert tuple(y.shape) == want
    y.sum().backward()
    assert tuple(x.grad.shape) == tuple(x.shape)
    assert tuple(layer.weight.grad.shape) == tuple(layer.weight.shape)
    per_channel = float(n * want[2] * want[3])  # d sum / d bias: one per output position
    np.testing.assert_array_equal(layer.bias.grad.numpy(), np.full(c_out, per_channel))
