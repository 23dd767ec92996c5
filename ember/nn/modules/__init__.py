"""Layers, one family per file; re-exported by ``ember.nn``."""

from ember.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from ember.nn.modules.flatten import Flatten, Unflatten
from ember.nn.modules.linear import Identity, LazyLinear, Linear
from ember.nn.modules.module import Module, RemovableHandle

__all__ = [
    "Flatten",
    "Identity",
    "LazyLinear",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "RemovableHandle",
    "Sequential",
    "Unflatten",
]
