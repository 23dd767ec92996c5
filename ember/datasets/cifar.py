"""CIFAR-10 from the official *binary* archive (never the pickled Python version)."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ember.datasets._vision import ArrayImageDataset
from ember.datasets.download import download_url, extract_archive

_RECORD = 1 + 3 * 32 * 32  # label byte, then 1024 R, 1024 G, 1024 B bytes (row-major)


def read_cifar_bin(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Records of a CIFAR-10 ``.bin`` file as (images (N, 32, 32, 3) uint8, labels (N,) int64)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % _RECORD:
        raise ValueError(
            f"read_cifar_bin: {path} has {raw.size} bytes, not a multiple of the "
            f"{_RECORD}-byte record size"
        )
    records = raw.reshape(-1, _RECORD)
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), records[:, 0].astype(np.int64)


class CIFAR10(ArrayImageDataset):
    """CIFAR-10: 32x32 colour images in 10 classes (50k train / 10k test).

    Reads ``root/cifar-10-batches-bin/data_batch_{1..5}.bin`` (train) or ``test_batch.bin``.

    Args:
        root: folder holding ``cifar-10-batches-bin`` (or where to download it).
        train: the training split (else the test split).
        transform: applied to each (32, 32, 3) uint8 image.
        target_transform: applied to each int label.
        download: fetch and extract the md5-verified archive if the files are missing.

    Attributes:
        data: (N, 32, 32, 3) uint8 array. targets: (N,) int64 array. classes: class names.
    """

    base_folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    classes = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
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
        if not self._check_exists():
            raise RuntimeError(
                f"CIFAR10: dataset not found in {os.path.join(self.root, self.base_folder)}. "
                "Use download=True, or place the extracted binary batches there manually."
            )
        parts = [
            read_cifar_bin(os.path.join(self.root, self.base_folder, name))
            for name in (self.train_list if train else self.test_list)
        ]
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts])
        meta = os.path.join(self.root, self.base_folder, "batches.meta.txt")
        if os.path.isfile(meta):
            with open(meta) as f:
                names = [line.strip() for line in f if line.strip()]
            if names:
                self.classes = names

    def _check_exists(self) -> bool:
        folder = os.path.join(self.root, self.base_folder)
        return all(
            os.path.isfile(os.path.join(folder, n)) for n in self.train_list + self.test_list
        )

    def download(self) -> None:
        """Download (md5-verified) and extract the archive unless the batches already exist."""
        if self._check_exists():
            return
        archive = download_url(self.url, self.root, self.filename, self.tgz_md5)
        extract_archive(archive, self.root)
