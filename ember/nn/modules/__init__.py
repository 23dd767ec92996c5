"""Layers, one family per file; re-exported by ``ember.nn``."""

# one family per file; each lists its layers in __all__
from ember.nn.modules import (  # noqa: E402 - the family modules, for their __all__
    activation,
    attention,
    conv,
    dropout,
    loss,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
    vision,
)
from ember.nn.modules.activation import *  # noqa: F403, E402
from ember.nn.modules.attention import *  # noqa: F403, E402
from ember.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from ember.nn.modules.conv import *  # noqa: F403, E402
from ember.nn.modules.dropout import *  # noqa: F403, E402
from ember.nn.modules.flatten import Flatten, Unflatten
from ember.nn.modules.linear import Bilinear, Identity, LazyLinear, Linear
from ember.nn.modules.loss import *  # noqa: F403, E402
from ember.nn.modules.module import Module, RemovableHandle
from ember.nn.modules.normalization import *  # noqa: F403, E402
from ember.nn.modules.pooling import *  # noqa: F403, E402
from ember.nn.modules.rnn import *  # noqa: F403, E402
from ember.nn.modules.sparse import *  # noqa: F403, E402
from ember.nn.modules.transformer import *  # noqa: F403, E402
from ember.nn.modules.vision import *  # noqa: F403, E402

__all__ = [
    "Bilinear",
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
for _family in (activation, attention, conv, dropout, loss, normalization, pooling, rnn, sparse,
                transformer, vision):
    __all__ += _family.__all__
