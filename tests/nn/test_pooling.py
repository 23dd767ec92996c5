"""Pooling layers and F.*pool*: repr, shapes, indices, errors, gradients through max pooling."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradgradcheck
from tests.ops.helpers import check_error


def test_repr_strings():
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.MaxPool1d(3, 2)) == (
        "MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((3, None))) == "AdaptiveAvgPool2d(output_size=(3, None))"
    assert repr(nn.AdaptiveMaxPool2d(2, True)) == "AdaptiveMaxPool2d(output_size=2)"
    assert repr(nn.MaxUnpool2d(2)) == (
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    )


def test_no_parameters_and_shapes():
    x = ember.randn(2, 3, 7, 9)
    assert list(nn.MaxPool2d(2).state_dict()) == []
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3, 4)
    assert nn.MaxPool2d(2, ceil_mode=True)(x).shape == (2, 3, 4, 5)
    assert nn.AvgPool2d(3, 2, 1)(x).shape == (2, 3, 4, 5)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveAvgPool2d((None, 2))(x).shape == (2, 3, 7, 2)
    assert nn.AdaptiveMaxPool2d((3, 4))(x).shape == (2, 3, 3, 4)
    assert nn.MaxPool1d(2)(ember.randn(2, 3, 7)).shape == (2, 3, 3)
    assert nn.AvgPool1d(2)(ember.randn(3, 8)).shape == (3, 4)  # unbatched
    assert nn.AdaptiveAvgPool1d(3)(ember.randn(2, 3, 8)).shape == (2, 3, 3)


def test_max_pool_keeps_float32_and_channels():
    y = F.max_pool2d(ember.randn(2, 3, 4, 4), 2)
    assert y.dtype == ember.float32 and y.shape == (2, 3, 2, 2)


def test_max_pool_indices_and_unpool_round_trip():
    x = ember.tensor(
        np.random.default_rng(0).permutation(2 * 3 * 6 * 8).reshape(2, 3, 6, 8).astype(np.float32)
    )
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, idx = pool(x)
    assert idx.dtype == ember.int64 and idx.shape == y.shape
    z = unpool(y, idx)
    assert z.shape == x.shape
    kept = z.numpy() != 0
    assert kept.sum() == y.numel()
    np.testing.assert_array_equal(z.numpy()[kept], x.numpy()[kept])
    flat = x.numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2), y.numpy().reshape(2, 3, -1)
    )


def test_max_pool_ties_route_gradient_to_first_maximum():
    x = ember.zeros(1, 1, 2, 2, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 0, 0, 0])


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1)])
def test_max_pool_routes_nan_windows_to_their_last_nan(kernel, stride, channels_last):
    # PyTorch's running max takes every NaN it meets: index and gradient go to the last NaN
    # of a window, and a window without NaN keeps its first maximum
    x = np.array([[1.0, np.nan, 0.0], [np.nan, 0.5, 2.0], [3.0, 3.0, 1.0]], np.float32)
    x = np.stack([x, np.where(np.isnan(x), -1.0, x)])[None]  # channel 1 has no NaN
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    t = ember.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(t, kernel, stride, return_indices=True)
    y.sum().backward()
    # one window either way; in both the last NaN is (1, 0), flat index 3. Without NaN the
    # first maximum is 1 at (0, 0) in the 2x2 window and the first 3, (2, 0), in the 3x3 one
    np.testing.assert_array_equal(idx.numpy()[0, :, 0, 0], [3, 0 if kernel == 2 else 6])
    np.testing.assert_array_equal(t.grad.numpy()[0, 0], [[0, 0, 0], [1, 0, 0], [0, 0, 0]])
    torch = pytest.importorskip("torch")
    tt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    yt, it = torch.nn.functional.max_pool2d(tt, kernel, stride, return_indices=True)
    yt.sum().backward()
    np.testing.assert_array_equal(idx.numpy(), it.numpy())
    np.testing.assert_array_equal(t.grad.numpy(), tt.grad.numpy())


def test_adaptive_max_pool_routes_nan_windows_to_their_last_nan():
    x = np.array([[[[1.0, np.nan, 0.5], [np.nan, 0.0, 2.0], [3.0, 1.0, np.nan]]]], np.float32)
    _, whole = F.adaptive_max_pool2d(ember.tensor(x), 1, return_indices=True)
    _, quads = F.adaptive_max_pool2d(ember.tensor(x), 2, return_indices=True)
    assert whole.numpy().ravel().tolist() == [8]  # as torch.nn.functional gives
    assert quads.numpy().ravel().tolist() == [3, 1, 3, 8]


def test_overlapping_max_pool_accumulates_gradient():
    x = ember.tensor(np.arange(25.0).reshape(1, 1, 5, 5), requires_grad=True)
    F.max_pool2d(x, 3, 1).sum().backward()
    assert x.grad.numpy()[0, 0, 4, 4] == 1 and x.grad.numpy().sum() == 9


def test_max_pool_double_backward():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) * 0.1, requires_grad=True)
    assert gradgradcheck(lambda t: F.max_pool2d(t, 3, 2, 1), (x,))
    assert gradgradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 3)), (x,))


@pytest.mark.parametrize(
    "fn, fragment",
    [
        (
            lambda lib: lib.nn.functional.max_pool2d(lib.zeros(1, 1, 4, 4), 2, padding=2),
            "pad should be at most half",
        ),
        (
            lambda lib: lib.nn.functional.max_pool2d(lib.zeros(1, 1, 1, 1), 3),
            "Output size is too small",
        ),
        (
            lambda lib: lib.nn.functional.avg_pool2d(lib.zeros(1, 1, 1, 1), 3),
            "Output size is too small",
        ),
        (
            lambda lib: lib.nn.functional.avg_pool2d(lib.zeros(1, 1, 4, 4), 2, padding=2),
            "pad should be at most half",
        ),
        (lambda lib: lib.nn.functional.max_pool2d(lib.zeros(4, 4), 2), "3D or 4D"),
        (lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.zeros(4), 2), "Expected 3D or 4D"),
        (lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.zeros(4), 2), "Expected 3D or 4D"),
        (
            lambda lib: lib.nn.functional.max_unpool2d(
                lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 2, 3, dtype=lib.int64), 2
            ),
            "Expected shape of indices",
        ),
    ],
)
def test_runtime_errors_match_pytorch(fn, fragment):
    check_error(fn, RuntimeError, fragment)


def test_unpool_output_size_checked():
    check_error(
        lambda lib: lib.nn.functional.max_unpool2d(
            lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), 2, output_size=(9, 9)
        ),
        ValueError,
        "invalid output_size",
    )


@pytest.mark.parametrize("args", [(2,), (3, 2, 1), ((2, 3), 1, (1, 0), (1, 2), True)])
def test_channels_last_input_gives_the_same_values_indices_and_grads(args):
    rng = np.random.default_rng(3)
    nhwc = rng.permutation(2 * 6 * 7 * 4).reshape(2, 6, 7, 4) * 0.1
    results = []
    for make in (
        lambda: ember.tensor(nhwc.transpose(0, 3, 1, 2).copy()),
        lambda: ember.tensor(nhwc).permute(0, 3, 1, 2),
    ):
        x = make().requires_grad_(True)
        y, idx = F.max_pool2d(x, *args, return_indices=True)
        (y * ember.tensor(np.arange(y.numel()).reshape(y.shape) * 1.0)).sum().backward()
        results.append((y.detach().numpy(), idx.numpy(), x.grad.numpy()))
        assert gradgradcheck(lambda t: F.max_pool2d(t, *args), (make().requires_grad_(True),))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
