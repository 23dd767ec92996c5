"""Reduction behaviour the op table can't express: result dtypes, ties, zeros, NaN, empty and
0-d inputs, dim handling and errors. Expected values are worked out by hand; where PyTorch is
importable the same check also runs on torch, so the hand answers are its answers."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from tests.ops.helpers import dtype_name, grads_of, lib_param

quiet = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0/0 and log(0) on purpose


# -- result dtypes -------------------------------------------------------------------------------
DTYPE_CASES = [
    ("bool_sum", lambda lib: lib.tensor([True, False, True]).sum(), "int64"),
    ("bool_sum_dim", lambda lib: lib.tensor([[True, False]]).sum(1), "int64"),
    ("int32_sum", lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(), "int64"),
    ("uint8_sum", lambda lib: lib.tensor([200, 100], dtype=lib.uint8).sum(), "int64"),
    ("float32_sum_dtype_float64", lambda lib: lib.tensor([1.0]).sum(dtype=lib.float64), "float64"),
    ("int_mean_dtype_float64", lambda lib: lib.tensor([1, 2]).mean(dtype=lib.float64), "float64"),
    ("int32_prod", lambda lib: lib.tensor([1, 2], dtype=lib.int32).prod(), "int64"),
    ("bool_prod", lambda lib: lib.tensor([True, True]).prod(), "int64"),
    ("int32_cumsum", lambda lib: lib.tensor([1, 2], dtype=lib.int32).cumsum(0), "int64"),
    ("bool_cumsum", lambda lib: lib.tensor([True, True]).cumsum(0), "int64"),
    ("int32_cumprod", lambda lib: lib.tensor([1, 2], dtype=lib.int32).cumprod(0), "int64"),
    ("int_cumprod_dtype", lambda lib: lib.tensor([1, 2]).cumprod(0, dtype=lib.float64), "float64"),
    ("int_amax", lambda lib: lib.tensor([1, 5, 2]).amax(), "int64"),
    ("int32_max_dim", lambda lib: lib.tensor([[1, 5]], dtype=lib.int32).max(1).values, "int32"),
    ("max_dim_indices", lambda lib: lib.tensor([[1.0, 5.0]]).max(1).indices, "int64"),
    ("argmax", lambda lib: lib.tensor([1.0, 5.0]).argmax(), "int64"),
    ("int_logsumexp", lambda lib: lib.tensor([1, 2]).logsumexp(0), "float32"),
    ("float_all", lambda lib: lib.tensor([1.0, 0.0]).all(), "bool"),
    ("int_any_dim", lambda lib: lib.tensor([[1, 0]]).any(1), "bool"),
    ("uint8_all", lambda lib: lib.tensor([1, 2], dtype=lib.uint8).all(), "uint8"),
    ("uint8_any_dim", lambda lib: lib.tensor([[0, 2]], dtype=lib.uint8).any(0), "uint8"),
    ("count_nonzero", lambda lib: lib.tensor([1.0, 0.0]).count_nonzero(), "int64"),
    ("norm_p0", lambda lib: lib.tensor([1.0, 0.0]).norm(0), "float32"),
]


@lib_param
@pytest.mark.parametrize("make,expected", [c[1:] for c in DTYPE_CASES],
                         ids=[c[0] for c in DTYPE_CASES])
def test_result_dtype(lib, make, expected):
    assert dtype_name(make(lib)) == expected


FLOAT_REDUCTIONS = {
    "sum": lambda t: t.sum(), "sum_dim": lambda t: t.sum(1), "mean": lambda t: t.mean(),
    "mean_tuple": lambda t: t.mean((0, 1)), "prod": lambda t: t.prod(),
    "prod_dim": lambda t: t.prod(0), "var": lambda t: t.var(), "std": lambda t: t.std(),
    "std_dim": lambda t: t.std(1),
    "var_mean": lambda t: t.var(0) + t.mean(0), "max": lambda t: t.max(),
    "max_dim": lambda t: t.max(1).values, "min_dim": lambda t: t.min(0)[0],
    "amax": lambda t: t.amax(), "amin_dim": lambda t: t.amin(1),
    "logsumexp": lambda t: t.logsumexp(1),
    "norm": lambda t: t.norm(), "norm1": lambda t: t.norm(1), "norm3": lambda t: t.norm(3, dim=0),
    "norm_inf": lambda t: t.norm(float("inf")), "norm0": lambda t: t.norm(0),
    "cumsum": lambda t: t.cumsum(0), "cumprod": lambda t: t.cumprod(1),
}


@lib_param
@pytest.mark.parametrize("op", sorted(FLOAT_REDUCTIONS))
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_float_dtype_is_kept(lib, op, dt):
    """float64 in, float64 out (and float32 stays float32) for every reduction."""
    x = lib.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]]).astype(dt))
    assert dtype_name(FLOAT_REDUCTIONS[op](x)) == dt


# -- errors --------------------------------------------------------------------------------------
@lib_param
@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1, 2]).mean(),
    lambda lib: lib.tensor([True, False]).mean(),
    lambda lib: lib.tensor([1, 2]).mean(0),
    lambda lib: lib.tensor([1, 2]).var(),
    lambda lib: lib.tensor([1, 2]).std(0),
    lambda lib: lib.tensor([1, 2]).norm(),
    lambda lib: lib.ones(2, 3).sum((0, -2)),
    lambda lib: lib.ones(0).max(),
], ids=["mean_int", "mean_bool", "mean_int_dim", "var_int", "std_int", "norm_int",
        "duplicate_dims", "max_of_empty"])
def test_invalid_reductions_raise_runtime_error(lib, make):
    with pytest.raises(RuntimeError):
        make(lib)


@lib_param
@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(2, 3).sum(2), lambda lib: lib.ones(2, 3).mean(-3),
    lambda lib: lib.ones(2, 3).max(5), lambda lib: lib.ones(2, 3).cumsum(2),
    lambda lib: lib.ones(2, 0).amax(1), lambda lib: lib.ones(2, 0).max(1),
], ids=["sum", "mean", "max", "cumsum", "amax_empty_dim", "max_empty_dim"])
def test_bad_dim_raises_index_error(lib, make):
    with pytest.raises(IndexError):
        make(lib)


# -- dim handling --------------------------------------------------------------------------------
@lib_param
@pytest.mark.parametrize("op", ["sum", "mean", "var", "std", "norm", "amax", "amin",
                                "count_nonzero"])
def test_empty_dim_list_reduces_every_dim(lib, op):
    x = lib.tensor([[1.0, 2.0, 0.0], [4.0, -5.0, 6.0]])
    np.testing.assert_allclose(getattr(x, op)(dim=()).numpy(), getattr(x, op)().numpy())
    np.testing.assert_allclose(getattr(x, op)(dim=[]).numpy(), getattr(x, op)().numpy())


@lib_param
def test_all_any_with_empty_dim_list_reduce_nothing(lib):
    x = lib.tensor([[1.0, 0.0]])
    np.testing.assert_array_equal(x.all(dim=()).numpy(), [[True, False]])
    np.testing.assert_array_equal(x.any(dim=()).numpy(), [[True, False]])


@lib_param
def test_legacy_unbiased_positional_argument(lib):
    x = lib.tensor([1.0, 2.0, 4.0])
    assert x.var(False).item() == pytest.approx(14 / 9)  # population variance
    assert x.var(True).item() == pytest.approx(7 / 3)
    assert x.std(False).item() == pytest.approx(np.sqrt(14 / 9))


@lib_param
def test_keepdim_shapes(lib):
    x = lib.ones(2, 3, 4)
    assert tuple(x.sum((0, 2), keepdim=True).shape) == (1, 3, 1)
    assert tuple(x.mean(-1, keepdim=True).shape) == (2, 3, 1)
    assert tuple(x.var((1,), keepdim=True).shape) == (2, 1, 4)
    assert tuple(x.amax((0, 1), keepdim=True).shape) == (1, 1, 4)
    assert tuple(x.max(1, keepdim=True).indices.shape) == (2, 1, 4)
    assert tuple(x.argmin(keepdim=True).shape) == (1, 1, 1)
    assert tuple(x.norm(dim=(0, 1), keepdim=True).shape) == (1, 1, 4)
    assert tuple(x.logsumexp((0, 2), keepdim=True).shape) == (1, 3, 1)
    assert tuple(x.prod(-2, keepdim=True).shape) == (2, 1, 4)
    assert tuple(x.all(2, keepdim=True).shape) == (2, 3, 1)


# -- ties ----------------------------------------------------------------------------------------
TIES = [[1.0, 3.0, 3.0, 3.0], [2.0, 2.0, -1.0, 0.0]]


@lib_param
def test_amax_amin_ties_share_the_gradient_evenly(lib):
    out, (g,) = grads_of(lib, lambda x: x.amax(1), TIES)
    np.testing.assert_array_equal(out, [3.0, 2.0])
    np.testing.assert_allclose(g, [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0, 0]])
    out, (g,) = grads_of(lib, lambda x: x.amin((0, 1)), [[1.0, 0.5], [0.5, 0.5]])
    assert out == 0.5
    np.testing.assert_allclose(g, [[0, 1 / 3], [1 / 3, 1 / 3]])
    _, (g,) = grads_of(lib, lambda x: x.amax(0, keepdim=True), [[1.0, 2.0], [1.0, 0.0]])
    np.testing.assert_allclose(g, [[0.5, 1.0], [0.5, 0.0]])


@lib_param
def test_max_without_dim_shares_ties_evenly(lib):
    out, (g,) = grads_of(lib, lambda x: x.max(), TIES)
    assert out == 3.0
    np.testing.assert_allclose(g, [[0, 1 / 3, 1 / 3, 1 / 3], [0, 0, 0, 0]])
    _, (g,) = grads_of(lib, lambda x: x.min(), [[4.0, -1.0], [-1.0, 2.0]])
    np.testing.assert_allclose(g, [[0, 0.5], [0.5, 0]])


@lib_param
def test_max_with_dim_on_ties_picks_one_index_and_gives_it_the_gradient(lib):
    values, indices = lib.tensor(TIES).max(1)
    np.testing.assert_array_equal(values.numpy(), [3.0, 2.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # the first occurrence
    _, (g,) = grads_of(lib, lambda x: x.max(1)[0], TIES)
    np.testing.assert_array_equal(g, [[0, 1, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(lib.tensor(TIES).argmax(1).numpy(), [1, 0])
    np.testing.assert_array_equal(lib.tensor(TIES).argmin().numpy(), 6)


@lib_param
@quiet
def test_max_without_dim_shares_the_gradient_among_nans(lib):
    out, (g,) = grads_of(lib, lambda x: x.max(), [1.0, np.nan, 2.0, np.nan])
    assert np.isnan(out)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(lib.tensor([1.0, np.nan, 2.0]).argmax().numpy(), 1)
    values, indices = lib.tensor([[1.0, np.nan, 2.0]]).min(1)
    assert np.isnan(values.numpy()[0]) and indices.numpy()[0] == 1


@lib_param
def test_norm_inf_ties_share_the_gradient_with_sign(lib):
    _, (g,) = grads_of(lib, lambda x: x.norm(float("inf"), dim=1), [[1.0, -3.0, 3.0], [2, 2, -2]])
    np.testing.assert_allclose(g, [[0, -0.5, 0.5], [1 / 3, 1 / 3, -1 / 3]])


# -- zeros: prod, cumprod, norm, std -------------------------------------------------------------
@lib_param
def test_prod_gradient_with_zeros(lib):
    # d prod / d x_i = product of the other elements
    _, (g,) = grads_of(lib, lambda x: x.prod(), [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [6.0, 0.0, 0.0])
    _, (g,) = grads_of(lib, lambda x: x.prod(), [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    _, (g,) = grads_of(lib, lambda x: x.prod(1), [[0.0, 2.0, 3.0], [4.0, 0.5, 0.0], [1, 2, 3]])
    np.testing.assert_array_equal(g, [[6, 0, 0], [0, 0, 2], [6, 3, 2]])


def test_prod_second_derivative_with_two_zeros():
    # d2 prod / dx0 dx2 = x1 even though both are zero; the Hessian of x0 x1 x2 is [[0,x2,x1],...]
    x = ember.tensor([0.0, 2.0, 0.0], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(x.prod(), [x], create_graph=True)
    hessian = np.stack([ember.autograd.grad(g[i], [x], retain_graph=True)[0].numpy()
                        for i in range(3)])
    np.testing.assert_array_equal(hessian, [[0, 0, 2], [0, 0, 0], [2, 0, 0]])
    assert gradgradcheck(lambda t: t.prod(), [x])


@lib_param
def test_cumprod_gradient_with_zeros(lib):
    # out = [x0, x0 x1, x0 x1 x2]; with weights w: d/dx0 = w0 + w1 x1 + w2 x1 x2, ...
    x, w = [2.0, 0.0, 3.0], [1.0, 10.0, 100.0]
    _, (g,) = grads_of(lib, lambda t: t.cumprod(0), x, weights=w)
    np.testing.assert_array_equal(g, [1.0, 10 * 2 + 100 * 2 * 3, 0.0])
    _, (g,) = grads_of(lib, lambda t: t.cumprod(0), [0.0, 2.0, 0.0], weights=w)
    np.testing.assert_array_equal(g, [1 + 10 * 2, 0.0, 0.0])


def test_cumprod_with_zeros_gradgradcheck_along_each_dim():
    x = np.array([[0.0, 1.5, -2.0], [0.5, 0.0, 0.0]])
    for d in (0, 1, -1):
        t = ember.tensor(x, requires_grad=True)
        assert gradcheck(lambda a, d=d: a.cumprod(d), [t])
        assert gradgradcheck(lambda a, d=d: a.cumprod(d), [t])


@lib_param
@pytest.mark.parametrize("p", [2, "fro", 1, 3, 0.5, 1.5, float("inf")])
def test_norm_gradient_of_a_zero_vector_is_zero(lib, p):
    out, (g,) = grads_of(lib, lambda x: x.norm(p), [0.0, 0.0, 0.0])
    assert out == 0.0
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    out, (g,) = grads_of(lib, lambda x: x.norm(p, dim=1), [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_array_equal(g[0], [0.0, 0.0])


@lib_param
def test_norm_gradient_with_a_zero_element(lib):
    # p = 3: d/dx_i = x_i |x_i| / ||x||^2; p = 0.5: PyTorch takes 0 at x_i = 0
    out, (g,) = grads_of(lib, lambda x: x.norm(3), [0.0, 1.0, -2.0])
    n = 9 ** (1 / 3)
    np.testing.assert_allclose(g, [0.0, 1 / n ** 2, -4 / n ** 2])
    _, (g,) = grads_of(lib, lambda x: x.norm(0.5), [0.0, 1.0, 4.0])
    np.testing.assert_allclose(g, [0.0, 3.0, 1.5])  # ||x|| = 9, d/dx_i = (9/x_i)^(1/2)


def test_norm_general_p_second_derivative():
    x = ember.tensor([[0.5, -1.0, 2.0], [1.5, 0.7, -0.3]], dtype=ember.float64,
                     requires_grad=True)
    for p in (3, 0.5, 1.5, 4):
        assert gradgradcheck(lambda a, p=p: a.norm(p, dim=1), [x])


@lib_param
def test_std_gradient_of_constant_input_is_zero(lib):
    out, (g,) = grads_of(lib, lambda x: x.std(), [2.0, 2.0, 2.0])
    assert out == 0.0
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    out, (g,) = grads_of(lib, lambda x: x.std(1), [[1.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0], [-1 / np.sqrt(2), 1 / np.sqrt(2)]])


@lib_param
@quiet
@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")
def test_var_with_too_few_elements(lib):
    assert np.isnan(lib.tensor([1.0]).var().item())  # 0 / 0
    assert lib.tensor([1.0]).var(correction=0).item() == 0.0
    assert lib.tensor([1.0, 2.0]).var(correction=2).item() == np.inf  # 0.5 / 0


# -- logsumexp -----------------------------------------------------------------------------------
@lib_param
def test_logsumexp_is_stable_for_large_values(lib):
    x = lib.tensor([[1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0]], dtype=lib.float64)
    np.testing.assert_allclose(x.logsumexp(1).numpy(),
                               [1000 + np.log(2), -1000 + np.log(2), 1000.0], rtol=1e-15)
    _, (g,) = grads_of(lib, lambda t: t.logsumexp(1), [[1000.0, 1000.0], [1000.0, -1000.0]])
    np.testing.assert_allclose(g, [[0.5, 0.5], [1.0, 0.0]])


@lib_param
@quiet
def test_logsumexp_of_infinities(lib):
    inf = float("inf")
    x = lib.tensor([[-inf, -inf], [inf, 1.0], [-inf, 0.0]])
    np.testing.assert_array_equal(x.logsumexp(1).numpy(), [-inf, inf, 0.0])


# -- empty and 0-d inputs ------------------------------------------------------------------------
@lib_param
def test_reductions_over_an_empty_dim(lib):
    x = lib.ones(2, 0)
    np.testing.assert_array_equal(x.sum(1).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(x.prod(1).numpy(), [1.0, 1.0])
    assert np.isnan(x.mean(1).numpy()).all()
    np.testing.assert_array_equal(x.all(1).numpy(), [True, True])
    np.testing.assert_array_equal(x.any(1).numpy(), [False, False])
    t = lib.ones(2, 0, dtype=lib.float64, requires_grad=True)
    t.prod(1).sum().backward()
    assert tuple(t.grad.shape) == (2, 0)


@lib_param
def test_zero_dim_inputs(lib):
    x = lib.tensor(2.5)
    assert x.sum().item() == 2.5 and x.sum(0).item() == 2.5
    assert x.prod(0).item() == 2.5 and x.cumsum(0).item() == 2.5
    assert x.cumprod(0).item() == 2.5 and x.amax().item() == 2.5
    values, indices = x.max(0)
    assert values.item() == 2.5 and indices.item() == 0
    assert x.argmax().item() == 0 and x.logsumexp(0).item() == pytest.approx(2.5)
    y = x.prod(0)
    y += 1  # a new tensor, not the input
    assert x.item() == 2.5


@pytest.mark.parametrize("op", sorted(FLOAT_REDUCTIONS))
def test_zero_dim_results_are_arrays(op):
    out = FLOAT_REDUCTIONS[op](ember.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]]))
    assert isinstance(out.numpy(), np.ndarray)
    before = out.numpy().copy()
    out += 1
    np.testing.assert_allclose(out.numpy(), before + 1)


# -- integer values ------------------------------------------------------------------------------
@lib_param
def test_integer_reductions_are_exact(lib):
    x = lib.tensor([[3, -1, 4], [1, 5, -9]])
    assert x.sum().item() == 3
    np.testing.assert_array_equal(x.prod(1).numpy(), [-12, -45])
    np.testing.assert_array_equal(x.cumsum(1).numpy(), [[3, 2, 6], [1, 6, -3]])
    np.testing.assert_array_equal(x.amax(0).numpy(), [3, 5, 4])
    np.testing.assert_array_equal(x.min(1).indices.numpy(), [1, 2])
    big = lib.tensor([2 ** 40, 2 ** 40])
    assert big.sum().item() == 2 ** 41  # no float round trip
