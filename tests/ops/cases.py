"""The op-case table: one entry per op (and per interesting variant) drives every op test.

Each case is run by:
- tests/ops/test_op_table.py: forward against NumPy (when ``ref`` is given), float64 gradcheck
  of every differentiable input, gradgradcheck when ``gradgrad`` is True;
- tests/parity/test_op_parity.py: forward values and input gradients against PyTorch, in
  float32 (and float64), when torch is importable.

``fn`` is written once against the shared API, so the same lambda runs on ember tensors and
on torch tensors; give ``torch_fn`` only where the spelling differs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass
class OpCase:
    name: str
    fn: Callable  # fn(*tensors) -> tensor or tuple of tensors; same code for ember and torch
    inputs: Callable  # inputs(rng) -> list of float64 NumPy arrays
    ref: Callable | None = None  # ref(*arrays) -> expected NumPy result (forward check)
    diff: tuple | None = None  # indices of inputs that require grad (default: all float inputs)
    gradgrad: bool = True  # the op supports double backward; checked with gradgradcheck
    torch_fn: Callable | None = None  # torch spelling when it differs from fn
    atol: float = 1e-5
    rtol: float = 1e-4
    parity: bool = True  # compare with PyTorch

    def __repr__(self) -> str:
        return self.name

    def diff_indices(self, arrays):
        if self.diff is not None:
            return self.diff
        return tuple(i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f")


def randn(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def away_from_zero(*shape):
    """Values in [-2, -0.5] U [0.5, 2]: keeps kinks (abs, relu, clamp) out of finite differences."""
    return lambda rng: rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(*shape):
    """A random permutation of well-separated values: no ties for max/min/sort."""
    n = int(np.prod(shape)) if shape else 1
    return lambda rng: (rng.permutation(n).reshape(shape) * 0.37 + 0.1).astype(np.float64)


def args(*makers):
    """Combine per-input makers into an ``inputs`` callable."""
    return lambda rng: [m(rng) for m in makers]


# Every case module appends to CASES; import them here so the drivers see one table.
CASES: list[OpCase] = []


def register(*cases: OpCase) -> None:
    CASES.extend(cases)


def all_cases() -> list[OpCase]:
    from tests.ops import (  # noqa: F401
        cases_elementwise,
        cases_nn_activation_loss,
        cases_nn_conv_pool,
        cases_nn_norm,
        cases_reduce,
        cases_shape_index,
    )

    return CASES
