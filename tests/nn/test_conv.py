"""Convolution layers and F.conv*: construction, init, repr, errors, shapes, higher-order grads."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from tests.ops.helpers import check_error


def test_parameter_shapes_and_names():
    conv = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    convt = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False)
    assert convt.weight.shape == (4, 3, 3, 3) and convt.bias is None
    assert nn.Conv1d(2, 3, 5).weight.shape == (3, 2, 5)
    assert nn.ConvTranspose1d(2, 3, 5).weight.shape == (2, 3, 5)


def test_default_init_bounds():
    ember.manual_seed(0)
    conv = nn.Conv2d(8, 16, 3)
    fan_in = 8 * 9
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives the same bound
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound
    assert conv.weight.dtype == ember.float32


def test_repr_strings():
    assert repr(nn.Conv2d(3, 16, 3)) == "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(3, 4, 3, padding="same", bias=False, padding_mode="reflect")) == (
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False, "
        "padding_mode=reflect)"
    )
    assert repr(nn.ConvTranspose2d(3, 4, 3, 2, 1, 1)) == (
        "ConvTranspose2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1))"
    )
    assert repr(nn.Conv1d(3, 6, 3, 2, 1, 2, 3)) == (
        "Conv1d(3, 6, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=3)"
    )


def test_forward_shapes():
    x = ember.randn(2, 3, 9, 8)
    assert nn.Conv2d(3, 5, 3, stride=2, padding=1)(x).shape == (2, 5, 5, 4)
    assert nn.Conv2d(3, 5, (2, 3), padding="same", dilation=2)(x).shape == (2, 5, 9, 8)
    assert nn.Conv2d(3, 5, 3)(x[0]).shape == (5, 7, 6)  # unbatched
    assert nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)(x).shape == (
        2,
        2,
        18,
        16,
    )
    assert nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)(x, output_size=(18, 15)).shape == (
        2,
        2,
        18,
        15,
    )
    assert nn.Conv1d(3, 4, 3, padding=1)(ember.randn(2, 3, 7)).shape == (2, 4, 7)
    assert nn.ConvTranspose1d(3, 4, 2, stride=2)(ember.randn(2, 3, 7)).shape == (2, 4, 14)


def test_float32_kept_and_float64_kept():
    conv = nn.Conv2d(2, 3, 3)
    assert conv(ember.randn(1, 2, 5, 5)).dtype == ember.float32
    conv64 = nn.Conv2d(2, 3, 3, dtype=ember.float64)
    assert conv64(ember.randn(1, 2, 5, 5, dtype=ember.float64)).dtype == ember.float64


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_pad_then_convolve(mode):
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode)
    x = ember.randn(1, 2, 5, 4)
    want = F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), conv.weight, conv.bias)
    np.testing.assert_allclose(conv(x).detach().numpy(), want.detach().numpy(), rtol=1e-6)


def test_lazy_conv2d_materializes_and_becomes_conv2d():
    lazy = nn.LazyConv2d(4, 3, padding=1)
    assert repr(lazy) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    y = lazy(ember.randn(2, 5, 6, 6))
    assert type(lazy) is nn.Conv2d and lazy.in_channels == 5
    assert lazy.weight.shape == (4, 5, 3, 3) and y.shape == (2, 4, 6, 6)
    other = nn.LazyConv2d(4, 3)
    other.load_state_dict(lazy.state_dict())
    assert other.weight.shape == (4, 5, 3, 3)


def test_layer_error_names_layer_and_shapes():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(RuntimeError) as info:
        conv(ember.zeros(8, 1, 28, 28))
    assert str(info.value) == (
        "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1)): expected input with 3 channels, got "
        "input of shape (8, 1, 28, 28)"
    )
    with pytest.raises(RuntimeError, match=r"expected 3D \(unbatched\) or 4D.*\(2, 3\)"):
        conv(ember.zeros(2, 3))


def test_constructor_errors_match_pytorch():
    for make, exc in [
        (lambda nn_: nn_.Conv2d(3, 4, 3, groups=2), ValueError),
        (lambda nn_: nn_.Conv2d(2, 3, 3, groups=2), ValueError),
        (lambda nn_: nn_.Conv2d(2, 2, 3, groups=0), ValueError),
        (lambda nn_: nn_.Conv2d(2, 2, 3, padding="foo"), ValueError),
        (lambda nn_: nn_.Conv2d(2, 2, 3, padding="same", stride=2), ValueError),
        (lambda nn_: nn_.Conv2d(2, 2, 3, padding_mode="foo"), ValueError),
        (lambda nn_: nn_.ConvTranspose2d(2, 2, 3, padding_mode="reflect"), ValueError),
    ]:
        check_error(lambda lib, make=make: make(lib.nn), exc)


def test_functional_errors_match_pytorch():
    check_error(
        lambda lib: lib.nn.functional.conv2d(lib.zeros(2, 2), lib.zeros(1, 2, 1, 1)),
        RuntimeError,
        "Expected 3D (unbatched) or 4D (batched) input to conv2d",
    )
    check_error(
        lambda lib: lib.nn.functional.conv2d(lib.zeros(1, 2, 4, 4), lib.zeros(1, 3, 1, 1)),
        RuntimeError,
        "expected input[1, 2, 4, 4] to have 3 channels",
    )
    check_error(
        lambda lib: lib.nn.functional.conv2d(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 3, 3)),
        RuntimeError,
        "Kernel size can't be greater than actual input size",
    )
    check_error(
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 4, 4, 4), lib.zeros(3, 2, 1, 1), groups=2
        ),
        RuntimeError,
        "divisible by 2",
    )
    check_error(
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 1, 4, 4), lib.zeros(1, 1, 3, 3), padding="foo"
        ),
        RuntimeError,
        "Invalid padding string",
    )
    check_error(
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 1, 4, 4), lib.zeros(1, 1, 3, 3), padding="same", stride=2
        ),
        RuntimeError,
        "not supported for strided",
    )
    check_error(
        lambda lib: lib.nn.functional.conv_transpose2d(
            lib.zeros(1, 3, 4, 4), lib.zeros(4, 2, 3, 3)
        ),
        RuntimeError,
        "to have 4 channels",
    )
    check_error(
        lambda lib: lib.nn.functional.conv_transpose2d(
            lib.zeros(1, 4, 4, 4), lib.zeros(4, 2, 3, 3), output_padding=1
        ),
        RuntimeError,
        "output padding must be smaller",
    )
    check_error(
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 1, 4, 4), lib.zeros(1, 1, 1, 1, dtype=lib.float64)
        ),
        RuntimeError,
    )
    check_error(
        lambda lib: lib.nn.functional.fold(lib.zeros(1, 4, 10), (4, 4), 2),
        RuntimeError,
        "calculated number of sliding blocks",
    )
    check_error(
        lambda lib: lib.nn.functional.fold(lib.zeros(1, 5, 9), (4, 4), 2),
        RuntimeError,
        "divisible by the product of kernel_size",
    )
    check_error(lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 1, 4, 4), 2), RuntimeError)


def test_fold_inverts_unfold_times_overlap_count():
    x = ember.randn(2, 3, 5, 6)
    cols = F.unfold(x, 3, padding=1)
    counts = F.fold(F.unfold(ember.ones(1, 1, 5, 6), 3, padding=1), (5, 6), 3, padding=1)
    back = F.fold(cols, (5, 6), 3, padding=1) / counts
    np.testing.assert_allclose(back.numpy(), x.numpy(), rtol=1e-5, atol=1e-6)


def _f64(*shape):
    return ember.randn(*shape, dtype=ember.float64, requires_grad=True)


def test_conv_double_backward_with_groups_stride_dilation():
    x, w, b = _f64(2, 4, 6, 5), _f64(4, 2, 2, 3), _f64(4)

    def fn(x, w, b):
        return F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv_transpose_double_backward():
    x, w = _f64(1, 4, 3, 3), _f64(4, 1, 3, 2)

    def fn(x, w):
        return F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1, groups=2)

    assert gradcheck(fn, (x, w))
    assert gradgradcheck(fn, (x, w))


def test_third_order_gradient_of_conv_runs():
    x, w = _f64(1, 1, 4, 4), _f64(1, 1, 2, 2)
    y = (F.conv2d(x, w) ** 2).sum()
    (gx,) = ember.autograd.grad(y, (x,), create_graph=True)
    (gw,) = ember.autograd.grad(gx.sum(), (w,), create_graph=True)
    (gx2,) = ember.autograd.grad((gw**2).sum(), (x,))
    assert gx2.shape == x.shape and np.isfinite(gx2.numpy()).all()


def test_no_batch_loop_scaling_smoke():
    conv = nn.Conv2d(16, 16, 3, padding=1)
    y = conv(ember.randn(32, 16, 16, 16))
    y.sum().backward()
    assert conv.weight.grad.shape == (16, 16, 3, 3)
