"""Linear algebra beyond the op table: errors, gradient shapes under broadcasting, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.ops.helpers import LIBS, check_error


def randn(lib, *shape, requires_grad=False, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(a, dtype=lib.float64, requires_grad=requires_grad)


ERRORS = [
    ("matmul_2d_mismatch", lambda lib: randn(lib, 2, 3) @ randn(lib, 4, 5), RuntimeError,
     ["matmul", "2x3", "4x5"]),
    ("matmul_1d_mismatch", lambda lib: randn(lib, 3) @ randn(lib, 4), RuntimeError,
     ["matmul", "3", "4"]),
    ("matmul_batched_1d_mismatch", lambda lib: randn(lib, 2, 3, 4) @ randn(lib, 3), RuntimeError,
     ["matmul", "2x3x4", "3"]),
    ("matmul_1d_batched_mismatch", lambda lib: randn(lib, 3) @ randn(lib, 2, 4, 3), RuntimeError,
     ["matmul", "3", "2x4x3"]),
    ("matmul_batch_dims", lambda lib: randn(lib, 2, 3, 4) @ randn(lib, 3, 4, 5), RuntimeError,
     ["matmul", "(2,)", "(3,)"]),
    ("matmul_0d", lambda lib: randn(lib) @ randn(lib, 3), RuntimeError,
     ["matmul", "at least 1D", "0D and 1D"]),
    ("matmul_dtype", lambda lib: randn(lib, 2, 3) @ randn(lib, 3, 2).float(), RuntimeError,
     ["matmul", "float64", "float32"]),
    ("mm_not_2d", lambda lib: lib.mm(randn(lib, 2, 3, 4), randn(lib, 4, 5)), RuntimeError,
     ["mm", "2D", "3D"]),
    ("mm_mismatch", lambda lib: lib.mm(randn(lib, 2, 3), randn(lib, 4, 5)), RuntimeError,
     ["mm", "2x3", "4x5"]),
    ("bmm_not_3d", lambda lib: lib.bmm(randn(lib, 2, 3), randn(lib, 3, 2)), RuntimeError,
     ["bmm", "3D", "2D"]),
    ("bmm_batch_mismatch", lambda lib: lib.bmm(randn(lib, 2, 2, 3), randn(lib, 3, 3, 2)),
     RuntimeError, ["bmm", "2", "3"]),
    ("bmm_inner_mismatch", lambda lib: lib.bmm(randn(lib, 2, 2, 3), randn(lib, 2, 4, 5)),
     RuntimeError, ["bmm", "2x2x3", "2x4x5"]),
    ("dot_size", lambda lib: lib.dot(randn(lib, 3), randn(lib, 4)), RuntimeError,
     ["dot", "[3]", "[4]"]),
    ("dot_not_1d", lambda lib: lib.dot(randn(lib, 3, 1), randn(lib, 3)), RuntimeError,
     ["dot", "1D", "2D"]),
    ("outer_not_1d", lambda lib: lib.outer(randn(lib, 2, 2), randn(lib, 2)), RuntimeError,
     ["outer", "1D"]),
    ("einsum_size_mismatch",
     lambda lib: lib.einsum("ij,jk->ik", randn(lib, 2, 3), randn(lib, 4, 5)), RuntimeError,
     ["einsum", "subscript 'j'", "3", "4", "(2, 3)", "(4, 5)"]),
    ("einsum_operand_count", lambda lib: lib.einsum("ij,jk->ik", randn(lib, 2, 3)), RuntimeError,
     ["einsum", "2 operands", "1 tensors"]),
    ("einsum_ndim", lambda lib: lib.einsum("ijk->", randn(lib, 2, 3)), RuntimeError,
     ["einsum", "ijk", "(3)", "(2)"]),
    ("einsum_unknown_output", lambda lib: lib.einsum("ij->k", randn(lib, 2, 3)), RuntimeError,
     ["einsum", "output subscript k", "ij->k"]),
    ("einsum_repeated_output", lambda lib: lib.einsum("ij->ii", randn(lib, 2, 3)), RuntimeError,
     ["einsum", "output subscript i", "more than once"]),
    ("einsum_bad_character", lambda lib: lib.einsum("i1->", randn(lib, 2, 3)), RuntimeError,
     ["einsum", "i1->", "[a-zA-Z]"]),
]


@pytest.mark.parametrize("fn,exc,fragments", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error(fn, exc, fragments):
    check_error(fn, exc, *fragments)


@pytest.mark.parametrize("sa,sb,out", [
    ((4,), (4,), ()),
    ((3,), (3, 2), (2,)),
    ((2, 3), (3,), (2,)),
    ((2, 3, 4), (4,), (2, 3)),
    ((4,), (2, 4, 3), (2, 3)),
    ((2, 1, 3, 4), (5, 4, 2), (2, 5, 3, 2)),
    ((3, 4), (2, 4, 2), (2, 3, 2)),
    ((2, 3, 4), (4, 2), (2, 3, 2)),
])
def test_matmul_shapes_and_gradient_shapes(sa, sb, out):
    for lib in LIBS:
        a, b = randn(lib, *sa, requires_grad=True), randn(lib, *sb, requires_grad=True, seed=1)
        y = a @ b
        assert tuple(y.shape) == out, lib.__name__
        y.sum().backward()
        assert tuple(a.grad.shape) == sa and tuple(b.grad.shape) == sb


def test_matmul_broadcast_batch_gradient_sums_over_broadcast_dims():
    a = randn(ember, 2, 1, 3, 4, requires_grad=True)
    b = randn(ember, 5, 4, 2, requires_grad=True, seed=1)
    (a @ b).sum().backward()
    an, bn = a.detach().numpy(), b.detach().numpy()
    g = np.ones((2, 5, 3, 2))
    np.testing.assert_allclose(a.grad.numpy(), (g @ bn.swapaxes(-1, -2)).sum(1, keepdims=True))
    np.testing.assert_allclose(b.grad.numpy(), (an.swapaxes(-1, -2) @ g).sum(0))


def test_matmul_integer_and_float32():
    for lib in LIBS:
        i = lib.tensor([[1, 2], [3, 4]])
        assert (i @ i).tolist() == [[7, 10], [15, 22]] and str((i @ i).dtype).endswith("int64")
        f = lib.tensor([[1.0, 2.0]], dtype=lib.float32)
        assert str((f @ f.t()).dtype).endswith("float32")


def test_matmul_does_not_write_inputs():
    a, b = randn(ember, 2, 3, 4), randn(ember, 4, 2)
    a0, b0 = a.numpy().copy(), b.numpy().copy()
    a @ b, a.mT @ a, b.t() @ b
    np.testing.assert_array_equal(a.numpy(), a0)
    np.testing.assert_array_equal(b.numpy(), b0)


def test_einsum_implicit_output_order_matches_torch():
    for eq, shapes in [("ba", [(2, 3)]), ("aB", [(2, 3)]), ("i...", [(2, 3)]),
                       ("...ij,...jk", [(2, 2, 3), (3, 4)]), ("bij,jk", [(2, 2, 3), (3, 4)])]:
        outs = [tuple(lib.einsum(eq, *[randn(lib, *s) for s in shapes]).shape) for lib in LIBS]
        assert len(set(outs)) == 1, (eq, outs)


def test_einsum_double_backward_through_repeated_letter():
    x = randn(ember, 3, 3, requires_grad=True)
    y = ember.einsum("ii,ij->", x, x)  # sum_i x_ii * sum_j x_ij
    (g,) = ember.autograd.grad(y, [x], create_graph=True)
    xn = x.detach().numpy()
    want = np.diag(xn.sum(1)) + np.diag(xn)[:, None] * np.ones((3, 3))
    np.testing.assert_allclose(g.detach().numpy(), want)
    (gg,) = ember.autograd.grad(g.sum(), [x])  # g.sum() = sum(x) + 3 trace(x)
    np.testing.assert_allclose(gg.numpy(), np.ones((3, 3)) + 3 * np.eye(3))
