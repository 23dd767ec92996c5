"""``ember.nn.functional`` (imported as ``F``): the stateless functions behind the layers.

Each function validates its arguments and computes through ember ops; layers in
``ember.nn.modules`` call these, so a layer and its function never disagree. The functions
live in ``ember/nn/_functional/<family>.py``; this module re-exports each family's ``__all__``.
"""

# ruff: noqa: F403, F405
from ember.nn._functional.activation import *
from ember.nn._functional.attention import *
from ember.nn._functional.conv import *
from ember.nn._functional.dropout import *
from ember.nn._functional.linear import *
from ember.nn._functional.loss import *
from ember.nn._functional.normalization import *
from ember.nn._functional.pooling import *
from ember.nn._functional.sparse import *
from ember.nn._functional.vision import *
