"""BLAS routines NumPy does not expose, from the BLAS library NumPy itself loaded.

``axpby`` (``y = a * x + b * y``, and ``axpy``: ``y += a * x``, the case ``b = 1``) updates ``y``
in one pass over memory where NumPy needs two or three passes and a temporary. Optimizer updates
are made of exactly these; on a 2-core EPYC a 262,144-element ``axpby`` took 31 us against 92 us
for the three-pass NumPy ``lerp`` it replaced.

OpenBLAS's ``?axpby`` rounds ``a * x`` and ``b * y`` and then their sum (no fused multiply-add),
the same three roundings as NumPy's ``y *= b; y += a * x``, so both paths give identical bits,
however an update is split into chunks. (Its ``?axpy`` is faster, on two threads, but fuses the
multiply-add in its vector loop and not in its tail, so its result would depend on where a chunk
or a thread's share ends: it is not used.)

``shifted_matmul_sum`` adds up products of row-shifted windows of one matrix, each product added
into the output by ``?gemm`` itself (``beta = 1``) straight from the shifted address; its mirror
``shifted_matmul_add`` adds one matrix's products into shifted windows of the output. A stride-1
convolution and a strided transposed convolution computed this way need no patch matrix (see
``ember.ops.conv``). NumPy can neither accumulate a product into an array nor multiply a window
without a copy, so these have no NumPy fallback: they return False and callers use another
method. They are exact up to the order of summation, not bit-identical to another method.

The library is looked up on first use among the files this process has mapped (Linux), then in
NumPy's wheel folders; OpenBLAS's symbols are tried with the ``scipy_`` prefix and ``64_`` suffix
of NumPy's wheels (64-bit integers) and plain. Nothing is bound when no library answers, when a
self-check disagrees with NumPy, or when ``EMBER_NO_BLAS_KERNELS=1`` is set: ``axpby``/``axpy``
then compute the same update with NumPy ufuncs. Of those two, only C-contiguous float32/float64
arrays of at least ``_MIN_SIZE`` elements go to BLAS (below that the call's overhead costs more
than it saves).
"""

from __future__ import annotations

import ctypes
import os

import numpy as np

__all__ = ["axpy", "axpby", "available", "shifted_matmul_sum", "shifted_matmul_add"]

# Below this many elements NumPy's ufuncs are as fast as a ctypes call (~2-3 us of overhead).
_MIN_SIZE = 1 << 12

_ROUTINES = ("saxpby", "daxpby", "sgemm", "dgemm")
_NAMINGS = (  # (symbol pattern, integer type)
    ("scipy_cblas_{}64_", ctypes.c_int64),  # NumPy's wheels: scipy-openblas64
    ("scipy_cblas_{}", ctypes.c_int32),  # scipy-openblas32
    ("cblas_{}64_", ctypes.c_int64),
    ("cblas_{}", ctypes.c_int32),  # a system OpenBLAS
)
_bound: dict | None = None  # {routine: ctypes function}; {} when nothing could be bound
_PREFIX = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}


def _candidate_paths() -> list[str]:
    """Files that may be NumPy's OpenBLAS: those mapped into this process, then the wheel's."""
    import glob  # only on first use: not part of ember's import time

    found = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in os.path.basename(path).lower() and path not in found:
                    found.append(path)
    except OSError:  # not Linux
        pass
    root = os.path.dirname(os.path.dirname(np.__file__))
    for folder in ("numpy.libs", os.path.join("numpy", ".dylibs")):
        for path in sorted(glob.glob(os.path.join(root, folder, "*openblas*"))):
            if path not in found:
                found.append(path)
    return found


def _bind_library(path: str) -> dict:
    """The routines from the library at ``path`` under the first naming it has; {} if none."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return {}
    ptr, enum = ctypes.c_void_p, ctypes.c_int
    for pattern, int_t in _NAMINGS:
        try:
            funcs = {r: getattr(lib, pattern.format(r)) for r in _ROUTINES}
        except AttributeError:
            continue
        for name, fn in funcs.items():
            real = ctypes.c_float if name[0] == "s" else ctypes.c_double
            fn.restype = None
            if name.endswith("axpby"):  # (n, alpha, x, incx, beta, y, incy)
                fn.argtypes = [int_t, real, ptr, int_t, real, ptr, int_t]
            else:  # (order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
                fn.argtypes = [enum] * 3 + [int_t] * 3 + [real, ptr, int_t, ptr, int_t]
                fn.argtypes += [real, ptr, int_t]
        return funcs
    return {}


def _self_check(funcs: dict) -> bool:
    """Whether the bound routines give NumPy's bits on small problems: ``axpby`` for
    ``beta = 1`` and another ``beta`` (a wrong integer width, or a library that fuses the
    multiply-add, fails), ``gemm`` on small integers (exact in any summation order)."""
    for dtype, prefix in ((np.float32, "s"), (np.float64, "d")):
        x = np.linspace(-1, 1, 37, dtype=dtype)
        for beta in (1.0, 0.7):
            y = np.linspace(3, -2, 37, dtype=dtype)
            expect = dtype(0.1) * x + dtype(beta) * y
            funcs[prefix + "axpby"](37, 0.1, x.ctypes.data, 1, beta, y.ctypes.data, 1)
            if not np.array_equal(y, expect):
                return False
        a = np.arange(35, dtype=dtype).reshape(7, 5) % 4 - 1
        b = np.arange(15, dtype=dtype).reshape(5, 3) % 3
        c = np.ones((7, 3), dtype)
        _gemm(funcs[prefix + "gemm"], a.ctypes.data, b, 1.0, c.ctypes.data, 7)
        if not np.array_equal(c, a @ b + 1):
            return False
    return True


_ROW_MAJOR, _NO_TRANS = 101, 111  # CBLAS enum values


def _gemm(fn, a_address: int, b: np.ndarray, beta: float, c_address: int, m: int) -> None:
    """``c = a @ b + beta * c`` for the C-contiguous (m, K) and (m, N) matrices at the two
    addresses and the C-contiguous (K, N) ``b``."""
    k, n = b.shape
    args = (m, n, k, 1.0, a_address, k, _address(b), n, beta, c_address, n)
    fn(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, *args)


def _routines() -> dict:
    """The bound routines ({} when BLAS kernels are off or unavailable); found once."""
    global _bound
    if _bound is None:
        _bound = {}
        if os.environ.get("EMBER_NO_BLAS_KERNELS", "") in ("", "0"):
            for path in _candidate_paths():
                funcs = _bind_library(path)
                if funcs and _self_check(funcs):
                    _bound = funcs
                    break
    return _bound


def available() -> bool:
    """Whether ``axpy``/``axpby`` run on BLAS here (otherwise they use NumPy ufuncs)."""
    return bool(_routines())


def _address(a: np.ndarray) -> int:
    """Address of ``a``'s first element (``from_buffer`` is ~3x cheaper than ``.ctypes``)."""
    if a.flags.writeable:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    return a.ctypes.data


def _blas(alpha: float, x: np.ndarray, beta: float, y: np.ndarray):
    """The ``?axpby`` routine for ``x`` and ``y``, or None when they take the NumPy path
    (small, non-contiguous, mixed or non-float dtypes, no BLAS), or a zero coefficient (BLAS
    may skip that operand, where NumPy keeps its NaNs and infinities: ``0 * inf = nan``)."""
    if (
        y.size < _MIN_SIZE
        or alpha == 0
        or beta == 0
        or x.dtype != y.dtype
        or x.size != y.size
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
    ):
        return None
    prefix = _PREFIX.get(y.dtype)
    return None if prefix is None else _routines().get(prefix + "axpby")


def axpby(alpha: float, x: np.ndarray, beta: float, y: np.ndarray, tmp: np.ndarray) -> None:
    """``y = alpha * x + beta * y`` in place; ``x`` must not partly overlap ``y``; ``tmp``
    (like ``y``, and may be ``x`` itself) is scratch for the NumPy path."""
    fn = _blas(alpha, x, beta, y)
    if fn is not None:
        fn(y.size, alpha, _address(x), 1, beta, _address(y), 1)
        return
    if beta != 1:
        y *= beta
    y += x if alpha == 1 else np.multiply(x, alpha, out=tmp)  # 1 * x is x: no pass for it


def axpy(alpha: float, x: np.ndarray, y: np.ndarray, tmp: np.ndarray) -> None:
    """``y += alpha * x`` in place (``axpby`` with ``beta = 1``, the same bits)."""
    axpby(alpha, x, 1.0, y, tmp)


def shifted_matmul_sum(a: np.ndarray, offsets, m: int, w: np.ndarray, out: np.ndarray) -> bool:
    """``out[:m] = sum over t of a[offsets[t] : offsets[t] + m] @ w[t]``, one ``?gemm`` per
    term reading its window of ``a`` in place and adding into ``out`` (the first overwrites).

    Args:
        a: (R, K) C-contiguous matrix whose row windows are multiplied.
        offsets: first row of each term's window (``0 <= offset`` and ``offset + m <= R``).
        m: rows per window.
        w: (T, K, N) C-contiguous: one right factor per term.
        out: (>= m, N) C-contiguous and writeable; rows from ``m`` on are left as they are.

    Returns:
        False, with nothing written, when no BLAS ``?gemm`` is bound for the dtype (then the
        caller computes the sum another way); True when ``out[:m]`` holds the sum.
    """
    zero = [0] * len(offsets)
    return _window_products("shifted_matmul_sum", a, offsets, m, w, out, zero, 0.0)


def shifted_matmul_add(a: np.ndarray, m: int, w: np.ndarray, out: np.ndarray, offsets) -> bool:
    """``out[offsets[t] : offsets[t] + m] += a[:m] @ w[t]`` for each t, one ``?gemm`` per term
    adding into its window of ``out`` in place (windows may overlap: terms add up).

    Shapes as in ``shifted_matmul_sum``, with the offsets on ``out``'s rows. Returns False,
    with nothing written, when no BLAS ``?gemm`` is bound for the dtype.
    """
    zero = [0] * len(offsets)
    return _window_products("shifted_matmul_add", a, zero, m, w, out, offsets, 1.0)


def _window_products(name, a, a_offsets, m, w, out, out_offsets, first_beta: float) -> bool:
    """``out[o_t : o_t + m] = a[a_t : a_t + m] @ w[t] + beta * out[o_t : o_t + m]`` for each
    term in order, ``beta`` being ``first_beta`` for the first term and 1 after it."""
    (r, k), n = (a.shape, out.shape[-1]) if a.ndim == out.ndim == 2 else ((0, -1), -1)
    if (
        not len(a_offsets)
        or w.shape != (len(a_offsets), k, n)
        or m < 0
        or any(not 0 <= off <= r - m for off in a_offsets)
        or any(not 0 <= off <= out.shape[0] - m for off in out_offsets)
    ):
        raise ValueError(
            f"{name}: windows of {m} rows at offsets {list(a_offsets)} of a {a.shape} matrix "
            f"times {w.shape} factors into offsets {list(out_offsets)} of {out.shape}"
        )
    fn = _gemm_for(a, w, out)
    if fn is None:
        return False
    if not (m and k and n):  # empty products (BLAS would reject zero leading dimensions)
        if first_beta == 0:
            out[:m] = 0  # a sum of empty products
        return True
    a0, c0 = _address(a), _address(out)
    for t, (a_off, out_off) in enumerate(zip(a_offsets, out_offsets)):
        beta = first_beta if t == 0 else 1.0
        _gemm(fn, a0 + a_off * k * a.itemsize, w[t], beta, c0 + out_off * n * out.itemsize, m)
    return True


def _gemm_for(a, w, out):
    """The bound ``?gemm`` for these operands, or None (mixed or unsupported dtypes, a
    non-contiguous or read-only operand, or no BLAS)."""
    if not (a.dtype == w.dtype == out.dtype and a.dtype in _PREFIX and out.flags.writeable):
        return None
    if not (a.flags.c_contiguous and w.flags.c_contiguous and out.flags.c_contiguous):
        return None
    return _routines().get(_PREFIX[a.dtype] + "gemm")
