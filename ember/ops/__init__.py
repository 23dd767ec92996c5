"""Differentiable primitives, one family per module."""

from ember.ops import elementwise, index, inplace, linalg, reduce, shape

__all__ = ["elementwise", "index", "inplace", "linalg", "reduce", "shape"]
