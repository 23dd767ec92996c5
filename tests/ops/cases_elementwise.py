"""Op cases: elementwise arithmetic and math."""

import numpy as np

from tests.ops.cases import OpCase, args, positive, randn, register

register(
    OpCase("add", lambda a, b: a + b, args(randn(3, 4), randn(3, 4)), ref=np.add),
    OpCase("add_broadcast", lambda a, b: a + b, args(randn(3, 1, 4), randn(5, 1)), ref=np.add),
    OpCase("mul_scalar", lambda a: a * 2.5, args(randn(3, 4)), ref=lambda a: a * 2.5),
    OpCase("div", lambda a, b: a / b, args(randn(3, 4), positive(4)), ref=np.divide),
    OpCase("exp", lambda a: a.exp(), args(randn(2, 3)), ref=np.exp),
    OpCase("log", lambda a: a.log(), args(positive(2, 3)), ref=np.log),
)
