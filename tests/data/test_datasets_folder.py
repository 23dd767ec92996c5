"""ImageFolder and CachedImageFolder on PNGs written by Pillow."""

import os
import pickle

import numpy as np
import pytest

import ember.transforms as T
from ember.datasets import CachedImageFolder, ImageFolder

Image = pytest.importorskip("PIL.Image")


def _tree(root, sizes=None):
    """root/{cat,dog}/... PNGs with known pixels; returns {relative path: array}."""
    rng = np.random.default_rng(0)
    sizes = sizes or {
        "dog/b.png": (4, 5),
        "dog/a.png": (3, 3),
        "cat/x.PNG": (2, 6),
        "cat/sub/y.png": (5, 4),
    }
    pixels = {}
    for rel, (h, w) in sizes.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        Image.fromarray(arr).save(path)
        pixels[rel] = arr
    (root / "dog" / "notes.txt").write_text("not an image")
    return pixels


def test_image_folder_structure_and_lazy_loading(tmp_path):
    pixels = _tree(tmp_path)
    ds = ImageFolder(str(tmp_path))
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    rel = [os.path.relpath(p, tmp_path) for p, _ in ds.samples]
    assert rel == ["cat/x.PNG", "cat/sub/y.png", "dog/a.png", "dog/b.png"]
    assert ds.targets == [0, 0, 1, 1] and len(ds) == 4
    img, target = ds[3]
    np.testing.assert_array_equal(img, pixels["dog/b.png"])
    assert target == 1
    tds = ImageFolder(str(tmp_path), transform=T.Compose([T.Resize((2, 2)), T.ToTensor()]))
    assert tds[0][0].shape == (3, 2, 2)
    # JPEG goes through Pillow too (lossy, so compare loosely)
    smooth = np.full((6, 8, 3), 120, np.uint8)
    Image.fromarray(smooth).save(tmp_path / "cat" / "photo.jpg", quality=95)
    jpg = ImageFolder(str(tmp_path))
    img, target = jpg[[os.path.basename(p) for p, _ in jpg.samples].index("photo.jpg")]
    assert img.shape == (6, 8, 3) and target == 0
    assert np.abs(img.astype(int) - 120).max() <= 3


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="class folder"):
        ImageFolder(str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        ImageFolder(str(tmp_path))


def test_image_folder_is_valid_file(tmp_path):
    _tree(tmp_path)
    ds = ImageFolder(
        str(tmp_path), is_valid_file=lambda p: os.path.basename(p) in ("a.png", "x.PNG")
    )
    assert [os.path.basename(p) for p, _ in ds.samples] == ["x.PNG", "a.png"]


def test_cached_image_folder_builds_reuses_and_invalidates(tmp_path):
    pixels = _tree(tmp_path)
    first = CachedImageFolder(str(tmp_path))
    assert first.rebuilt and os.path.isfile(tmp_path / ".ember_cache.npy")
    plain = ImageFolder(str(tmp_path))  # the cache file is not mistaken for a class
    assert plain.classes == ["cat", "dog"]
    for i in range(len(plain)):
        np.testing.assert_array_equal(first[i][0], plain[i][0])
    again = CachedImageFolder(str(tmp_path))
    assert not again.rebuilt
    np.testing.assert_array_equal(again[1][0], pixels["cat/sub/y.png"])
    raw = np.load(tmp_path / ".ember_cache.npy", mmap_mode="r", allow_pickle=False)
    assert isinstance(raw, np.memmap) and raw.dtype == np.uint8
    # modifying an image (new content and mtime) invalidates the cache
    new = np.zeros((3, 3, 3), np.uint8)
    Image.fromarray(new).save(tmp_path / "dog" / "a.png")
    os.utime(tmp_path / "dog" / "a.png", ns=(1, 1))
    changed = CachedImageFolder(str(tmp_path))
    assert changed.rebuilt
    np.testing.assert_array_equal(changed[2][0], new)
    # adding a file invalidates it too
    Image.fromarray(new).save(tmp_path / "cat" / "z.png")
    added = CachedImageFolder(str(tmp_path))
    assert added.rebuilt and len(added) == 5


def test_cached_image_folder_custom_path_and_pickling(tmp_path):
    _tree(tmp_path / "data")
    cache = tmp_path / "cache" / "imgs.npy"
    ds = CachedImageFolder(str(tmp_path / "data"), cache_file=str(cache), transform=T.ToTensor())
    assert cache.is_file() and ds.rebuilt
    clone = pickle.loads(pickle.dumps(ds))  # as sent to DataLoader workers
    assert clone._pixels is None
    np.testing.assert_array_equal(clone[0][0].numpy(), ds[0][0].numpy())
    assert len(pickle.dumps(ds)) < 4000  # the pixel memmap itself is not pickled
