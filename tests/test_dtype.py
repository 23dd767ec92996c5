"""dtypes: module attributes, conversions, the default dtype and PyTorch's type promotion.

The promotion oracle below is written from PyTorch's rule (c10 ``promoteTypes`` plus
``at::native::result_type``'s dimensioned > zero-dim > wrapped-number priorities), not from
ember's code; tests/parity/test_tensor_parity.py checks the same matrix against torch itself.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

import ember

NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


@pytest.fixture
def restore_default_dtype():
    old = ember.get_default_dtype()
    yield
    ember.set_default_dtype(old)


# -- dtype objects --------------------------------------------------------------------------------
def test_module_attributes_and_aliases():
    assert ember.float is ember.float32
    assert ember.double is ember.float64
    assert ember.half is ember.float16
    assert ember.long is ember.int64
    assert ember.int is ember.int32
    assert ember.short is ember.int16
    assert isinstance(ember.bool, ember.dtype)
    for name in NAMES:
        d = getattr(ember, name)
        assert isinstance(d, ember.dtype)
        assert repr(d) == f"ember.{name}" and str(d) == f"ember.{name}"


@pytest.mark.parametrize("name", NAMES)
def test_dtype_properties(name):
    d = getattr(ember, name)
    assert d.is_floating_point == name.startswith("float")
    assert d.is_signed == (name not in ("uint8", "bool"))
    assert d.itemsize == np.dtype(name).itemsize
    assert pickle.loads(pickle.dumps(d)) is d


def test_default_dtype_is_float32():
    assert ember.get_default_dtype() is ember.float32
    assert ember.tensor(1.5).dtype is ember.float32
    assert ember.zeros(2).dtype is ember.float32


def test_set_default_dtype_changes_new_float_tensors(restore_default_dtype):
    ember.set_default_dtype(ember.float64)
    assert ember.get_default_dtype() is ember.float64
    assert ember.tensor([1.5]).dtype is ember.float64
    assert ember.zeros(2).dtype is ember.float64
    assert ember.ones(2).dtype is ember.float64
    assert ember.rand(2).dtype is ember.float64
    assert ember.arange(0.0, 1.0, 0.5).dtype is ember.float64
    assert ember.tensor([1, 2]).dtype is ember.int64  # ints are unaffected
    assert (ember.tensor([1, 2]) * 1.5).dtype is ember.float64  # int * float -> default
    assert (ember.tensor([1, 2]) / 2).dtype is ember.float64
    # float32 tensors stay float32 (no silent change of dtype)
    assert (ember.ones(2, dtype=ember.float32) * 1.5).dtype is ember.float32


def test_set_default_dtype_rejects_non_floats(restore_default_dtype):
    with pytest.raises(TypeError, match="int64"):
        ember.set_default_dtype(ember.int64)
    assert ember.get_default_dtype() is ember.float32


# -- conversions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, dtype",
    [("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
     ("int", "int32"), ("short", "int16"), ("char", "int8"), ("byte", "uint8"), ("bool", "bool")],
)
def test_cast_methods(method, dtype):
    t = getattr(ember.tensor([1.7, -2.0, 0.0]), method)()
    assert t.dtype is getattr(ember, dtype)
    expected = np.array([1.7, -2.0, 0.0], dtype=np.float32).astype(dtype)
    np.testing.assert_array_equal(t.numpy(), expected)


def test_to_variants():
    t = ember.tensor([1.0, 2.0])
    assert t.to(ember.float64).dtype is ember.float64
    assert t.to(dtype=ember.int64).tolist() == [1, 2]
    assert t.to("cpu") is t  # no change -> the same tensor, as in PyTorch
    assert t.to(ember.float32) is t
    assert t.to(ember.device("cpu")).dtype is ember.float32
    assert t.to("cpu", ember.float64).dtype is ember.float64
    assert t.to("cpu", dtype=ember.float16).dtype is ember.float16
    assert t.to(device="cpu") is t
    assert t.to(ember.tensor([1], dtype=ember.int32)).dtype is ember.int32
    c = t.to(ember.float32, copy=True)
    assert c is not t and c.tolist() == t.tolist()


def test_to_python_types_follow_pytorch():
    # PyTorch maps dtype=float to float64 (not the default dtype), int to int64, bool to bool
    t = ember.tensor([1.0, 2.0])
    assert t.to(float).dtype is ember.float64
    assert t.to(int).dtype is ember.int64
    assert t.to(bool).dtype is ember.bool
    assert ember.zeros(2, dtype=float).dtype is ember.float64
    assert ember.zeros(2, dtype=int).dtype is ember.int64
    assert ember.zeros(2, dtype=bool).dtype is ember.bool


def test_type_and_type_as():
    assert ember.tensor([1.0]).type() == "ember.FloatTensor"
    assert ember.tensor([1]).type() == "ember.LongTensor"
    assert ember.tensor([1.0]).type(ember.float64).dtype is ember.float64
    assert ember.tensor([1]).type_as(ember.zeros(1)).dtype is ember.float32


def test_cast_is_differentiable():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype is ember.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype is ember.float32
    assert x.grad.tolist() == [2.0, 4.0]


def test_cast_of_bool_and_int():
    assert ember.tensor([0.0, 0.5, -1.0]).bool().tolist() == [False, True, True]
    assert ember.tensor([True, False]).long().tolist() == [1, 0]
    assert ember.tensor([True, False]).float().tolist() == [1.0, 0.0]


# -- promotion ------------------------------------------------------------------------------------
_FLOATS = ["float16", "float32", "float64"]
_INTS = ["int8", "int16", "int32", "int64"]


def _promote_types(a: str, b: str) -> str:
    """c10::promoteTypes restricted to ember's dtypes."""
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = a in _FLOATS, b in _FLOATS
    if fa and fb:
        return max(a, b, key=_FLOATS.index)
    if fa or fb:
        return a if fa else b
    if "uint8" in (a, b):
        other = b if a == "uint8" else a
        return "int16" if other == "int8" else other
    return max(a, b, key=_INTS.index)


def _combine(higher, lower):
    """at::native combine_categories: a higher-priority operand wins unless outranked in kind."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher in _FLOATS:
        return higher
    if higher == "bool" or lower in _FLOATS:
        return _promote_types(higher, lower)
    return higher


def _expected(operands, default="float32"):
    """operands: ('dim', name) | ('0d', name) | ('scalar', python value)."""
    slots = {"dim": None, "0d": None, "scalar": None}
    for kind, v in operands:
        if kind == "scalar":
            v = "bool" if isinstance(v, bool) else ("int64" if isinstance(v, int) else default)
        slots[kind] = v if slots[kind] is None else _promote_types(slots[kind], v)
    return _combine(slots["dim"], _combine(slots["0d"], slots["scalar"]))


def _make(kind, name):
    shape = (2,) if kind == "dim" else ()
    return ember.ones(shape, dtype=getattr(ember, name))


def test_promote_oracle_examples():
    # sanity of the oracle itself, against facts from PyTorch's type-promotion docs
    assert _expected([("dim", "int32"), ("dim", "int64")]) == "int64"
    assert _expected([("dim", "int64"), ("scalar", 1.5)]) == "float32"
    assert _expected([("dim", "float32"), ("0d", "float64")]) == "float32"
    assert _expected([("dim", "int32"), ("0d", "float64")]) == "float64"
    assert _expected([("dim", "bool"), ("scalar", 2)]) == "int64"
    assert _expected([("dim", "uint8"), ("dim", "int8")]) == "int16"
    assert _expected([("dim", "float16"), ("scalar", 1.5)]) == "float16"
    assert _expected([("0d", "int32"), ("scalar", 1.5)]) == "float32"


@pytest.mark.parametrize("op", ["add", "mul"])
def test_promotion_matrix_tensor_tensor(op):
    fn = getattr(ember, op)
    wrong = []
    for (a, ka), (b, kb) in itertools.product(
        itertools.product(NAMES, ["dim", "0d"]), repeat=2
    ):
        got = fn(_make(ka, a), _make(kb, b)).dtype
        want = _expected([(ka, a), (kb, b)])
        if got is not getattr(ember, want):
            wrong.append(f"{op}({ka} {a}, {kb} {b}) -> {got}, expected ember.{want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("op", ["add", "mul"])
def test_promotion_matrix_tensor_scalar(op):
    wrong = []
    for a, ka, s in itertools.product(NAMES, ["dim", "0d"], [True, 2, 1.5]):
        x = _make(ka, a)
        want = getattr(ember, _expected([(ka, a), ("scalar", s)]))
        forward = x + s if op == "add" else x * s
        reflected = s + x if op == "add" else s * x
        for label, got in (("t op s", forward), ("s op t", reflected)):
            if got.dtype is not want:
                wrong.append(f"{op} {label}: {ka} {a} with {s!r} -> {got.dtype}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_promotion_with_float64_default(restore_default_dtype):
    ember.set_default_dtype(ember.float64)
    for a, ka in itertools.product(NAMES, ["dim", "0d"]):
        got = (_make(ka, a) * 1.5).dtype
        assert got is getattr(ember, _expected([(ka, a), ("scalar", 1.5)], "float64")), (a, ka)


def test_promotion_values_are_exact():
    assert (ember.tensor([1, 2]) * 1.5).tolist() == [1.5, 3.0]
    assert (ember.tensor([True, False]) + 1).tolist() == [2, 1]
    mixed = ember.tensor([200], dtype=ember.uint8) + ember.tensor([-1], dtype=ember.int8)
    assert mixed.dtype is ember.int16 and mixed.tolist() == [199]
    x = ember.tensor([1.0], dtype=ember.float16) * 2.5
    assert x.dtype is ember.float16 and x.item() == 2.5


def test_integer_division_gives_default_float():
    assert (ember.tensor([1, 2]) / ember.tensor([2, 2])).dtype is ember.float32
    assert (ember.tensor([1, 2]) / 2).tolist() == [0.5, 1.0]
    assert (ember.tensor([True]) / 2).dtype is ember.float32
