"""Base class of datasets held as one array of images plus an array of labels."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ember.utils.data import Dataset


class ArrayImageDataset(Dataset):
    """Images in ``self.data`` (N, H, W, C) uint8 and labels in ``self.targets`` (N,) int64.

    ``dataset[i]`` is ``(image, label)``: the HWC uint8 array and an int, each passed through
    ``transform`` / ``target_transform`` when given.
    """

    classes: list[str] = []
    data: np.ndarray
    targets: np.ndarray

    def __init__(
        self, root: str, train: bool, transform: Callable | None, target_transform: Callable | None
    ):
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        lines = [
            f"Dataset {type(self).__name__}",
            f"    Number of datapoints: {len(self)}",
            f"    Root location: {self.root}",
            f"    Split: {split}",
        ]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)
