"""Factories: zeros/ones/full/empty, arange/linspace/eye, *_like, and the random factories' shapes.

Expected values and dtypes are PyTorch's (documented behaviour, checked against torch 2.x).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember

FACTORIES = [ember.zeros, ember.ones, ember.empty, ember.rand, ember.randn]


# -- size arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "args", [(2, 3), ((2, 3),), ([2, 3],), (ember.Size([2, 3]),), (np.int64(2), 3)],
    ids=["varargs", "tuple", "list", "Size", "numpy-int"],
)
def test_size_forms(factory, args):
    t = factory(*args)
    assert t.shape == (2, 3)
    assert t.dtype is ember.float32


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_scalar_and_empty_sizes(factory):
    assert factory(()).shape == ()
    assert factory([]).shape == ()
    assert factory(0).shape == (0,)
    assert factory(2, 0).shape == (2, 0)


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_factory_dtype_and_requires_grad(factory):
    t = factory(2, dtype=ember.float64, requires_grad=True)
    assert t.dtype is ember.float64 and t.requires_grad and t.is_leaf


@pytest.mark.parametrize("factory", [ember.zeros, ember.ones, ember.empty])
@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.bool, ember.uint8])
def test_requires_grad_on_integer_dtype_raises(factory, dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        factory(2, dtype=dtype, requires_grad=True)


def test_requires_grad_on_integer_results_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.arange(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.full((2,), 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.randint(0, 3, (2,), requires_grad=True)
    assert ember.arange(3.0, requires_grad=True).requires_grad


def test_zeros_ones_values():
    assert ember.zeros(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert ember.ones(3, dtype=ember.int64).tolist() == [1, 1, 1]
    assert ember.ones(2, dtype=ember.bool).tolist() == [True, True]
    assert ember.zeros(2, dtype=ember.uint8).dtype is ember.uint8


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="-1"):
        ember.zeros(-1)
    with pytest.raises(RuntimeError, match="-2"):
        ember.ones(2, -2)


def test_non_integer_size_raises():
    with pytest.raises(TypeError, match="float"):
        ember.zeros(2.5)


# -- full -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, dtype",
    [(3, ember.int64), (3.0, ember.float32), (True, ember.bool), (-1.5, ember.float32)],
)
def test_full_infers_dtype_from_fill_value(value, dtype):
    t = ember.full((2, 2), value)
    assert t.dtype is dtype
    assert t.tolist() == [[value, value], [value, value]]


def test_full_explicit_dtype_and_sizes():
    assert ember.full((2,), 1.5, dtype=ember.int64).tolist() == [1, 1]
    assert ember.full([3], 2, dtype=ember.float32).tolist() == [2.0, 2.0, 2.0]
    assert ember.full((), 4.0).shape == ()
    assert ember.full(ember.Size([1, 2]), 0).shape == (1, 2)


def test_full_requires_a_size_sequence():
    with pytest.raises(TypeError, match="size"):
        ember.full(3, 1.5)


# -- *_like ---------------------------------------------------------------------------------------
def test_like_factories_keep_shape_and_dtype():
    src = ember.tensor([[1, 2, 3]], dtype=ember.int32)
    for fn in (ember.zeros_like, ember.ones_like, ember.empty_like):
        t = fn(src)
        assert t.shape == (1, 3) and t.dtype is ember.int32
    assert ember.zeros_like(src).tolist() == [[0, 0, 0]]
    assert ember.ones_like(src, dtype=ember.float64).dtype is ember.float64
    assert ember.full_like(src, 7).tolist() == [[7, 7, 7]]
    assert ember.full_like(ember.tensor([1, 2]), 2.7).tolist() == [2, 2]  # cast to input dtype
    assert ember.full_like(ember.tensor([1.0]), 7).dtype is ember.float32


def test_like_factories_do_not_inherit_requires_grad():
    x = ember.ones(2, requires_grad=True)
    assert not ember.zeros_like(x).requires_grad
    assert ember.zeros_like(x, requires_grad=True).requires_grad


def test_random_like_factories():
    src = ember.zeros(3, 4, dtype=ember.float64)
    assert ember.rand_like(src).shape == (3, 4) and ember.rand_like(src).dtype is ember.float64
    assert ember.randn_like(src).dtype is ember.float64
    assert ember.randn_like(src, dtype=ember.float32).dtype is ember.float32
    r = ember.randint_like(src, 5)
    assert r.dtype is ember.float64 and r.shape == (3, 4)
    assert 0 <= r.min().item() and r.max().item() < 5
    r2 = ember.randint_like(ember.zeros(100, dtype=ember.int64), 3, 6)
    assert 3 <= r2.min().item() and r2.max().item() < 6


# -- arange ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, expected, dtype",
    [
        ((5,), [0, 1, 2, 3, 4], ember.int64),
        ((1, 4), [1, 2, 3], ember.int64),
        ((0, 10, 3), [0, 3, 6, 9], ember.int64),
        ((10, 0, -3), [10, 7, 4, 1], ember.int64),
        ((0, -5, -1), [0, -1, -2, -3, -4], ember.int64),
        ((5.0,), [0.0, 1.0, 2.0, 3.0, 4.0], ember.float32),
        ((1, 2.5, 0.5), [1.0, 1.5, 2.0], ember.float32),
        ((0.5, 3), [0.5, 1.5, 2.5], ember.float32),
        ((-1.0, 1.0, 0.5), [-1.0, -0.5, 0.0, 0.5], ember.float32),
        ((3, 3), [], ember.int64),
    ],
)
def test_arange_values_and_dtype(args, expected, dtype):
    t = ember.arange(*args)
    assert t.dtype is dtype
    assert t.tolist() == expected


@pytest.mark.parametrize(
    "start, end, step",
    [(0, 1, 0.1), (0, 1.0001, 0.1), (0, 10, 0.7), (-3, 3, 0.1), (0, 1, 1 / 3), (1, 10, 2.5)],
)
def test_arange_float_lengths(start, end, step):
    # PyTorch: size = ceil((end - start) / step), computed in double
    t = ember.arange(start, end, step)
    assert t.numel() == math.ceil((end - start) / step)
    np.testing.assert_allclose(t.numpy(), start + step * np.arange(t.numel()), rtol=1e-6,
                               atol=1e-6)


def test_arange_dtype_argument_and_tensor_bounds():
    assert ember.arange(5, dtype=ember.float32).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ember.arange(4, dtype=ember.int32).dtype is ember.int32
    assert ember.arange(ember.tensor(3)).tolist() == [0, 1, 2]


def test_arange_bad_step():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 1, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        ember.arange(1, 0)


# -- linspace / logspace / eye --------------------------------------------------------------------
def test_linspace():
    assert ember.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ember.linspace(0, 1, 5).dtype is ember.float32
    assert ember.linspace(2, 3, 1).tolist() == [2.0]
    assert ember.linspace(0, 10, 0).shape == (0,)
    assert ember.linspace(0, 1, 3, dtype=ember.float64).dtype is ember.float64
    assert ember.linspace(0, 10, 5, dtype=ember.int64).tolist() == [0, 2, 5, 7, 10]
    np.testing.assert_allclose(ember.linspace(-1, 1, 4).numpy(), [-1, -1 / 3, 1 / 3, 1],
                               rtol=1e-6)
    with pytest.raises(RuntimeError, match="steps"):
        ember.linspace(0, 1, -1)


def test_logspace():
    np.testing.assert_allclose(ember.logspace(0, 2, 3).numpy(), [1.0, 10.0, 100.0])
    np.testing.assert_allclose(ember.logspace(0, 3, 4, base=2).numpy(), [1.0, 2.0, 4.0, 8.0])


def test_eye():
    assert ember.eye(3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert ember.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert ember.eye(3, dtype=ember.int64).dtype is ember.int64
    assert ember.eye(0).shape == (0, 0)
    assert ember.eye(2, 0).shape == (2, 0)
    with pytest.raises(RuntimeError, match="-1"):
        ember.eye(-1)


# -- random factories: shapes and dtypes (statistics are in test_random.py) -----------------------
def test_random_factory_dtypes():
    assert ember.rand(2).dtype is ember.float32
    assert ember.randn(2, dtype=ember.float64).dtype is ember.float64
    assert ember.randint(5, (3,)).dtype is ember.int64
    assert ember.randint(1, 5, (3,), dtype=ember.int32).dtype is ember.int32
    assert ember.randint(1, 5, (3,), dtype=ember.float32).dtype is ember.float32
    assert ember.randperm(5).dtype is ember.int64
    assert ember.randperm(4, dtype=ember.float32).dtype is ember.float32
    assert ember.normal(0.0, 1.0, (2, 3)).dtype is ember.float32
    assert ember.normal(ember.zeros(3, dtype=ember.float64), 1.0).dtype is ember.float64


def test_randint_signatures():
    assert ember.randint(3, (4,)).shape == (4,)
    assert ember.randint(0, 3, (4,)).shape == (4,)
    assert ember.randint(0, 3, size=(2, 2)).shape == (2, 2)
    assert ember.randint(high=3, size=(4,)).shape == (4,)
    assert ember.randint(low=1, high=3, size=[5]).shape == (5,)
    assert ember.randint(0, 3, ember.Size([2])).shape == (2,)
    assert ember.randint(3, 4, (5,)).tolist() == [3] * 5
    with pytest.raises(TypeError, match="size"):
        ember.randint(0, 10, 5)


@pytest.mark.parametrize("fn", [ember.rand, ember.randn])
def test_continuous_draws_refuse_integer_dtypes(fn):
    # PyTorch raises NotImplementedError ("normal_kernel_cpu" not implemented for 'Long')
    with pytest.raises(NotImplementedError, match="int64"):
        fn(2, dtype=ember.int64)


def test_randperm():
    p = ember.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    assert ember.randperm(0).shape == (0,)
    assert ember.randperm(0).dtype is ember.int64
    with pytest.raises(RuntimeError, match="-1"):
        ember.randperm(-1)


@pytest.mark.parametrize(
    "mean, std, size, shape",
    [
        (0.0, 1.0, (2, 3), (2, 3)),
        ("t3", 1.0, None, (3,)),
        (0.0, "t3", None, (3,)),
        ("t3", "t3", None, (3,)),
        ("t2x3", "t3", None, (2, 3)),
    ],
)
def test_normal_forms(mean, std, size, shape):
    def arg(v):
        return {"t3": ember.ones(3), "t2x3": ember.zeros(2, 3)}.get(v, v) if isinstance(v, str) \
            else v

    args = (arg(mean), arg(std)) + ((size,) if size is not None else ())
    assert ember.normal(*args).shape == shape


def test_normal_with_zero_std_is_the_mean():
    mean = ember.tensor([1.0, -2.0, 3.0])
    assert ember.normal(mean, 0.0).tolist() == [1.0, -2.0, 3.0]
    assert ember.normal(2.0, ember.zeros(2)).tolist() == [2.0, 2.0]


def test_bernoulli_forms():
    assert ember.bernoulli(ember.zeros(5)).tolist() == [0.0] * 5
    assert ember.bernoulli(ember.ones(5)).tolist() == [1.0] * 5
    assert ember.bernoulli(ember.zeros(3, dtype=ember.float64)).dtype is ember.float64
    assert ember.bernoulli(ember.ones(4), 0.0).tolist() == [0.0] * 4
    assert ember.ones(4).bernoulli(1.0).tolist() == [1.0] * 4
