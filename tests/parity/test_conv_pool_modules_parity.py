"""Conv, pooling and vision layers against PyTorch: repr, state_dict, outputs and gradients.

Each ember layer loads the PyTorch layer's state_dict (as NumPy arrays); a float64 input and a
fixed random projection of the output then give outputs, input gradients and parameter
gradients to compare.
"""

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as enn

torch = pytest.importorskip("torch")
tnn = torch.nn

# (id, constructor written against either nn namespace, input shape, positive distinct inputs)
MODULES = [
    ("conv1d", lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    ("conv1d_same_groups", lambda nn: nn.Conv1d(4, 6, 4, padding="same", groups=2), (2, 4, 7)),
    (
        "conv1d_circular",
        lambda nn: nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular", dilation=2),
        (2, 2, 8),
    ),
    ("conv2d", lambda nn: nn.Conv2d(3, 4, 3, padding=1), (2, 3, 6, 5)),
    (
        "conv2d_stride_dilation",
        lambda nn: nn.Conv2d(2, 4, (3, 2), (2, 1), (1, 0), (1, 2), bias=False),
        (2, 2, 7, 6),
    ),
    ("conv2d_groups", lambda nn: nn.Conv2d(4, 6, 3, groups=2), (2, 4, 5, 5)),
    ("conv2d_same_even", lambda nn: nn.Conv2d(2, 3, (2, 4), padding="same"), (1, 2, 5, 6)),
    (
        "conv2d_reflect",
        lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
        (2, 2, 5, 5),
    ),
    (
        "conv2d_replicate",
        lambda nn: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate"),
        (2, 2, 5, 5),
    ),
    (
        "conv2d_circular_same",
        lambda nn: nn.Conv2d(2, 3, 3, padding="same", padding_mode="circular"),
        (2, 2, 5, 4),
    ),
    ("conv2d_unbatched", lambda nn: nn.Conv2d(2, 3, 3), (2, 5, 5)),
    (
        "conv_transpose1d",
        lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1),
        (2, 3, 5),
    ),
    (
        "conv_transpose2d",
        lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 4, 3),
    ),
    (  # ungrouped and strided: the phase-grid products (ember.ops.conv._conv_t_phases)
        "conv_transpose2d_strided",
        lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=(2, 3), padding=1, output_padding=(1, 2)),
        (2, 3, 4, 5),
    ),
    (
        "conv_transpose2d_dilation",
        lambda nn: nn.ConvTranspose2d(2, 3, 2, dilation=2, bias=False),
        (2, 2, 3, 4),
    ),
    ("max_pool1d", lambda nn: nn.MaxPool1d(3, 2, 1), (2, 3, 9)),
    ("max_pool2d", lambda nn: nn.MaxPool2d(2), (2, 3, 6, 8)),
    ("max_pool2d_overlap", lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 7)),
    ("max_pool2d_dilation", lambda nn: nn.MaxPool2d((2, 3), 1, 1, dilation=2), (2, 2, 6, 7)),
    ("avg_pool1d", lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 8)),
    ("avg_pool2d", lambda nn: nn.AvgPool2d(2), (2, 3, 6, 8)),
    ("avg_pool2d_pad_ceil", lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 7)),
    ("avg_pool2d_divisor", lambda nn: nn.AvgPool2d(3, 2, 1, divisor_override=5), (2, 3, 7, 7)),
    ("adaptive_avg_pool1d", lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    ("adaptive_avg_pool2d", lambda nn: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    ("adaptive_avg_pool2d_global", lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
    ("adaptive_max_pool2d", lambda nn: nn.AdaptiveMaxPool2d((3, None)), (2, 3, 7, 5)),
    ("upsample_nearest", lambda nn: nn.Upsample(scale_factor=2), (2, 3, 3, 4)),
    ("upsample_nearest_size", lambda nn: nn.Upsample(size=(5, 7)), (2, 3, 3, 4)),
    ("upsample_bilinear", lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear"), (2, 3, 4, 4)),
    (
        "upsample_bilinear_ac",
        lambda nn: nn.Upsample(size=(6, 5), mode="bilinear", align_corners=True),
        (2, 3, 4, 3),
    ),
    ("upsample_linear", lambda nn: nn.Upsample(size=9, mode="linear"), (2, 3, 4)),
    ("pixel_shuffle", lambda nn: nn.PixelShuffle(2), (2, 8, 3, 4)),
    ("pixel_unshuffle", lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
]


def _pair(make):
    e, t = make(enn), make(tnn)
    e.load_state_dict(OrderedDict((k, v.detach().numpy()) for k, v in t.state_dict().items()))
    return e, t


@pytest.mark.parametrize("name, make, shape", MODULES, ids=[m[0] for m in MODULES])
def test_repr_matches(name, make, shape):
    assert repr(make(enn)) == repr(make(tnn)).replace("torch.", "ember.")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, make, shape", MODULES, ids=[m[0] for m in MODULES])
def test_outputs_and_gradients_match(name, make, shape, dtype):
    e, t = _pair(make)
    if dtype == "float64":
        e, t = e.double(), t.double()
    rng = np.random.default_rng(0)
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 0.3).astype(dtype)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)
    assert tuple(ye.shape) == tuple(yt.shape)
    assert str(ye.dtype).split(".")[-1] == dtype
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), **tol)
    w = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), **tol)
    tp = dict(t.named_parameters())
    for k, p in e.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[k].grad.numpy(), **tol, err_msg=k)


def test_max_pool_and_unpool_modules_match_with_indices():
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 3 * 7 * 9).reshape(2, 3, 7, 9).astype(np.float32)
    outs = []
    for nn, lib in ((enn, ember), (tnn, torch)):
        xx = lib.tensor(x, requires_grad=True)
        y, idx = nn.MaxPool2d(2, return_indices=True)(xx)
        z = nn.MaxUnpool2d(2)(y, idx, output_size=xx.shape)
        (z * lib.tensor(np.arange(z.numel(), dtype=np.float32).reshape(z.shape))).sum().backward()
        outs.append((idx.numpy(), z.detach().numpy(), xx.grad.numpy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    am = []
    for nn, lib in ((enn, ember), (tnn, torch)):
        am.append(nn.AdaptiveMaxPool2d((3, 4), return_indices=True)(lib.tensor(x))[1].numpy())
    np.testing.assert_array_equal(*am)


def test_lazy_conv2d_matches_after_first_call():
    e, t = enn.LazyConv2d(4, 3, padding=1), tnn.LazyConv2d(4, 3, padding=1)
    assert repr(e) == repr(t)
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 5)).astype(np.float32)
    t(torch.tensor(x))
    e(ember.tensor(x))
    assert repr(e) == repr(t)
    e.load_state_dict(OrderedDict((k, v.detach().numpy()) for k, v in t.state_dict().items()))
    np.testing.assert_allclose(
        e(ember.tensor(x)).detach().numpy(),
        t(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_state_dict_round_trip_to_torch():
    e = enn.Conv2d(3, 4, 3, groups=1)
    t = tnn.Conv2d(3, 4, 3)
    t.load_state_dict(OrderedDict((k, torch.tensor(v.numpy())) for k, v in e.state_dict().items()))
    x = np.random.default_rng(3).standard_normal((1, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(
        e(ember.tensor(x)).detach().numpy(),
        t(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resnet_stage_conv_through_shifted_products_matches(dtype):
    # 16 channels at 32x32, stride 1: ember computes it as shifted-window products (no im2col)
    from ember.ops import conv as C

    rng = np.random.default_rng(21)
    x = rng.standard_normal((2, 16, 32, 32)).astype(dtype)
    g = rng.standard_normal((2, 16, 32, 32)).astype(dtype)
    assert C._taps_suit(x, np.zeros((16, 16, 3, 3), dtype), (1, 1), (1, 1), 1, 32, 32)
    out = {}
    for lib, nn in ((torch, tnn), (ember, enn)):
        if lib is torch:
            lib.manual_seed(0)
            layer = nn.Conv2d(16, 16, 3, padding=1).to(getattr(torch, dtype))
            state = {k: v.detach().numpy() for k, v in layer.state_dict().items()}
        else:
            layer = nn.Conv2d(16, 16, 3, padding=1, dtype=getattr(ember, dtype))
            layer.load_state_dict({k: ember.tensor(v) for k, v in state.items()})
        xi = lib.tensor(x, requires_grad=True)
        y = layer(xi)
        y.backward(lib.tensor(g))
        out[lib.__name__] = [
            a.detach().numpy() for a in (y, xi.grad, layer.weight.grad, layer.bias.grad)
        ]
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    for e, t in zip(out["ember"], out["torch"], strict=True):
        np.testing.assert_allclose(e, t, **tol)
