"""``ember.utils``: utilities with PyTorch's module paths (``ember.utils.data``)."""

from ember.utils import data
