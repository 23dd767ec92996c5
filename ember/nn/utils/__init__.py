"""``ember.nn.utils``: gradient clipping, parameter/vector conversion and parametrizations.

``max_norm_`` is ember-only (a max-norm weight constraint); everything else mirrors
``torch.nn.utils``.
"""

from ember.nn.utils import parametrizations
from ember.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, max_norm_
from ember.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from ember.nn.utils.parametrizations import (
    is_parametrized,
    register_parametrization,
    remove_parametrizations,
)

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "is_parametrized",
    "max_norm_",
    "parameters_to_vector",
    "parametrizations",
    "register_parametrization",
    "remove_parametrizations",
    "vector_to_parameters",
]
