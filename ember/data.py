"""``ember.data``: a short name for ``ember.utils.data`` (the same objects)."""

from ember.utils.data import *  # noqa: F403
from ember.utils.data import __all__  # noqa: F401
