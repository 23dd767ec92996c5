"""Image and tensor transforms with ``decode``/``setup``, and batch augmentation.

``import ember.transforms`` explicitly (it is not imported by ``import ember``).
"""

from ember.transforms._warp import InterpolationMode
from ember.transforms.base import Compose, Lambda, Transform
from ember.transforms.batch import CutMix, Mixup, tta
from ember.transforms.color import ColorJitter, GaussianBlur, Grayscale
from ember.transforms.erasing import RandomErasing
from ember.transforms.geometry import (
    CenterCrop,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
)
from ember.transforms.tensor import (
    Flatten,
    Normalize,
    PILToTensor,
    Rescale,
    ToPILImage,
    ToTensor,
)

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "CutMix",
    "Flatten",
    "GaussianBlur",
    "Grayscale",
    "InterpolationMode",
    "Lambda",
    "Mixup",
    "Normalize",
    "PILToTensor",
    "RandomAffine",
    "RandomCrop",
    "RandomErasing",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Rescale",
    "ToPILImage",
    "ToTensor",
    "Transform",
    "tta",
]
