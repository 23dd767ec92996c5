"""The Tensor object: construction, conversion to Python/NumPy, metadata, identity semantics.

Expectations are PyTorch's documented behaviour (checked against torch 2.x), not ember's output.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import ember


# -- ember.tensor: dtype inference and copying ----------------------------------------------------
@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, ember.float32),
        ([1.0, 2.0], ember.float32),
        ([[1.0], [2.0]], ember.float32),
        (3, ember.int64),
        ([1, 2], ember.int64),
        (True, ember.bool),
        ([True, False], ember.bool),
        ([1, 2.5], ember.float32),  # mixed int/float -> default float
        ([True, 2], ember.int64),  # mixed bool/int -> int64
        ((1, 2), ember.int64),
        (range(3), ember.int64),
        (np.array([1.0, 2.0]), ember.float64),  # float64 arrays keep their dtype
        (np.array([1.0], dtype=np.float32), ember.float32),
        (np.array([1.0], dtype=np.float16), ember.float16),
        (np.array([1, 2], dtype=np.int32), ember.int32),
        (np.array([1, 2], dtype=np.int16), ember.int16),
        (np.array([1, 2], dtype=np.int8), ember.int8),
        (np.array([1, 2], dtype=np.uint8), ember.uint8),
        (np.array([True]), ember.bool),
        (np.float64(1.5), ember.float64),  # NumPy scalars keep their dtype too
        (np.float32(1.5), ember.float32),
        (np.int32(1), ember.int32),
    ],
)
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    assert ember.tensor(data).dtype is dtype


def test_tensor_values_and_shapes():
    t = ember.tensor([[1, 2, 3], [4, 5, 6]])
    assert t.shape == (2, 3)
    assert t.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert ember.tensor(3.5).shape == ()
    assert ember.tensor([]).shape == (0,)
    assert ember.tensor([]).dtype is ember.float32
    assert ember.tensor([[]]).shape == (1, 0)


def test_tensor_explicit_dtype_casts():
    assert ember.tensor([1, 2], dtype=ember.float64).tolist() == [1.0, 2.0]
    assert ember.tensor([1, 2], dtype=ember.float64).dtype is ember.float64
    t = ember.tensor([5.7, -1.2], dtype=ember.int32)
    assert t.dtype is ember.int32
    assert t.tolist() == [5, -1]  # truncation toward zero, as C casts (and PyTorch) do


def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0])
    t = ember.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    src = ember.tensor([1.0, 2.0])
    t2 = ember.tensor(src)
    src[0] = 9.0
    assert t2.tolist() == [1.0, 2.0]


def test_tensor_from_list_of_zero_dim_tensors():
    t = ember.tensor([ember.tensor(1.0), ember.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0]


def test_tensor_constructor_class():
    # ember.Tensor(data) builds a default-float tensor, like torch.Tensor(data)
    t = ember.Tensor([1, 2])
    assert t.dtype is ember.float32
    assert t.tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory_both_ways():
    a = np.array([1.0, 2.0, 3.0])
    t = ember.from_numpy(a)
    assert t.dtype is ember.float64
    a[0] = 10.0
    assert t[0].item() == 10.0
    t[1] = 20.0
    assert a[1] == 20.0


def test_from_numpy_rejects_non_arrays():
    with pytest.raises(TypeError, match="list"):
        ember.from_numpy([1, 2])


def test_as_tensor_shares_when_no_cast_needed():
    a = np.array([1.0, 2.0])
    t = ember.as_tensor(a)
    a[0] = 5.0
    assert t[0].item() == 5.0
    t64 = ember.as_tensor(a, dtype=ember.float32)  # a cast must copy
    a[1] = 7.0
    assert t64.dtype is ember.float32 and t64[1].item() == 2.0
    src = ember.tensor([1.0])
    assert ember.as_tensor(src) is src
    assert ember.as_tensor([1, 2]).dtype is ember.int64


# -- conversion back to Python and NumPy ----------------------------------------------------------
def test_numpy_shares_memory_and_refuses_grad():
    t = ember.tensor([1.0, 2.0])
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    n[0] = 3.0
    assert t[0].item() == 3.0
    g = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy\(\).*requires grad"):
        g.numpy()
    assert g.detach().numpy().tolist() == [1.0]


def test_array_protocol():
    t = ember.tensor([[1, 2], [3, 4]], dtype=ember.int32)
    a = np.asarray(t)
    assert a.dtype == np.int32 and a.shape == (2, 2)
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert np.asarray(t).sum() == 10


def test_item_returns_python_scalars():
    assert ember.tensor(1.5).item() == 1.5 and type(ember.tensor(1.5).item()) is float
    assert type(ember.tensor(3).item()) is int
    assert type(ember.tensor(True).item()) is bool
    assert ember.tensor([[7.0]]).item() == 7.0  # any one-element tensor
    with pytest.raises(RuntimeError, match="2 elements"):
        ember.tensor([1.0, 2.0]).item()


def test_tolist_python_types():
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert type(ember.tensor([1.5]).tolist()[0]) is float
    assert ember.tensor(2.0).tolist() == 2.0
    assert ember.tensor([True]).tolist() == [True]
    assert ember.tensor([]).tolist() == []


def test_float_int_bool_conversions():
    assert float(ember.tensor([2.5])) == 2.5
    assert int(ember.tensor(-2.7)) == -2
    assert float(ember.tensor(3)) == 3.0
    assert bool(ember.tensor(0.0)) is False
    assert bool(ember.tensor([[2]])) is True
    with pytest.raises(ValueError, match="one element"):
        float(ember.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="one element"):
        int(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([]))


def test_index_protocol():
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(TypeError):
        [10, 20][ember.tensor(1.0)]


def test_len_and_iteration():
    t = ember.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    assert [r.tolist() for r in t] == [[1, 2], [3, 4], [5, 6]]
    assert len(ember.zeros(0, 2)) == 0
    with pytest.raises(TypeError, match="0-d"):
        len(ember.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(ember.tensor(1.0))


def test_hash_is_identity_so_tensors_are_dict_keys():
    a, b = ember.tensor([1.0]), ember.tensor([1.0])
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert hash(a) != hash(b)
    assert len({a, b, a}) == 2


def test_contains():
    t = ember.tensor([1, 2, 3])
    assert 2 in t
    assert 5 not in t
    assert ember.tensor(3.0) in ember.tensor([1.0, 3.0])
    with pytest.raises(RuntimeError, match="__contains__"):
        "a" in t  # noqa: B015


def test_format():
    assert f"{ember.tensor(1.5):.2f}" == "1.50"
    assert format(ember.tensor(3), "03d") == "003"


# -- metadata -------------------------------------------------------------------------------------
def test_shape_is_a_size():
    t = ember.zeros(2, 3)
    assert isinstance(t.shape, ember.Size) and isinstance(t.shape, tuple)
    assert repr(t.shape) == "ember.Size([2, 3])"
    assert t.shape == (2, 3) == ember.Size([2, 3])
    assert t.size() == t.shape
    assert t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 3
    assert repr(ember.Size([])) == "ember.Size([])"
    assert ember.Size([2, 3, 4]).numel() == 24
    assert ember.Size([]).numel() == 1


def test_size_keeps_its_type_under_tuple_operations():
    s = ember.Size([2, 3])
    assert isinstance(s[1:], ember.Size) and s[1:] == (3,)
    assert isinstance(s[0], int)
    assert isinstance(s + (4,), ember.Size) and s + (4,) == (2, 3, 4)
    assert isinstance((4,) + s, ember.Size) and (4,) + s == (4, 2, 3)
    assert isinstance(s * 2, ember.Size) and s * 2 == (2, 3, 2, 3)


def test_size_dim_out_of_range():
    with pytest.raises(IndexError, match="range"):
        ember.zeros(2, 3).size(2)


def test_ndim_dim_numel():
    t = ember.zeros(2, 3, 4)
    assert t.ndim == 3 and t.dim() == 3 and t.ndimension() == 3
    assert t.numel() == 24 and t.nelement() == 24
    assert ember.tensor(1.0).dim() == 0 and ember.tensor(1.0).numel() == 1
    assert ember.zeros(0, 5).numel() == 0


def test_transpose_property():
    t = ember.arange(6).reshape(2, 3)
    assert t.T.shape == (3, 2)
    assert t.T.tolist() == [[0, 3], [1, 4], [2, 5]]
    assert ember.zeros(2, 3, 4).T.shape == (4, 3, 2)
    assert ember.zeros(2, 3, 4).mT.shape == (2, 4, 3)


def test_device():
    t = ember.zeros(2)
    assert t.device == "cpu"
    assert t.device == ember.device("cpu")
    assert t.device.type == "cpu"
    assert str(t.device) == "cpu"
    assert repr(ember.device("cpu")) == "device(type='cpu')"
    assert t.is_cuda is False
    assert t.cpu() is t or t.cpu().tolist() == t.tolist()
    assert ember.device(ember.device("cpu")) == "cpu"
    assert hash(ember.device("cpu")) == hash(ember.device("cpu"))


def test_cuda_device_is_constructible_but_unusable():
    d = ember.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1"
    with pytest.raises(RuntimeError, match="CuPy"):
        ember.zeros(2, device=d)


def test_clone_copies_and_keeps_grad():
    x = ember.tensor([1.0, 2.0])
    c = x.clone()
    c[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    g = ember.tensor([1.0], requires_grad=True)
    gc = g.clone()
    assert gc.requires_grad and gc.grad_fn is not None
    gc.sum().backward()
    assert g.grad.tolist() == [1.0]


def test_contiguity_and_strides():
    t = ember.zeros(2, 3)
    assert t.is_contiguous() and t.stride() == (3, 1)
    assert t.stride(0) == 3 and t.stride(-1) == 1
    tt = t.T
    assert not tt.is_contiguous() and tt.stride() == (1, 3)
    c = tt.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1)
    assert t.contiguous() is t
    assert ember.zeros(2, 3, 4).stride() == (12, 4, 1)
    with pytest.raises(IndexError, match="range"):
        t.stride(2)


@pytest.mark.parametrize(
    "dtype, size",
    [(ember.float32, 4), (ember.float64, 8), (ember.float16, 2), (ember.int64, 8),
     (ember.int32, 4), (ember.int16, 2), (ember.int8, 1), (ember.uint8, 1), (ember.bool, 1)],
)
def test_element_size(dtype, size):
    t = ember.zeros(3, dtype=dtype)
    assert t.element_size() == size
    assert t.itemsize == size and t.nbytes == 3 * size
    assert dtype.itemsize == size


def test_is_floating_point():
    assert ember.zeros(1).is_floating_point()
    assert ember.zeros(1, dtype=ember.float16).is_floating_point()
    assert not ember.tensor([1]).is_floating_point()
    assert not ember.tensor([True]).is_floating_point()
    assert ember.is_tensor(ember.zeros(1)) and not ember.is_tensor([1])


# -- autograd metadata ----------------------------------------------------------------------------
def test_requires_grad_only_for_floats():
    assert ember.tensor([1.0], requires_grad=True).requires_grad
    for dt in (ember.int64, ember.int32, ember.bool, ember.uint8):
        with pytest.raises(RuntimeError, match="floating point"):
            ember.zeros(2, dtype=dt).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)


def test_data_is_a_detached_view_for_sgd_updates():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data -= 0.25 * p.grad  # the classic manual SGD step
    assert p.tolist() == [0.5, 1.0]
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    d = p.data
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 9.0  # shares storage
    assert p[0].item() == 9.0
    p.data = ember.tensor([3.0, 4.0])
    assert p.tolist() == [3.0, 4.0] and p.requires_grad


def test_detach_shares_storage():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (p * 2).detach()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    d = p.detach()
    d[0] = 7.0
    assert p[0].item() == 7.0


def test_leaf_and_grad_fn():
    x = ember.tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward0"
    assert ember.tensor([1.0]).is_leaf


def test_deepcopy_and_pickle_round_trip():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    c = copy.deepcopy(x)
    assert c is not x and c.tolist() == x.tolist() and c.requires_grad and c.is_leaf
    assert not np.shares_memory(np.asarray(c.detach()), np.asarray(x.detach()))
    p = pickle.loads(pickle.dumps(x))
    assert p.tolist() == x.tolist() and p.requires_grad and p.dtype is ember.float32


def test_new_factories_inherit_dtype():
    base = ember.zeros(2, dtype=ember.float64)
    assert base.new_zeros(3).dtype is ember.float64
    assert base.new_ones((2, 2)).shape == (2, 2)
    assert base.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert base.new_full((2,), 3).dtype is ember.float64
    assert base.new_tensor([1, 2]).dtype is ember.float64
    assert base.new_empty(4).shape == (4,)


def test_device_equality_with_other_objects():
    d = ember.device("cpu")
    assert d != "not a device" and d != 0 and d != None  # noqa: E711
    assert d != ember.device("cuda")
    assert d != ember.device("cpu:0")  # as in PyTorch: index None differs from index 0
    assert ember.device("cuda:1") == ember.device("cuda", 1)
    assert ember.device("cuda:1") == "cuda:1" and ember.device("cuda:1") != "cuda:0"


def test_float_overflow_on_construction_gives_inf_silently():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = ember.tensor([1e38, -1e38], dtype=ember.float16)
    assert t.tolist() == [float("inf"), float("-inf")]


def test_integer_overflow_on_construction_raises():
    with pytest.raises(RuntimeError, match="300.*uint8"):
        ember.tensor([300], dtype=ember.uint8)
    with pytest.raises(RuntimeError, match="-129.*int8"):
        ember.tensor([-129, 0], dtype=ember.int8)
    assert ember.tensor([255], dtype=ember.uint8).tolist() == [255]
    assert ember.tensor(np.array([300]), dtype=ember.uint8).tolist() == [44]  # arrays wrap
