"""MNIST and FashionMNIST from the official IDX files (gzip-compressed or raw)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable

import numpy as np

from ember.datasets._vision import ArrayImageDataset
from ember.datasets.download import check_integrity, download_url

# IDX type codes (third magic byte) -> big-endian NumPy dtypes
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw): magic ``00 00 <type> <ndim>``, ndim big-endian int32
    dimensions, then the row-major data.

    Raises:
        ValueError: for a bad magic number, unknown type code or truncated data.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (magic {raw[:4].hex()})")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">i4", ndim, offset=4))
    count = int(np.prod(dims))
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(
            f"read_idx: {path} holds {len(raw) - header} data bytes, expected "
            f"{count * dtype.itemsize} for dims {dims}"
        )
    arr = np.frombuffer(raw, dtype, count, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


class MNIST(ArrayImageDataset):
    """The MNIST handwritten digits (60k train / 10k test, 28x28 grayscale).

    Files are read from ``root/<ClassName>/raw/`` (``train-images-idx3-ubyte.gz`` and
    friends, gzip-compressed or not).

    Args:
        root: dataset root folder.
        train: the training split (else the test split).
        transform: applied to each (28, 28, 1) uint8 image.
        target_transform: applied to each int label.
        download: fetch the files (md5-verified) if they are not already there.

    Attributes:
        data: (N, 28, 28, 1) uint8 array. targets: (N,) int64 array. classes: class names.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root: str,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ):
        super().__init__(root, train, transform, target_transform)
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        name = type(self).__name__
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{name}: expected images (N, H, W) and labels (N,), got "
                f"{images.shape} and {labels.shape}"
            )
        self.data = images.astype(np.uint8, copy=False)[..., None]
        self.targets = labels.astype(np.int64)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, stem: str) -> str:
        for name in (stem + ".gz", stem):
            path = os.path.join(self.raw_folder, name)
            if os.path.isfile(path):
                return path
        raise RuntimeError(
            f"{type(self).__name__}: dataset not found: {stem}(.gz) is missing in "
            f"{self.raw_folder}. Use download=True, or place the files there manually."
        )

    def download(self) -> None:
        """Fetch every missing or corrupt file from the first mirror that works."""
        for filename, md5 in self.resources:
            if check_integrity(os.path.join(self.raw_folder, filename), md5):
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    download_url(mirror + filename, self.raw_folder, filename, md5)
                    break
                except RuntimeError as err:
                    errors.append(str(err))
            else:
                raise RuntimeError("\n".join(errors))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grayscale clothing images in MNIST's file format."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
