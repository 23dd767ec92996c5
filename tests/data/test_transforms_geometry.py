"""ember.transforms geometry: exact crops/flips/paddings, bilinear resize, rotation, affine."""

import numpy as np
import pytest

import ember
import ember.transforms as T

GRID = np.arange(16, dtype=np.uint8).reshape(4, 4)  # 4x4 single-channel image


def test_flips_exact_on_arrays_and_tensors():
    img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(img), img[::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    t = ember.tensor(img.transpose(2, 0, 1))
    out = T.RandomHorizontalFlip(p=1.0)(t)
    np.testing.assert_array_equal(out.numpy(), img.transpose(2, 0, 1)[:, :, ::-1])
    batch = ember.stack([t, t])  # (N, C, H, W) batches work too
    assert T.RandomVerticalFlip(p=1.0)(batch).shape == (2, 3, 4, 4)


def test_center_crop_and_padding_when_larger():
    np.testing.assert_array_equal(T.CenterCrop(2)(GRID), [[5, 6], [9, 10]])
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(GRID), [[4, 5, 6], [8, 9, 10]])
    big = T.CenterCrop((5, 6))(GRID)
    # torchvision pads (left, top, right, bottom) = (1, 0, 1, 1) with zeros
    expect = np.zeros((5, 6), np.uint8)
    expect[0:4, 1:5] = GRID
    np.testing.assert_array_equal(big, expect)


def test_random_crop_padding_modes_exact():
    full = T.RandomCrop(6, padding=1, fill=9)(GRID)
    expect = np.full((6, 6), 9, np.uint8)
    expect[1:5, 1:5] = GRID
    np.testing.assert_array_equal(full, expect)
    reflect = T.RandomCrop(6, padding=1, padding_mode="reflect")(GRID)
    np.testing.assert_array_equal(reflect, np.pad(GRID, 1, mode="reflect"))
    edge = T.RandomCrop((4, 6), padding=(1, 0), padding_mode="edge")(GRID)
    np.testing.assert_array_equal(edge, np.pad(GRID, ((0, 0), (1, 1)), mode="edge"))
    sym = T.RandomCrop((5, 4), padding=(0, 1, 0, 0), padding_mode="symmetric")(GRID)
    np.testing.assert_array_equal(sym, np.pad(GRID, ((1, 0), (0, 0)), mode="symmetric"))


def test_random_crop_location_is_seeded_and_within_image():
    ember.manual_seed(3)
    a = [T.RandomCrop(2)(GRID) for _ in range(10)]
    ember.manual_seed(3)
    b = [T.RandomCrop(2)(GRID) for _ in range(10)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
        r, c = divmod(int(x[0, 0]), 4)
        np.testing.assert_array_equal(x, GRID[r : r + 2, c : c + 2])
    assert len({int(x[0, 0]) for x in a}) > 1


def test_random_crop_pad_if_needed_and_error():
    out = T.RandomCrop((6, 4), pad_if_needed=True)(GRID)
    padded = np.pad(GRID, ((2, 2), (0, 0)))  # torchvision pads both sides by the shortfall
    assert any(np.array_equal(out, padded[top : top + 6]) for top in range(3))
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(5)(GRID)


def test_generator_argument_is_independent_of_global_seed():
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    c1 = T.RandomCrop(2, generator=g1)
    c2 = T.RandomCrop(2, generator=g2)
    ember.manual_seed(0)
    x = c1(GRID)
    ember.manual_seed(1)
    np.testing.assert_array_equal(x, c2(GRID))


def test_resize_bilinear_hand_worked_upsample():
    img = np.array([[0.0, 4.0], [8.0, 12.0]], dtype=np.float32)
    out = T.Resize((4, 4))(img)
    # source coordinates (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped to [0, 1]
    axis = np.array([0.0, 0.25, 0.75, 1.0])
    expect = 8.0 * axis[:, None] + 4.0 * axis[None, :]
    np.testing.assert_allclose(out, expect, atol=1e-6)


def test_resize_bilinear_downsample_and_int_size():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)  # value 4 * row + col
    out = T.Resize((2, 2), antialias=False)(img)
    # each output pixel sits between 2x2 source pixels: their mean
    np.testing.assert_allclose(out, [[2.5, 4.5], [10.5, 12.5]])
    # antialiased: the triangle filter is 2 pixels wide per side when halving, so output 0
    # (centre 1.0) weighs pixels 0, 1, 2 by (0.75, 0.75, 0.25) / 1.75 and reads 5/7 per dim
    out = T.Resize((2, 2))(img)
    np.testing.assert_allclose(out[0, 0], 4 * 5 / 7 + 5 / 7, rtol=1e-6)
    np.testing.assert_allclose(out[1, 1], 15 - out[0, 0], rtol=1e-6)  # the mirror image
    wide = np.zeros((4, 8, 3), np.uint8)
    assert T.Resize(2)(wide).shape == (2, 4, 3)  # smaller edge -> 2
    assert T.Resize(2, max_size=3)(wide).shape == (1, 3, 3)
    t = ember.zeros(3, 8, 4)
    assert T.Resize(2)(t).shape == (3, 4, 2)


def test_resize_nearest_and_uint8_rounding():
    out = T.Resize((2, 2), interpolation="nearest")(GRID)
    np.testing.assert_array_equal(out, [[0, 2], [8, 10]])
    up = T.Resize((4, 4))(np.array([[0, 255]], dtype=np.uint8).repeat(2, 0))
    assert up.dtype == np.uint8
    np.testing.assert_array_equal(up[0], [0, 64, 191, 255])  # 63.75 and 191.25 rounded


def test_resize_matches_torch_interpolate():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).random((2, 3, 5, 7)).astype(np.float32)
    for mode in ("bilinear", "bicubic"):
        for aa in (True, False):
            ours = T.Resize((9, 4), interpolation=mode, antialias=aa)(ember.tensor(x)).numpy()
            ref = torch.nn.functional.interpolate(
                torch.tensor(x), size=(9, 4), mode=mode, align_corners=False, antialias=aa
            ).numpy()
            np.testing.assert_allclose(ours, ref, atol=1e-5, err_msg=f"{mode} {aa}")
    ours_e = T.Resize((9, 4), interpolation="nearest-exact")(ember.tensor(x)).numpy()
    ref_e = torch.nn.functional.interpolate(torch.tensor(x), size=(9, 4), mode="nearest-exact")
    np.testing.assert_array_equal(ours_e, ref_e.numpy())
    ours_n = T.Resize((9, 4), interpolation="nearest")(ember.tensor(x)).numpy()
    ref_n = torch.nn.functional.interpolate(torch.tensor(x), size=(9, 4), mode="nearest").numpy()
    np.testing.assert_array_equal(ours_n, ref_n)


def test_resize_upsample_close_to_pillow():
    pytest.importorskip("PIL")
    from PIL import Image

    img = np.random.default_rng(1).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    ours = T.Resize((12, 15))(Image.fromarray(img))
    ref = Image.fromarray(img).resize((15, 12), Image.BILINEAR)
    assert ours.size == ref.size
    diff = np.abs(np.asarray(ours).astype(int) - np.asarray(ref).astype(int))
    assert diff.max() <= 2


def test_resize_downsample_matches_pillow():
    """Pillow always filters when shrinking; antialiased Resize matches it up to the
    rounding of Pillow's fixed-point uint8 arithmetic."""
    pytest.importorskip("PIL")
    from PIL import Image

    img = np.random.default_rng(2).integers(0, 256, (40, 33, 3), dtype=np.uint8)
    for mode, flt in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
        ours = np.asarray(T.Resize((9, 14), interpolation=mode)(Image.fromarray(img)))
        ref = np.asarray(Image.fromarray(img).resize((14, 9), flt))
        assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 1, mode
        # without the filter a shrink by ~3x skips pixels: far from Pillow
        plain = T.Resize((9, 14), interpolation=mode, antialias=False)(img)
        assert np.abs(plain.astype(int) - ref.astype(int)).max() > 10, mode


def test_resize_antialias_none_filters_pil_images_only():
    pytest.importorskip("PIL")
    from PIL import Image

    img = np.random.default_rng(3).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    resize = T.Resize((4, 4), antialias=None)
    np.testing.assert_array_equal(np.asarray(resize(Image.fromarray(img))), T.Resize((4, 4))(img))
    np.testing.assert_array_equal(resize(img), T.Resize((4, 4), antialias=False)(img))
    assert repr(resize) == (
        "Resize(size=(4, 4), interpolation=bilinear, max_size=None, antialias=None)"
    )


def test_rotation_90_is_rot90_and_fill():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    r = T.RandomRotation((90, 90))
    np.testing.assert_allclose(r(img), np.rot90(img), atol=1e-5)
    rb = T.RandomRotation((90, 90), interpolation="bilinear")
    np.testing.assert_allclose(rb(img), np.rot90(img), atol=1e-4)
    # 180 degrees on a non-square image
    rect = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(T.RandomRotation((180, 180))(rect), rect[::-1, ::-1])
    # 90 degrees on a 3x5 image: the side columns map outside and get the fill value
    rect5 = np.arange(15, dtype=np.uint8).reshape(3, 5)
    out = T.RandomRotation((90, 90), fill=7)(rect5)
    assert out.shape == (3, 5) and (out[:, [0, 4]] == 7).all()
    np.testing.assert_array_equal(out[:, 1:4], np.rot90(rect5[:, 1:4]))
    expanded = T.RandomRotation((90, 90), expand=True)(rect)
    np.testing.assert_array_equal(expanded, np.rot90(rect))


def test_rotation_about_a_given_center():
    img = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    # 180 degrees about pixel (x=0, y=0): only that pixel stays inside the image
    out = T.RandomRotation((180, 180), center=(0, 0), fill=0)(img)
    expect = np.zeros((3, 3), np.uint8)
    expect[0, 0] = 1
    np.testing.assert_array_equal(out, expect)


def test_rotation_close_to_pillow():
    pytest.importorskip("PIL")
    from PIL import Image

    img = np.random.default_rng(2).integers(0, 256, (9, 9, 3), dtype=np.uint8)
    ours = np.asarray(T.RandomRotation((30, 30))(Image.fromarray(img))).astype(int)
    ref = np.asarray(Image.fromarray(img).rotate(30, resample=Image.NEAREST)).astype(int)
    # nearest sampling can differ on ties at a few pixels; most must agree exactly
    assert (ours == ref).all(axis=-1).mean() > 0.9


def test_affine_translate_scale_shear_exact_cases():
    img = np.zeros((5, 5), np.float32)
    img[2, 2] = 1.0
    shift = T.RandomAffine(0, translate=(0.2, 0.2))
    ember.manual_seed(0)
    angle, (tx, ty), scale, shear = shift.get_params(5, 5)
    ember.manual_seed(0)
    out = shift(img)
    assert angle == 0 and scale == 1 and abs(tx) <= 1 and abs(ty) <= 1
    assert out[2 + ty, 2 + tx] == 1.0 and out.sum() == 1.0
    # scale 3 about the centre: the centre pixel covers its 3x3 neighbourhood (nearest)
    big = T.RandomAffine(0, scale=(3.0, 3.0))(img)
    np.testing.assert_array_equal(big[1:4, 1:4], 1.0)
    assert big.sum() == 9
    # x-shear of 45 degrees: row y moves by tan(45) * y (y measured from the centre)
    line = np.zeros((5, 5), np.float32)
    line[:, 2] = 1.0
    sheared = T.RandomAffine(0, shear=(45, 45))(line)
    for y in range(5):
        assert sheared[y, 2 + (y - 2)] == 1.0


def test_affine_and_rotation_reproducible_with_seed():
    img = np.random.default_rng(3).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    aug = T.Compose([T.RandomAffine(20, (0.1, 0.1), (0.8, 1.2), 10), T.RandomRotation(15)])
    ember.manual_seed(11)
    a = aug(img)
    ember.manual_seed(11)
    np.testing.assert_array_equal(aug(img), a)


def test_random_resized_crop_shapes_and_full_crop():
    img = np.random.default_rng(4).random((6, 6, 3)).astype(np.float32)
    out = T.RandomResizedCrop(3)(img)
    assert out.shape == (3, 3, 3)
    whole = T.RandomResizedCrop((6, 6), scale=(1.0, 1.0), ratio=(1.0, 1.0))(img)
    np.testing.assert_allclose(whole, img)
    crop = T.RandomResizedCrop((4, 4), scale=(0.25, 0.25), ratio=(1, 1))
    top, left, h, w = crop.get_params(8, 8)
    assert (h, w) == (4, 4) and 0 <= top <= 4 and 0 <= left <= 4


def test_errors_name_the_transform():
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(3, interpolation="cubic")
    with pytest.raises(ValueError, match="RandomRotation: interpolation must be one of"):
        T.RandomRotation(10, interpolation="bicubic")
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(3, padding_mode="wrap")
    with pytest.raises(TypeError, match="Resize"):
        T.Resize(2)([1, 2])
    with pytest.raises(ValueError, match="fill"):
        T.RandomRotation(10, fill=(1, 2))(np.zeros((3, 3, 3), np.uint8))


class _Augmented:
    """Eight copies of one image, randomly cropped on access."""

    def __init__(self):
        self.crop = T.Compose([T.RandomCrop(4, padding=2), T.ToTensor()])
        self.img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)

    def __getitem__(self, i):
        return self.crop(self.img)

    def __len__(self):
        return 8


@pytest.mark.parametrize("num_workers", [0, 2])
def test_augmentation_in_dataloader_follows_manual_seed(num_workers):
    from ember.utils.data import DataLoader

    def run():
        ember.manual_seed(123)
        loader = DataLoader(_Augmented(), batch_size=4, num_workers=num_workers)
        return np.concatenate([b.numpy() for b in loader])

    a, b = run(), run()
    np.testing.assert_array_equal(a, b)
    assert len({x.tobytes() for x in a}) > 1  # the crops differ between samples
