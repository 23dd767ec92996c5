"""ember.transforms: conversions, Normalize/Rescale/Flatten, Compose decode and setup."""

import numpy as np
import pytest

import ember
import ember.transforms as T


def _img(h=4, w=4, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_to_tensor_hwc_and_hw():
    img = _img()
    t = T.ToTensor()(img)
    assert isinstance(t, ember.Tensor) and t.dtype == ember.float32 and t.shape == (3, 4, 4)
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    gray = img[..., 0]
    t2 = T.ToTensor()(gray)
    assert t2.shape == (1, 4, 4)
    np.testing.assert_allclose(t2.numpy()[0], gray / 255.0, rtol=1e-6)
    # float arrays keep their values and dtype
    f = np.full((2, 2, 1), 3.5)
    assert T.ToTensor()(f).dtype == ember.float64 and T.ToTensor()(f).numpy().max() == 3.5
    with pytest.raises(TypeError, match="ToTensor"):
        T.ToTensor()(t)


def test_to_tensor_decode_round_trip_and_batches():
    img = _img(5, 3)
    tt = T.ToTensor()
    np.testing.assert_array_equal(tt.decode(tt(img)), img)
    batch = ember.stack([tt(img), tt(img[::-1].copy())])
    out = tt.decode(batch)
    assert out.shape == (2, 5, 3, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[1], img[::-1])


def test_normalize_math_and_decode():
    x = ember.tensor(np.arange(2 * 2 * 2, dtype=np.float32).reshape(2, 2, 2))
    n = T.Normalize(mean=(1.0, 2.0), std=(2.0, 4.0))
    y = n(x).numpy()
    expect = np.stack(
        [(np.arange(4).reshape(2, 2) - 1) / 2, (np.arange(4, 8).reshape(2, 2) - 2) / 4]
    )
    np.testing.assert_allclose(y, expect)
    np.testing.assert_allclose(n.decode(n(x)).numpy(), x.numpy(), rtol=1e-6)
    assert x.numpy()[0, 0, 0] == 0  # not in place by default


def test_normalize_inplace_bumps_version():
    x = ember.ones(3, 2, 2)
    v = x._vc[0]
    out = T.Normalize((0.5,), (0.5,), inplace=True)(x)
    assert out is x
    np.testing.assert_allclose(x.numpy(), 1.0)
    assert x._vc[0] == v + 1


def test_normalize_errors():
    with pytest.raises(ValueError, match="std"):
        T.Normalize((0.0,), (0.0,))
    with pytest.raises(TypeError, match="float"):
        T.Normalize((0.0,), (1.0,))(ember.tensor(np.zeros((1, 2, 2), np.uint8)))
    with pytest.raises(ValueError, match="channels"):
        T.Normalize((0.0, 0.0), (1.0, 1.0))(ember.zeros(3, 2, 2))
    with pytest.raises(RuntimeError, match="setup"):
        T.Normalize()(ember.zeros(3, 2, 2))


def test_compose_to_tensor_normalize_decodes_to_original():
    img = _img(6, 5)
    pipe = T.Compose([T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    np.testing.assert_array_equal(pipe.decode(pipe(img)), img)


def test_compose_decode_skips_random_augmentation():
    img = _img(4, 4)
    pipe = T.Compose([T.RandomHorizontalFlip(p=1.0), T.ToTensor(), T.Rescale((0, 1), (-1, 1))])
    np.testing.assert_array_equal(pipe.decode(pipe(img)), img[:, ::-1])


def test_normalize_setup_through_compose():
    rng = np.random.default_rng(1)
    items = [rng.integers(0, 256, (3, 4, 2), dtype=np.uint8) for _ in range(5)]
    pipe = T.Compose([T.ToTensor(), T.Normalize()])
    pipe.setup(items)
    stacked = np.stack(items).astype(np.float64) / 255.0  # (N, H, W, C)
    np.testing.assert_allclose(pipe.transforms[1].mean, stacked.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(pipe.transforms[1].std, stacked.std(axis=(0, 1, 2)), rtol=1e-5)
    out = np.stack([pipe(i).numpy() for i in items])
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-5)


def test_normalize_setup_from_dataset_of_pairs_and_stacked_tensor():
    x = ember.tensor(np.random.default_rng(2).normal(3.0, 2.0, (20, 2, 3, 3)))
    pairs = [(x[i], i) for i in range(20)]
    a = T.Normalize().setup(pairs)
    b = T.Normalize().setup(x)
    np.testing.assert_allclose(a.mean, x.numpy().mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(b.std, x.numpy().std(axis=(0, 2, 3)))
    fixed = T.Normalize((0.0, 0.0), (1.0, 1.0)).setup(x)
    assert fixed.mean == (0.0, 0.0)  # given statistics are not refitted


def test_rescale_and_decode():
    x = np.array([[0, 255], [51, 102]], dtype=np.uint8)[..., None]
    r = T.Rescale((0, 255), (-1, 1))
    y = r(x)
    np.testing.assert_allclose(y[..., 0], [[-1, 1], [-0.6, -0.2]], atol=1e-6)
    assert y.dtype == np.float32
    np.testing.assert_allclose(r.decode(y), x, atol=1e-4)
    with pytest.raises(ValueError, match="Rescale"):
        T.Rescale((1, 1))


def test_flatten_remembers_shape():
    f = T.Flatten()
    x = ember.arange(12.0).reshape(3, 2, 2)
    y = f(x)
    assert y.shape == (12,)
    assert f.decode(y).shape == (3, 2, 2)
    batch = ember.stack([y, y])
    assert f.decode(batch).shape == (2, 3, 2, 2)
    with pytest.raises(RuntimeError):
        T.Flatten().decode(y)
    with pytest.raises(ValueError, match="12"):
        f.decode(ember.zeros(5))


def test_lambda_with_and_without_inverse():
    double = T.Lambda(lambda v: v * 2, inverse=lambda v: v / 2)
    assert double.invertible and double.decode(double(3.0)) == 3.0
    once = T.Lambda(lambda v: v + 1)
    assert not once.invertible
    with pytest.raises(NotImplementedError):
        once.decode(1)
    pipe = T.Compose([double, once])
    assert pipe(1.0) == 3.0 and pipe.decode(4.0) == 2.0  # `once` is skipped


def test_pil_in_out():
    pytest.importorskip("PIL")
    from PIL import Image

    img = _img(4, 6)
    pil = Image.fromarray(img)
    t = T.ToTensor()(pil)
    assert t.shape == (3, 4, 6)
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    back = T.ToPILImage()(t)
    assert back.mode == "RGB" and back.size == (6, 4)
    np.testing.assert_array_equal(np.asarray(back), img)
    p = T.PILToTensor()(pil)
    assert p.dtype == ember.uint8 and p.shape == (3, 4, 6)
    np.testing.assert_array_equal(np.asarray(T.PILToTensor().decode(p)), img)
    gray = T.ToPILImage()(ember.tensor(img[..., :1].transpose(2, 0, 1)))
    assert gray.mode == "L"
    flipped = T.RandomHorizontalFlip(p=1.0)(pil)
    assert isinstance(flipped, Image.Image)
    np.testing.assert_array_equal(np.asarray(flipped), img[:, ::-1])


def test_repr():
    assert repr(T.Normalize((0.5,), (0.25,))) == "Normalize(mean=(0.5,), std=(0.25,))"
    assert "ToTensor()" in repr(T.Compose([T.ToTensor()]))
