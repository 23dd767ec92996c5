"""Op cases: convolution, pooling and vision functions of ``F`` (small shapes: gradcheck costs
one forward pass per input element).

``fn`` reaches ``F`` through ``fns(t)``: ``ember.nn.functional`` for an ember tensor,
``torch.nn.functional`` for a torch tensor. Max-pooling inputs are ``distinct`` (no ties, so
finite differences do not cross an argmax change).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import ember
from tests.ops.cases import OpCase, args, distinct, randn, register


def fns(t):
    """The functional namespace (``ember.nn.functional`` or ``torch.nn.functional``) of ``t``."""
    if isinstance(t, ember.Tensor):
        import ember.nn.functional as F

        return F
    import torch.nn.functional as F

    return F


# -- NumPy references ---------------------------------------------------------------------------
def np_conv2d(x, w, b=None, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwij,ocij->nohw", win, w)
    return out if b is None else out + b[:, None, None]


def np_pool(x, k, reduce):
    n, c, h, w = x.shape
    return reduce(x.reshape(n, c, h // k, k, w // k, k), axis=(3, 5))


def np_unfold(x, k):
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, OH, OW, k, k)
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k * k, oh * ow)


def np_pixel_shuffle(x, r):
    n, c, h, w = x.shape
    y = x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (r * r), h * r, w * r)


def _unpool(x):
    F = fns(x)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    return F.max_unpool2d(y * 2, idx, 2, output_size=(5, 7))


register(
    # -- convolution ------------------------------------------------------------------------------
    OpCase(
        "conv1d_bias_stride_pad",
        lambda x, w, b: fns(x).conv1d(x, w, b, 2, 1),
        args(randn(2, 3, 7), randn(4, 3, 3), randn(4)),
    ),
    OpCase(
        "conv1d_same_dilation",
        lambda x, w: fns(x).conv1d(x, w, padding="same", dilation=2),
        args(randn(2, 2, 6), randn(3, 2, 2)),
    ),
    OpCase(
        "conv1d_groups",
        lambda x, w: fns(x).conv1d(x, w, groups=2),
        args(randn(2, 4, 5), randn(4, 2, 3)),
    ),
    OpCase(
        "conv2d_bias_pad",
        lambda x, w, b: fns(x).conv2d(x, w, b, padding=1),
        args(randn(2, 2, 4, 4), randn(3, 2, 3, 3), randn(3)),
        ref=lambda x, w, b: np_conv2d(x, w, b, padding=1),
    ),
    OpCase(
        "conv2d_stride2",
        lambda x, w: fns(x).conv2d(x, w, stride=2),
        args(randn(2, 2, 5, 5), randn(2, 2, 3, 3)),
        ref=lambda x, w: np_conv2d(x, w, stride=2),
    ),
    OpCase(
        "conv2d_stride_dilation_pad",
        lambda x, w: fns(x).conv2d(x, w, stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        args(randn(1, 2, 5, 6), randn(2, 2, 2, 2)),
    ),
    OpCase(
        "conv2d_groups",
        lambda x, w, b: fns(x).conv2d(x, w, b, padding=1, groups=2),
        args(randn(1, 4, 4, 4), randn(4, 2, 2, 2), randn(4)),
    ),
    OpCase(
        "conv2d_depthwise",
        lambda x, w: fns(x).conv2d(x, w, groups=3),
        args(randn(2, 3, 4, 4), randn(3, 1, 3, 3)),
    ),
    OpCase(
        "conv2d_same_even_kernel",
        lambda x, w: fns(x).conv2d(x, w, padding="same"),
        args(randn(1, 2, 4, 5), randn(2, 2, 2, 3)),
    ),
    OpCase(
        "conv2d_valid_unbatched",
        lambda x, w: fns(x).conv2d(x, w, padding="valid"),
        args(randn(2, 4, 4), randn(2, 2, 2, 2)),
    ),
    OpCase(
        "conv_transpose1d_stride_outpad",
        lambda x, w, b: fns(x).conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
        args(randn(2, 3, 4), randn(3, 2, 3), randn(2)),
    ),
    OpCase(
        "conv_transpose2d_stride_groups",
        lambda x, w, b: fns(x).conv_transpose2d(x, w, b, 2, 1, 1, groups=2),
        args(randn(1, 4, 3, 3), randn(4, 1, 3, 3), randn(2)),
    ),
    OpCase(
        "conv_transpose2d_dilation",
        lambda x, w: fns(x).conv_transpose2d(x, w, stride=(1, 2), dilation=(2, 1)),
        args(randn(2, 2, 3, 3), randn(2, 2, 2, 2)),
    ),
    OpCase(
        "unfold",
        lambda x: fns(x).unfold(x, 2),
        args(randn(2, 2, 4, 4)),
        ref=lambda x: np_unfold(x, 2),
    ),
    OpCase(
        "unfold_stride_pad_dilation",
        lambda x: fns(x).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2),
        args(randn(1, 2, 5, 6)),
    ),
    OpCase(
        "fold_overlap",
        lambda x: fns(x).fold(x, (4, 5), 2, padding=1, stride=(1, 2)),
        args(randn(2, 8, 15)),
    ),
    # -- max pooling ------------------------------------------------------------------------------
    OpCase(
        "max_pool2d",
        lambda x: fns(x).max_pool2d(x, 2),
        args(distinct(2, 2, 4, 6)),
        ref=lambda x: np_pool(x, 2, np.max),
    ),
    OpCase(
        "max_pool2d_overlap_pad",
        lambda x: fns(x).max_pool2d(x, 3, 2, 1),
        args(distinct(2, 2, 5, 5)),
    ),
    OpCase(
        "max_pool2d_ceil_dilation",
        lambda x: fns(x).max_pool2d(x, (2, 3), (2, 1), (1, 1), (2, 1), ceil_mode=True),
        args(distinct(1, 2, 6, 5)),
    ),
    OpCase(
        "max_pool2d_unbatched_ceil",
        lambda x: fns(x).max_pool2d(x, 2, ceil_mode=True),
        args(distinct(2, 5, 5)),
    ),
    OpCase(
        "max_pool2d_indices",
        lambda x: fns(x).max_pool2d(x, 3, 2, 1, return_indices=True),
        args(distinct(2, 2, 5, 6)),
        diff=(),
    ),
    OpCase("max_pool1d", lambda x: fns(x).max_pool1d(x, 3, 2, 1), args(distinct(2, 3, 7))),
    OpCase(
        "max_pool1d_indices",
        lambda x: fns(x).max_pool1d(x, 2, ceil_mode=True, return_indices=True),
        args(distinct(2, 3, 7)),
        diff=(),
    ),
    OpCase(
        "adaptive_max_pool2d",
        lambda x: fns(x).adaptive_max_pool2d(x, (2, 3)),
        args(distinct(2, 2, 5, 7)),
    ),
    OpCase(
        "adaptive_max_pool2d_indices",
        lambda x: fns(x).adaptive_max_pool2d(x, 3, return_indices=True),
        args(distinct(2, 2, 5, 4)),
        diff=(),
    ),
    OpCase("max_unpool2d", _unpool, args(distinct(2, 2, 5, 7))),
    # -- average pooling --------------------------------------------------------------------------
    OpCase(
        "avg_pool2d",
        lambda x: fns(x).avg_pool2d(x, 2),
        args(randn(2, 2, 4, 6)),
        ref=lambda x: np_pool(x, 2, np.mean),
    ),
    OpCase("avg_pool2d_pad", lambda x: fns(x).avg_pool2d(x, 3, 2, 1), args(randn(2, 2, 5, 5))),
    OpCase(
        "avg_pool2d_ceil_exclude_pad",
        lambda x: fns(x).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        args(randn(1, 2, 6, 6)),
    ),
    OpCase(
        "avg_pool2d_divisor_override",
        lambda x: fns(x).avg_pool2d(x, (2, 3), (1, 2), divisor_override=4),
        args(randn(1, 2, 4, 5)),
    ),
    OpCase(
        "avg_pool1d", lambda x: fns(x).avg_pool1d(x, 3, 2, 1, ceil_mode=True), args(randn(2, 3, 6))
    ),
    OpCase(
        "adaptive_avg_pool2d",
        lambda x: fns(x).adaptive_avg_pool2d(x, (3, None)),
        args(randn(2, 2, 5, 4)),
    ),
    OpCase(
        "adaptive_avg_pool2d_exact",
        lambda x: fns(x).adaptive_avg_pool2d(x, 2),
        args(randn(2, 2, 4, 6)),
        ref=lambda x: x.reshape(2, 2, 2, 2, 2, 3).mean(axis=(3, 5)),
    ),
    OpCase("adaptive_avg_pool1d", lambda x: fns(x).adaptive_avg_pool1d(x, 3), args(randn(2, 3, 7))),
    # -- vision -----------------------------------------------------------------------------------
    OpCase(
        "interpolate_nearest",
        lambda x: fns(x).interpolate(x, scale_factor=2),
        args(randn(1, 2, 3, 3)),
        ref=lambda x: x.repeat(2, axis=2).repeat(2, axis=3),
    ),
    OpCase(
        "interpolate_nearest_size",
        lambda x: fns(x).interpolate(x, size=(5, 2)),
        args(randn(1, 2, 3, 4)),
    ),
    OpCase(
        "interpolate_nearest_1d",
        lambda x: fns(x).interpolate(x, scale_factor=1.5),
        args(randn(2, 2, 4)),
    ),
    OpCase(
        "interpolate_bilinear",
        lambda x: fns(x).interpolate(x, scale_factor=2, mode="bilinear"),
        args(randn(1, 2, 3, 3)),
    ),
    OpCase(
        "interpolate_bilinear_align_corners",
        lambda x: fns(x).interpolate(x, size=(4, 5), mode="bilinear", align_corners=True),
        args(randn(1, 2, 3, 3)),
    ),
    OpCase(
        "interpolate_bilinear_downscale",
        lambda x: fns(x).interpolate(x, scale_factor=(0.6, 0.75), mode="bilinear"),
        args(randn(1, 2, 5, 4)),
    ),
    OpCase(
        "interpolate_linear",
        lambda x: fns(x).interpolate(x, size=7, mode="linear"),
        args(randn(2, 2, 4)),
    ),
    OpCase(
        "interpolate_bicubic",
        lambda x: fns(x).interpolate(x, size=(7, 3), mode="bicubic"),
        args(randn(1, 2, 4, 5)),
    ),
    OpCase(
        "interpolate_bicubic_align_corners",
        lambda x: fns(x).interpolate(x, scale_factor=1.7, mode="bicubic", align_corners=True),
        args(randn(1, 2, 3, 4)),
    ),
    OpCase(
        "interpolate_bilinear_antialias",
        lambda x: fns(x).interpolate(x, size=(3, 2), mode="bilinear", antialias=True),
        args(randn(1, 2, 7, 5)),
    ),
    OpCase(
        "interpolate_bilinear_antialias_up_and_down",
        lambda x: fns(x).interpolate(x, scale_factor=(1.5, 0.4), mode="bilinear", antialias=True),
        args(randn(2, 1, 3, 8)),
    ),
    OpCase(
        "interpolate_bicubic_antialias",
        lambda x: fns(x).interpolate(
            x, size=(2, 3), mode="bicubic", align_corners=True, antialias=True
        ),
        args(randn(1, 2, 6, 7)),
    ),
    OpCase(
        "interpolate_lanczos",
        lambda x: fns(x).interpolate(x, size=(3, 4), mode="lanczos", antialias=True),
        args(randn(1, 1, 8, 6)),
    ),
    OpCase(
        "interpolate_trilinear",
        lambda x: fns(x).interpolate(x, size=(3, 2, 4), mode="trilinear"),
        args(randn(1, 2, 2, 3, 3)),
    ),
    OpCase(
        "interpolate_nearest_3d",
        lambda x: fns(x).interpolate(x, scale_factor=(2, 0.5, 1.5)),
        args(randn(1, 2, 2, 4, 2)),
    ),
    OpCase(
        "interpolate_nearest_exact",
        lambda x: fns(x).interpolate(x, size=(5, 3), mode="nearest-exact"),
        args(randn(1, 2, 3, 7)),
    ),
    OpCase(
        "interpolate_area",
        lambda x: fns(x).interpolate(x, size=(2, 3), mode="area"),
        args(randn(1, 2, 5, 7)),
    ),
    OpCase(
        "interpolate_area_3d",
        lambda x: fns(x).interpolate(x, scale_factor=0.5, mode="area"),
        args(randn(1, 1, 4, 3, 5)),
    ),
    OpCase(
        "pixel_shuffle",
        lambda x: fns(x).pixel_shuffle(x, 2),
        args(randn(1, 8, 2, 3)),
        ref=lambda x: np_pixel_shuffle(x, 2),
    ),
    OpCase("pixel_unshuffle", lambda x: fns(x).pixel_unshuffle(x, 2), args(randn(1, 2, 4, 6))),
    OpCase(
        "pad_reflect",
        lambda x: fns(x).pad(x, (1, 2, 2, 1), mode="reflect"),
        args(randn(1, 2, 4, 4)),
        ref=lambda x: np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 2)), mode="reflect"),
    ),
    OpCase(
        "pad_circular",
        lambda x: fns(x).pad(x, (1, 1, 2, 0), mode="circular"),
        args(randn(1, 2, 3, 4)),
    ),
    OpCase(
        "pad_replicate", lambda x: fns(x).pad(x, (2, 1), mode="replicate"), args(randn(1, 2, 4))
    ),
)
