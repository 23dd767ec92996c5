"""Op cases: shape/movement, indexing, linear algebra."""

import numpy as np

from tests.ops.cases import OpCase, args, randn, register

register(
    OpCase("matmul_2d", lambda a, b: a @ b, args(randn(3, 4), randn(4, 5)), ref=np.matmul),
    OpCase("getitem_slice", lambda a: a[1:, ::2], args(randn(4, 5)), ref=lambda a: a[1:, ::2]),
)
