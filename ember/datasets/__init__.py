"""Real datasets: image folders, CSV tables, MNIST/FashionMNIST/CIFAR-10 and bundled sets.

``import ember.datasets`` explicitly (it is not imported by ``import ember``).
"""

from ember.datasets.bundled import (
    Splits,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
)
from ember.datasets.cifar import CIFAR10
from ember.datasets.download import check_integrity, download_url, extract_archive
from ember.datasets.folder import IMG_EXTENSIONS, CachedImageFolder, ImageFolder
from ember.datasets.mnist import MNIST, FashionMNIST
from ember.datasets.tabular import CSVDataset
from ember.datasets.utils import compute_mean_std, train_val_test_split

__all__ = [
    "CIFAR10",
    "IMG_EXTENSIONS",
    "MNIST",
    "CSVDataset",
    "CachedImageFolder",
    "FashionMNIST",
    "ImageFolder",
    "Splits",
    "check_integrity",
    "compute_mean_std",
    "download_url",
    "extract_archive",
    "load_breast_cancer",
    "load_diabetes",
    "load_digits",
    "load_iris",
    "train_val_test_split",
]
