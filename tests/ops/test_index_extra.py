"""Indexing beyond the op table: errors, __setitem__ in and out of the graph, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.ops.helpers import LIBS, arange, check_error, torch


def _setitem(x, key, value):
    x[key] = value


def _idx(lib, values, dtype=None):
    return lib.tensor(values, dtype=dtype or lib.int64)


ERRORS = [
    ("int_out_of_range", lambda lib: arange(lib, 3, 2)[3], IndexError,
     ["index", "index 3", "dimension 0", "size 3", "(3, 2)"]),
    ("neg_int_out_of_range", lambda lib: arange(lib, 3, 2)[-4], IndexError,
     ["index", "-4", "size 3"]),
    ("second_dim_out_of_range", lambda lib: arange(lib, 3, 2)[0, 5], IndexError,
     ["index", "index 5", "dimension 1", "size 2"]),
    ("tensor_index_out_of_range", lambda lib: arange(lib, 3, 2)[_idx(lib, [0, 5])], IndexError,
     ["index", "index 5", "size 3"]),
    ("list_index_out_of_range", lambda lib: arange(lib, 3, 2)[[0, 3]], IndexError,
     ["index", "index 3", "size 3"]),
    ("float_tensor_index", lambda lib: arange(lib, 3, 2)[lib.tensor([0.0, 1.0])], IndexError,
     ["index", "long, int, byte or bool", "float32"]),
    ("float_scalar_index", lambda lib: arange(lib, 3, 2)[1.0], IndexError,
     ["index", "got float"]),
    ("too_many_indices", lambda lib: arange(lib, 3, 2)[0, 0, 0], IndexError,
     ["index", "too many indices", "(3, 2)"]),
    ("negative_step", lambda lib: arange(lib, 3, 2)[::-1], ValueError,
     ["index", "step must be greater than zero", "-1"]),
    ("zero_step", lambda lib: arange(lib, 3, 2)[::0], ValueError, ["index", "step", "zero"]),
    ("mask_shape_mismatch", lambda lib: arange(lib, 3, 2)[lib.tensor([True, False])], IndexError,
     ["index", "3", "2", "(3, 2)"]),
    ("setitem_out_of_range", lambda lib: _setitem(arange(lib, 3, 2), 5, 1.0), IndexError,
     ["__setitem__", "index 5", "size 3"]),
    ("setitem_float_index", lambda lib: _setitem(arange(lib, 3, 2), lib.tensor([0.5]), 1.0),
     IndexError, ["__setitem__", "long, int, byte or bool"]),
    ("setitem_value_shape", lambda lib: _setitem(arange(lib, 3, 2), 0, lib.ones(3)),
     RuntimeError, ["__setitem__", "(3,)", "(2,)", "(3, 2)"]),
    ("gather_float_index", lambda lib: arange(lib, 3, 2).gather(0, lib.tensor([[0.0, 1.0]])),
     RuntimeError, ["gather", "int32/int64", "float32"]),
    ("gather_index_ndim", lambda lib: arange(lib, 3, 2).gather(0, _idx(lib, [0, 1])),
     RuntimeError, ["gather", "same number of dimensions", "(2,)", "(3, 2)"]),
    ("gather_index_too_large", lambda lib: arange(lib, 3, 2).gather(0, _idx(lib, [[0, 1, 1]])),
     RuntimeError, ["gather", "dimension 1", "(1, 3)", "(3, 2)"]),
    ("gather_out_of_bounds", lambda lib: arange(lib, 3, 2).gather(0, _idx(lib, [[0, 3]])),
     RuntimeError, ["gather", "index 3", "dimension 0", "size 3"]),
    ("gather_negative", lambda lib: arange(lib, 3, 2).gather(0, _idx(lib, [[0, -1]])),
     RuntimeError, ["gather", "index -1", "size 3"]),
    ("gather_bad_dim", lambda lib: arange(lib, 3, 2).gather(2, _idx(lib, [[0]])), IndexError,
     ["gather", "got 2"]),
    ("scatter_out_of_bounds", lambda lib: arange(lib, 2, 3).scatter(1, _idx(lib, [[3]]), 1.0),
     RuntimeError, ["scatter", "index 3", "dimension 1", "size 3"]),
    ("scatter_float_index", lambda lib: arange(lib, 2, 3).scatter(1, lib.tensor([[0.0]]), 1.0),
     RuntimeError, ["scatter", "int32/int64"]),
    ("scatter_add_index_larger_than_src",
     lambda lib: arange(lib, 2, 3).scatter_add(1, _idx(lib, [[0, 1]]), arange(lib, 1, 1)),
     RuntimeError, ["scatter_add", "(1, 2)", "(1, 1)"]),
    ("index_select_float", lambda lib: arange(lib, 3, 2).index_select(0, lib.tensor([0.0])),
     RuntimeError, ["index_select", "int32", "int64"]),
    ("index_select_out_of_range", lambda lib: arange(lib, 3, 2).index_select(0, _idx(lib, [3])),
     IndexError, ["index_select", "3", "size 3"]),
    ("index_select_matrix", lambda lib: arange(lib, 3, 2).index_select(0, _idx(lib, [[0]])),
     IndexError, ["index_select", "vector"]),
    ("masked_fill_int_mask", lambda lib: arange(lib, 3).masked_fill(_idx(lib, [1, 0, 1]), 0.0),
     RuntimeError, ["masked_fill", "int64"]),
    ("masked_fill_vector_value",
     lambda lib: arange(lib, 3).masked_fill(lib.tensor([True, False, True]), lib.ones(1)),
     RuntimeError, ["masked_fill", "0-dimensional", "1 dimension"]),
    ("take_along_dim_int32",
     lambda lib: arange(lib, 2, 3).take_along_dim(_idx(lib, [[0]], lib.int32), 1),
     RuntimeError, ["take_along_dim", "int64", "int32"]),
    ("take_along_dim_ndim", lambda lib: arange(lib, 2, 3).take_along_dim(_idx(lib, [0]), 1),
     RuntimeError, ["take_along_dim", "2 dimensions", "(2, 3)", "(1,)"]),
    ("take_along_dim_bad_dim", lambda lib: arange(lib, 2, 3).take_along_dim(_idx(lib, [[0]]), 2),
     IndexError, ["take_along_dim", "got 2"]),
    ("index_add_count", lambda lib: arange(lib, 2, 3).index_add(1, _idx(lib, [0, 1]),
                                                                arange(lib, 2, 3)),
     RuntimeError, ["index_add", "(2)", "(3)", "dim: 1"]),
    ("index_add_shape", lambda lib: arange(lib, 2, 3).index_add(1, _idx(lib, [0]),
                                                                arange(lib, 3, 1)),
     RuntimeError, ["index_add", "[2, 3]", "[3, 1]"]),
    ("index_add_out_of_bounds", lambda lib: arange(lib, 2, 3).index_add(1, _idx(lib, [0, 5]),
                                                                        arange(lib, 2, 2)),
     RuntimeError, ["index_add", "index 5", "dimension 1", "size 3"]),
    ("index_add_dtype",
     lambda lib: arange(lib, 3).index_add(0, _idx(lib, [0]), lib.tensor([9.0])),
     RuntimeError, ["index_add", "float64", "float32"]),
    ("index_put_dtype",
     lambda lib: arange(lib, 3).index_put((_idx(lib, [0]),), lib.tensor(9.0)),
     RuntimeError, ["index_put", "float64", "float32"]),
    ("index_put_float_index",
     lambda lib: arange(lib, 3).index_put((lib.tensor([0.0]),), lib.tensor(9.0)),
     IndexError, ["index_put", "long, int, byte or bool"]),
]


@pytest.mark.parametrize("fn,exc,fragments", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error(fn, exc, fragments):
    check_error(fn, exc, *fragments)


# -- __setitem__ ---------------------------------------------------------------------------------
SETITEM_OUT_OF_GRAPH = {
    "int_scalar": lambda lib, x: _setitem(x, 0, 5.0),
    "neg_int_row": lambda lib, x: _setitem(x, -1, lib.tensor([7.0, 8.0, 9.0, 1.0],
                                                             dtype=lib.float64)),
    "column_broadcast": lambda lib, x: _setitem(x, (slice(None), 1), lib.tensor([1.5, 2.5, 3.5],
                                                                                dtype=lib.float64)),
    "step_slice": lambda lib, x: _setitem(x, (slice(None), slice(None, None, 2)), -1.0),
    "mask": lambda lib, x: _setitem(x, x > 6, 0.0),
    "index_tensor": lambda lib, x: _setitem(x, _idx(lib, [2, 0]), lib.tensor(3.0,
                                                                             dtype=lib.float64)),
    "two_index_lists": lambda lib, x: _setitem(x, ([0, 2], [3, 1]), lib.tensor([-5.0, -6.0],
                                                                               dtype=lib.float64)),
    "ellipsis_none": lambda lib, x: _setitem(x, (Ellipsis, None, 0), 4.0),
    "float32_value_cast": lambda lib, x: _setitem(x, 1, lib.tensor([0.5, 1.5, 2.5, 3.5])),
    "int_value": lambda lib, x: _setitem(x, (0, 0), 7),
}


@pytest.mark.parametrize("name", list(SETITEM_OUT_OF_GRAPH))
def test_setitem_out_of_graph(name):
    got = []
    for lib in LIBS:
        x = arange(lib, 3, 4)
        SETITEM_OUT_OF_GRAPH[name](lib, x)
        assert x._version == 1, lib.__name__
        assert not x.requires_grad and x.grad_fn is None
        assert str(x.dtype).endswith("float64")
        got.append(x.numpy().copy())
    assert not np.array_equal(got[0], np.arange(12.0).reshape(3, 4))
    if torch is not None:
        np.testing.assert_array_equal(got[0], got[1])


def test_setitem_out_of_graph_value_int_tensor():
    x = ember.tensor([1, 2, 3])
    x[1] = 2.7  # cast to the tensor's dtype, like PyTorch
    assert x.tolist() == [1, 2, 3] and x.dtype == ember.int64


def _recorded(lib, key_fn, value_shape):
    x = arange(lib, 3, 4, requires_grad=True)
    v = lib.tensor(np.linspace(-1, 1, int(np.prod(value_shape))).reshape(value_shape),
                   dtype=lib.float64, requires_grad=True)
    y = x * 1
    y[key_fn(lib, y)] = v
    w = lib.tensor(np.arange(12.0).reshape(3, 4) - 5)
    (y * y * w).sum().backward()
    return y.detach().numpy().copy(), x.grad.numpy().copy(), v.grad.numpy().copy()


RECORDED = {
    "row": (lambda lib, y: 0, (4,)),
    "row_broadcast": (lambda lib, y: 1, (1,)),
    "scalar_into_slice": (lambda lib, y: (slice(1, None), slice(None, None, 2)), ()),
    "mask": (lambda lib, y: y > 5, ()),
    "index_tensor": (lambda lib, y: _idx(lib, [2, 0]), (2, 4)),
    "mixed": (lambda lib, y: (slice(None), _idx(lib, [3, 1])), (3, 2)),
}


@pytest.mark.parametrize("name", list(RECORDED))
def test_setitem_recorded_gives_gradients_to_base_and_value(name):
    key_fn, shape = RECORDED[name]
    y, gx, gv = _recorded(ember, key_fn, shape)
    assert gx.shape == (3, 4) and gv.shape == shape
    # overwritten places give no gradient to x; elsewhere d(y*y*w)/dx = 2 y w
    w = np.arange(12.0).reshape(3, 4) - 5
    probe = arange(ember, 3, 4)  # y before the write
    probe[key_fn(ember, probe.clone())] = np.nan
    written = np.isnan(probe.numpy())
    assert written.any() and not written.all()
    np.testing.assert_allclose(gx[~written], (2 * y * w)[~written])
    assert np.all(gx[written] == 0)
    if torch is not None:
        ty, tgx, tgv = _recorded(torch, key_fn, shape)
        np.testing.assert_allclose(y, ty)
        np.testing.assert_allclose(gx, tgx)
        np.testing.assert_allclose(gv, tgv)


def test_setitem_records_into_plain_tensor_when_value_requires_grad():
    for lib in LIBS:
        x = arange(lib, 3, 2)
        v = lib.tensor([5.0, 6.0], dtype=lib.float64, requires_grad=True)
        x[1] = v
        assert x.requires_grad and x.grad_fn is not None
        (x * x).sum().backward()
        np.testing.assert_array_equal(v.grad.numpy(), [10.0, 12.0])


def test_setitem_on_leaf_requiring_grad_refused():
    for lib in LIBS:
        x = arange(lib, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            x[0] = 1.0


def test_setitem_after_save_refuses_backward():
    for lib in LIBS:
        x = arange(lib, 3, requires_grad=True)
        y = x * 1
        z = y * y  # saves y
        y[0] = 2.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_setitem_through_view_changes_base():
    for lib in LIBS:
        x = arange(lib, 2, 3)
        v = x[1]
        v[0] = -1.0
        assert x[1, 0].item() == -1.0 and x._version == 1


# -- getitem edge cases --------------------------------------------------------------------------
def test_repeated_index_gradient_accumulates():
    for lib in LIBS:
        x = arange(lib, 4, requires_grad=True)
        x[_idx(lib, [1, 1, 3, 1])].sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 3.0, 0.0, 1.0])


def test_repeated_index_double_backward():
    x = arange(ember, 3, requires_grad=True)
    y = (x[[0, 0, 2]] ** 2).sum()  # x0^2 counted twice
    (g,) = ember.autograd.grad(y, [x], create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [0.0, 0.0, 4.0])
    (gg,) = ember.autograd.grad(g.sum(), [x])
    np.testing.assert_array_equal(gg.numpy(), [4.0, 0.0, 2.0])


@pytest.mark.parametrize("key", [
    (None,), (Ellipsis,), (None, Ellipsis, None),
], ids=["none", "ellipsis", "none_ellipsis_none"])
def test_getitem_on_0d(key):
    shapes = []
    for lib in LIBS:
        x = lib.tensor(2.0, dtype=lib.float64)
        shapes.append(tuple(x[key].shape))
    assert shapes[0] == {(None,): (1,), (Ellipsis,): (), (None, Ellipsis, None): (1, 1)}[key]
    assert len(set(shapes)) == 1


def test_0d_integer_tensor_index_is_a_view_but_bool_scalar_copies():
    for lib in LIBS:
        x = arange(lib, 3, 2)
        v = x[lib.tensor(1)]
        assert tuple(v.shape) == (2,)
        v.add_(10)
        assert x.tolist() == [[0.0, 1.0], [12.0, 13.0], [4.0, 5.0]] and x._version == 1
        c = x[True]
        assert tuple(c.shape) == (1, 3, 2)
        c.add_(10)
        assert x[0, 0].item() == 0.0 and x._version == 1


def test_getitem_empty_list_and_empty_mask():
    for lib in LIBS:
        x = arange(lib, 3, 2)
        assert tuple(x[[]].shape) == (0, 2)
        assert tuple(x[x > 100].shape) == (0,)


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
def test_getitem_int32_and_uint8_indices():
    for lib in LIBS:
        x = arange(lib, 3)
        assert x[_idx(lib, [2, 0], lib.int32)].tolist() == [2.0, 0.0]
        assert x[lib.tensor([1, 0, 1], dtype=lib.uint8)].tolist() == [0.0, 2.0]


def test_gather_scatter_accept_int32_index():
    for lib in LIBS:
        x = arange(lib, 2, 3, requires_grad=True)
        i = _idx(lib, [[2], [0]], lib.int32)
        out = x.gather(1, i)
        out.sum().backward()
        assert out.tolist() == [[2.0], [3.0]]
        assert x.grad.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        assert x.detach().scatter(1, i, -1.0).tolist() == [[0.0, 1.0, -1.0], [-1.0, 4.0, 5.0]]


def test_take_along_dim_negative_index_counts_from_end():
    for lib in LIBS:
        assert arange(lib, 2, 3).take_along_dim(_idx(lib, [[-1]]), 1).tolist() == [[2.0], [5.0]]


def test_masked_fill_broadcasts_output():
    for lib in LIBS:
        out = arange(lib, 2).masked_fill(lib.tensor([[True], [False]]), -1.0)
        assert out.tolist() == [[-1.0, -1.0], [0.0, 1.0]]


def test_nonzero_0d_and_empty():
    for lib in LIBS:
        assert tuple(lib.tensor(1.0).nonzero().shape) == (1, 0)
        assert tuple(lib.tensor(0.0).nonzero().shape) == (0, 0)
        assert [tuple(t.shape) for t in lib.tensor(0.0).nonzero(as_tuple=True)] == [(0,)]
        assert [t.tolist() for t in lib.tensor(3.0).nonzero(as_tuple=True)] == [[0]]
        assert tuple(lib.zeros(2, 3).nonzero().shape) == (0, 2)


def test_where_single_argument_is_nonzero_as_tuple():
    for lib in LIBS:
        x = lib.tensor([[0.0, 1.0], [2.0, 0.0]])
        out = lib.where(x > 0)
        assert isinstance(out, tuple)
        assert [t.tolist() for t in out] == [[0, 1], [1, 0]]
        assert all(str(t.dtype).endswith("int64") for t in out)


def test_gather_and_index_add_on_0d():
    for lib in LIBS:
        x = lib.tensor(2.0, dtype=lib.float64)
        assert x.gather(0, _idx(lib, 0)).item() == 2.0
        assert x.index_add(0, _idx(lib, [0]), lib.tensor(3.0, dtype=lib.float64)).item() == 5.0


def test_index_put_is_out_of_place_and_takes_only_tensors():
    for lib in LIBS:
        x = arange(lib, 2, 3)
        out = x.index_put((_idx(lib, [1]), _idx(lib, [2])), lib.tensor(-1.0, dtype=lib.float64))
        assert out.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, -1.0]]
        assert x[1, 2].item() == 5.0 and x._version == 0
        with pytest.raises(TypeError):
            x.index_put((None, _idx(lib, [1])), lib.tensor(-1.0, dtype=lib.float64))
