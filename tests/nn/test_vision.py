"""Upsample / interpolate, PixelShuffle / PixelUnshuffle and F.pad."""

import numpy as np

import ember
import ember.nn.functional as F
from ember import nn
from ember.ops.shape import pad
from tests.ops.helpers import check_error


def test_repr_and_attributes():
    up = nn.Upsample(scale_factor=2)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert up.scale_factor == 2.0 and up.size is None and up.align_corners is None
    up = nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)
    assert repr(up) == "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"


def test_shapes_and_dtype():
    x = ember.randn(2, 3, 4, 5)
    assert nn.Upsample(scale_factor=2)(x).shape == (2, 3, 8, 10)
    y = nn.Upsample(size=(7, 3), mode="bilinear")(x)
    assert y.shape == (2, 3, 7, 3) and y.dtype == ember.float32
    assert F.interpolate(ember.randn(2, 3, 5), scale_factor=1.5, mode="linear").shape == (2, 3, 7)
    assert F.upsample(x, scale_factor=2).shape == (2, 3, 8, 10)


def test_bilinear_align_corners_keeps_corners():
    x = ember.randn(1, 1, 3, 4)
    y = F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True).numpy()
    np.testing.assert_allclose(
        y[0, 0, [0, 0, -1, -1], [0, -1, 0, -1]],
        x.numpy()[0, 0, [0, 0, -1, -1], [0, -1, 0, -1]],
        rtol=1e-6,
    )


def test_pixel_shuffle_round_trip():
    x = ember.randn(2, 8, 3, 5)
    y = nn.PixelShuffle(2)(x)
    assert y.shape == (2, 2, 6, 10)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(y).numpy(), x.numpy())


def test_pad_is_the_shape_op():
    assert F.pad is pad


def test_errors_match_pytorch():
    x = lambda lib: lib.zeros(1, 1, 4, 4)  # noqa: E731
    check_error(
        lambda lib: lib.nn.functional.interpolate(x(lib), scale_factor=2, align_corners=True),
        ValueError,
        "align_corners option can only be set",
    )
    check_error(
        lambda lib: lib.nn.functional.interpolate(x(lib)), ValueError, "either size or scale_factor"
    )
    check_error(
        lambda lib: lib.nn.functional.interpolate(x(lib), size=3, scale_factor=2),
        ValueError,
        "only one of size or scale_factor",
    )
    check_error(
        lambda lib: lib.nn.functional.interpolate(x(lib), size=(2,)),
        ValueError,
        "same number of spatial dimensions",
    )
    check_error(
        lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4), size=3, mode="bilinear"),
        NotImplementedError,
        "bilinear mode needs 4D input",
    )
    check_error(
        lambda lib: lib.nn.functional.pixel_shuffle(lib.zeros(1, 3, 4, 4), 2),
        RuntimeError,
        "divisible by the square of upscale_factor",
    )
    check_error(
        lambda lib: lib.nn.functional.pixel_unshuffle(lib.zeros(1, 3, 5, 4), 2),
        RuntimeError,
        "height to be divisible by downscale_factor",
    )
    check_error(
        lambda lib: lib.nn.functional.pixel_shuffle(lib.zeros(4, 4), 2),
        RuntimeError,
        "at least 3 dimensions",
    )
