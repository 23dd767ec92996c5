"""Saving and loading checkpoints: ``ember.save`` / ``ember.load``.

ember writes safetensors files whose metadata describes the saved object and carries sha256
checksums; it also reads plain safetensors files, NumPy ``.npz``/``.npy`` files and PyTorch
``torch.save`` zip archives (with a restricted unpickler that cannot run code).
"""

from ember.serialization.api import load, save
from ember.serialization.errors import CorruptCheckpointError
from ember.serialization.torch_reader import RestrictedUnpickler

__all__ = ["CorruptCheckpointError", "RestrictedUnpickler", "load", "save"]
