"""ImageFolder (class-per-subfolder images, lazily decoded) and its cached variant."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence

import numpy as np

from ember.utils.data import Dataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path: str):
    """Open an image file with Pillow as an RGB PIL image."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError("ImageFolder requires Pillow: pip install ember[vision]") from err
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def default_loader(path: str) -> np.ndarray:
    """Decode an image file to an (H, W, 3) uint8 RGB array."""
    return np.asarray(pil_loader(path))


def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
    """Sorted names of the sub-folders of ``directory`` (hidden ones skipped) and their ids."""
    classes = sorted(
        e.name for e in os.scandir(directory) if e.is_dir() and not e.name.startswith(".")
    )
    if not classes:
        raise FileNotFoundError(f"ImageFolder: couldn't find any class folder in {directory}")
    return classes, {c: i for i, c in enumerate(classes)}


def make_dataset(
    directory: str,
    class_to_idx: dict[str, int],
    extensions: Sequence[str] | None,
    is_valid_file: Callable[[str], bool] | None,
) -> list[tuple[str, int]]:
    """(path, class index) of every valid file, walking each class folder in sorted order."""
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("ImageFolder: pass exactly one of extensions and is_valid_file")
    if is_valid_file is None:
        suffixes = tuple(e.lower() for e in extensions)

        def is_valid_file(path: str) -> bool:
            return path.lower().endswith(suffixes)

    samples, empty = [], []
    for name in sorted(class_to_idx):
        start = len(samples)
        for folder, dirs, files in sorted(os.walk(os.path.join(directory, name), followlinks=True)):
            dirs.sort()
            samples.extend(
                (os.path.join(folder, f), class_to_idx[name])
                for f in sorted(files)
                if is_valid_file(os.path.join(folder, f))
            )
        if len(samples) == start:
            empty.append(name)
    if empty:
        raise FileNotFoundError(
            f"ImageFolder: found no valid file for the classes {empty} in "
            f"{directory}; supported extensions are {extensions}"
        )
    return samples


class ImageFolder(Dataset):
    """Images arranged as ``root/<class>/**/<image>``; decoded lazily on access.

    Args:
        root: the root folder.
        transform: applied to each decoded image ((H, W, 3) uint8 array by default).
        target_transform: applied to each class index.
        extensions: accepted file suffixes (case-insensitive).
        loader: path -> image (default: Pillow, RGB, as an array).
        is_valid_file: path -> bool, used instead of ``extensions``.

    Attributes:
        classes: sorted class names. class_to_idx: name -> index. samples: (path, index)
        pairs. targets: the class index of every sample.
    """

    def __init__(
        self,
        root: str,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        extensions: Sequence[str] | None = IMG_EXTENSIONS,
        loader: Callable[[str], object] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
    ):
        self.root = os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform
        self.loader = loader
        if is_valid_file is not None:
            extensions = None
        self.extensions = extensions
        self.classes, self.class_to_idx = find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file)
        self.imgs = self.samples
        self.targets = [t for _, t in self.samples]

    def _load(self, index: int):
        return self.loader(self.samples[index][0])

    def __getitem__(self, index: int):
        img, target = self._load(index), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
            f"    Root location: {self.root}"
        )


class CachedImageFolder(ImageFolder):
    """An ImageFolder decoded once into a memory-mapped ``.npy`` cache for fast reloads.

    All images are stored back to back in one flat uint8 ``.npy`` (``cache_file``), with a
    ``<cache>.index.npy`` of (offset, H, W, C) rows and a ``<cache>.json`` fingerprint of the
    file list, sizes and mtimes: when any file is added, removed or modified, the cache is
    rebuilt. Arrays are written and read with ``allow_pickle=False``.

    Args:
        root, transform, target_transform, extensions, loader, is_valid_file: as ImageFolder
            (``loader`` must return something ``np.asarray`` turns into HW or HWC uint8).
        cache_file: path of the pixel cache (default ``root/.ember_cache.npy``).

    Attributes:
        rebuilt: whether this construction (re)decoded the images.
    """

    _VERSION = 1

    def __init__(
        self,
        root: str,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        extensions: Sequence[str] | None = IMG_EXTENSIONS,
        loader: Callable[[str], object] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
        cache_file: str | None = None,
    ):
        super().__init__(root, transform, target_transform, extensions, loader, is_valid_file)
        self.cache_file = cache_file or os.path.join(self.root, ".ember_cache.npy")
        stem = self.cache_file[:-4] if self.cache_file.endswith(".npy") else self.cache_file
        self._index_file, self._meta_file = stem + ".index.npy", stem + ".json"
        self._pixels = None
        fingerprint = self._fingerprint()
        self.rebuilt = not self._open(fingerprint)
        if self.rebuilt:
            self._build(fingerprint)
            if not self._open(fingerprint):
                raise RuntimeError(f"CachedImageFolder: could not read back {self.cache_file}")

    def _fingerprint(self) -> str:
        rows = []
        for path, target in self.samples:
            st = os.stat(path)
            rows.append([os.path.relpath(path, self.root), target, st.st_size, st.st_mtime_ns])
        loader = (
            getattr(self.loader, "__module__", "")
            + "."
            + getattr(self.loader, "__qualname__", type(self.loader).__name__)
        )
        blob = json.dumps([self._VERSION, loader, self.classes, rows]).encode()
        return hashlib.sha256(blob).hexdigest()

    def _open(self, fingerprint: str) -> bool:
        """Open the cache if it exists and matches ``fingerprint``."""
        try:
            with open(self._meta_file) as f:
                meta = json.load(f)
            if meta.get("fingerprint") != fingerprint:
                return False
            index = np.load(self._index_file, allow_pickle=False)
            pixels = np.load(self.cache_file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return False
        sizes = index[:, 1] * index[:, 2] * index[:, 3]
        if index.shape != (len(self.samples), 4) or int(sizes.sum()) != pixels.size:
            return False
        self._index, self._pixels = index, pixels
        return True

    def _build(self, fingerprint: str) -> None:
        """Decode every image once; write pixels, index and fingerprint atomically."""
        folder = os.path.dirname(os.path.abspath(self.cache_file))
        os.makedirs(folder, exist_ok=True)
        index = np.zeros((len(self.samples), 4), dtype=np.int64)
        offset = 0
        with tempfile.TemporaryFile(dir=folder) as raw:
            for i, (path, _) in enumerate(self.samples):
                img = np.asarray(self.loader(path))
                if img.dtype != np.uint8 or img.ndim not in (2, 3):
                    raise TypeError(
                        f"CachedImageFolder: loader must give HW or HWC uint8 "
                        f"images, got {img.dtype} {img.shape} for {path}"
                    )
                img = img[..., None] if img.ndim == 2 else img
                raw.write(np.ascontiguousarray(img).tobytes())
                index[i] = (offset, *img.shape)
                offset += img.size
            raw.seek(0)
            self._atomic(self.cache_file, lambda f: self._write_npy(f, raw, offset))
        self._atomic(self._index_file, lambda f: np.save(f, index, allow_pickle=False))
        payload = json.dumps({"version": self._VERSION, "fingerprint": fingerprint}).encode()
        self._atomic(self._meta_file, lambda f: f.write(payload))

    @staticmethod
    def _write_npy(f, raw, size: int) -> None:
        """A flat uint8 ``.npy`` whose data is streamed from the file ``raw``."""
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
            "fortran_order": False,
            "shape": (size,),
        }
        np.lib.format.write_array_header_1_0(f, header)
        shutil.copyfileobj(raw, f)

    @staticmethod
    def _atomic(path: str, write: Callable) -> None:
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as f:
                write(f)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def _load(self, index: int) -> np.ndarray:
        if self._pixels is None:  # reopened lazily after pickling (DataLoader workers)
            self._pixels = np.load(self.cache_file, mmap_mode="r", allow_pickle=False)
        offset, h, w, c = (int(v) for v in self._index[index])
        return np.array(self._pixels[offset : offset + h * w * c]).reshape(h, w, c)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_pixels"] = None  # a memmap would be pickled as a full copy
        return state
