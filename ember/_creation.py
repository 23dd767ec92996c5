"""Tensor factories: tensor/from_numpy, zeros/ones/full/empty, arange/linspace/eye, random draws."""

from __future__ import annotations

import numbers

import numpy as np

from ember import _dtype
from ember import random as _random
from ember._backend import as_device
from ember._tensor import Tensor


def _as_array(data, dtype=None, copy=True, float_default=False) -> np.ndarray:
    """Convert user data to an array of a supported dtype (Python floats -> default float)."""
    want = _dtype.to_dtype(dtype).np if dtype is not None else None
    python_data = False
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)  # NumPy arrays and scalars keep their dtype (np.float64 too)
    else:
        if isinstance(data, (str, bytes)):
            raise TypeError(f"tensor(): new(): invalid data type '{type(data).__name__}'")
        if data is None:
            raise RuntimeError("tensor(): Could not infer dtype of NoneType")
        try:
            arr = np.asarray(data)
        except ValueError as exc:
            raise ValueError(f"tensor(): expected a regular (non-ragged) sequence: {exc}") from None
        if arr.dtype == object and any(v is None for v in arr.reshape(-1).tolist()):
            raise RuntimeError("tensor(): Could not infer dtype of NoneType")
        if arr.dtype == np.float64 and want is None:
            arr = arr.astype(_dtype.get_default_dtype().np)
        copy = False
        python_data = True
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"tensor(): can't convert data of type {arr.dtype} (supported: numbers and booleans)"
        )
    if want is None and float_default and arr.dtype.kind != "f":
        want = _dtype.get_default_dtype().np
    if want is not None and arr.dtype != want:
        if python_data and want.kind in "iu" and arr.size:
            _check_fits(arr, want)
        with np.errstate(over="ignore"):  # float overflow gives inf silently, as in PyTorch
            return arr.astype(want)
    _dtype.from_numpy_dtype(arr.dtype)
    return arr.copy() if copy else arr


def _check_fits(arr: np.ndarray, want: np.dtype) -> None:
    info = np.iinfo(want)
    lo, hi = arr.min(), arr.max()
    if lo < info.min or hi > info.max:
        bad = lo if lo < info.min else hi
        raise RuntimeError(
            f"tensor(): value {bad} cannot be converted to type {want} without overflow"
        )


def _new(arr, requires_grad: bool, device=None) -> Tensor:
    as_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors)."""
    return _new(_as_array(data, dtype, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no cast is needed."""
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_dtype(dtype) == data.dtype):
        return data
    return _new(_as_array(data, dtype, copy=False), False, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"size must be a tuple of ints, but got an element of type "
                            f"{type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _float_dtype(dtype) -> np.dtype:
    return _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_size(size), _float_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_size(size), _float_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _new(np.empty(_size(size), _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    if dtype is None:
        if isinstance(fill_value, Tensor):
            dtype = fill_value.dtype
        elif isinstance(fill_value, bool):
            dtype = _dtype.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = _dtype.int64
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _new(np.full(_size((size,)), value, _float_dtype(dtype)), requires_grad, device)


def _like(input: Tensor, dtype):
    dt = _dtype.to_dtype(dtype).np if dtype is not None else input._data.dtype
    return input._data.shape, dt


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.zeros(shape, dt), requires_grad, device)


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.ones(shape, dt), requires_grad, device)


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.empty(shape, dt), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt = _like(input, dtype)
    return _new(np.full(shape, fill_value, dt), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"arange(): upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    if dtype is None:
        dt = np.int64 if all_int else _dtype.get_default_dtype().np
    else:
        dt = _dtype.to_dtype(dtype).np
    n = int(np.ceil((end - start) / step))
    arr = (start + step * np.arange(n, dtype=np.float64 if not all_int else np.int64)).astype(dt)
    return _new(arr, requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    arr = np.linspace(start, end, steps).astype(_float_dtype(dtype))
    return _new(arr, requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    arr = np.logspace(start, end, steps, base=base).astype(_float_dtype(dtype))
    return _new(arr, requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {v}")
    return _new(np.eye(n, n if m is None else m, dtype=_float_dtype(dtype)), requires_grad, device)


# -- random draws (all through ember.random's generators) ---------------------------------------
def _sampling_dtype(op: str, dtype) -> np.dtype:
    """The floating dtype of a continuous draw; integer dtypes are refused as PyTorch does."""
    dt = _float_dtype(dtype)
    if dt.kind != "f":
        raise NotImplementedError(
            f"{op}(): sampling is only implemented for floating point dtypes, got "
            f"{_dtype.from_numpy_dtype(dt)!r}"
        )
    return dt


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1)."""
    dt = _sampling_dtype("rand", dtype)
    # NOTE: drawn in the target precision: a float64 draw just below 1 rounds to 1.0 in float32
    draw_dt = dt if dt in (np.float32, np.float64) else np.dtype(np.float32)
    arr = _random.rng(generator).random(_size(size), dtype=draw_dt).astype(dt, copy=False)
    if dt == np.float16:
        np.minimum(arr, np.nextafter(np.float16(1), np.float16(0)), out=arr)
    return _new(arr, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    dt = _sampling_dtype("randn", dtype)
    draw_dt = dt if dt in (np.float32, np.float64) else np.dtype(np.float32)
    arr = _random.rng(generator).standard_normal(_size(size), dtype=draw_dt)
    return _new(arr.astype(dt, copy=False), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if size is None or high is None:
        raise TypeError("randint() missing required arguments: expected randint(high, size) or "
                        "randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    if high <= low:
        raise RuntimeError(f"randint(): random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    if dt.kind in "biu":
        info = (0, 1) if dt.kind == "b" else (np.iinfo(dt).min, np.iinfo(dt).max)
        if low < info[0] or high - 1 > info[1]:
            raise RuntimeError(f"randint(): [{low}, {high}) is out of bounds for "
                               f"{_dtype.from_numpy_dtype(dt)!r}")
    arr = _random.rng(generator).integers(low, high, _size((size,))).astype(dt, copy=False)
    return _new(arr, requires_grad, device)


def rand_like(input, *, dtype=None, generator=None, device=None, requires_grad=False) -> Tensor:
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, device=None, requires_grad=False) -> Tensor:
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, generator=None, device=None) -> Tensor:
    """``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator, dtype=dtype or input.dtype,
                   device=device)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.int64
    return _new(_random.rng(generator).permutation(n).astype(dt), False, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (elementwise) or numbers with ``size``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    ref = mean if isinstance(mean, Tensor) else (std if isinstance(std, Tensor) else None)
    if size is None and ref is None:
        raise TypeError("normal(): with a float mean and a float std the 'size' argument is "
                        f"required (got mean={mean}, std={std})")
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects all elements of std >= 0.0, got min "
                           f"{np.min(s)}")
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = _dtype.to_dtype(dtype).np if dtype is not None else (
        ref._data.dtype if ref is not None else _dtype.get_default_dtype().np)
    dt = _sampling_dtype("normal", dt)
    z = _random.rng(generator).standard_normal(_size((size,)))
    return _new((m + s * z).astype(dt), False, None)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or the scalar ``p``), in input's dtype."""
    _sampling_dtype("bernoulli", input.dtype)
    probs = input._data if p is None else np.full(input._data.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("bernoulli(): expected all probabilities to be in [0, 1]")
    u = _random.rng(generator).random(input._data.shape)
    return _new((u < probs).astype(input._data.dtype), False, None)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn from the rows of ``input`` (non-negative weights): (rows, num_samples)."""
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype!r}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial(): cannot sample n_sample <= 0 samples (got "
                           f"{num_samples})")
    w = input._data.astype(np.float64)
    one_d = w.ndim == 1
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {w.ndim}")
    w = w.reshape(-1, w.shape[-1])
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if np.any(w.sum(1) <= 0):
        raise RuntimeError("multinomial(): invalid multinomial distribution (sum of probabilities "
                           "<= 0)")
    rows, n = w.shape
    gen = _random.rng(generator)
    if replacement:
        cdf = np.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        offsets = np.arange(rows)[:, None]
        u = gen.random((rows, num_samples))
        # one searchsorted over all rows: shift row r's cdf and draws by r
        flat = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(), side="right")
        idx = np.minimum(flat.reshape(rows, num_samples) - offsets * n, n - 1)
    else:
        if num_samples > n:
            raise RuntimeError(f"multinomial(): cannot sample n_sample > prob_dist.size(-1) "
                               f"samples without replacement (n_sample={num_samples}, "
                               f"size(-1)={n})")
        # Gumbel top-k: exact sampling without replacement, vectorised over rows; as in
        # PyTorch, zero-probability categories are only drawn after all the others
        with np.errstate(divide="ignore"):
            keys = np.log(w) + gen.gumbel(size=w.shape)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    return _new(idx[0] if one_d else idx, False, None)


# -- in-place random fills (used by nn.init) -----------------------------------------------------
def _fill_random(t: Tensor, name: str, arr: np.ndarray) -> Tensor:
    from ember.ops.inplace import apply_inplace

    return apply_inplace(t, name, lambda x: Tensor._make(arr.astype(x._data.dtype, copy=False)))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    return _fill_random(t, "uniform_", _random.rng(generator).uniform(a, b, t._data.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    return _fill_random(t, "normal_", _random.rng(generator).normal(mean, std, t._data.shape))


def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    probs = p._data if isinstance(p, Tensor) else p
    u = _random.rng(generator).random(t._data.shape)
    return _fill_random(t, "bernoulli_", (u < probs))


def exponential_(t: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    return _fill_random(t, "exponential_",
                        _random.rng(generator).exponential(1.0 / lambd, t._data.shape))


def random_(t: Tensor, low: int = 0, high: int | None = None, *, generator=None) -> Tensor:
    if high is None:
        low, high = 0, low if low else 2**24
    return _fill_random(t, "random_", _random.rng(generator).integers(low, high, t._data.shape))
