"""interpolate's modes beyond nearest/bilinear: bicubic, antialiased filters (bilinear, bicubic,
Lanczos-3), trilinear, nearest-exact, area, 3-D nearest; their errors and PyTorch's rounding.

Gradients and double gradients of each mode are checked in ``tests/ops/cases_nn_conv_pool.py``.
"""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.ops.helpers import check_error

RNG = np.random.default_rng(0)


def _ours(x, **kw):
    return F.interpolate(ember.tensor(x), **kw).numpy()


def _torch(x, **kw):
    torch = pytest.importorskip("torch")
    return torch.nn.functional.interpolate(torch.tensor(x), **kw).numpy()


def _assert_same(x, **kw):
    """ember and PyTorch give the same values, or raise the same exception type."""
    try:
        ref = _torch(x, **kw)
    except Exception as e:  # noqa: BLE001 - any error: ember must raise the same type
        with pytest.raises(type(e)):
            _ours(x, **kw)
        return
    np.testing.assert_allclose(_ours(x, **kw), ref, atol=1e-12, err_msg=str(kw))


def test_errors_match_pytorch():
    x4 = lambda lib: lib.zeros(1, 1, 4, 4)  # noqa: E731
    interp = lambda lib, x, **kw: lib.nn.functional.interpolate(x, **kw)  # noqa: E731
    cases = [
        (lambda lib: interp(lib, x4(lib), size=2, antialias=True), ValueError, "Anti-alias"),
        (
            lambda lib: interp(lib, lib.zeros(1, 1, 4), size=2, mode="linear", antialias=True),
            ValueError,
            "restricted to bilinear, bicubic, and lanczos",
        ),
        (
            lambda lib: interp(lib, x4(lib), size=2, mode="lanczos"),
            ValueError,
            "requires antialias",
        ),
        (
            lambda lib: interp(
                lib, x4(lib), size=2, mode="lanczos", antialias=True, align_corners=True
            ),
            ValueError,
            "does not support align_corners=True",
        ),
        (
            lambda lib: interp(lib, lib.zeros(1, 1, 4), size=2, mode="bicubic"),
            NotImplementedError,
            "Only 3D, 4D and 5D input Tensors supported (got 3D)",
        ),
        (
            lambda lib: interp(lib, x4(lib), size=2, mode="trilinear"),
            NotImplementedError,
            "trilinear mode needs 5D input",
        ),
        (lambda lib: interp(lib, x4(lib), size=2, mode="cubic"), NotImplementedError, "got cubic"),
        (
            lambda lib: interp(lib, lib.zeros(2, 4), size=2),
            NotImplementedError,
            "got 2D) for the modes",
        ),
        (
            lambda lib: interp(lib, x4(lib), size=2, recompute_scale_factor=True),
            ValueError,
            "recompute_scale_factor is not meaningful with an explicit size",
        ),
        (
            lambda lib: interp(lib, x4(lib), size=(2, 0), mode="bilinear"),
            RuntimeError,
            "got input (H: 4, W: 4) output (H: 2, W: 0)",
        ),
        (
            lambda lib: interp(lib, lib.zeros(1, 1, 1), scale_factor=0.5),
            RuntimeError,
            "got input (W: 1) and output (W: 0)",
        ),
        (
            lambda lib: interp(lib, lib.zeros(1, 1, 1, 2, 2), size=(0, 1, 1)),
            RuntimeError,
            "input (D: 1, H: 2, W: 2) output (D: 0, H: 1, W: 1)",
        ),
    ]
    for fn, exc, match in cases:
        check_error(fn, exc, match)


def test_integer_inputs():
    """The weighted modes need floats (PyTorch: NotImplementedError for integer dtypes);
    nearest copies integers as they are."""
    x = ember.arange(8).reshape(1, 2, 4)
    for mode in ("linear", "area"):
        with pytest.raises(NotImplementedError, match=f"mode '{mode}' needs a floating-point"):
            F.interpolate(x, size=3, mode=mode)
    np.testing.assert_array_equal(F.interpolate(x, size=2).numpy(), [[[0, 2], [4, 6]]])


def test_area_allows_an_empty_output():
    assert F.interpolate(ember.zeros(1, 2, 1, 4), scale_factor=0.5, mode="area").shape == (
        1,
        2,
        0,
        2,
    )


def test_dtype_is_kept():
    x = ember.randn(1, 2, 5, 6, dtype=ember.float64)
    for mode in ("bicubic", "lanczos", "nearest-exact", "area"):
        aa = mode == "lanczos"
        assert F.interpolate(x, size=(3, 4), mode=mode, antialias=aa).dtype == ember.float64
    assert F.interpolate(x.float(), size=(3, 4), mode="bicubic").dtype == ember.float32


def test_bicubic_interpolates_the_samples():
    # with align_corners, output 2i of a (2n - 1)-long resize sits on input i, where the
    # cubic kernel's weights are (0, 1, 0, 0)
    x = RNG.standard_normal((1, 2, 4, 6))
    y = _ours(x, size=(7, 11), mode="bicubic", align_corners=True)
    np.testing.assert_allclose(y[:, :, ::2, ::2], x, atol=1e-12)


def test_antialias_matches_pillow():
    """Pillow's float resize is the reference PyTorch's antialias follows; it also covers
    the shapes where PyTorch 2.13 goes wrong (a width of 1 while the height shrinks)."""
    pytest.importorskip("PIL")
    from PIL import Image

    filters = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
    for (h, w), (oh, ow) in [
        ((8, 3), (4, 1)),
        ((17, 23), (3, 5)),
        ((17, 23), (31, 9)),
        ((7, 60), (7, 11)),
        ((9, 9), (1, 1)),
    ]:
        x = RNG.random((h, w)).astype(np.float32)
        for mode, flt in filters.items():
            ref = np.asarray(Image.fromarray(x, mode="F").resize((ow, oh), flt))
            out = _ours(x[None, None], size=(oh, ow), mode=mode, antialias=True)[0, 0]
            np.testing.assert_allclose(out, ref, atol=1e-6, err_msg=f"{mode} {h}x{w}->{oh}x{ow}")


def test_unchanged_dims_follow_pytorch():
    """A dim whose size a scale factor leaves unchanged is copied by the linear and
    antialiased kernels and by 2-D nearest, but resampled by bicubic and 1-D nearest."""
    x = np.arange(24.0).reshape(1, 1, 8, 3)
    y = _ours(x, scale_factor=1.3, mode="bilinear")
    np.testing.assert_array_equal(y[0, 0, 0], [0, 1, 2])
    y = _ours(x, scale_factor=1.3, mode="nearest")
    np.testing.assert_array_equal(y[0, 0, :3], [[0, 1, 2], [0, 1, 2], [3, 4, 5]])
    y = _ours(np.arange(3.0).reshape(1, 1, 3), scale_factor=1.3)
    np.testing.assert_array_equal(y[0, 0], [0, 0, 1])
    y = _ours(x, scale_factor=1.3, mode="bicubic")
    assert not np.allclose(y[0, 0, 0], [0, 1, 2])


def test_nearest_indices_round_like_pytorch():
    """Source indices where ``i / scale`` is an integer depend on PyTorch's float32 or
    float64 product, floored as a float32; swept over sizes and scales."""
    pytest.importorskip("torch")
    for dtype, dims in ((np.float32, (1, 2, 3)), (np.float64, (1, 3))):
        for dim in dims:
            for mode in ("nearest", "nearest-exact"):
                for n in (3, 16, 31, 40, 63):
                    for sf in (0.37, 1.3, 2.9, 3.7):
                        x = np.zeros((1, 1) + (2,) * (dim - 1) + (n,), dtype)
                        x[...] = np.arange(n)
                        _assert_same(x, scale_factor=sf, mode=mode)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos", "trilinear", "area"])
def test_weighted_modes_match_pytorch(mode):
    pytest.importorskip("torch")
    dim = 3 if mode == "trilinear" else 2
    aas = (True,) if mode == "lanczos" else (False, True) if mode.startswith("bi") else (False,)
    corners = (None,) if mode in ("lanczos", "area") else (False, True)
    for ins in ((5, 7), (13, 16), (1, 4)):
        for kw in (
            dict(size=(3, 9, 2)[:dim]),
            dict(size=(16, 5, 3)[:dim]),
            dict(size=(13, 16, 3)[:dim]),
            dict(scale_factor=0.37),
            dict(scale_factor=2.0),
            dict(scale_factor=0.5, recompute_scale_factor=True),
        ):
            x = RNG.standard_normal((2, 3) + (ins * 2)[:dim])
            for aa in aas:
                out = tuple(kw.get("size", ())) or tuple(
                    int(n * kw["scale_factor"]) for n in x.shape[2:]
                )
                if aa and out[-1] == 1 and out[0] < x.shape[2]:
                    continue  # PyTorch 2.13's bug: see test_antialias_matches_pillow
                for ac in corners:
                    _assert_same(x, **kw, mode=mode, antialias=aa, align_corners=ac)


def test_fixed_mode_aliases_match_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    pairs = [
        (
            ember.nn.UpsamplingNearest2d(scale_factor=2),
            torch.nn.UpsamplingNearest2d(scale_factor=2),
        ),
        (ember.nn.UpsamplingBilinear2d(size=(5, 7)), torch.nn.UpsamplingBilinear2d(size=(5, 7))),
    ]
    for ours, ref in pairs:
        assert repr(ours) == repr(ref)
        np.testing.assert_allclose(
            ours(ember.tensor(x)).numpy(), ref(torch.tensor(x)).numpy(), atol=1e-6
        )
    np.testing.assert_allclose(
        F.upsample_bilinear(ember.tensor(x), scale_factor=2).numpy(),
        torch.nn.functional.upsample_bilinear(torch.tensor(x), scale_factor=2).numpy(),
        atol=1e-6,
    )
    np.testing.assert_array_equal(
        F.upsample_nearest(ember.tensor(x), size=(6, 5)).numpy(),
        torch.nn.functional.upsample_nearest(torch.tensor(x), size=(6, 5)).numpy(),
    )
