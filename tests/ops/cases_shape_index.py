"""Op cases: shape/movement, indexing, linear algebra.

Integer and boolean index arrays are passed as (non-float, so never differentiated) inputs, so
one lambda indexes both ember and torch tensors. Free functions are reached through ``ns(t)``:
the ``ember`` module for an ember tensor, ``torch`` for a torch tensor.
"""

import numpy as np

import ember
from tests.ops.cases import OpCase, args, randn, register


def ns(t):
    """The library namespace (``ember`` or ``torch``) that ``t`` belongs to."""
    if isinstance(t, ember.Tensor):
        return ember
    import torch

    return torch


def ints(*values, shape=None, dtype=np.int64):
    """A fixed integer index array (int64 unless told)."""
    arr = np.array(values, dtype=dtype)
    return lambda rng: arr.reshape(shape) if shape is not None else arr


def mask(*shape, p=0.5):
    """A random boolean mask with at least one True and one False."""

    def make(rng):
        m = rng.random(shape) < p
        flat = m.reshape(-1)
        flat[0], flat[-1] = True, False
        return m

    return make


def setitem(key):
    """``y = x * 1; y[key] = v`` (recorded in-place write); the key may use index inputs."""

    def fn(x, v, *idx):
        y = x * 1
        y[key(*idx) if callable(key) else key] = v
        return y

    return fn


def _setitem_plain(x, v):
    y = x.clone()
    y[1] = v
    return y


def np_setitem(key):
    def ref(x, v, *idx):
        y = x.copy()
        y[key(*idx) if callable(key) else key] = v
        return y

    return ref


# -- shape / movement ----------------------------------------------------------------------------
register(
    OpCase("reshape_infer", lambda a: a.reshape(2, -1), args(randn(3, 4)),
           ref=lambda a: a.reshape(2, -1)),
    OpCase("reshape_tuple", lambda a: a.reshape((4, 1, 3)), args(randn(3, 4)),
           ref=lambda a: a.reshape(4, 1, 3)),
    OpCase("reshape_to_scalar", lambda a: a.reshape(()), args(randn(1, 1)),
           ref=lambda a: a.reshape(())),
    OpCase("reshape_same_shape", lambda a: a.reshape(3, 4), args(randn(3, 4)), ref=lambda a: a),
    OpCase("reshape_fn", lambda a: ns(a).reshape(a, (-1,)), args(randn(2, 3)),
           ref=lambda a: a.reshape(-1)),
    OpCase("view_infer", lambda a: a.view(-1, 2), args(randn(2, 3, 2)),
           ref=lambda a: a.reshape(-1, 2)),
    OpCase("view_as", lambda a, b: a.view_as(b), args(randn(2, 6), randn(3, 4)),
           ref=lambda a, b: a.reshape(3, 4), diff=(0,)),
    OpCase("view_of_transpose_leading", lambda a: a.t().view(2, 2, 3),
           args(randn(3, 4)), ref=lambda a: a.T.reshape(2, 2, 3)),
    OpCase("reshape_noncontig", lambda a: a.t().reshape(-1), args(randn(3, 4)),
           ref=lambda a: a.T.reshape(-1)),
    OpCase("flatten_all", lambda a: a.flatten(), args(randn(2, 3, 2)),
           ref=lambda a: a.reshape(-1)),
    OpCase("flatten_range", lambda a: a.flatten(1, 2), args(randn(2, 3, 2, 2)),
           ref=lambda a: a.reshape(2, 6, 2)),
    OpCase("flatten_neg", lambda a: ns(a).flatten(a, -2), args(randn(2, 3, 2)),
           ref=lambda a: a.reshape(2, 6)),
    OpCase("flatten_scalar", lambda a: a.sum().flatten(), args(randn(3)),
           ref=lambda a: a.sum().reshape(1)),
    OpCase("unflatten", lambda a: a.unflatten(1, (2, -1)), args(randn(3, 6)),
           ref=lambda a: a.reshape(3, 2, 3)),
    OpCase("unflatten_neg", lambda a: a.unflatten(-1, (2, 2)), args(randn(2, 4)),
           ref=lambda a: a.reshape(2, 2, 2)),
    OpCase("squeeze_all", lambda a: a.squeeze(), args(randn(1, 3, 1, 2)),
           ref=lambda a: a.reshape(3, 2)),
    OpCase("squeeze_dim", lambda a: a.squeeze(2), args(randn(1, 3, 1, 2)),
           ref=lambda a: a.reshape(1, 3, 2)),
    OpCase("squeeze_neg_dim", lambda a: a.squeeze(-2), args(randn(1, 3, 1, 2)),
           ref=lambda a: a.reshape(1, 3, 2)),
    OpCase("squeeze_non_one", lambda a: a.squeeze(1), args(randn(1, 3, 1, 2)),
           ref=lambda a: a),
    OpCase("squeeze_tuple", lambda a: a.squeeze((0, 1, 2)), args(randn(1, 3, 1, 2)),
           ref=lambda a: a.reshape(3, 2)),
    OpCase("squeeze_fn", lambda a: ns(a).squeeze(a, 0), args(randn(1, 3)),
           ref=lambda a: a.reshape(3)),
    OpCase("unsqueeze", lambda a: a.unsqueeze(1), args(randn(2, 3)),
           ref=lambda a: a[:, None]),
    OpCase("unsqueeze_neg1", lambda a: a.unsqueeze(-1), args(randn(2, 3)),
           ref=lambda a: a[..., None]),
    OpCase("unsqueeze_neg3", lambda a: a.unsqueeze(-3), args(randn(2, 3)),
           ref=lambda a: a[None]),
    OpCase("unsqueeze_scalar", lambda a: a.sum().unsqueeze(0), args(randn(3)),
           ref=lambda a: a.sum().reshape(1)),
    OpCase("transpose", lambda a: a.transpose(0, 2), args(randn(2, 3, 4)),
           ref=lambda a: a.transpose(2, 1, 0)),
    OpCase("transpose_neg", lambda a: ns(a).transpose(a, -1, 0), args(randn(2, 3)),
           ref=lambda a: a.T),
    OpCase("t", lambda a: a.t(), args(randn(2, 3)), ref=lambda a: a.T),
    OpCase("t_1d", lambda a: a.t(), args(randn(3)), ref=lambda a: a),
    OpCase("permute", lambda a: a.permute(2, 0, 1), args(randn(2, 3, 4)),
           ref=lambda a: a.transpose(2, 0, 1)),
    OpCase("permute_tuple_neg", lambda a: a.permute((1, -1, 0)), args(randn(2, 3, 4)),
           ref=lambda a: a.transpose(1, 2, 0)),
    OpCase("permute_fn", lambda a: ns(a).permute(a, (1, 0)), args(randn(2, 3)),
           ref=lambda a: a.T),
    OpCase("swapaxes", lambda a: a.swapaxes(0, -1), args(randn(2, 3, 4)),
           ref=lambda a: a.swapaxes(0, -1)),
    OpCase("swapdims_fn", lambda a: ns(a).swapdims(a, 1, 2), args(randn(2, 3, 4)),
           ref=lambda a: a.swapaxes(1, 2)),
    OpCase("movedim", lambda a: a.movedim(0, -1), args(randn(2, 3, 4)),
           ref=lambda a: np.moveaxis(a, 0, -1)),
    OpCase("movedim_multi", lambda a: a.movedim((0, 1), (2, 0)), args(randn(2, 3, 4)),
           ref=lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    OpCase("moveaxis_fn", lambda a: ns(a).moveaxis(a, -1, 1), args(randn(2, 3, 4)),
           ref=lambda a: np.moveaxis(a, -1, 1)),
    OpCase("T_2d", lambda a: a.T, args(randn(2, 3)), ref=lambda a: a.T),
    OpCase("mT", lambda a: a.mT, args(randn(2, 3, 4)), ref=lambda a: a.swapaxes(-1, -2)),
    OpCase("expand", lambda a: a.expand(2, -1, 4), args(randn(3, 1)),
           ref=lambda a: np.broadcast_to(a, (2, 3, 4))),
    OpCase("expand_tuple", lambda a: a.expand((3, 2)), args(randn(1, 2)),
           ref=lambda a: np.broadcast_to(a, (3, 2))),
    OpCase("expand_scalar", lambda a: a.sum().expand(2, 3), args(randn(2)),
           ref=lambda a: np.broadcast_to(a.sum(), (2, 3))),
    OpCase("expand_noop", lambda a: a.expand(-1, 3), args(randn(2, 3)), ref=lambda a: a),
    OpCase("expand_as", lambda a, b: a.expand_as(b), args(randn(1, 3), randn(2, 2, 3)),
           ref=lambda a, b: np.broadcast_to(a, b.shape), diff=(0,)),
    OpCase("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), args(randn(3, 1)),
           ref=lambda a: np.broadcast_to(a, (2, 3, 4))),
    OpCase("broadcast_to_fn", lambda a: ns(a).broadcast_to(a, (2, -1)), args(randn(3)),
           ref=lambda a: np.broadcast_to(a, (2, 3))),
    OpCase("broadcast_tensors", lambda a, b: ns(a).broadcast_tensors(a, b),
           args(randn(3, 1), randn(2, 1, 4)),
           ref=lambda a, b: np.broadcast_arrays(a, b)),
    OpCase("repeat", lambda a: a.repeat(2, 1, 3), args(randn(2, 3)),
           ref=lambda a: np.tile(a, (2, 1, 3))),
    OpCase("repeat_tuple", lambda a: a.repeat((3, 2)), args(randn(2, 1)),
           ref=lambda a: np.tile(a, (3, 2))),
    OpCase("repeat_scalar", lambda a: a.sum().repeat(3), args(randn(2)),
           ref=lambda a: np.tile(a.sum(), 3)),
    OpCase("tile_short", lambda a: a.tile((2,)), args(randn(2, 3)),
           ref=lambda a: np.tile(a, 2)),
    OpCase("tile_long", lambda a: ns(a).tile(a, (2, 1, 2)), args(randn(2, 3)),
           ref=lambda a: np.tile(a, (2, 1, 2))),
    OpCase("flip", lambda a: a.flip(0, 2), args(randn(2, 3, 4)),
           ref=lambda a: np.flip(a, (0, 2))),
    OpCase("flip_neg_fn", lambda a: ns(a).flip(a, (-1,)), args(randn(2, 3)),
           ref=lambda a: np.flip(a, -1)),
    OpCase("flip_0d", lambda a: a.sum().flip(0), args(randn(3)), ref=lambda a: a.sum()),
    OpCase("fliplr", lambda a: ns(a).fliplr(a), args(randn(2, 3)), ref=np.fliplr),
    OpCase("flipud", lambda a: ns(a).flipud(a), args(randn(2, 3)), ref=np.flipud),
    OpCase("roll_flat", lambda a: a.roll(2), args(randn(2, 3)), ref=lambda a: np.roll(a, 2)),
    OpCase("roll_flat_neg", lambda a: ns(a).roll(a, -7), args(randn(2, 3)),
           ref=lambda a: np.roll(a, -7)),
    OpCase("roll_dim", lambda a: a.roll(1, 1), args(randn(2, 3)),
           ref=lambda a: np.roll(a, 1, 1)),
    OpCase("roll_dims", lambda a: a.roll((1, -2), (0, -1)), args(randn(2, 3, 4)),
           ref=lambda a: np.roll(a, (1, -2), (0, -1))),
    OpCase("roll_same_dim_twice", lambda a: a.roll((1, 1), (1, 1)), args(randn(2, 4)),
           ref=lambda a: np.roll(a, 2, 1)),
    OpCase("cat", lambda a, b, c: ns(a).cat([a, b, c], 1),
           args(randn(2, 1), randn(2, 3), randn(2, 2)),
           ref=lambda a, b, c: np.concatenate([a, b, c], 1)),
    OpCase("cat_neg_dim", lambda a, b: ns(a).cat((a, b), -1), args(randn(2, 2), randn(2, 3)),
           ref=lambda a, b: np.concatenate([a, b], -1)),
    OpCase("cat_same_tensor", lambda a: ns(a).cat([a, a * 2, a], 0), args(randn(2, 3)),
           ref=lambda a: np.concatenate([a, a * 2, a], 0)),
    OpCase("cat_int_float_promotes", lambda a, b: ns(a).cat([b, a], 0),
           args(randn(2, 3), lambda rng: rng.integers(-3, 3, (1, 3))),
           ref=lambda a, b: np.concatenate([b, a], 0)),
    OpCase("cat_legacy_empty_1d", lambda a, b, c: ns(a).cat([a, b, c], 1),
           args(randn(2, 2), randn(0), randn(2, 1)),
           ref=lambda a, b, c: np.concatenate([a, c], 1)),
    OpCase("concat_fn", lambda a, b: ns(a).concat([a, b]), args(randn(1, 2), randn(3, 2)),
           ref=lambda a, b: np.concatenate([a, b])),
    OpCase("stack", lambda a, b: ns(a).stack([a, b]), args(randn(2, 3), randn(2, 3)),
           ref=lambda a, b: np.stack([a, b])),
    OpCase("stack_dim1", lambda a, b, c: ns(a).stack((a, b, c), 1),
           args(randn(2, 3), randn(2, 3), randn(2, 3)), ref=lambda a, b, c: np.stack([a, b, c], 1)),
    OpCase("stack_neg_dim", lambda a, b: ns(a).stack([a, b], -1), args(randn(2, 3), randn(2, 3)),
           ref=lambda a, b: np.stack([a, b], -1)),
    OpCase("hstack", lambda a, b: ns(a).hstack([a, b]), args(randn(2, 1), randn(2, 3)),
           ref=lambda a, b: np.hstack([a, b])),
    OpCase("vstack_1d", lambda a, b: ns(a).vstack([a, b]), args(randn(3), randn(2, 3)),
           ref=lambda a, b: np.vstack([a, b])),
    OpCase("split_int", lambda a: a.split(2, 1), args(randn(2, 5)),
           ref=lambda a: np.split(a, [2, 4], 1)),
    OpCase("split_sections", lambda a: ns(a).split(a, [1, 3, 1], 1), args(randn(2, 5)),
           ref=lambda a: np.split(a, [1, 4], 1)),
    OpCase("split_one_piece", lambda a: a.split(5), args(randn(3, 2)), ref=lambda a: [a]),
    OpCase("split_partial_use", lambda a: a.split(2)[1], args(randn(5, 2)),
           ref=lambda a: a[2:4]),
    OpCase("chunk_uneven", lambda a: a.chunk(3), args(randn(5, 2)),
           ref=lambda a: np.split(a, [2, 4])),
    OpCase("chunk_fewer", lambda a: ns(a).chunk(a, 4, -1), args(randn(2, 6)),
           ref=lambda a: np.split(a, [2, 4], -1)),
    OpCase("unbind", lambda a: a.unbind(1), args(randn(2, 3)),
           ref=lambda a: [a[:, i] for i in range(3)]),
    OpCase("unbind_partial_use", lambda a: ns(a).unbind(a)[1] * 2, args(randn(3, 2)),
           ref=lambda a: a[1] * 2),
    OpCase("narrow", lambda a: a.narrow(1, 1, 2), args(randn(2, 4)), ref=lambda a: a[:, 1:3]),
    OpCase("narrow_neg_start", lambda a: ns(a).narrow(a, 0, -2, 2), args(randn(4, 2)),
           ref=lambda a: a[2:]),
    OpCase("tril", lambda a: a.tril(), args(randn(3, 4)), ref=np.tril),
    OpCase("tril_neg", lambda a: ns(a).tril(a, -1), args(randn(4, 3)),
           ref=lambda a: np.tril(a, -1)),
    OpCase("triu_pos", lambda a: a.triu(1), args(randn(3, 4)), ref=lambda a: np.triu(a, 1)),
    OpCase("triu_batched", lambda a: ns(a).triu(a, -1), args(randn(2, 3, 3)),
           ref=lambda a: np.triu(a, -1)),
    OpCase("diagonal", lambda a: a.diagonal(), args(randn(3, 4)), ref=np.diagonal),
    OpCase("diagonal_offset", lambda a: a.diagonal(1), args(randn(3, 4)),
           ref=lambda a: np.diagonal(a, 1)),
    OpCase("diagonal_neg_offset", lambda a: a.diagonal(-2), args(randn(4, 3)),
           ref=lambda a: np.diagonal(a, -2)),
    OpCase("diagonal_dims", lambda a: ns(a).diagonal(a, -1, 0, 2), args(randn(3, 2, 4)),
           ref=lambda a: np.diagonal(a, -1, 0, 2)),
    OpCase("diagonal_dims_reversed", lambda a: a.diagonal(offset=1, dim1=-1, dim2=0),
           args(randn(3, 2, 4)), ref=lambda a: np.diagonal(a, 1, 2, 0)),
    OpCase("diagonal_empty", lambda a: a.diagonal(5), args(randn(2, 3)),
           ref=lambda a: np.diagonal(a, 5)),
)


# -- pad: ember.ops.shape.pad vs torch.nn.functional.pad -------------------------------------------
def _pad_case(name, shape, widths, mode="constant", value=None, np_ref=None):
    from ember.ops.shape import pad as ember_pad

    kw = {} if value is None else {"value": value}

    def torch_fn(a):
        import torch.nn.functional as F

        return F.pad(a, widths, mode=mode, **kw)

    return OpCase(f"pad_{name}", lambda a: ember_pad(a, widths, mode=mode, **kw),
                  args(randn(*shape)), ref=np_ref, torch_fn=torch_fn)


def _np_pad(widths, mode, **kw):
    """NumPy reference for non-negative widths given PyTorch-style (last dim first)."""
    np_mode = {"replicate": "edge", "circular": "wrap"}.get(mode, mode)

    def ref(a):
        pairs = [(0, 0)] * a.ndim
        for i in range(len(widths) // 2):
            pairs[a.ndim - 1 - i] = (widths[2 * i], widths[2 * i + 1])
        return np.pad(a, pairs, mode=np_mode, **kw)

    return ref


register(
    _pad_case("constant", (2, 3), (1, 2), np_ref=_np_pad((1, 2), "constant")),
    _pad_case("constant_value", (2, 3), (1, 1, 2, 0), value=1.5,
              np_ref=_np_pad((1, 1, 2, 0), "constant", constant_values=1.5)),
    _pad_case("constant_3dims", (2, 2, 2), (0, 1, 1, 0, 1, 1),
              np_ref=_np_pad((0, 1, 1, 0, 1, 1), "constant")),
    _pad_case("constant_negative", (3, 4), (-1, 2, 1, -2),
              np_ref=lambda a: np.pad(a[:-2, 1:], ((1, 0), (0, 2)))),
    _pad_case("constant_all_negative", (3, 4), (-1, -1, 0, -1), np_ref=lambda a: a[:-1, 1:-1]),
    _pad_case("reflect_1d", (1, 2, 4), (2, 3), "reflect", np_ref=_np_pad((2, 3), "reflect")),
    _pad_case("reflect_2d", (1, 3, 4), (3, 1, 2, 2), "reflect",
              np_ref=_np_pad((3, 1, 2, 2), "reflect")),
    _pad_case("replicate_1d", (1, 2, 3), (2, 4), "replicate",
              np_ref=_np_pad((2, 4), "replicate")),
    _pad_case("replicate_2d", (1, 2, 3), (1, 2, 3, 1), "replicate",
              np_ref=_np_pad((1, 2, 3, 1), "replicate")),
    _pad_case("circular_1d", (1, 2, 3), (2, 3), "circular", np_ref=_np_pad((2, 3), "circular")),
    _pad_case("circular_2d", (1, 2, 3), (1, 2, 2, 1), "circular",
              np_ref=_np_pad((1, 2, 2, 1), "circular")),
    _pad_case("circular_negative", (1, 3, 4), (-1, 2, 1, -1), "circular",  # crop, then wrap
              np_ref=lambda a: np.pad(a[:, :-1, 1:], ((0, 0), (1, 0), (0, 2)), mode="wrap")),
)


# -- indexing ------------------------------------------------------------------------------------
register(
    OpCase("getitem_slice", lambda a: a[1:, ::2], args(randn(4, 5)), ref=lambda a: a[1:, ::2]),
    OpCase("getitem_int", lambda a: a[1], args(randn(3, 4)), ref=lambda a: a[1]),
    OpCase("getitem_neg_int", lambda a: a[-1, -2], args(randn(3, 4)), ref=lambda a: a[-1, -2]),
    OpCase("getitem_int_0d_result", lambda a: a[2], args(randn(3)), ref=lambda a: a[2]),
    OpCase("getitem_step_slices", lambda a: a[::2, 1::3, -3:-1], args(randn(5, 7, 4)),
           ref=lambda a: a[::2, 1::3, -3:-1]),
    OpCase("getitem_slice_out_of_range", lambda a: a[1:10, -10:2], args(randn(3, 4)),
           ref=lambda a: a[1:10, -10:2]),
    OpCase("getitem_none", lambda a: a[None, :, None], args(randn(2, 3)),
           ref=lambda a: a[None, :, None]),
    OpCase("getitem_ellipsis", lambda a: a[..., 1], args(randn(2, 3, 4)),
           ref=lambda a: a[..., 1]),
    OpCase("getitem_ellipsis_mid", lambda a: a[0, ..., None, 1:], args(randn(2, 3, 4)),
           ref=lambda a: a[0, ..., None, 1:]),
    OpCase("getitem_scalar_of_0d", lambda a: a.sum()[...], args(randn(3)),
           ref=lambda a: a.sum()),
    OpCase("getitem_list", lambda a: a[[0, 2, 0]], args(randn(3, 2)), ref=lambda a: a[[0, 2, 0]]),
    OpCase("getitem_index_tensor_repeated", lambda a, i: a[i], args(randn(3, 2), ints(2, 0, 2, 2)),
           ref=lambda a, i: a[i]),
    OpCase("getitem_index_tensor_2d", lambda a, i: a[i],
           args(randn(4), ints(0, 3, 3, 1, shape=(2, 2))), ref=lambda a, i: a[i]),
    OpCase("getitem_index_tensor_neg", lambda a, i: a[:, i], args(randn(2, 3), ints(-1, 0, -1)),
           ref=lambda a, i: a[:, i]),
    OpCase("getitem_two_index_tensors", lambda a, i, j: a[i, j],
           args(randn(3, 4), ints(0, 2, 0), ints(1, 3, 1)), ref=lambda a, i, j: a[i, j]),
    OpCase("getitem_broadcast_index_tensors", lambda a, i, j: a[i, j],
           args(randn(3, 4), ints(0, 2, shape=(2, 1)), ints(1, 3, 1)),
           ref=lambda a, i, j: a[i, j]),
    OpCase("getitem_separated_advanced", lambda a, i, j: a[i, :, j],
           args(randn(3, 2, 4), ints(0, 2), ints(3, 3)), ref=lambda a, i, j: a[i, :, j]),
    OpCase("getitem_slice_and_list", lambda a: a[1:, [0, 2, 0]], args(randn(3, 4)),
           ref=lambda a: a[1:, [0, 2, 0]]),
    OpCase("getitem_int_and_tensor", lambda a, i: a[1, i], args(randn(3, 4), ints(3, 0, 3)),
           ref=lambda a, i: a[1, i]),
    OpCase("getitem_none_and_tensor", lambda a, i: a[None, ..., i],
           args(randn(2, 3), ints(2, 2)), ref=lambda a, i: a[None, ..., i]),
    OpCase("getitem_0d_index_tensor", lambda a, i: a[i], args(randn(3, 2), ints(1, shape=())),
           ref=lambda a, i: a[i]),
    OpCase("getitem_bool_scalar", lambda a: a[True], args(randn(2, 3)), ref=lambda a: a[True]),
    OpCase("getitem_bool_scalar_and_int", lambda a: a[False, 1], args(randn(2, 3)),
           ref=lambda a: a[False, 1]),
    OpCase("getitem_bool_mask_full", lambda a, m: a[m], args(randn(3, 4), mask(3, 4)),
           ref=lambda a, m: a[m]),
    OpCase("getitem_bool_mask_rows", lambda a, m: a[m], args(randn(4, 2), mask(4)),
           ref=lambda a, m: a[m]),
    OpCase("getitem_bool_mask_cols", lambda a, m: a[:, m], args(randn(2, 4), mask(4)),
           ref=lambda a, m: a[:, m]),
    OpCase("getitem_bool_mask_and_int", lambda a, m: a[m, 1], args(randn(4, 3), mask(4)),
           ref=lambda a, m: a[m, 1]),
    # x[key] = v on a non-leaf: gradients flow to x (except overwritten places) and to v
    OpCase("setitem_int_row", setitem(0), args(randn(3, 4), randn(4)),
           ref=np_setitem(0)),
    OpCase("setitem_broadcast_value", setitem((slice(None), 1)), args(randn(3, 4), randn(1)),
           ref=np_setitem((slice(None), 1))),
    OpCase("setitem_step_slice", setitem((slice(1, None), slice(None, None, 2))),
           args(randn(3, 4), randn(2, 2)), ref=np_setitem((slice(1, None), slice(None, None, 2)))),
    OpCase("setitem_index_tensor", setitem(lambda i: i), args(randn(4, 2), randn(2, 2), ints(3, 1)),
           ref=np_setitem(lambda i: i)),
    OpCase("setitem_mask", setitem(lambda m: m), args(randn(3, 4), randn(1), mask(3, 4)),
           ref=np_setitem(lambda m: m)),
    OpCase("setitem_mask_scalar", lambda x, m: setitem(lambda m: m)(x, 0.5, m),
           args(randn(3, 4), mask(3, 4)), ref=lambda x, m: np_setitem(lambda m: m)(x, 0.5, m)),
    # v requires grad, x does not: x[key] = v records, x becomes a non-leaf
    OpCase("setitem_into_plain_tensor", lambda x, v: _setitem_plain(x, v),
           args(randn(3, 2), randn(2)), ref=np_setitem(1), diff=(1,)),
    OpCase("gather", lambda a, i: a.gather(1, i),
           args(randn(3, 4), ints(0, 3, 3, 1, 1, 1, 2, 0, 3, shape=(3, 3))),
           ref=lambda a, i: np.take_along_axis(a, i, 1)),
    OpCase("gather_int32_index", lambda a, i: a.gather(0, i),
           args(randn(3, 2), ints(2, 2, 0, 1, shape=(2, 2), dtype=np.int32)),
           ref=lambda a, i: np.take_along_axis(a, i, 0)),
    OpCase("gather_0d", lambda a, i: a.sum().gather(0, i), args(randn(3), ints(0, shape=())),
           ref=lambda a, i: a.sum()),
    OpCase("gather_smaller_index", lambda a, i: ns(a).gather(a, 0, i),
           args(randn(3, 4), ints(2, 2, 0, 0, 2, 1, shape=(2, 3))),
           ref=lambda a, i: np.take_along_axis(a[:, :3], i, 0)),
    OpCase("scatter_src", lambda a, i, s: a.scatter(1, i, s),
           args(randn(2, 4), ints(3, 0, 1, 2, shape=(2, 2)), randn(2, 2)),
           ref=lambda a, i, s: _np_scatter(a, 1, i, s)),
    # src larger than index: only its leading block is used. PyTorch's backward rejects the
    # src gradient ("invalid gradient ... got [2, 2] but expected [2, 3]"), ember zero-pads it.
    OpCase("scatter_src_larger", lambda a, i, s: a.scatter(1, i, s),
           args(randn(2, 4), ints(3, 0, 1, 2, shape=(2, 2)), randn(3, 3)),
           ref=lambda a, i, s: _np_scatter(a, 1, i, s), parity=False),
    OpCase("scatter_int32_index", lambda a, i, s: a.scatter(0, i, s),
           args(randn(3, 2), ints(2, 0, shape=(1, 2), dtype=np.int32), randn(1, 2)),
           ref=lambda a, i, s: _np_scatter(a, 0, i, s)),
    OpCase("scatter_value", lambda a, i: a.scatter(0, i, 2.5),
           args(randn(3, 2), ints(2, 0, shape=(1, 2))),
           ref=lambda a, i: _np_scatter(a, 0, i, np.full(i.shape, 2.5))),
    OpCase("scatter_value_kw", lambda a, i: ns(a).scatter(a, 1, i, value=-1.0),
           args(randn(2, 3), ints(0, 2, shape=(2, 1))),
           ref=lambda a, i: _np_scatter(a, 1, i, np.full(i.shape, -1.0))),
    OpCase("scatter_add_repeated", lambda a, i, s: a.scatter_add(0, i, s),
           args(randn(3, 2), ints(1, 1, 1, 0, 1, 1, shape=(3, 2)), randn(3, 2)),
           ref=lambda a, i, s: _np_scatter(a, 0, i, s, add=True)),
    OpCase("scatter_add_src_larger", lambda a, i, s: a.scatter_add(0, i, s),
           args(randn(3, 2), ints(1, 1, 0, 1, shape=(2, 2)), randn(4, 3)),
           ref=lambda a, i, s: _np_scatter(a, 0, i, s, add=True), parity=False),
    OpCase("scatter_add_fn", lambda a, i, s: ns(a).scatter_add(a, 1, i, s),
           args(randn(2, 3), ints(2, 2, 0, 0, shape=(2, 2)), randn(2, 2)),
           ref=lambda a, i, s: _np_scatter(a, 1, i, s, add=True)),
    OpCase("index_select", lambda a, i: a.index_select(1, i), args(randn(2, 4), ints(3, 0, 3)),
           ref=lambda a, i: a[:, i]),
    OpCase("index_select_fn", lambda a, i: ns(a).index_select(a, 0, i),
           args(randn(3, 2), ints(1, 1, 1, 2)), ref=lambda a, i: a[i]),
    OpCase("masked_fill", lambda a, m: a.masked_fill(m, -1.0), args(randn(3, 4), mask(3, 4)),
           ref=lambda a, m: np.where(m, -1.0, a)),
    OpCase("masked_fill_broadcast_mask", lambda a, m: ns(a).masked_fill(a, m, 2),
           args(randn(3, 4), mask(4)), ref=lambda a, m: np.where(m, 2.0, a)),
    OpCase("masked_fill_broadcast_output", lambda a, m: a.masked_fill(m, 0.5),
           args(randn(3), mask(2, 1)), ref=lambda a, m: np.where(m, 0.5, a)),
    OpCase("masked_fill_tensor_value", lambda a, m, v: a.masked_fill(m, v),
           args(randn(3, 4), mask(3, 4), randn()), ref=lambda a, m, v: np.where(m, v, a)),
    OpCase("masked_select", lambda a, m: a.masked_select(m), args(randn(3, 4), mask(3, 4)),
           ref=lambda a, m: a[m]),
    OpCase("masked_select_broadcast", lambda a, m: ns(a).masked_select(a, m),
           args(randn(2, 3), mask(2, 1)), ref=lambda a, m: a[np.broadcast_to(m, a.shape)]),
    OpCase("take_along_dim", lambda a, i: a.take_along_dim(i, 1),
           args(randn(3, 4), ints(0, 3, 3, 1, 1, 1, shape=(3, 2))),
           ref=lambda a, i: np.take_along_axis(a, i, 1)),
    OpCase("take_along_dim_broadcast", lambda a, i: ns(a).take_along_dim(a, i, dim=0),
           args(randn(3, 4), ints(2, 0, shape=(2, 1))),
           ref=lambda a, i: np.take_along_axis(a, np.broadcast_to(i, (2, 4)), 0)),
    OpCase("take_along_dim_negative", lambda a, i: a.take_along_dim(i, 1),
           args(randn(2, 3), ints(-1, 0, -3, -1, shape=(2, 2))),
           ref=lambda a, i: np.take_along_axis(a, i % 3, 1)),
    OpCase("take_along_dim_broadcast_input", lambda a, i: a.take_along_dim(i, 1),
           args(randn(1, 4), ints(3, 0, 0, 1, 2, 2, shape=(3, 2))),
           ref=lambda a, i: np.take_along_axis(np.broadcast_to(a, (3, 4)), i, 1)),
    OpCase("take_along_dim_flat", lambda a, i: a.take_along_dim(i),
           args(randn(3, 4), ints(11, 0, 11, 5)), ref=lambda a, i: a.reshape(-1)[i]),
    OpCase("nonzero", lambda a: (a > 0).nonzero(), args(randn(3, 4)),
           ref=lambda a: np.argwhere(a > 0), diff=()),
    OpCase("nonzero_fn_float", lambda a: ns(a).nonzero(ns(a).relu(a)), args(randn(2, 3)),
           ref=lambda a: np.argwhere(a > 0), diff=()),
    OpCase("nonzero_as_tuple", lambda a: (a > 0).nonzero(as_tuple=True), args(randn(2, 3, 2)),
           ref=lambda a: np.nonzero(a > 0), diff=()),
    OpCase("nonzero_0d", lambda a: a.sum().nonzero(), args(randn(3)),
           ref=lambda a: np.zeros((1, 0), np.int64), diff=()),
    OpCase("argwhere", lambda a: ns(a).argwhere(a > 0), args(randn(5)),
           ref=lambda a: np.argwhere(a > 0), diff=()),
    OpCase("where_single_arg", lambda a: ns(a).where(a > 0), args(randn(3, 4)),
           ref=lambda a: np.nonzero(a > 0), diff=()),
    OpCase("index_put", lambda a, v, i: a.index_put((i,), v),
           args(randn(4, 2), randn(2, 2), ints(3, 0)), ref=lambda a, v, i: _np_put(a, (i,), v)),
    OpCase("index_put_two_indices", lambda a, v, i, j: a.index_put((i, j), v),
           args(randn(3, 4), randn(2), ints(0, 2), ints(3, 1)),
           ref=lambda a, v, i, j: _np_put(a, (i, j), v)),
    OpCase("index_put_accumulate", lambda a, v, i: a.index_put((i,), v, accumulate=True),
           args(randn(3, 2), randn(4, 2), ints(1, 1, 0, 1)),
           ref=lambda a, v, i: _np_put(a, (i,), v, add=True)),
    OpCase("index_put_broadcast_value", lambda a, v, i: ns(a).index_put(a, (i,), v),
           args(randn(3, 2), randn(2), ints(2, 0)),
           ref=lambda a, v, i: _np_put(a, (i,), v)),
    OpCase("index_add", lambda a, i, s: a.index_add(1, i, s),
           args(randn(2, 3), ints(2, 0, 2, 2), randn(2, 4)),
           ref=lambda a, i, s: _np_index_add(a, 1, i, s)),
    OpCase("index_add_alpha", lambda a, i, s: ns(a).index_add(a, 0, i, s, alpha=-2.0),
           args(randn(3, 2), ints(0, 0), randn(2, 2)),
           ref=lambda a, i, s: _np_index_add(a, 0, i, -2.0 * s)),
)


def _np_scatter(a, dim, index, src, add=False):
    out = a.copy()
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    vals = src[tuple(slice(0, s) for s in index.shape)]
    if add:
        np.add.at(out, tuple(grids), vals)
    else:
        out[tuple(grids)] = vals
    return out


def _np_put(a, key, v, add=False):
    out = a.copy()
    if add:
        np.add.at(out, key, np.broadcast_to(v, out[key].shape))
    else:
        out[key] = v
    return out


def _np_index_add(a, dim, index, src):
    out = np.moveaxis(a.copy(), dim, 0)
    np.add.at(out, index, np.moveaxis(src, dim, 0))
    return np.moveaxis(out, 0, dim)


# -- linear algebra ------------------------------------------------------------------------------
def _matmul(name, sa, sb):
    return OpCase(f"matmul_{name}", lambda a, b: a @ b, args(randn(*sa), randn(*sb)),
                  ref=np.matmul)


register(
    OpCase("matmul_2d", lambda a, b: a @ b, args(randn(3, 4), randn(4, 5)), ref=np.matmul),
    _matmul("1d_1d", (4,), (4,)),
    _matmul("1d_2d", (3,), (3, 2)),
    _matmul("2d_1d", (2, 3), (3,)),
    _matmul("batched_batched", (2, 3, 4), (2, 4, 2)),
    _matmul("batched_2d", (2, 3, 4), (4, 2)),
    _matmul("2d_batched", (3, 4), (2, 4, 2)),
    _matmul("broadcast_batch", (2, 1, 3, 4), (5, 4, 2)),
    _matmul("1d_batched", (4,), (2, 4, 3)),
    _matmul("batched_1d", (2, 3, 4), (4,)),
    _matmul("4d_1d", (2, 1, 2, 3), (3,)),
    OpCase("matmul_method", lambda a, b: a.matmul(b), args(randn(2, 3), randn(3, 2)),
           ref=np.matmul),
    OpCase("matmul_fn_same_operand", lambda a: ns(a).matmul(a, a.t()), args(randn(2, 3)),
           ref=lambda a: a @ a.T),
    OpCase("matmul_transposed_operand", lambda a, b: a.mT @ b, args(randn(2, 4, 3), randn(4, 2)),
           ref=lambda a, b: a.swapaxes(-1, -2) @ b),
    OpCase("mm", lambda a, b: a.mm(b), args(randn(2, 3), randn(3, 4)), ref=np.matmul),
    OpCase("mm_fn", lambda a, b: ns(a).mm(a, b), args(randn(1, 3), randn(3, 1)), ref=np.matmul),
    OpCase("bmm", lambda a, b: ns(a).bmm(a, b), args(randn(2, 2, 3), randn(2, 3, 4)),
           ref=np.matmul),
    OpCase("bmm_method", lambda a, b: a.bmm(b), args(randn(3, 1, 2), randn(3, 2, 2)),
           ref=np.matmul),
    OpCase("dot", lambda a, b: ns(a).dot(a, b), args(randn(4), randn(4)), ref=np.dot),
    OpCase("dot_method", lambda a, b: a.dot(b), args(randn(3), randn(3)), ref=np.dot),
    OpCase("outer", lambda a, b: ns(a).outer(a, b), args(randn(3), randn(2)), ref=np.outer),
    OpCase("outer_method", lambda a, b: a.outer(b), args(randn(2), randn(4)), ref=np.outer),
    OpCase("einsum_matmul", lambda a, b: ns(a).einsum("ij,jk->ik", a, b),
           args(randn(2, 3), randn(3, 4)), ref=lambda a, b: np.einsum("ij,jk->ik", a, b)),
    OpCase("einsum_batch", lambda a, b: ns(a).einsum("bij,bjk->bik", a, b),
           args(randn(2, 2, 3), randn(2, 3, 2)), ref=lambda a, b: np.einsum("bij,bjk->bik", a, b)),
    OpCase("einsum_trace", lambda a: ns(a).einsum("ii->", a), args(randn(3, 3)), ref=np.trace),
    OpCase("einsum_diagonal", lambda a: ns(a).einsum("ii->i", a), args(randn(3, 3)),
           ref=np.diagonal),
    OpCase("einsum_outer", lambda a, b: ns(a).einsum("i,j->ij", a, b), args(randn(3), randn(2)),
           ref=np.outer),
    OpCase("einsum_implicit", lambda a, b: ns(a).einsum("ij,jk", a, b),
           args(randn(2, 3), randn(3, 4)), ref=lambda a, b: np.einsum("ij,jk", a, b)),
    OpCase("einsum_implicit_transpose", lambda a: ns(a).einsum("ji", a), args(randn(2, 3)),
           ref=lambda a: a.T),
    OpCase("einsum_ellipsis", lambda a, b: ns(a).einsum("...ij,...jk", a, b),
           args(randn(2, 2, 3), randn(2, 3, 2)), ref=lambda a, b: np.einsum("...ij,...jk", a, b)),
    OpCase("einsum_ellipsis_broadcast", lambda a, b: ns(a).einsum("...ij,...jk->...ik", a, b),
           args(randn(2, 1, 2, 3), randn(3, 3, 2)),
           ref=lambda a, b: np.einsum("...ij,...jk->...ik", a, b)),
    OpCase("einsum_broadcast_letter", lambda a, b: ns(a).einsum("ij,j->i", a, b),
           args(randn(2, 1), randn(3)), ref=lambda a, b: a[:, 0] * b.sum()),
    OpCase("einsum_broadcast_batch_letter", lambda a, b: ns(a).einsum("bij,bjk->bik", a, b),
           args(randn(1, 2, 3), randn(2, 3, 2)), ref=np.matmul),
    OpCase("einsum_ellipsis_sum", lambda a: ns(a).einsum("i...->i", a), args(randn(2, 3, 2)),
           ref=lambda a: a.sum((1, 2))),
    OpCase("einsum_sum_one_operand", lambda a, b: ns(a).einsum("ij,jk->i", a, b),
           args(randn(2, 3), randn(3, 4)), ref=lambda a, b: np.einsum("ij,jk->i", a, b)),
    OpCase("einsum_sum_all", lambda a: ns(a).einsum("ij->", a), args(randn(2, 3)),
           ref=lambda a: a.sum()),
    OpCase("einsum_repeated_with_other", lambda a, b: ns(a).einsum("ii,ij->j", a, b),
           args(randn(3, 3), randn(3, 2)), ref=lambda a, b: np.einsum("ii,ij->j", a, b)),
    OpCase("einsum_list_operands", lambda a, b: ns(a).einsum("i,i->", [a, b]),
           args(randn(3), randn(3)), ref=np.dot),
    OpCase("einsum_three_operands", lambda a, b, c: ns(a).einsum("ij,jk,kl->il", a, b, c),
           args(randn(2, 3), randn(3, 2), randn(2, 2)),
           ref=lambda a, b, c: a @ b @ c),
    OpCase("einsum_same_operand_twice", lambda a: ns(a).einsum("ij,ij->i", a, a),
           args(randn(2, 3)), ref=lambda a: (a * a).sum(1)),
    OpCase("einsum_spaces", lambda a, b: ns(a).einsum("b i j , b j -> b i", a, b),
           args(randn(2, 2, 3), randn(2, 3)), ref=lambda a, b: np.einsum("bij,bj->bi", a, b)),
)
