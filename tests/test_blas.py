"""ember._blas: the BLAS axpby binding gives NumPy's bits, and falls back to NumPy cleanly."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ember import _blas


def _numpy_axpby(alpha, x, beta, y):
    dtype = y.dtype.type
    return dtype(alpha) * x + dtype(beta) * y


@pytest.fixture(params=["blas", "numpy"])
def path(request, monkeypatch):
    """Run a test with the bound routine, and again with none bound (the NumPy path)."""
    if request.param == "blas" and not _blas.available():
        pytest.skip("NumPy's BLAS has no ?axpby here")
    if request.param == "numpy":
        monkeypatch.setattr(_blas, "_bound", {})
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 37, _blas._MIN_SIZE, 66_001])
@pytest.mark.parametrize(("alpha", "beta"), [(0.1, 0.9), (-0.03, 1.0), (2.5, -1.5), (1.0, 0.9)])
def test_axpby_gives_numpys_bits(path, dtype, n, alpha, beta):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    expect = _numpy_axpby(alpha, x, beta, y)
    _blas.axpby(alpha, x, beta, y, np.empty_like(y))
    np.testing.assert_array_equal(y, expect)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_is_axpby_with_beta_one(path, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((70, 90)).astype(dtype)  # 2-D contiguous: run as one vector
    y = rng.standard_normal((70, 90)).astype(dtype)
    expect = y + dtype(-0.25) * x
    _blas.axpy(-0.25, x, y, x.copy())
    np.testing.assert_array_equal(y, expect)


def test_chunks_give_the_same_bits_as_one_call():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(50_003).astype(np.float32)
    y = rng.standard_normal(50_003).astype(np.float32)
    whole = y.copy()
    _blas.axpby(0.3, x, 0.6, whole, np.empty_like(y))
    tmp = np.empty(8192, np.float32)
    for i in range(0, y.size, 8192):
        part = y[i : i + 8192]
        _blas.axpby(0.3, x[i : i + 8192], 0.6, part, tmp[: part.size])
    np.testing.assert_array_equal(y, whole)


@pytest.mark.parametrize(
    "case", ["transposed_x", "strided_y", "mixed_dtypes", "int", "zero_alpha", "zero_beta"]
)
def test_inputs_blas_cannot_take_go_to_numpy(case):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 100))
    y = rng.standard_normal((100, 200))
    alpha, beta = 0.5, 0.25
    if case == "transposed_x":
        x = x.T
    elif case == "strided_y":
        x, y = x[:, ::2].copy(), np.ascontiguousarray(y.T)[:, ::2]
    elif case == "mixed_dtypes":
        x = x.T.astype(np.float32)
    elif case == "int":
        x, y = (np.arange(20_000) % 7).reshape(y.shape), (np.arange(20_000) % 5).reshape(y.shape)
        alpha, beta = 3, 2
    elif case == "zero_alpha":  # 0 * inf must stay nan, as in NumPy and PyTorch
        x = np.ascontiguousarray(x.T)
        x[0, 0] = np.inf
        alpha = 0.0
    else:
        x = np.ascontiguousarray(x.T)
        y[0, 0] = np.nan
        beta = 0.0
    assert _blas._blas(alpha, x, beta, y) is None
    with np.errstate(invalid="ignore"):
        expect = y * beta + x * alpha
        _blas.axpby(alpha, x, beta, y, np.empty(y.shape, np.result_type(x, y)))
    np.testing.assert_array_equal(y, expect)


def test_self_check_rejects_a_routine_that_fuses_the_multiply_add():
    def fused(n, alpha, px, incx, beta, py, incy):  # y = fma(alpha, x, beta * y), in float64
        x = np.ctypeslib.as_array((np.ctypeslib.ctypes.c_float * n).from_address(px))
        y = np.ctypeslib.as_array((np.ctypeslib.ctypes.c_float * n).from_address(py))
        by = (np.float32(beta) * y).astype(np.float64)
        y[:] = (np.float64(alpha) * x + by).astype(np.float32)

    def exact(n, alpha, px, incx, beta, py, incy):
        y = np.ctypeslib.as_array((np.ctypeslib.ctypes.c_double * n).from_address(py))
        x = np.ctypeslib.as_array((np.ctypeslib.ctypes.c_double * n).from_address(px))
        y[:] = alpha * x + beta * y

    assert not _blas._self_check({"saxpby": fused, "daxpby": exact})


def test_binding_is_off_with_the_opt_out_variable():
    code = "import ember._blas as b; print(b.available())"
    env = {"EMBER_NO_BLAS_KERNELS": "1", "PATH": ""}
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_numpys_openblas_wheel_is_bound():
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    if "openblas" not in str(config.get("name", "")).lower():
        pytest.skip(f"NumPy is built with {config.get('name')}, not OpenBLAS")
    assert _blas.available()


def _shifted_reference(a, offsets, m, w):
    return sum(a[off : off + m] @ w[t] for t, off in enumerate(offsets))


@pytest.fixture
def gemm_bound():
    if not _blas._routines().get("sgemm"):
        pytest.skip("NumPy's BLAS has no ?gemm to bind here")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "rows, k, n, offsets, m",
    [
        (50, 16, 16, [0, 1, 2, 10, 11, 12, 20, 21, 22], 28),  # a 3x3 kernel on a 10-wide grid
        (40, 3, 5, [7], 33),  # one term, up to the last row
        (9, 1, 1, [0, 4], 5),
        (30, 8, 4, [3, 0, 5], 0),  # no rows: nothing to do, nothing written
    ],
)
def test_shifted_matmul_sum_equals_numpy(gemm_bound, rows, k, n, offsets, m, dtype):
    rng = np.random.default_rng(11)
    a = rng.standard_normal((rows, k)).astype(dtype)
    w = rng.standard_normal((len(offsets), k, n)).astype(dtype)
    out = np.full((m + 3, n), 7.0, dtype)  # rows past m stay as they were
    assert _blas.shifted_matmul_sum(a, offsets, m, w, out)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    if m:
        np.testing.assert_allclose(out[:m], _shifted_reference(a, offsets, m, w), rtol=tol)
    np.testing.assert_array_equal(out[m:], 7.0)


def test_shifted_matmul_sum_is_exact_on_small_integers(gemm_bound):
    a = (np.arange(120, dtype=np.float32).reshape(40, 3) % 5) - 2
    w = (np.arange(36, dtype=np.float32).reshape(4, 3, 3) % 3) - 1
    out = np.empty((30, 3), np.float32)
    assert _blas.shifted_matmul_sum(a, [0, 3, 9, 10], 30, w, out)
    np.testing.assert_array_equal(out, _shifted_reference(a, [0, 3, 9, 10], 30, w))


@pytest.mark.parametrize(
    "case", ["unbound", "float16", "mixed dtypes", "strided rows", "read-only out", "ints"]
)
def test_shifted_matmul_sum_declines_what_blas_cannot_take(case, monkeypatch):
    dtype = {"float16": np.float16, "ints": np.int64}.get(case, np.float32)
    a = np.ones((12, 4), dtype)
    w = np.ones((2, 4, 3), np.float64 if case == "mixed dtypes" else dtype)
    out = np.zeros((10, 3), dtype)
    if case == "unbound":
        monkeypatch.setattr(_blas, "_bound", {})
    if case == "strided rows":
        a = np.ones((12, 8), dtype)[:, ::2]
    if case == "read-only out":
        out.flags.writeable = False
    assert not _blas.shifted_matmul_sum(a, [0, 2], 10, w, out)
    np.testing.assert_array_equal(out, 0)  # nothing written


@pytest.mark.parametrize(
    "offsets, m, w_shape, out_rows",
    [
        ([0, 3], 10, (2, 4, 3), 10),  # the second window ends past the last row
        ([-1], 5, (1, 4, 3), 5),  # before the first row
        ([0], 5, (2, 4, 3), 5),  # one offset for two factors
        ([0], 5, (1, 5, 3), 5),  # factor rows differ from a's columns
        ([0], 5, (1, 4, 3), 4),  # out too short
    ],
)
def test_shifted_matmul_sum_rejects_windows_outside_the_matrix(offsets, m, w_shape, out_rows):
    a = np.ones((12, 4), np.float32)
    with pytest.raises(ValueError, match="shifted_matmul_sum"):
        _blas.shifted_matmul_sum(
            a, offsets, m, np.ones(w_shape, np.float32), np.ones((out_rows, 3), np.float32)
        )


def test_self_check_rejects_a_gemm_that_ignores_beta():
    funcs = dict(_blas._routines()) or pytest.skip("no BLAS bound here")

    def overwrite(order, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc):
        funcs["sgemm"](order, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, 0.0, pc, ldc)

    assert _blas._self_check(funcs)
    assert not _blas._self_check({**funcs, "sgemm": overwrite})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shifted_matmul_add_adds_each_product_at_its_offset(gemm_bound, dtype):
    rng = np.random.default_rng(15)
    a = rng.standard_normal((20, 6)).astype(dtype)
    w = rng.standard_normal((3, 6, 4)).astype(dtype)
    out = rng.standard_normal((26, 4)).astype(dtype)
    want = out.copy()
    for t, off in enumerate([0, 1, 6]):  # overlapping windows add up
        want[off : off + 18] += a[:18] @ w[t]
    assert _blas.shifted_matmul_add(a, 18, w, out, [0, 1, 6])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


def test_shifted_matmul_add_checks_like_the_sum(monkeypatch):
    a, w = np.ones((12, 4), np.float32), np.ones((2, 4, 3), np.float32)
    with pytest.raises(ValueError, match="shifted_matmul_add"):
        _blas.shifted_matmul_add(a, 10, w, np.zeros((11, 3), np.float32), [0, 2])
    with pytest.raises(ValueError, match="shifted_matmul_add"):
        _blas.shifted_matmul_add(a, 10, w[:0], np.zeros((11, 3), np.float32), [])
    monkeypatch.setattr(_blas, "_bound", {})
    out = np.zeros((12, 3), np.float32)
    assert not _blas.shifted_matmul_add(a, 10, w, out, [0, 2])
    np.testing.assert_array_equal(out, 0)


@pytest.mark.parametrize("k, n", [(0, 3), (4, 0)])
def test_shifted_products_of_empty_matrices(gemm_bound, k, n, capfd):
    a = np.ones((12, k), np.float32)
    w = np.ones((2, k, n), np.float32)
    out = np.full((10, n), 5.0, np.float32)
    assert _blas.shifted_matmul_sum(a, [0, 2], 10, w, out)
    np.testing.assert_array_equal(out, 0.0)  # a sum of no terms
    out[:] = 5.0
    assert _blas.shifted_matmul_add(a[:8], 8, w, out, [0, 2])
    np.testing.assert_array_equal(out, 5.0)  # nothing added
    assert capfd.readouterr().err == ""  # BLAS never saw (and never complained about) them
