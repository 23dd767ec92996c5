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
