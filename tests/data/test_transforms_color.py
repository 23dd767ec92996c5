"""ember.transforms colour ops and RandomErasing against hand-computed expectations."""

import numpy as np
import pytest

import ember
import ember.transforms as T
from ember.transforms.color import adjust_hue, gaussian_kernel1d


def _rgb(seed=0, shape=(4, 4, 3)):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def test_grayscale_itu_601_weights():
    img = np.array([[[100, 50, 200], [0, 255, 0]]], dtype=np.uint8)
    out = T.Grayscale()(img)
    assert out.shape == (1, 2, 1)
    # 0.299*100 + 0.587*50 + 0.114*200 = 82.05; 0.587*255 = 149.685
    np.testing.assert_array_equal(out[..., 0], [[82, 150]])
    three = T.Grayscale(num_output_channels=3)(img)
    assert three.shape == (1, 2, 3) and (three == out).all()
    t = ember.tensor(_rgb().transpose(2, 0, 1))
    g = T.Grayscale()(t)
    assert g.shape == (1, 4, 4)
    np.testing.assert_allclose(g.numpy()[0], _rgb() @ np.array([0.299, 0.587, 0.114]), rtol=1e-6)
    with pytest.raises(ValueError, match="num_output_channels"):
        T.Grayscale(2)


def test_grayscale_pil_gives_mode_l():
    pytest.importorskip("PIL")
    from PIL import Image

    img = (np.random.default_rng(1).random((3, 5, 3)) * 255).astype(np.uint8)
    out = T.Grayscale()(Image.fromarray(img))
    assert out.mode == "L" and out.size == (5, 3)
    ref = np.asarray(Image.fromarray(img).convert("L")).astype(int)
    assert np.abs(np.asarray(out).astype(int) - ref).max() <= 1  # Pillow rounds in fixed point


def test_color_jitter_single_factors_follow_blend_formulas():
    x = _rgb()
    np.testing.assert_allclose(T.ColorJitter(brightness=(2, 2))(x), np.clip(2 * x, 0, 1), atol=1e-6)
    gray = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    expect = np.clip(0.5 * x + 0.5 * gray.mean(), 0, 1)
    np.testing.assert_allclose(T.ColorJitter(contrast=(0.5, 0.5))(x), expect, atol=1e-6)
    desat = T.ColorJitter(saturation=(0, 0))(x)
    np.testing.assert_allclose(desat, np.repeat(gray[..., None], 3, axis=-1), atol=1e-6)
    sat = T.ColorJitter(saturation=(1.5, 1.5))(x)
    np.testing.assert_allclose(sat, np.clip(1.5 * x - 0.5 * gray[..., None], 0, 1), atol=1e-6)


def test_hue_shift_rotates_primaries():
    red = np.array([[[1.0, 0.0, 0.0]]], dtype=np.float32)
    np.testing.assert_allclose(adjust_hue(red, 1 / 3), [[[0, 1, 0]]], atol=1e-6)
    np.testing.assert_allclose(adjust_hue(red, 0.5), [[[0, 1, 1]]], atol=1e-6)
    np.testing.assert_allclose(adjust_hue(red, -1 / 3), [[[0, 0, 1]]], atol=1e-6)
    x = _rgb(2, (5, 5, 3))
    np.testing.assert_allclose(adjust_hue(x, 0.0), x, atol=1e-6)  # HSV round trip
    np.testing.assert_allclose(adjust_hue(adjust_hue(x, 0.2), -0.2), x, atol=1e-5)
    u8 = (x * 255).astype(np.uint8)
    out = T.ColorJitter(hue=(0.5, 0.5))(u8)
    assert out.dtype == np.uint8 and out.shape == u8.shape


def test_color_jitter_seeded_and_tensor_input():
    t = ember.tensor(_rgb(3).transpose(2, 0, 1))
    jitter = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    ember.manual_seed(5)
    a = jitter(t).numpy()
    ember.manual_seed(5)
    np.testing.assert_array_equal(jitter(t).numpy(), a)
    assert a.shape == (3, 4, 4) and 0 <= a.min() and a.max() <= 1
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="brightness"):
        T.ColorJitter(brightness=-1)


def _direct_blur(img, kx, ky, sigma):
    """2-D correlation with outer(gy, gx), reflect padding, written as a plain double loop."""
    k2 = np.outer(gaussian_kernel1d(ky, sigma), gaussian_kernel1d(kx, sigma))
    padded = np.pad(img, ((ky // 2, ky // 2), (kx // 2, kx // 2)), mode="reflect")
    out = np.zeros(img.shape)
    for i in range(img.shape[0]):
        for j in range(img.shape[1]):
            out[i, j] = (padded[i : i + ky, j : j + kx] * k2).sum()
    return out


def test_gaussian_kernel_formula():
    k = gaussian_kernel1d(5, 1.5)
    x = np.arange(-2, 3)
    expect = np.exp(-(x**2) / (2 * 1.5**2))
    np.testing.assert_allclose(k, expect / expect.sum())


def test_gaussian_blur_matches_direct_convolution():
    img = np.random.default_rng(4).random((6, 7)).astype(np.float64)
    out = T.GaussianBlur((5, 3), sigma=1.2)(img)  # (kx=5 along width, ky=3 along height)
    np.testing.assert_allclose(out, _direct_blur(img, 5, 3, 1.2), rtol=1e-12)
    t = ember.tensor(np.stack([img, img[::-1]]).astype(np.float32))
    bt = T.GaussianBlur(3, 0.8)(t).numpy()
    np.testing.assert_allclose(bt[1], _direct_blur(img[::-1], 3, 3, 0.8), atol=1e-5)
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)


def test_gaussian_blur_sigma_range_is_seeded():
    img = _rgb(5)
    blur = T.GaussianBlur(3, sigma=(0.1, 2.0))
    ember.manual_seed(9)
    a = blur(img)
    ember.manual_seed(9)
    np.testing.assert_array_equal(blur(img), a)


def test_random_erasing_box_and_values():
    x = ember.ones(2, 8, 8)
    erase = T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1, 1), value=(5, 6))
    out = erase(x).numpy()
    assert (out[0] == 5).sum() == 16 and (out[1] == 6).sum() == 16
    rows, cols = np.nonzero(out[0] == 5)
    assert rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3  # one 4x4 box
    assert (x.numpy() == 1).all()  # not in place
    assert T.RandomErasing(p=0.0)(x) is x
    noise = T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1, 1), value="random")(x)
    assert (noise.numpy() != 1).sum() == 32
    T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1, 1), inplace=True)(x)
    assert (x.numpy() == 0).sum() == 32
    with pytest.raises(TypeError, match="RandomErasing"):
        T.RandomErasing()(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="value"):
        T.RandomErasing(value="noise")
