"""Shape/movement ops beyond the op table: errors, views (shared memory and version counter),
new-tensor identity, dtype promotion in cat, legacy edge cases."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops.shape import pad as ember_pad
from tests.ops.helpers import LIBS, arange, check_error, torch


def pad_fn(lib):
    return ember_pad if lib is ember else torch.nn.functional.pad


# -- errors ------------------------------------------------------------------------------------
ERRORS = [
    ("view_incompatible", lambda lib: arange(lib, 3, 4).t().view(12), RuntimeError,
     ["view", "(4, 3)", "(12,)", "reshape"]),
    ("view_bad_size", lambda lib: arange(lib, 3, 4).view(5, 3), RuntimeError,
     ["view", "[5, 3]", "12"]),
    ("reshape_invalid_size", lambda lib: arange(lib, 3, 4).reshape(5, -1), RuntimeError,
     ["reshape", "[5, -1]", "12"]),
    ("reshape_two_inferred", lambda lib: arange(lib, 3, 4).reshape(-1, -1), RuntimeError,
     ["reshape", "one dimension"]),
    ("expand_non_singleton", lambda lib: arange(lib, 3, 2).expand(3, 4), RuntimeError,
     ["expand", "(4)", "(2)", "dimension 1", "[3, 4]", "[3, 2]"]),
    ("expand_too_few_sizes", lambda lib: arange(lib, 3, 2).expand(2), RuntimeError,
     ["expand", "(1)", "(2)"]),
    ("expand_minus_one_leading", lambda lib: arange(lib, 3, 2).expand(-1, 3, 2), RuntimeError,
     ["expand", "-1", "leading"]),
    ("cat_size_mismatch", lambda lib: lib.cat([arange(lib, 2, 3), arange(lib, 3, 4)], 0),
     RuntimeError,
     ["cat", "dimension 0", "size 3", "size 4", "(2, 3)", "(3, 4)"]),
    ("cat_ndim_mismatch", lambda lib: lib.cat([arange(lib, 2, 3), arange(lib, 3)]), RuntimeError,
     ["cat", "2 and 1"]),
    ("cat_bad_dim", lambda lib: lib.cat([arange(lib, 2, 3), arange(lib, 2, 3)], 2), IndexError,
     ["cat", "[-2, 1]", "2"]),
    ("cat_zero_dim", lambda lib: lib.cat([arange(lib, 2), lib.tensor(1.0, dtype=lib.float64)]),
     RuntimeError, ["cat", "zero-dimensional", "position 1"]),
    ("cat_empty_list", lambda lib: lib.cat([]), ValueError, ["cat", "non-empty"]),
    ("stack_unequal", lambda lib: lib.stack([arange(lib, 2, 3), arange(lib, 3, 2)]), RuntimeError,
     ["stack", "[2, 3]", "[3, 2]", "entry 1"]),
    ("stack_bad_dim", lambda lib: lib.stack([arange(lib, 2), arange(lib, 2)], 3), IndexError,
     ["stack", "[-2, 1]", "3"]),
    ("permute_wrong_length", lambda lib: arange(lib, 3, 2).permute(0), RuntimeError,
     ["permute", "input.dim() = 2", "len(dims) = 1"]),
    ("permute_duplicate", lambda lib: arange(lib, 3, 2).permute(1, 1), RuntimeError,
     ["permute", "duplicate", "(1, 1)"]),
    ("permute_bad_dim", lambda lib: arange(lib, 3, 2).permute(0, 2), IndexError,
     ["permute", "[-2, 1]", "got 2"]),
    ("transpose_bad_dim", lambda lib: arange(lib, 3, 2).transpose(0, 2), IndexError,
     ["transpose", "[-2, 1]", "got 2"]),
    ("squeeze_bad_dim", lambda lib: arange(lib, 3, 1).squeeze(2), IndexError,
     ["squeeze", "[-2, 1]", "got 2"]),
    ("squeeze_bad_dim_in_tuple", lambda lib: arange(lib, 1, 3).squeeze((0, -3)), IndexError,
     ["squeeze", "got -3"]),
    ("squeeze_0d_bad_dim", lambda lib: arange(lib).squeeze(1), IndexError,
     ["squeeze", "[-1, 0]", "got 1"]),
    ("unsqueeze_bad_dim", lambda lib: arange(lib, 3, 2).unsqueeze(3), IndexError,
     ["unsqueeze", "[-3, 2]", "got 3"]),
    ("unsqueeze_bad_neg_dim", lambda lib: arange(lib, 3, 2).unsqueeze(-4), IndexError,
     ["unsqueeze", "got -4"]),
    ("flatten_start_after_end", lambda lib: arange(lib, 2, 3).flatten(1, 0), RuntimeError,
     ["flatten", "start_dim"]),
    ("unflatten_bad_sizes", lambda lib: arange(lib, 2, 6).unflatten(1, (4, -1)), RuntimeError,
     ["unflatten", "[4, -1]", "dim 1", "(6)"]),
    ("movedim_repeated", lambda lib: arange(lib, 2, 3, 4).movedim((0, 0), (1, 2)), RuntimeError,
     ["movedim", "source", "[0, 0]"]),
    ("flip_repeated", lambda lib: arange(lib, 2, 3).flip(0, 0), RuntimeError,
     ["flip", "(0, 0)", "multiple"]),
    ("roll_shifts_dims_mismatch", lambda lib: arange(lib, 2, 3).roll((1, 2), 0), RuntimeError,
     ["roll", "(1, 2)"]),
    ("repeat_too_few", lambda lib: arange(lib, 2, 3).repeat(2), RuntimeError,
     ["repeat", "1 < 2"]),
    ("split_zero", lambda lib: arange(lib, 2, 3).split(0), RuntimeError,
     ["split", "split_size=0", "size 2"]),
    ("split_bad_sections", lambda lib: arange(lib, 2, 3).split([1, 2]), RuntimeError,
     ["split_with_sizes", "2", "[1, 2]"]),
    ("chunk_zero", lambda lib: arange(lib, 2, 3).chunk(0), RuntimeError, ["chunk", "0"]),
    ("unbind_0d", lambda lib: arange(lib).unbind(), IndexError, ["unbind", "no dimensions"]),
    ("narrow_out_of_range", lambda lib: arange(lib, 2, 3).narrow(1, 2, 2), RuntimeError,
     ["narrow", "start (2)", "length (2)", "(3)"]),
    ("tril_1d", lambda lib: arange(lib, 3).tril(), RuntimeError, ["tril", "2 dimensions"]),
    ("diagonal_same_dims", lambda lib: arange(lib, 3, 3).diagonal(0, 1, 1), RuntimeError,
     ["diagonal", "1, 1"]),
    ("diagonal_1d", lambda lib: arange(lib, 3).diagonal(), IndexError,
     ["diagonal", "[-1, 0]", "got 1"]),
    ("mT_1d", lambda lib: arange(lib, 3).mT, RuntimeError, ["mT", "matrices"]),
    ("pad_odd_length", lambda lib: pad_fn(lib)(arange(lib, 1, 2, 3), (1,)), RuntimeError,
     ["pad", "divisible by 2", "(1, 2, 3)"]),
    ("pad_unknown_mode", lambda lib: pad_fn(lib)(arange(lib, 1, 2, 3), (1, 1), mode="foo"),
     NotImplementedError, ["pad", "foo"]),
    ("pad_reflect_too_wide", lambda lib: pad_fn(lib)(arange(lib, 1, 2, 3), (3, 1), mode="reflect"),
     RuntimeError, ["pad", "(3, 1)", "dimension 2", "size 3"]),
    ("pad_circular_wraps_twice",
     lambda lib: pad_fn(lib)(arange(lib, 1, 2, 3), (4, 1), mode="circular"), RuntimeError,
     ["pad", "wrapping around more than once", "dimension 2"]),
    ("pad_negative_too_large", lambda lib: pad_fn(lib)(arange(lib, 1, 2, 3), (-2, -2)),
     RuntimeError,
     ["pad", "(-2, -2)", "size 3", "(1, 2, 3)"]),
]


@pytest.mark.parametrize("fn,exc,fragments", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error(fn, exc, fragments):
    check_error(fn, exc, *fragments)


# -- views share memory and the version counter ---------------------------------------------------
VIEWS = {
    "getitem_int": lambda x: x[0],
    "getitem_slices": lambda x: x[1:, ::2],
    "getitem_none_ellipsis": lambda x: x[None, ..., 1],
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "swapaxes": lambda x: x.swapaxes(0, 1),
    "movedim": lambda x: x.movedim(0, 1),
    "view": lambda x: x.view(2, 6),
    "view_as": lambda x: x.view_as(x),
    "reshape_contiguous": lambda x: x.reshape(6, 2),
    "reshape_same_shape": lambda x: x.reshape(3, 4),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "squeeze_noop": lambda x: x.squeeze(),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "diagonal": lambda x: x.diagonal(),
    "expand_no_repeat": lambda x: x.expand(1, 3, 4),
    "split": lambda x: x.split(2)[1],
    "chunk": lambda x: x.chunk(2, 1)[0],
    "unbind": lambda x: x.unbind(1)[2],
    "detach": lambda x: x.detach(),
}
@pytest.mark.parametrize(
    "name,requires_grad",
    [pytest.param(n, False, id=f"{n}-plain")
     for n in VIEWS]
    + [pytest.param(n, True, id=f"{n}-graph") for n in VIEWS],
)
def test_views_share_memory_and_version(name, requires_grad):
    make = VIEWS[name]
    results = []
    for lib in LIBS:
        base = arange(lib, 3, 4, requires_grad=requires_grad)
        x = base * 1 if requires_grad else base  # a non-leaf, so in-place is allowed
        v = make(x)
        before = x._version
        with lib.no_grad():
            v.add_(100)
        assert x._version == before + 1, f"{lib.__name__}: base version did not move"
        assert v._version == x._version
        results.append(x.detach().numpy().copy())
    assert results[0].sum() > np.arange(12).sum()  # the write reached the base
    if torch is not None:
        np.testing.assert_array_equal(results[0], results[1])


COPIES = {
    "advanced_index": lambda x: x[[0, 1]],
    "flip": lambda x: x.flip(0),
    "repeat": lambda x: x.repeat(1, 1),
    "roll": lambda x: x.roll(1),
    "tril": lambda x: x.tril(),
    "masked_select": lambda x: x.masked_select(x > 5),
    "reshape_non_contiguous": lambda x: x.t().reshape(-1),
    "contiguous_of_t": lambda x: x.t().contiguous(),
    "cat": lambda x: ember_or_torch(x).cat([x, x]),
}


def ember_or_torch(t):
    return ember if isinstance(t, ember.Tensor) else torch


@pytest.mark.parametrize("name", list(COPIES))
def test_copies_do_not_alias(name):
    for lib in LIBS:
        x = arange(lib, 3, 4)
        c = COPIES[name](x)
        c.add_(100)
        np.testing.assert_array_equal(x.numpy(), np.arange(12.0).reshape(3, 4))
        assert x._version == 0, f"{lib.__name__}: a copy moved the base's version"


def test_t_is_a_view():
    for lib in LIBS:
        x = arange(lib, 2, 3)
        y = x.t()
        assert y.data_ptr() == x.data_ptr()
        assert y.stride() == (1, 3)
        y[0, 1] = -1.0
        assert x[1, 0].item() == -1.0
        assert x._version == 1 and y._version == 1


def test_getitem_view_add_under_no_grad_changes_base():
    x = arange(ember, 2, 3)
    v = x[0]
    with ember.no_grad():
        v.add_(1)
    np.testing.assert_array_equal(x.numpy(), [[1, 2, 3], [3, 4, 5]])
    assert x._version == 1


def test_write_through_repeating_expand_refused():
    for lib in LIBS:
        y = arange(lib, 3, 1).expand(3, 2)
        with pytest.raises(RuntimeError, match="single memory location"):
            y.add_(1)


def test_modified_base_refuses_backward_through_saved_view():
    for lib in LIBS:
        x = arange(lib, 3, requires_grad=True)
        y = x * 1
        z = y[1:]
        w = (z * z).sum()  # saves z, a view of y
        y.add_(1)  # bumps the version shared by y and z
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            w.backward()


# -- every shape op returns a new tensor object (PyTorch never returns ``self`` here) ------------
SAME_SHAPE = {
    "reshape": lambda x: x.reshape(3, 4),
    "view": lambda x: x.view(3, 4),
    "squeeze": lambda x: x.squeeze(),
    "squeeze_dim": lambda x: x.squeeze(0),
    "expand": lambda x: x.expand(3, 4),
    "broadcast_to": lambda x: x.broadcast_to((3, 4)),
    "unflatten": lambda x: x.unflatten(0, (3,)),
    "split_one_piece": lambda x: x.split(5)[0],
    "permute_identity": lambda x: x.permute(0, 1),
}


@pytest.mark.parametrize("name", list(SAME_SHAPE))
def test_shape_ops_return_new_tensor(name):
    for lib in LIBS:
        x = arange(lib, 3, 4)
        y = SAME_SHAPE[name](x)
        assert y is not x, lib.__name__
        y.requires_grad_(True)  # must not leak to the base
        assert not x.requires_grad, lib.__name__


# -- cat / chunk / misc edge cases ---------------------------------------------------------------
def test_cat_promotes_float32_float64_and_returns_grads_in_input_dtypes():
    got = {}
    for lib in LIBS:
        a = lib.tensor(np.array([[1.0, 2.0]], dtype=np.float32), requires_grad=True)
        b = lib.tensor(np.array([[3.0, 4.0]]), dtype=lib.float64, requires_grad=True)
        i = lib.tensor(np.array([[5, 6]]))
        out = lib.cat([a, i, b])
        assert str(out.dtype).endswith("float64")
        (out * lib.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
        assert str(a.grad.dtype).endswith("float32") and str(b.grad.dtype).endswith("float64")
        got[lib.__name__] = (out.detach().numpy(), a.grad.numpy(), b.grad.numpy())
    np.testing.assert_array_equal(got["ember"][1], [[0.0, 1.0]])
    np.testing.assert_array_equal(got["ember"][2], [[4.0, 5.0]])
    if torch is not None:
        for e, t in zip(got["ember"], got["torch"]):
            np.testing.assert_array_equal(e, t)


def test_cat_int_bool_promotes():
    for lib in LIBS:
        out = lib.cat([lib.tensor([1, 2]), lib.tensor([True, False])])
        assert str(out.dtype).endswith("int64")
        assert out.tolist() == [1, 2, 1, 0]


def test_cat_skips_legacy_1d_empty_tensors():
    for lib in LIBS:
        out = lib.cat([arange(lib, 2, 3), lib.tensor([], dtype=lib.float64)])
        assert tuple(out.shape) == (2, 3)


def test_chunk_of_empty_dim_gives_requested_pieces():
    for lib in LIBS:
        assert [tuple(t.shape) for t in arange(lib, 0).chunk(2)] == [(0,), (0,)]
        assert [tuple(t.shape) for t in arange(lib, 0).split(2)] == [(0,)]


@pytest.mark.parametrize("n,chunks,want", [(5, 4, [2, 2, 1]), (6, 5, [2, 2, 2]), (6, 4, [2, 2, 2]),
                                           (7, 3, [3, 3, 1]), (2, 5, [1, 1])])
def test_chunk_sizes(n, chunks, want):
    for lib in LIBS:
        assert [t.shape[0] for t in arange(lib, n).chunk(chunks)] == want


def test_zero_dim_flip_roll_squeeze_transpose():
    for lib in LIBS:
        x = lib.tensor(2.0, dtype=lib.float64)
        assert x.flip(0).item() == 2.0
        assert x.roll(1).item() == 2.0
        assert tuple(x.squeeze(0).shape) == () and tuple(x.squeeze(-1).shape) == ()
        assert tuple(x.unsqueeze(-1).shape) == (1,)
        assert tuple(x.flatten().shape) == (1,)


def test_replicate_pad_gradient_counts_reuse():
    # each edge element is copied once per padded position it fills
    x = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    ember_pad(x.reshape(1, 1, 3), (2, 3), mode="replicate").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0, 4.0])


def test_reflect_and_circular_pad_gradient_counts_reuse():
    x = ember.tensor([1.0, 2.0, 3.0, 4.0], dtype=ember.float64, requires_grad=True)
    # reflect (2, 1): [3, 2, | 1, 2, 3, 4 | 3] -> uses of 1,2,3,4 = 1, 2, 3, 1
    ember_pad(x.reshape(1, 1, 4), (2, 1), mode="reflect").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0, 1.0])
    x.grad = None
    # circular (3, 2): [2, 3, 4, | 1, 2, 3, 4 | 1, 2] -> 2, 3, 2, 2
    ember_pad(x.reshape(1, 1, 4), (3, 2), mode="circular").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 2.0, 2.0])


def test_pad_keeps_integer_dtype():
    out = ember_pad(ember.tensor([1, 2]), (1, 1), value=3)
    assert out.dtype == ember.int64 and out.tolist() == [3, 1, 2, 3]


# -- autograd through in-place writes on views (not owned here) ----------------------------------
def test_inplace_on_view_reaches_base_gradient():
    x = arange(ember, 2, 3, requires_grad=True)
    y = x * 2
    y[0].mul_(3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0] * 3, [2.0] * 3])


def test_inplace_on_view_of_leaf_refused():
    x = arange(ember, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf"):
        x[0:2].add_(1.0)
