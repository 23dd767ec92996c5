"""Differentiable primitives, one family per module."""

import warnings

# Like PyTorch, kernels produce NaN/Inf silently (log(-1), 1/0): NumPy's floating-point
# RuntimeWarnings raised from inside ember's kernels are not shown. detect_anomaly() finds them.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.")

from ember.ops import activation, elementwise, index, inplace, linalg, reduce, shape  # noqa: E402

__all__ = ["activation", "elementwise", "index", "inplace", "linalg", "reduce", "shape"]
