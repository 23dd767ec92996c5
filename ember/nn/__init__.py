"""``ember.nn``: modules, parameters, ``functional`` and ``init``, mirroring ``torch.nn``."""

from ember.nn import functional, init, parameter, utils
from ember.nn.modules import *  # noqa: F403 - every layer family's __all__
from ember.nn.modules import (
    Flatten,
    Identity,
    LazyLinear,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
    Unflatten,
)
from ember.nn.parameter import Parameter, UninitializedParameter

__all__ = [
    "Flatten",
    "Identity",
    "LazyLinear",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "Sequential",
    "Unflatten",
    "UninitializedParameter",
    "functional",
    "init",
    "parameter",
]
