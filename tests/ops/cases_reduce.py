"""Op cases: reductions."""

import numpy as np

from tests.ops.cases import OpCase, args, randn, register

register(
    OpCase("sum_all", lambda a: a.sum(), args(randn(3, 4)), ref=np.sum),
    OpCase("sum_dim_keepdim", lambda a: a.sum(1, keepdim=True), args(randn(3, 4)),
           ref=lambda a: a.sum(1, keepdims=True)),
)
